"""Retention: purchase cohorts, the repeat-purchase curve, and stage distribution over time.

Definitions (docs/analytics.md, "Retention"):

- A customer's *cohort* is the period (ISO week or calendar month, UTC) of their first purchase
  event (``order_completed`` by default) in the events given. ``retained[k]`` counts the cohort's
  customers with a purchase in period cohort + k (``k = 0`` is the cohort size); periods after
  the data's last period are ``None`` (not yet observable), not 0.
- The *repeat-purchase curve* gives, for n = 2, 3, …, the share of purchasers whose n-th purchase
  (journey order ``(ts, event_id)``) came within d whole days (seconds truncated) of their first.
- *Stage distribution*: per period, each customer active in it is in the stage of their latest
  labelled event of that period; *flows* count customers from period p's stage to period p+1's,
  with ``None`` for "not active" on either side.

All heavy work (first purchase, ranks, latest stage) is window functions in the engine; only
per-period counts come back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import one_row, rows
from journeykit.analytics.period_numbers import (
    check_period,
    period_index,
    period_label,
    whole_seconds,
)

PURCHASE_EVENT = "order_completed"
CURVE_DAYS: tuple[int, ...] = (0, 7, 14, 30, 60, 90, 180, 365)


@dataclass(frozen=True)
class Cohort:
    """Customers whose first purchase fell in ``period``, and how many bought again each period."""

    period: str
    size: int
    retained: list[int | None]

    def rates(self) -> list[float | None]:
        return [None if n is None or not self.size else n / self.size for n in self.retained]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "size": self.size,
            "retained": self.retained,
            "rates": self.rates(),
        }


@dataclass(frozen=True)
class CohortRetention:
    """The N-period retention table."""

    period: str
    purchase_event: str
    periods: int
    cohorts: list[Cohort]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "purchase_event": self.purchase_event,
            "periods": self.periods,
            "cohorts": [c.to_json() for c in self.cohorts],
        }


def _purchases(events: ir.Table, purchase_event: str) -> ir.Table:
    return events.filter(
        (events["name"] == purchase_event) & events["customer_id"].notnull()
    ).select("customer_id", "ts", "event_id")


def cohort_retention(
    events: ir.Table,
    *,
    period: str = "month",
    periods: int = 6,
    purchase_event: str = PURCHASE_EVENT,
) -> CohortRetention:
    """Cohorts by first purchase and their retention over ``periods`` later periods."""
    check_period(period)
    bought = _purchases(events, purchase_event)
    bought = bought.mutate(p=period_index(bought["ts"], period))
    firsts = bought.group_by("customer_id").aggregate(cohort=bought["p"].min())
    joined = bought.join(firsts, "customer_id")
    counts = rows(
        joined.group_by(["cohort", "p"]).aggregate(customers=joined["customer_id"].nunique())
    )
    last = one_row(events.aggregate(last=period_index(events["ts"], period).max()))["last"]
    table: dict[int, dict[int, int]] = {}
    for row in counts:
        table.setdefault(int(row["cohort"]), {})[int(row["p"])] = int(row["customers"])
    cohorts = [
        Cohort(
            period_label(c, period),
            found.get(c, 0),
            [
                None if last is None or c + k > int(last) else found.get(c + k, 0)
                for k in range(periods + 1)
            ],
        )
        for c, found in sorted(table.items())
    ]
    return CohortRetention(period, purchase_event, periods, cohorts)


@dataclass(frozen=True)
class CurvePoint:
    """By ``days`` after their first purchase, ``customers`` had made the n-th purchase."""

    days: int
    customers: int
    share: float | None


@dataclass(frozen=True)
class RepeatCurve:
    """The repeat-purchase curve: for each n ≥ 2, shares of purchasers by days since the first."""

    purchase_event: str
    purchasers: int
    curves: dict[int, list[CurvePoint]]

    def to_json(self) -> dict[str, Any]:
        return {
            "purchase_event": self.purchase_event,
            "purchasers": self.purchasers,
            "curves": [
                {
                    "purchases": n,
                    "points": [
                        {"days": p.days, "customers": p.customers, "share": p.share} for p in points
                    ],
                }
                for n, points in sorted(self.curves.items())
            ],
        }


def repeat_purchase_curve(
    events: ir.Table,
    *,
    purchase_event: str = PURCHASE_EVENT,
    max_purchases: int = 5,
    days: Sequence[int] = CURVE_DAYS,
) -> RepeatCurve:
    """Shares of purchasers with ≥ n purchases within each of ``days`` of their first."""
    bought = _purchases(events, purchase_event)
    order = ibis.window(group_by="customer_id", order_by=["ts", "event_id"])
    first = bought["ts"].min().over(ibis.window(group_by="customer_id"))
    ranked = bought.mutate(
        n=ibis.row_number().over(order) + 1,
        day=(whole_seconds(bought["ts"]) - whole_seconds(first)) // 86400,
    )
    repeats = ranked.filter((ranked["n"] >= 2) & (ranked["n"] <= max_purchases))
    counts = rows(repeats.group_by(["n", "day"]).aggregate(customers=repeats.count()))
    purchasers = int(one_row(bought.aggregate(c=bought["customer_id"].nunique()))["c"] or 0)
    curves: dict[int, list[CurvePoint]] = {}
    for n in range(2, max_purchases + 1):
        at = [(int(r["day"]), int(r["customers"])) for r in counts if int(r["n"]) == n]
        curves[n] = [
            _point(d, sum(c for day, c in at if day <= d), purchasers) for d in sorted(days)
        ]
    return RepeatCurve(purchase_event, purchasers, curves)


def _point(day: int, customers: int, purchasers: int) -> CurvePoint:
    return CurvePoint(day, customers, customers / purchasers if purchasers else None)


@dataclass(frozen=True)
class StageFlow:
    """``customers`` went from ``source`` in ``period`` to ``target`` in the next period."""

    period: str
    source: str | None
    target: str | None
    customers: int


@dataclass(frozen=True)
class StageDistribution:
    """Customers per stage per period, and the flows between consecutive periods."""

    period: str
    periods: list[str]
    stages: list[str]
    counts: dict[str, dict[str, int]]
    flows: list[StageFlow]

    def to_json(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "periods": self.periods,
            "stages": self.stages,
            "counts": [
                {"period": p, "stages": {s: self.counts[p].get(s, 0) for s in self.stages}}
                for p in self.periods
            ],
            "flows": [
                {
                    "period": f.period,
                    "from": f.source,
                    "to": f.target,
                    "customers": f.customers,
                }
                for f in self.flows
            ],
        }


def stage_distribution(
    labelled: ir.Table, *, period: str = "month", stages: Sequence[str] = ()
) -> StageDistribution:
    """Customers per stage per period (latest stage in the period) and period-to-period flows.

    Args:
        labelled: events with a ``stage`` column (``journeys.label_events``).
        period: ``week`` or ``month``.
        stages: the map's stage ids in order (stages seen but not listed follow, sorted).
    """
    check_period(period)
    staged = labelled.filter(labelled["stage"].notnull() & labelled["customer_id"].notnull())
    staged = staged.mutate(p=period_index(staged["ts"], period))
    newest = ibis.window(
        group_by=["customer_id", "p"], order_by=[ibis.desc("ts"), ibis.desc("event_id")]
    )
    latest = (
        staged.mutate(r=ibis.row_number().over(newest))
        .filter(lambda t: t["r"] == 0)
        .select("customer_id", "p", "stage")
    )
    over_time = ibis.window(group_by="customer_id", order_by="p")
    linked = latest.mutate(
        next_p=latest["p"].lead().over(over_time),
        next_stage=latest["stage"].lead().over(over_time),
        prev_p=latest["p"].lag().over(over_time),
    )
    target = ibis.ifelse(linked["next_p"] == linked["p"] + 1, linked["next_stage"], None)
    outgoing = linked.mutate(target=target)
    out_rows = rows(outgoing.group_by(["p", "stage", "target"]).aggregate(n=outgoing.count()))
    arrivals = linked.filter(linked["prev_p"].isnull() | (linked["prev_p"] != linked["p"] - 1))
    in_rows = rows(arrivals.group_by(["p", "stage"]).aggregate(n=arrivals.count()))
    return _distribution(period, list(stages), out_rows, in_rows)


def _distribution(
    period: str,
    order: list[str],
    out_rows: list[dict[str, Any]],
    in_rows: list[dict[str, Any]],
) -> StageDistribution:
    if not out_rows:
        return StageDistribution(period, [], order, {}, [])
    seen = {str(r["stage"]) for r in out_rows}
    stages = order + sorted(seen - set(order))
    first = min(int(r["p"]) for r in out_rows)
    last = max(int(r["p"]) for r in out_rows)
    labels = {p: period_label(p, period) for p in range(first, last + 1)}
    counts: dict[str, dict[str, int]] = {label: {} for label in labels.values()}
    flows: list[StageFlow] = []
    for r in out_rows:
        p, stage, n = int(r["p"]), str(r["stage"]), int(r["n"])
        counts[labels[p]][stage] = counts[labels[p]].get(stage, 0) + n
        if p < last:
            target = None if r["target"] is None else str(r["target"])
            flows.append(StageFlow(labels[p], stage, target, n))
    flows += [
        StageFlow(labels[int(r["p"]) - 1], None, str(r["stage"]), int(r["n"]))
        for r in in_rows
        if int(r["p"]) > first
    ]
    rank = {s: i for i, s in enumerate(stages)}
    flows.sort(
        key=lambda f: (
            f.period,
            -1 if f.source is None else rank[f.source],
            -1 if f.target is None else rank[f.target],
        )
    )
    return StageDistribution(period, list(labels.values()), stages, counts, flows)


__all__ = [
    "PURCHASE_EVENT",
    "Cohort",
    "CohortRetention",
    "CurvePoint",
    "RepeatCurve",
    "StageDistribution",
    "StageFlow",
    "cohort_retention",
    "repeat_purchase_curve",
    "stage_distribution",
]
