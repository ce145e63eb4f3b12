"""Stage KPIs: every catalog metric with a formula over events, per period, against the map.

Each metric is computed exactly as ``maps/kpis.py`` (and docs/kpis.md) defines it, in three
engine queries whatever the number of metrics: one aggregate over events (per customer, then per
period), one over sessions and one over carts. Readings the catalog leaves open, fixed here and
in docs/analytics.md ("Stage KPIs"):

- *sessions* are ``journeys.sessionize`` sessions of all a customer's events; a *visit* is a
  session with a ``page_viewed`` or ``product_viewed`` event. Dwell time, bounce rate and
  engagement rate are over visits; a bounce is a visit made of one single ``page_viewed`` event;
  "customers with any session" (conversion rate) are customers with a visit.
- survey scores are ``properties.score``; search rank is ``properties.position``.
- refunds subtract their absolute revenue; cost per click sums cost over ``ad_impression`` and
  ``ad_clicked`` events; a cart counts as bought when the same customer has an
  ``order_completed`` at or up to 24 h after the ``product_added``.
- a session belongs to the period it starts in, a cart to the period of its ``product_added``.

A metric whose needed event names do not occur in the events gets status ``needs-events`` and
names them, rather than a misleading 0; a period where a ratio has no denominator is ``no-data``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import rows
from journeykit.analytics.journeys import session_edges, session_numbers
from journeykit.analytics.period_numbers import period_index, period_label, whole_seconds
from journeykit.analytics.properties import property_number
from journeykit.maps.kpis import CATALOG, METRICS
from journeykit.maps.model import Comparison, JourneyMap, Kpi

AD_EVENTS = ("ad_impression", "ad_clicked")
VISIT_EVENTS = ("page_viewed", "product_viewed")
CART_WINDOW_SECONDS = 24 * 3600
Values = dict[str, float | None]


@dataclass(frozen=True)
class PeriodValue:
    """A metric's value in one period with its status against the target."""

    period: str
    value: float | None
    status: str

    def to_json(self) -> dict[str, Any]:
        return {"period": self.period, "value": self.value, "status": self.status}


@dataclass(frozen=True)
class KpiResult:
    """One metric in one stage: value over the whole range, per period, and the target.

    ``status`` is ``met``/``missed`` (by ``comparison``), ``no-target`` (a catalog metric the
    map sets no target for here), ``no-data`` (no denominator) or ``needs-events``.
    """

    stage: str | None
    metric: str
    unit: str
    target: float | None
    comparison: str | None
    value: float | None
    status: str
    needs: list[str] = field(default_factory=list)
    periods: list[PeriodValue] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "unit": self.unit,
            "value": self.value,
            "target": self.target,
            "comparison": self.comparison,
            "status": self.status,
            "needs_events": self.needs,
            "periods": [p.to_json() for p in self.periods],
        }


@dataclass(frozen=True)
class StageKpis:
    """All KPIs of a map's stages (and catalog metrics placed in no stage, under ``None``)."""

    map_id: str
    period: str | None
    stages: list[str | None]
    results: list[KpiResult]

    def of(self, stage: str | None) -> list[KpiResult]:
        return [r for r in self.results if r.stage == stage]

    def get(self, stage: str | None, metric: str) -> KpiResult:
        return next(r for r in self.results if r.stage == stage and r.metric == metric)

    def to_json(self) -> dict[str, Any]:
        return {
            "map": self.map_id,
            "period": self.period,
            "stages": [
                {"stage": s, "kpis": [r.to_json() for r in self.of(s)]} for s in self.stages
            ],
        }


def stage_kpis(
    events: ir.Table, journey_map: JourneyMap, *, period: str | None = None
) -> StageKpis:
    """Every catalog metric over ``events`` (filter the period first), placed in the map's stages.

    A stage lists the KPIs the map sets (with target), then the catalog metrics of the stage of
    the same id that the map sets no target for; metrics of no stage in the map come last under
    ``None``. With ``period`` (``week``/``month``) each result also has its per-period values.
    """
    present = {str(r["name"]) for r in rows(events.select("name").distinct())}
    totals = metric_values(events, None).get(0, {})
    by_period = metric_values(events, period) if period else {}
    placed: list[tuple[str | None, str, Kpi | None]] = []
    for stage in journey_map.ordered_stages():
        targeted = {kpi.metric for kpi in stage.kpis}
        placed += [(stage.id, kpi.metric, kpi) for kpi in stage.kpis]
        placed += [
            (stage.id, m.id, None) for m in CATALOG if m.stage == stage.id and m.id not in targeted
        ]
    seen = {metric for _, metric, _ in placed}
    placed += [(None, m.id, None) for m in CATALOG if m.id not in seen]
    results = [
        _result(stage, metric, kpi, present, totals, by_period, period)
        for stage, metric, kpi in placed
    ]
    stages: list[str | None] = [s.id for s in journey_map.ordered_stages()]
    if any(r.stage is None for r in results):
        stages.append(None)
    return StageKpis(journey_map.id, period, stages, results)


def _result(
    stage: str | None,
    metric: str,
    kpi: Kpi | None,
    present: set[str],
    totals: Values,
    by_period: dict[int, Values],
    period: str | None,
) -> KpiResult:
    known = METRICS[metric]
    missing = [name for name in known.needs if name not in present]
    comparison = kpi.effective_comparison() if kpi else None
    target = float(kpi.target) if kpi else None
    if missing:
        return KpiResult(
            stage,
            metric,
            known.unit.value,
            target,
            _text(comparison),
            None,
            "needs-events",
            missing,
        )
    value = totals.get(metric)
    periods = [
        PeriodValue(
            period_label(p, period or "month"),
            values.get(metric),
            _status(values.get(metric), target, comparison),
        )
        for p, values in sorted(by_period.items())
    ]
    return KpiResult(
        stage,
        metric,
        known.unit.value,
        target,
        _text(comparison),
        value,
        _status(value, target, comparison),
        [],
        periods,
    )


def _text(comparison: Comparison | None) -> str | None:
    return comparison.value if comparison else None


def _status(value: float | None, target: float | None, comparison: Comparison | None) -> str:
    if value is None:
        return "no-data"
    if target is None or comparison is None:
        return "no-target"
    met = value >= target if comparison is Comparison.AT_LEAST else value <= target
    return "met" if met else "missed"


def metric_values(events: ir.Table, period: str | None) -> dict[int, Values]:
    """Period number (0 without a period) → metric id → value (None without a denominator)."""
    key: Callable[[ir.TimestampValue], ir.IntegerValue] = (
        (lambda ts: period_index(ts, period)) if period else (lambda ts: ibis.literal(0))
    )
    found: dict[int, dict[str, Any]] = {}
    for part in (_event_sums(events, key), _visits(events, key), _carts(events, key)):
        for row in part:
            found.setdefault(int(row.pop("p")), {}).update(row)
    return {p: _formulas(sums) for p, sums in found.items()}


def _event_sums(events: ir.Table, key: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """Sums per period, in two steps: per customer and period, then per period.

    Distinct customers (reach, buyers, …) become "customers with a count > 0" of the first step,
    which engines do much faster than several filtered ``COUNT(DISTINCT …)``.
    """
    # parse each property once per event, and only on the events whose formulas read it
    scored = events.mutate(
        p=key(events["ts"]),
        score=_property_of(events, ("csat_answered", "nps_answered"), "score"),
        position=_property_of(events, ("search_result_viewed",), "position"),
    )
    name, score, position = scored["name"], scored["score"], scored["position"]

    def count(condition: ir.BooleanValue) -> ir.IntegerValue:
        result: ir.IntegerValue = condition.cast("int64").sum()
        return result

    csat = (name == "csat_answered") & score.notnull()
    nps = (name == "nps_answered") & score.notnull()
    searched = (name == "search_result_viewed") & position.notnull()
    per = scored.group_by(["p", "customer_id"]).aggregate(
        impressions=count(name == "ad_impression"),
        clicks=count(name == "ad_clicked"),
        ad_cost=scored["cost"].sum(where=name.isin(AD_EVENTS)),
        order_revenue=scored["revenue"].sum(where=name == "order_completed"),
        refunds=scored["revenue"].abs().sum(where=name == "order_refunded"),
        orders=count(name == "order_completed"),
        cost=scored["cost"].sum(),
        csat_answers=count(csat),
        csat_good=count(csat & (score >= 4)),
        nps_answers=count(nps),
        promoters=count(nps & (score >= 9)),
        detractors=count(nps & (score <= 6)),
        position_sum=position.sum(where=searched),
        positions=count(searched),
        referrals=count(name == "referral_sent"),
        visit_events=count(name.isin(VISIT_EVENTS)),
    )
    known = per["customer_id"].notnull()

    def customers(condition: ir.BooleanValue) -> ir.IntegerValue:
        return count(known & condition)

    summed = [c for c in per.columns if c not in ("p", "customer_id")]
    sums = per.group_by("p").aggregate(
        **{c: per[c].sum() for c in summed},
        reach=customers(per["impressions"] > 0),
        buyers=customers(per["orders"] > 0),
        referrers=customers(per["referrals"] > 0),
        visitors=customers(per["visit_events"] > 0),
        repeaters=customers(per["orders"] >= 2),
        purchasers=customers(per["orders"] >= 1),
    )
    return rows(sums)


def _property_of(events: ir.Table, names: tuple[str, ...], path: str) -> ir.FloatingValue:
    """The number at ``path`` of the events named one of ``names`` (NULL on all others)."""
    value = property_number(events["properties"], path)
    result: ir.FloatingValue = ibis.ifelse(events["name"].isin(names), value, ibis.null("float64"))
    return result


def _visits(events: ir.Table, key: Callable[[Any], Any]) -> list[dict[str, Any]]:
    """Visits per period of their start: count, bounces, engaged visits and the median dwell.

    Sessions of one event (start and end at once) are summed as they are; only the events of
    longer sessions are numbered and grouped, which spares a second sort of most events.
    """
    narrow = events.filter(events["customer_id"].notnull()).select(
        "customer_id", "ts", "event_id", "name"
    )
    edges = session_edges(narrow)
    single = edges["session_start"] & edges["session_end"]
    alone = edges.filter(single)
    singles = alone.select(
        start=alone["ts"],
        events=ibis.literal(1, "int64"),
        pages=(alone["name"] == "page_viewed").cast("int64"),
        products=(alone["name"] == "product_viewed").cast("int64"),
        seconds=ibis.literal(0, "int64"),
    )
    longer = edges.filter(~single)
    longer = longer.mutate(n=session_numbers(longer, longer["session_start"].cast("int64")))
    name = longer["name"]
    per = longer.group_by(["customer_id", "n"]).aggregate(
        start=longer["ts"].min(),
        end=longer["ts"].max(),
        events=longer.count(),
        pages=(name == "page_viewed").cast("int64").sum(),
        products=(name == "product_viewed").cast("int64").sum(),
    )
    grouped = per.select(
        "start",
        "events",
        "pages",
        "products",
        seconds=whole_seconds(per["end"]) - whole_seconds(per["start"]),
    )
    sessions = singles.union(grouped)
    visits = sessions.filter((sessions["pages"] + sessions["products"]) > 0)
    visits = visits.mutate(p=key(visits["start"]))
    return rows(
        visits.group_by("p").aggregate(
            visits=visits.count(),
            bounces=((visits["events"] == 1) & (visits["pages"] == 1)).cast("int64").sum(),
            engaged=((visits["pages"] >= 2) | (visits["products"] >= 1)).cast("int64").sum(),
            dwell=visits["seconds"].cast("float64").median(),
        )
    )


def _carts(events: ir.Table, key: Callable[[Any], Any]) -> list[dict[str, Any]]:
    kinds = events.filter(
        events["customer_id"].notnull() & events["name"].isin(["product_added", "order_completed"])
    )
    is_order = kinds["name"] == "order_completed"
    seconds = whole_seconds(kinds["ts"])
    marked = kinds.mutate(
        s=seconds,
        order_s=ibis.ifelse(is_order, seconds, ibis.null("int64")),
        rank=is_order.cast("int64"),  # carts sort before orders at the same instant
    )
    ahead = ibis.window(
        group_by="customer_id",
        order_by=["ts", "rank", "event_id"],
        preceding=0,
        following=None,
    )
    carts = marked.mutate(next_order=marked["order_s"].min().over(ahead)).filter(
        lambda t: t["name"] == "product_added"
    )
    bought = carts["next_order"].notnull() & (
        carts["next_order"] - carts["s"] <= CART_WINDOW_SECONDS
    )
    carts = carts.mutate(p=key(carts["ts"]), bought=bought.cast("int64"))
    return rows(
        carts.group_by("p").aggregate(carts=carts.count(), carts_bought=carts["bought"].sum())
    )


def _formulas(s: dict[str, Any]) -> Values:
    """The catalog formulas over the period's sums (None where a denominator is 0 or missing)."""
    num = {k: (float(v) if v is not None else None) for k, v in s.items()}

    def get(name: str) -> float:
        return num.get(name) or 0.0

    def ratio(part: float | None, whole: float | None) -> float | None:
        return part / whole if part is not None and whole else None

    nps = ratio(get("promoters") - get("detractors"), num.get("nps_answers"))
    carts = ratio(get("carts_bought"), num.get("carts"))
    revenue = get("order_revenue") - get("refunds")
    return {
        "impressions": get("impressions"),
        "reach": get("reach"),
        "search_rank": ratio(num.get("position_sum"), num.get("positions")),
        "dwell_time": num.get("dwell"),
        "bounce_rate": ratio(get("bounces"), num.get("visits")),
        "click_through_rate": ratio(get("clicks"), num.get("impressions")),
        "engagement_rate": ratio(get("engaged"), num.get("visits")),
        "cost_per_click": ratio(get("ad_cost"), num.get("clicks")),
        "revenue": revenue,
        "conversion_rate": ratio(get("buyers"), num.get("visitors")),
        "cost_per_conversion": ratio(get("cost"), num.get("orders")),
        "cart_abandonment_rate": None if carts is None else 1.0 - carts,
        "csat": ratio(get("csat_good"), num.get("csat_answers")),
        "repeat_purchase_rate": ratio(get("repeaters"), num.get("purchasers")),
        "customer_lifetime_value": ratio(revenue, num.get("buyers")),
        "nps": None if nps is None else nps * 100,
        "referral_rate": ratio(get("referrers"), num.get("buyers")),
    }


__all__ = ["KpiResult", "PeriodValue", "StageKpis", "metric_values", "stage_kpis"]
