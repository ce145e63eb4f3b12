"""Reading events for the engine from the analytic store, briefly.

DuckDB allows one writer process at a time (docs/events.md, "locking"), and ingest or the
collector's flusher may need it; so the store is opened for one query and closed again, never held
across a worker's loop. The customer of an event is its ``customer_id``, else ``user_id``, else
``anonymous_id``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any

from journeykit.flows.history import FlowEvent
from journeykit.flows.model import HistoryCondition
from journeykit.store import open_analytic

if TYPE_CHECKING:
    from journeykit.store import AnalyticStore
    from journeykit.workspace import Workspace

COLUMNS = ("event_id", "ts", "customer_id", "user_id", "anonymous_id", "name", "properties")


def read_events(
    workspace: Workspace,
    since: datetime | None = None,
    until: datetime | None = None,
    names: set[str] | None = None,
) -> list[FlowEvent]:
    """Events with ``since <= ts < until`` (either bound open), optionally only ``names``."""
    with open_analytic(workspace) as store:
        events = store.table("events")
        query = events.select(*COLUMNS)
        if since is not None:
            query = query.filter(events.ts >= since)
        if until is not None:
            query = query.filter(events.ts < until)
        if names is not None:
            query = query.filter(events.name.isin(sorted(names)))
        rows = store.fetch(query.order_by([events.ts, events.event_id])).to_pylist()
    return [event for row in rows if (event := _event(row)) is not None]


def _event(row: dict[str, Any]) -> FlowEvent | None:
    customer = row["customer_id"] or row["user_id"] or row["anonymous_id"]
    if not customer:
        return None
    try:
        properties = json.loads(row["properties"]) if row["properties"] else {}
    except json.JSONDecodeError:
        properties = {}
    return FlowEvent(
        row["event_id"],
        row["ts"],
        customer,
        row["name"],
        properties if isinstance(properties, dict) else {},
    )


class AnalyticHistory:
    """Event history for condition steps and segments, counted in the analytic store.

    The worker uses it so that a condition sees the customer's whole history, not only what this
    process has read; ``simulate`` and tests use ``engine.MemoryHistory`` instead. Inside
    ``session()`` (one batch of runs) the store is opened at the first question and kept open
    until the batch ends; outside a session each question opens it briefly.
    """

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._stack: ExitStack | None = None
        self._store: AnalyticStore | None = None

    @contextmanager
    def session(self) -> Iterator[AnalyticHistory]:
        """Keep the store open (once it is needed) until the block ends."""
        if self._stack is not None:  # nested: the outer session owns the store
            yield self
            return
        with ExitStack() as stack:
            self._stack = stack
            try:
                yield self
            finally:
                self._stack, self._store = None, None

    def count(
        self, customer_id: str, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> int:
        found = self.counts(condition, since, until, [customer_id])
        return found.get(customer_id, 0)

    def counts(
        self,
        condition: HistoryCondition,
        since: datetime | None,
        until: datetime,
        customers: Sequence[str] | None = None,
    ) -> dict[str, int]:
        """Matching events per customer (all customers, or only ``customers``), one query."""
        from journeykit.analytics.rules import condition_predicate

        with self._open() as store:
            events = store.table("events")
            query = events.filter(  # ingest always resolves customer_id
                events.name == condition.event,
                events.ts <= until,
                events.customer_id.notnull(),
            )
            if customers is not None:
                query = query.filter(query.customer_id.isin(list(customers)))
            if since is not None:
                query = query.filter(query.ts >= since)
            for where in condition.where:
                query = query.filter(condition_predicate(query.properties, where).fill_null(False))
            grouped = query.group_by("customer_id").aggregate(n=query.count())
            rows = store.fetch(grouped).to_pylist()
        return {str(row["customer_id"]): int(row["n"]) for row in rows}

    @contextmanager
    def _open(self) -> Iterator[AnalyticStore]:
        if self._stack is None:
            with open_analytic(self.workspace, migrate=False) as store:
                yield store
            return
        if self._store is None:
            self._store = self._stack.enter_context(open_analytic(self.workspace, migrate=False))
        yield self._store
