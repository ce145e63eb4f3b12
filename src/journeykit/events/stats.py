"""``journeykit events stats``: how many events and customers, from when to when, how many bad."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from journeykit.store.analytic import AnalyticStore


@dataclass(frozen=True)
class EventStats:
    """The numbers of the ``events stats --json`` contract."""

    events: int
    customers: int
    first_ts: datetime | None
    last_ts: datetime | None
    quarantined: int

    def as_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "customers": self.customers,
            "first_ts": _iso(self.first_ts),
            "last_ts": _iso(self.last_ts),
            "quarantined": self.quarantined,
        }


def event_stats(store: AnalyticStore) -> EventStats:
    """Counted in the engine; only five numbers come back."""
    events = store.table("events")
    summary = store.fetch(
        events.aggregate(
            events=events.count(),
            customers=events.customer_id.nunique(),
            first_ts=events.ts.min(),
            last_ts=events.ts.max(),
        )
    ).to_pylist()[0]
    quarantine = store.table("quarantine")
    open_count = store.scalar(quarantine.filter(quarantine.status == "open").count())
    return EventStats(
        int(summary["events"] or 0),
        int(summary["customers"] or 0),
        summary["first_ts"],
        summary["last_ts"],
        int(open_count or 0),
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None
