"""The funnel, with exactly the semantics of ARCHITECTURE.md "Funnel semantics", set-based in Ibis.

A customer *enters* with any event of step 1 in the period (an *attempt*). From each attempt, step k
is reached by the earliest event of step k after the event matched for step k−1, no later than the
attempt's start + window. "After" is in the order of ``(ts, event_id)``, so the events matched by
one attempt are distinct even when two steps share a name or events share a timestamp (of two
events at the same instant, the one with the smaller ``event_id`` counts as earlier). A customer's
depth is the best over their attempts; ``steps[k].customers`` counts customers with depth ≥ k.
Times between steps come from the customer's earliest attempt among those of best depth, in whole
seconds (the difference of the two timestamps' whole epoch seconds).

How it runs (no per-customer Python): the customer's step events are numbered in that order
(``seq``); window functions give every event the ``seq`` of the next event of each step name after
it; an attempt then follows its chain by one equi-join per step (against that step's events only,
which also gives the step's time); a window picks each customer's best attempt and one aggregation
counts and takes the percentiles. Repeated events add attempts, never customers; a late or
out-of-order arrival only changes where an event sorts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import rows
from journeykit.analytics.journeys import label_events
from journeykit.analytics.properties import property_text
from journeykit.analytics.traits import CUSTOMER_TRAITS, with_customer_trait
from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.events.schema import EVENT_FIELDS
from journeykit.maps.model import JourneyMap

Level = Literal["event", "touchpoint", "stage"]
LEVEL_COLUMNS: dict[str, str] = {"event": "name", "touchpoint": "touchpoint", "stage": "stage"}
DEFAULT_WINDOW = timedelta(days=7)
PROPERTY_PREFIX = "properties."
BREAKDOWN_COLUMNS = tuple(f for f in EVENT_FIELDS if f not in ("event_id", "ts", "properties"))
QUANTILES = {"p25": 0.25, "median": 0.5, "p75": 0.75, "p90": 0.9}


class FunnelInvalid(JourneykitError):
    """The funnel's steps, level, map or breakdown do not fit together."""

    def __init__(self, field: str, message: str, hint: str) -> None:
        super().__init__(
            f"{field}: {message} — {hint}", [Problem(None, None, None, field, message, hint)]
        )


@dataclass(frozen=True)
class FunnelStep:
    """One step: customers who got this far, conversions, time from the previous step."""

    step: str
    customers: int
    conversion_from_start: float
    conversion_from_previous: float
    median_seconds_from_previous: float | None
    p25_seconds_from_previous: float | None
    p75_seconds_from_previous: float | None
    p90_seconds_from_previous: float | None

    def as_json(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "customers": self.customers,
            "conversion_from_start": self.conversion_from_start,
            "conversion_from_previous": self.conversion_from_previous,
            "median_seconds_from_previous": self.median_seconds_from_previous,
            "p25_seconds_from_previous": self.p25_seconds_from_previous,
            "p75_seconds_from_previous": self.p75_seconds_from_previous,
            "p90_seconds_from_previous": self.p90_seconds_from_previous,
        }


@dataclass(frozen=True)
class FunnelGroup:
    """The funnel of the attempts whose step-1 event has ``value`` in the breakdown field."""

    value: str | None
    entered: int
    steps: list[FunnelStep]

    def as_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "entered": self.entered,
            "steps": [s.as_json() for s in self.steps],
        }


@dataclass(frozen=True)
class Funnel:
    """A funnel's result; ``to_json()`` is the document of ``journeykit funnel --json``."""

    window_seconds: int
    entered: int
    steps: list[FunnelStep]
    by: str | None = None
    groups: list[FunnelGroup] | None = None

    def to_json(self) -> dict[str, Any]:
        breakdown = None
        if self.groups is not None:
            breakdown = {"by": self.by, "groups": [g.as_json() for g in self.groups]}
        return {
            "window_seconds": self.window_seconds,
            "entered": self.entered,
            "steps": [s.as_json() for s in self.steps],
            "breakdown": breakdown,
        }

    def group(self, value: str | None) -> FunnelGroup:
        """The breakdown group of ``value`` (KeyError when there is none)."""
        for group in self.groups or []:
            if group.value == value:
                return group
        raise KeyError(value)


def funnel(
    events: ir.Table,
    steps: Sequence[str],
    *,
    window: timedelta = DEFAULT_WINDOW,
    level: Level = "event",
    journey_map: JourneyMap | None = None,
    by: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Funnel:
    """The funnel of ``steps`` (event names, touchpoint ids or stage ids by ``level``).

    Args:
        events: the ``events`` table (or an expression with its columns).
        window: how long after an attempt's step-1 event later steps still count (inclusive).
        journey_map: needed for the touchpoint and stage levels.
        by: breakdown field: an event column (``device``, ``channel`` …), ``properties.<path>``
            or a customer trait (``persona``: the latest one the customer's events carry, see
            ``analytics.traits``); a customer counts in every group where they have an attempt.
        since, until: only step-1 events with ``since <= ts < until`` start attempts; later
            steps may fall after ``until`` (within the window).
    """
    _check(steps, window, level, journey_map, by)
    table = events if level == "event" else label_events(events, _need(journey_map))
    if by in CUSTOMER_TRAITS:
        table = with_customer_trait(table, by)
    attempts = attempt_depths(table, LEVEL_COLUMNS[level], steps, window, by, since, until)
    overall = _summaries(attempts, len(steps), grouped=False)
    entered, step_rows = overall.get(None, (0, _empty(len(steps))))
    result_steps = _steps(steps, entered, step_rows)
    if by is None:
        return Funnel(int(window.total_seconds()), entered, result_steps)
    grouped = _summaries(attempts, len(steps), grouped=True)
    groups = [
        FunnelGroup(value, n, _steps(steps, n, found))
        for value, (n, found) in sorted(
            grouped.items(), key=lambda kv: (kv[0] is None, kv[0] or "")
        )
    ]
    return Funnel(int(window.total_seconds()), entered, result_steps, by, groups)


def attempt_depths(
    table: ir.Table,
    key: str,
    steps: Sequence[str],
    window: timedelta,
    by: str | None,
    since: datetime | None,
    until: datetime | None,
) -> ir.Table:
    """One row per attempt: ``c`` (customer), ``a_seq``, ``group``, ``depth``, ``t1``..``tn``."""
    names = list(dict.fromkeys(steps[1:]))
    chain = _step_events(table, key, steps, names, by)
    first = chain.filter(_in_period(chain, chain["k"] == steps[0], since, until))
    deadline = first["ts"] + ibis.interval(seconds=int(window.total_seconds()))
    attempts = first.select(
        c=first["c"],
        a_seq=first["seq"],
        group=first["group"],
        deadline=deadline,
        t1=first["ts"],
        _next=first[f"n{names.index(steps[1])}"] if len(steps) > 1 else ibis.null("int64"),
    )
    for k in range(2, len(steps) + 1):
        after = names.index(steps[k]) if k < len(steps) else None
        attempts = _follow(attempts, chain, k, steps[k - 1], after)
    reached = [attempts[f"t{k}"].notnull().cast("int64") for k in range(2, len(steps) + 1)]
    depth = sum(reached, ibis.literal(1, "int64")) if reached else ibis.literal(1, "int64")
    return attempts.mutate(depth=depth).drop("_next")


def _step_events(
    table: ir.Table, key: str, steps: Sequence[str], names: list[str], by: str | None
) -> ir.Table:
    """The customers' step events numbered by ``(ts, event_id)`` (``seq``), each with ``n{i}``:
    the ``seq`` of the customer's next event of step name ``names[i]`` after it."""
    relevant = table.filter(
        table[key].isin(list(dict.fromkeys(steps))) & table["customer_id"].notnull()
    )
    order = ibis.window(group_by="customer_id", order_by=["ts", "event_id"])
    numbered = relevant.select(
        c=relevant["customer_id"],
        ts=relevant["ts"],
        k=relevant[key],
        group=_breakdown(relevant, by),
        seq=ibis.row_number().over(order),
    )
    later = ibis.window(group_by="c", order_by="seq", rows=(1, None))
    nexts = {
        f"n{i}": ibis.ifelse(numbered["k"] == name, numbered["seq"], ibis.null("int64"))
        .min()
        .over(later)
        for i, name in enumerate(names)
    }
    return numbered.mutate(**nexts)


def _follow(attempts: ir.Table, chain: ir.Table, k: int, step: str, after: int | None) -> ir.Table:
    """Step ``k`` of every attempt: the event ``_next`` points at, if within the window.

    ``_next`` is always an event of ``step``, so only those rows are joined; the joined row
    gives the step's time and (``after``) the next event of step k+1.
    """
    candidates = chain.filter(chain["k"] == step)
    hop = candidates.select(
        _c=candidates["c"],
        _seq=candidates["seq"],
        _ts=candidates["ts"],
        _n=candidates[f"n{after}"] if after is not None else ibis.null("int64"),
    )
    joined = attempts.left_join(hop, [attempts["c"] == hop["_c"], attempts["_next"] == hop["_seq"]])
    inside = joined["_ts"] <= joined["deadline"]
    return joined.mutate(
        **{
            f"t{k}": ibis.ifelse(inside, joined["_ts"], _null_like(joined["_ts"])),
            "_next": ibis.ifelse(inside, joined["_n"], ibis.null("int64")),
        }
    ).drop("_c", "_seq", "_ts", "_n")


def _summaries(
    attempts: ir.Table, n: int, *, grouped: bool
) -> dict[str | None, tuple[int, list[dict[str, Any]]]]:
    """Per group (or overall, key None): entered and one dict of numbers per step."""
    keys = ["c", "group"] if grouped else ["c"]
    order = ibis.window(group_by=keys, order_by=[ibis.desc("depth"), "a_seq"])
    best = attempts.mutate(_rank=ibis.row_number().over(order)).filter(lambda t: t["_rank"] == 0)
    seconds = {k: _epoch(best[f"t{k}"]) for k in range(1, n + 1)}
    metrics: dict[str, ir.Value] = {"entered": best.count()}
    for k in range(2, n + 1):
        metrics[f"reached{k}"] = (best["depth"] >= k).cast("int64").sum()
        gap = (seconds[k] - seconds[k - 1]).cast("float64")
        metrics[f"q{k}"] = gap.quantile(list(QUANTILES.values()))  # one sort for all four
    summary = best.group_by("group").aggregate(**metrics) if grouped else best.aggregate(**metrics)
    result: dict[str | None, tuple[int, list[dict[str, Any]]]] = {}
    for row in rows(summary):
        entered = int(row["entered"] or 0)
        per_step = [{"customers": entered, **dict.fromkeys(QUANTILES)}]
        per_step += [
            {"customers": int(row[f"reached{k}"] or 0), **_quantiles(row[f"q{k}"])}
            for k in range(2, n + 1)
        ]
        result[row["group"] if grouped else None] = (entered, per_step)
    return result


def _quantiles(values: list[float | None] | None) -> dict[str, float | None]:
    """The engine's list of percentiles (None when no customer reached the step) by name."""
    if values is None:
        return dict.fromkeys(QUANTILES)
    return dict(zip(QUANTILES, values, strict=True))


def _steps(names: Sequence[str], entered: int, found: list[dict[str, Any]]) -> list[FunnelStep]:
    result: list[FunnelStep] = []
    previous = entered
    for name, numbers in zip(names, found, strict=True):
        customers = numbers["customers"]
        result.append(
            FunnelStep(
                step=name,
                customers=customers,
                conversion_from_start=_ratio(customers, entered),
                conversion_from_previous=_ratio(customers, previous),
                median_seconds_from_previous=_float(numbers["median"]),
                p25_seconds_from_previous=_float(numbers["p25"]),
                p75_seconds_from_previous=_float(numbers["p75"]),
                p90_seconds_from_previous=_float(numbers["p90"]),
            )
        )
        previous = customers
    return result


def _empty(n: int) -> list[dict[str, Any]]:
    return [{"customers": 0, **dict.fromkeys(QUANTILES)} for _ in range(n)]


def _ratio(part: int, whole: int) -> float:
    """``part / whole``; 0.0 when nobody is in ``whole`` (the contract's numbers are never null)."""
    return part / whole if whole else 0.0


def _null_like(column: ir.Value) -> ir.Value:
    """A NULL of ``column``'s type (made nullable)."""
    return ibis.null(column.type().copy(nullable=True))


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _epoch(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch (DuckDB's epoch has a fraction, Spark's has none)."""
    result: ir.IntegerValue = ts.epoch_seconds().cast("float64").floor().cast("int64")
    return result


def _in_period(
    table: ir.Table, condition: ir.BooleanValue, since: datetime | None, until: datetime | None
) -> ir.BooleanValue:
    if since is not None:
        condition &= table["ts"] >= ibis.literal(since)
    if until is not None:
        condition &= table["ts"] < ibis.literal(until)
    return condition


def _breakdown(table: ir.Table, by: str | None) -> ir.StringValue:
    if by is None:
        return ibis.null("string")
    if by.startswith(PROPERTY_PREFIX):
        return property_text(table["properties"], by.removeprefix(PROPERTY_PREFIX))
    value: ir.StringValue = table[by].cast("string")
    return value


def _check(
    steps: Sequence[str],
    window: timedelta,
    level: str,
    journey_map: JourneyMap | None,
    by: str | None,
) -> None:
    if not steps:
        raise FunnelInvalid("STEP", "a funnel needs at least one step", "name the steps in order")
    if window.total_seconds() <= 0 or window.total_seconds() != int(window.total_seconds()):
        raise FunnelInvalid(
            "--window", f"{window} is not a positive whole number of seconds", "e.g. 7d"
        )
    if level not in LEVEL_COLUMNS:
        raise FunnelInvalid("--level", f"unknown level '{level}'", suggestion(level, LEVEL_COLUMNS))
    fields = (*BREAKDOWN_COLUMNS, *CUSTOMER_TRAITS)
    if by is not None and not by.startswith(PROPERTY_PREFIX) and by not in fields:
        hint = suggestion(by, fields)
        raise FunnelInvalid(
            "--by", f"'{by}' is not an event field or trait", f"{hint}, or properties.<name>"
        )
    if level != "event":
        _check_against_map(steps, level, _need(journey_map))


def _check_against_map(steps: Sequence[str], level: str, journey_map: JourneyMap) -> None:
    known = (
        [t.id for t in journey_map.touchpoints]
        if level == "touchpoint"
        else [s.id for s in journey_map.stages]
    )
    for step in steps:
        if step not in known:
            raise FunnelInvalid(
                "STEP",
                f"'{step}' is not a {level} of map '{journey_map.id}'",
                suggestion(step, known),
            )


def _need(journey_map: JourneyMap | None) -> JourneyMap:
    if journey_map is None:
        raise FunnelInvalid(
            "--map", "the touchpoint and stage levels need a journey map", "pass --map MAP_ID"
        )
    return journey_map
