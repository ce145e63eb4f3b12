"""Events as the engine sees them, and the event history that conditions and segments count.

``MemoryHistory`` keeps the events a process was shown (``simulate``, tests); the worker counts in
the analytic store instead (``feed.AnalyticHistory``). Both answer for one customer (a condition
step) or for everyone at once (a segment check).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from journeykit.flows.model import HistoryCondition
from journeykit.flows.predicates import all_hold


@dataclass(frozen=True)
class FlowEvent:
    """One event as the engine sees it (``customer_id`` already resolved)."""

    event_id: str
    ts: datetime
    customer_id: str
    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


class History(Protocol):
    """How often customers did an event in a time range (condition steps, segments)."""

    def count(
        self, customer_id: str, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> int: ...

    def counts(
        self, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> dict[str, int]:
        """Per customer with at least one matching event: how many."""
        ...


class MemoryHistory:
    """The events the engine was shown, kept per customer and per name in time order (simulate,
    tests, a fresh worker); a segment's count over everyone reads only the window's events."""

    def __init__(self) -> None:
        self._events: dict[str, list[FlowEvent]] = {}
        self._by_name: dict[str, list[FlowEvent]] = {}
        self._unsorted: set[str] = set()

    def add(self, event: FlowEvent) -> None:
        self._events.setdefault(event.customer_id, []).append(event)
        same = self._by_name.setdefault(event.name, [])
        if same and same[-1].ts > event.ts:
            self._unsorted.add(event.name)
        same.append(event)

    def count(
        self, customer_id: str, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> int:
        return sum(
            1
            for event in self._events.get(customer_id, [])
            if event.name == condition.event
            and (since is None or event.ts >= since)
            and event.ts <= until
            and all_hold(condition.where, event.properties)
        )

    def counts(
        self, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> dict[str, int]:
        events = self._by_name.get(condition.event, [])
        if condition.event in self._unsorted:
            events.sort(key=lambda e: e.ts)
            self._unsorted.discard(condition.event)
        low = 0 if since is None else bisect_left(events, since, key=lambda e: e.ts)
        high = bisect_right(events, until, key=lambda e: e.ts)
        found: dict[str, int] = {}
        for event in events[low:high]:
            if all_hold(condition.where, event.properties):
                found[event.customer_id] = found.get(event.customer_id, 0) + 1
        return found
