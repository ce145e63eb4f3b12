"""Journeys: every event labelled with its touchpoint and stage, rule overlaps, coverage, sessions.

The labels come from the map's match rules (``rules.rule_predicate``), evaluated in the engine. When
several touchpoints match one event, the first in map order wins; ``overlapping_touchpoints`` says
where that happens so the map author can sharpen the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations
from typing import Any

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import one_row, rows
from journeykit.analytics.rules import rule_predicate
from journeykit.maps.model import JourneyMap, Touchpoint

TOP_UNMATCHED = 10


def touchpoint_predicates(
    events: ir.Table, journey_map: JourneyMap
) -> list[tuple[Touchpoint, ir.BooleanValue]]:
    """Each touchpoint that has a match rule with its predicate over ``events``, in map order."""
    return [(tp, rule_predicate(events, tp.match)) for tp in journey_map.touchpoints if tp.match]


def label_events(events: ir.Table, journey_map: JourneyMap) -> ir.Table:
    """``events`` plus text columns ``touchpoint`` and ``stage`` (NULL where nothing matches)."""
    rules = touchpoint_predicates(events, journey_map)
    if not rules:
        return events.mutate(touchpoint=ibis.null("string"), stage=ibis.null("string"))
    touchpoint = ibis.cases(*((pred, tp.id) for tp, pred in rules), else_=ibis.null("string"))
    stage = ibis.cases(*((pred, tp.stage) for tp, pred in rules), else_=ibis.null("string"))
    return events.mutate(touchpoint=touchpoint, stage=stage)


@dataclass(frozen=True)
class Overlap:
    """Two touchpoints whose rules both match ``events`` events; ``first`` wins them."""

    first: str
    second: str
    events: int

    def as_json(self) -> dict[str, Any]:
        return {"first": self.first, "second": self.second, "events": self.events}


def overlapping_touchpoints(events: ir.Table, journey_map: JourneyMap) -> list[Overlap]:
    """Pairs of touchpoints whose rules both match some event, most shared events first.

    Each event of a pair goes to ``first`` (earlier in the map); ``second`` never sees it.
    """
    pairs = list(combinations(touchpoint_predicates(events, journey_map), 2))
    if not pairs:
        return []
    counts = one_row(
        events.aggregate(
            **{f"p{i}": (a[1] & b[1]).cast("int64").sum() for i, (a, b) in enumerate(pairs)}
        )
    )
    found = [Overlap(a[0].id, b[0].id, int(counts[f"p{i}"] or 0)) for i, (a, b) in enumerate(pairs)]
    return sorted((o for o in found if o.events), key=lambda o: -o.events)


@dataclass(frozen=True)
class UnmatchedName:
    """An event name no touchpoint matches, with how often it occurs."""

    name: str
    events: int


@dataclass(frozen=True)
class Coverage:
    """How much of the data a map's touchpoints account for (``journeykit map coverage``)."""

    events: int
    unmatched_events: int
    revenue: float
    unmatched_revenue: float
    top_unmatched: list[UnmatchedName]

    @property
    def unmatched_share(self) -> float | None:
        """Share of events no touchpoint matches (None without events)."""
        return self.unmatched_events / self.events if self.events else None

    @property
    def unmatched_revenue_share(self) -> float | None:
        """Share of revenue on events no touchpoint matches (None without revenue)."""
        return self.unmatched_revenue / self.revenue if self.revenue else None

    def as_json(self) -> dict[str, Any]:
        return {
            "events": self.events,
            "unmatched_events": self.unmatched_events,
            "unmatched_share": self.unmatched_share,
            "revenue": self.revenue,
            "unmatched_revenue": self.unmatched_revenue,
            "unmatched_revenue_share": self.unmatched_revenue_share,
            "top_unmatched": [{"name": u.name, "events": u.events} for u in self.top_unmatched],
        }


def coverage(events: ir.Table, journey_map: JourneyMap, *, top: int = TOP_UNMATCHED) -> Coverage:
    """Events and revenue no touchpoint matches, and the ``top`` most frequent unmatched names."""
    labelled = label_events(events, journey_map)
    unmatched = labelled["touchpoint"].isnull()
    revenue = labelled["revenue"].fill_null(0.0)
    totals = one_row(
        labelled.aggregate(
            events=labelled.count(),
            unmatched_events=unmatched.cast("int64").sum(),
            revenue=revenue.sum(),
            unmatched_revenue=ibis.ifelse(unmatched, revenue, 0.0).sum(),
        )
    )
    missing = labelled.filter(unmatched)
    names = (
        missing.group_by("name")
        .aggregate(events=missing.count())
        .order_by([ibis.desc("events"), "name"])
        .limit(top)
    )
    return Coverage(
        events=int(totals["events"]),
        unmatched_events=int(totals["unmatched_events"] or 0),
        revenue=float(totals["revenue"] or 0.0),
        unmatched_revenue=float(totals["unmatched_revenue"] or 0.0),
        top_unmatched=[UnmatchedName(str(r["name"]), int(r["events"])) for r in rows(names)],
    )


SESSION_GAP = timedelta(minutes=30)


def sessionize(events: ir.Table, gap: timedelta = SESSION_GAP) -> ir.Table:
    """``events`` plus ``session_id``: a customer's session ends after ``gap`` without events.

    Events are ordered per ``customer_id`` by ``(ts, event_id)``; an event ``gap`` or more
    after the customer's previous one starts a new session (the KPI catalog's "30 minutes or
    more"). ``session_id`` is ``"<customer_id>:<n>"`` with n = 1, 2, … in time order (NULL for
    events without a customer).
    """
    marked = events.mutate(_jk_start=_starts(events, gap).cast("int64"))
    number = session_numbers(marked, marked["_jk_start"])
    session = marked["customer_id"] + ":" + number.cast("string")
    return marked.mutate(session_id=session).drop("_jk_start")


def session_edges(events: ir.Table, gap: timedelta = SESSION_GAP) -> ir.Table:
    """``events`` plus booleans ``session_start`` and ``session_end`` (``sessionize``'s sessions).

    Both come from one ordered pass (``lag`` and ``lead`` share a sort). An event that starts and
    ends its session is a whole session by itself, so callers can aggregate those without
    numbering sessions — the second sort that ``sessionize`` needs.
    """
    following = events["ts"].lead().over(_journey_order())
    ends = following.isnull() | (following >= events["ts"] + _interval(gap))
    return events.mutate(session_start=_starts(events, gap), session_end=ends)


def session_numbers(events: ir.Table, starts: ir.IntegerValue) -> ir.IntegerValue:
    """Each event's session number 1, 2, … within its customer: the running count of ``starts``."""
    running = ibis.window(group_by="customer_id", order_by=["ts", "event_id"], rows=(None, 0))
    number: ir.IntegerValue = starts.sum().over(running)
    return number


def _starts(events: ir.Table, gap: timedelta) -> ir.BooleanValue:
    previous = events["ts"].lag().over(_journey_order())
    starts: ir.BooleanValue = previous.isnull() | (events["ts"] >= previous + _interval(gap))
    return starts


def _journey_order() -> Any:
    return ibis.window(group_by="customer_id", order_by=["ts", "event_id"])


def _interval(gap: timedelta) -> ir.IntervalScalar:
    return ibis.interval(seconds=_seconds(gap))


def _seconds(gap: timedelta) -> int:
    seconds = int(gap.total_seconds())
    if seconds <= 0 or seconds != gap.total_seconds():
        raise ValueError(f"session gap must be a positive whole number of seconds, got {gap}")
    return seconds
