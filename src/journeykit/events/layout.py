"""The events table's physical layout: clustered in journey order for the analyses.

Funnels, paths, transitions, sessions and stage KPIs all read each customer's events in time
order (windows partitioned by ``customer_id``, ordered by ``(ts, event_id)``). Ingest appends in
arrival order; rewriting the table in journey order now and then (``journeykit events
optimize``, like a warehouse's OPTIMIZE/CLUSTER) lets the engine sort nearly sorted data, which
DuckDB does markedly faster. Results never depend on the layout, only their speed does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from journeykit.store.analytic import AnalyticStore

JOURNEY_ORDER = ("customer_id", "ts", "event_id")


@dataclass(frozen=True)
class Optimized:
    """What ``optimize_events`` did: rows in the table, whether it was rewritten, how long."""

    events: int
    clustered: bool
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {"events": self.events, "clustered": self.clustered, "seconds": self.seconds}


def optimize_events(store: AnalyticStore) -> Optimized:
    """Rewrite ``events`` in journey order (atomically; a no-op on engines without row order)."""
    started = time.perf_counter()
    clustered = store.cluster("events", JOURNEY_ORDER)
    events = int(store.scalar(store.table("events").count()))
    return Optimized(events, clustered, round(time.perf_counter() - started, 3))


__all__ = ["JOURNEY_ORDER", "Optimized", "optimize_events"]
