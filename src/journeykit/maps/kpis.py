"""The KPI catalog: every metric a map may set a target for, with one documented formula over
events.

The formulas are the contract the analytics issue implements; the map only refers to metrics by id.
Ratios are stored as fractions (0.03 means 3 %).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Unit(StrEnum):
    """How a metric's value is read and shown."""

    COUNT = "count"
    RATIO = "ratio"
    SECONDS = "seconds"
    CURRENCY = "currency"
    SCORE = "score"
    RANK = "rank"


class Direction(StrEnum):
    """Whether a larger value is better; it sets a KPI's default comparison."""

    HIGHER_IS_BETTER = "higher-is-better"
    LOWER_IS_BETTER = "lower-is-better"


@dataclass(frozen=True)
class Metric:
    """One catalog metric: id, labels, unit, direction, the stage it belongs to and its formula."""

    id: str
    de: str
    en: str
    unit: Unit
    direction: Direction
    stage: str
    formula: str
    needs: tuple[str, ...]

    def label(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


_UP = Direction.HIGHER_IS_BETTER
_DOWN = Direction.LOWER_IS_BETTER

CATALOG: tuple[Metric, ...] = (
    Metric(
        "impressions",
        "Impressionen",
        "Impressions",
        Unit.COUNT,
        _UP,
        "awareness",
        "count of ad_impression events",
        ("ad_impression",),
    ),
    Metric(
        "reach",
        "Reichweite",
        "Reach",
        Unit.COUNT,
        _UP,
        "awareness",
        "distinct customers with an ad_impression event",
        ("ad_impression",),
    ),
    Metric(
        "search_rank",
        "Suchposition",
        "Search rank",
        Unit.RANK,
        _DOWN,
        "awareness",
        "mean of properties.position over search_result_viewed events",
        ("search_result_viewed",),
    ),
    Metric(
        "dwell_time",
        "Verweildauer",
        "Dwell time",
        Unit.SECONDS,
        _UP,
        "awareness",
        "median session duration in seconds (sessions split at 30 minutes of inactivity)",
        ("page_viewed",),
    ),
    Metric(
        "bounce_rate",
        "Absprungrate",
        "Bounce rate",
        Unit.RATIO,
        _DOWN,
        "awareness",
        "sessions with exactly one page_viewed event / all sessions",
        ("page_viewed",),
    ),
    Metric(
        "click_through_rate",
        "Klickrate (CTR)",
        "Click-through rate",
        Unit.RATIO,
        _UP,
        "consideration",
        "ad_clicked events / ad_impression events",
        ("ad_impression", "ad_clicked"),
    ),
    Metric(
        "engagement_rate",
        "Interaktionsrate",
        "Engagement rate",
        Unit.RATIO,
        _UP,
        "consideration",
        "sessions with two or more page_viewed events or any product_viewed event / all sessions",
        ("page_viewed", "product_viewed"),
    ),
    Metric(
        "cost_per_click",
        "Kosten pro Klick (CPC)",
        "Cost per click",
        Unit.CURRENCY,
        _DOWN,
        "consideration",
        "sum of cost over ad events / count of ad_clicked events",
        ("ad_clicked",),
    ),
    Metric(
        "revenue",
        "Umsatz",
        "Revenue",
        Unit.CURRENCY,
        _UP,
        "purchase",
        "sum of revenue over order_completed events minus order_refunded events",
        ("order_completed",),
    ),
    Metric(
        "conversion_rate",
        "Konversionsrate",
        "Conversion rate",
        Unit.RATIO,
        _UP,
        "purchase",
        "customers with an order_completed event / customers with any session",
        ("order_completed", "page_viewed"),
    ),
    Metric(
        "cost_per_conversion",
        "Kosten pro Konversion",
        "Cost per conversion",
        Unit.CURRENCY,
        _DOWN,
        "purchase",
        "sum of cost / count of order_completed events",
        ("order_completed",),
    ),
    Metric(
        "cart_abandonment_rate",
        "Warenkorbabbruchrate",
        "Cart abandonment rate",
        Unit.RATIO,
        _DOWN,
        "purchase",
        "1 − carts followed by order_completed within 24 h / carts (product_added events)",
        ("product_added", "order_completed"),
    ),
    Metric(
        "csat",
        "Kundenzufriedenheit (CSAT)",
        "Customer satisfaction (CSAT)",
        Unit.RATIO,
        _UP,
        "retention",
        "answers of 4 or 5 / all answers on csat_answered events (scale 1–5)",
        ("csat_answered",),
    ),
    Metric(
        "repeat_purchase_rate",
        "Wiederkaufrate",
        "Repeat purchase rate",
        Unit.RATIO,
        _UP,
        "retention",
        "customers with two or more orders / customers with one or more orders",
        ("order_completed",),
    ),
    Metric(
        "customer_lifetime_value",
        "Kundenwert (CLV)",
        "Customer lifetime value",
        Unit.CURRENCY,
        _UP,
        "retention",
        "mean revenue per customer over the period (historic CLV; predictive CLV later)",
        ("order_completed",),
    ),
    Metric(
        "nps",
        "Net Promoter Score",
        "Net Promoter Score",
        Unit.SCORE,
        _UP,
        "advocacy",
        "share of answers 9–10 minus share 0–6 on nps_answered events, × 100",
        ("nps_answered",),
    ),
    Metric(
        "referral_rate",
        "Empfehlungsrate",
        "Referral rate",
        Unit.RATIO,
        _UP,
        "advocacy",
        "customers with a referral_sent event / customers with an order_completed event",
        ("referral_sent", "order_completed"),
    ),
)

METRICS: dict[str, Metric] = {metric.id: metric for metric in CATALOG}


def metric(metric_id: str) -> Metric:
    """The catalog entry for an id (KeyError for an unknown id; models validate ids first)."""
    return METRICS[metric_id]
