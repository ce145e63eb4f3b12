"""Stage KPIs: hand-computed values on a small log, targets met or missed, missing events named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_reference import Row, event_logs, ref_visits, replace_events, reusable_store
from analytics_support import SPARK_WARNINGS, event, events_store, quantile
from analytics_support import engine as engine
from journeykit.analytics.stage_kpis import StageKpis, metric_values, stage_kpis
from journeykit.maps.kpis import CATALOG
from journeykit.maps.model import JourneyMap
from journeykit.store.analytic import AnalyticStore

pytestmark = SPARK_WARNINGS
DAY = 24 * 60
VISIT_NAMES = ("page_viewed", "product_viewed", "product_added", "email_opened")


def paid(customer: str, minute: float, name: str, cost: float) -> dict[str, Any]:
    row = event(customer, minute, name)
    row["cost"] = cost
    return row


LOG = [
    paid("a", 0, "ad_impression", 0.5),
    paid("a", 1, "ad_clicked", 1.0),
    event("a", 2, "page_viewed"),
    event("a", 3, "product_viewed"),
    event("a", 4, "product_added"),
    event("a", 10, "order_completed", revenue=100.0),  # within 24 h: a's cart is bought
    event("a", 2000, "page_viewed"),  # a visit of one page view: a bounce
    event("a", 3000, "order_completed", revenue=50.0),
    event("a", 4000, "csat_answered", score=5),
    event("a", 4100, "nps_answered", score=10),
    event("a", 4200, "referral_sent"),
    paid("b", 0, "ad_impression", 0.5),
    event("b", 0, "page_viewed"),
    event("b", 5, "page_viewed"),
    event("b", 6, "product_added"),  # never bought
    event("b", 7000, "csat_answered", score=3),  # the next ISO week
    event("b", 7001, "nps_answered", score=5),
    event("c", 100, "search_result_viewed", position=3),
    event("c", 101, "search_result_viewed", position=5),
    event("c", 102, "page_viewed"),
    event("c", 103, "product_added"),
    event("c", 103 + DAY + 1, "order_completed", revenue=30.0),  # a minute too late
    event("c", 1600, "order_refunded", revenue=-20.0),
    event("d", 50, "nps_answered", score=8),
]

EXPECTED = {
    "impressions": 2,
    "reach": 2,
    "search_rank": 4,
    "dwell_time": 270,  # visits of 600, 0, 360 and 180 seconds
    "bounce_rate": 0.25,
    "click_through_rate": 0.5,
    "engagement_rate": 0.5,  # a's first visit (a product view) and b's (two page views)
    "cost_per_click": 2.0,
    "revenue": 160.0,  # 100 + 50 + 30 − 20
    "conversion_rate": 2 / 3,
    "cost_per_conversion": 2 / 3,
    "cart_abandonment_rate": 2 / 3,
    "csat": 0.5,
    "repeat_purchase_rate": 0.5,
    "customer_lifetime_value": 80.0,
    "nps": 0.0,  # one promoter, one detractor, one passive
    "referral_rate": 0.5,
}

MAP = JourneyMap.model_validate(
    {
        "id": "shop",
        "title": "Shop",
        "persona": {"name": "Anna"},
        "stages": [
            {"id": "awareness", "name": "A", "kpis": [{"metric": "bounce_rate", "target": 0.3}]},
            {
                "id": "consideration",
                "name": "C",
                "kpis": [{"metric": "click_through_rate", "target": 0.6}],
            },
            {
                "id": "purchase",
                "name": "P",
                "kpis": [
                    {"metric": "conversion_rate", "target": 0.5},
                    {"metric": "cart_abandonment_rate", "target": 0.5},
                ],
            },
            {"id": "experience", "name": "E", "kpis": [{"metric": "csat", "target": 0.8}]},
        ],
    }
)


def values(result: StageKpis) -> dict[str, float | None]:
    return {r.metric: r.value for r in result.results}


def test_every_metric_by_hand(engine: str, tmp_path: Path) -> None:
    with events_store(tmp_path, engine, LOG) as opened:
        result = stage_kpis(opened.table("events"), MAP, period="week")
    assert values(result) == pytest.approx(EXPECTED)
    assert {r.metric for r in result.results} == {m.id for m in CATALOG}
    statuses = {(r.stage, r.metric): r.status for r in result.results}
    assert statuses[("awareness", "bounce_rate")] == "met"  # at most 0.3
    assert statuses[("consideration", "click_through_rate")] == "missed"
    assert statuses[("purchase", "conversion_rate")] == "met"
    assert statuses[("purchase", "cart_abandonment_rate")] == "missed"  # lower is better
    assert statuses[("experience", "csat")] == "missed"
    assert statuses[("awareness", "impressions")] == "no-target"  # the catalog's stage
    assert statuses[(None, "nps")] == "no-target"  # advocacy is no stage of this map
    csat = result.get("experience", "csat")
    assert [(p.period, p.value, p.status) for p in csat.periods] == [
        ("2024-02-26", 1.0, "met"),
        ("2024-03-04", 0.0, "missed"),
    ]
    bounce = result.get("awareness", "bounce_rate")
    assert [(p.period, p.status) for p in bounce.periods] == [
        ("2024-02-26", "met"),
        ("2024-03-04", "no-data"),  # no visits that week
    ]
    assert result.get(None, "nps").periods[0].value == pytest.approx(50.0)


def test_missing_events_are_named_not_zero(tmp_path: Path) -> None:
    log = [event("a", 0, "page_viewed"), event("a", 1, "page_viewed"), event("b", 0, "page_viewed")]
    with events_store(tmp_path, "duckdb", log) as opened:
        result = stage_kpis(opened.table("events"), MAP)
    referral = result.get(None, "referral_rate")
    assert (referral.status, referral.value) == ("needs-events", None)
    assert referral.needs == ["referral_sent", "order_completed"]
    conversion = result.get("purchase", "conversion_rate")
    assert conversion.status == "needs-events" and conversion.needs == ["order_completed"]
    assert conversion.to_json()["needs_events"] == ["order_completed"]
    bounce = result.get("awareness", "bounce_rate")
    assert (bounce.value, bounce.status) == (0.5, "missed")  # b's visit is one page view
    document = result.to_json()
    assert [s["stage"] for s in document["stages"]] == [
        "awareness",
        "consideration",
        "purchase",
        "experience",
        None,
    ]


def test_cli_kpis_and_retention(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from journeykit.cli import app

    with events_store(tmp_path, "duckdb", LOG):
        pass  # the rows stay in the workspace's DuckDB file (with its example map)
    runner = CliRunner()
    root = str(tmp_path / "ws")
    done = runner.invoke(app, ["-w", root, "kpis", "--json"])
    assert done.exit_code == 0, done.output
    stages = {s["stage"]: s["kpis"] for s in json.loads(done.stdout)["stages"]}
    nps = next(k for k in stages["advocacy"] if k["metric"] == "nps")
    assert nps["value"] == pytest.approx(0.0) and nps["target"] is not None
    table = runner.invoke(app, ["-w", root, "kpis", "--period", "week"])
    assert table.exit_code == 0 and "cart_abandonment_rate" in table.stdout
    kept = runner.invoke(app, ["-w", root, "retention", "--period", "week", "--json"])
    assert kept.exit_code == 0, kept.output
    retention = json.loads(kept.stdout)
    assert [c["size"] for c in retention["cohorts"]["cohorts"]] == [2]  # a and c, same week
    assert retention["stage_distribution"]["stages"][0] == "awareness"
    wrong = runner.invoke(app, ["-w", root, "retention", "--period", "year"])
    assert wrong.exit_code == 1


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    with reusable_store(tmp_path_factory.mktemp("kpis")) as opened:
        yield opened


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_logs(names=VISIT_NAMES), period=st.sampled_from([None, "week", "month"]))
def test_visit_metrics_match_reference(
    store: AnalyticStore, rows: list[Row], period: str | None
) -> None:
    """Sessions of one event and of many, ties and 30-minute pauses: as a plain loop counts them."""
    replace_events(store, rows)
    found = metric_values(store.table("events"), period)
    expected = ref_visits(rows, period, timedelta(minutes=30))
    for p, totals in expected.items():
        assert found[p]["bounce_rate"] == pytest.approx(totals["bounces"] / totals["visits"])
        assert found[p]["engagement_rate"] == pytest.approx(totals["engaged"] / totals["visits"])
        assert found[p]["dwell_time"] == pytest.approx(quantile(totals["dwell"], 0.5))
    for p in set(found) - set(expected):
        assert found[p]["bounce_rate"] is None and found[p]["dwell_time"] is None
