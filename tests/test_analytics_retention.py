"""Retention: cohorts, repeat-purchase curve and stage distribution agree with the reference."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_reference import (
    DAY,
    Row,
    event_logs,
    ref_cohorts,
    ref_repeat_curve,
    ref_stage_counts,
    ref_stage_flows,
    replace_events,
    reusable_store,
)
from analytics_support import SPARK_WARNINGS, event, events_store
from analytics_support import engine as engine
from journeykit.analytics.period_numbers import period_index_of, period_label
from journeykit.analytics.retention import (
    cohort_retention,
    repeat_purchase_curve,
    stage_distribution,
)
from journeykit.errors import JourneykitError
from journeykit.store.analytic import AnalyticStore

pytestmark = SPARK_WARNINGS
PROPERTY = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LONG_LOGS = event_logs(days=120, names=("page_viewed", "order_completed"))
CURVE_DAYS = (0, 1, 7, 30, 90)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    with reusable_store(tmp_path_factory.mktemp("retention")) as opened:
        yield opened


@PROPERTY
@given(rows=LONG_LOGS, period=st.sampled_from(["week", "month"]))
def test_cohorts_match_reference(store: AnalyticStore, rows: list[Row], period: str) -> None:
    replace_events(store, rows)
    result = cohort_retention(store.table("events"), period=period, periods=4)
    expected = {period_label(c, period): n for c, n in ref_cohorts(rows, period, 4).items()}
    assert {c.period: c.retained for c in result.cohorts} == expected
    assert all(c.retained[0] == c.size for c in result.cohorts)


@PROPERTY
@given(rows=LONG_LOGS)
def test_repeat_curve_matches_reference(store: AnalyticStore, rows: list[Row]) -> None:
    replace_events(store, rows)
    curve = repeat_purchase_curve(store.table("events"), max_purchases=4, days=CURVE_DAYS)
    expected = ref_repeat_curve(rows, 4, CURVE_DAYS)
    assert {n: [p.customers for p in points] for n, points in curve.curves.items()} == expected
    for points in curve.curves.values():  # cumulative, so never falling
        assert [p.customers for p in points] == sorted(p.customers for p in points)


@PROPERTY
@given(rows=LONG_LOGS, period=st.sampled_from(["week", "month"]))
def test_stage_distribution_matches_reference(
    store: AnalyticStore, rows: list[Row], period: str
) -> None:
    replace_events(store, rows)
    table = store.table("events")
    result = stage_distribution(table.mutate(stage=table["name"]), period=period)
    counts = ref_stage_counts(rows, period)
    assert {
        p: Counter({s: n for s, n in stages.items() if n}) for p, stages in result.counts.items()
    } == {
        label: counts.get(period_index_of_label(label, period), Counter())
        for label in result.periods
    }
    flows = Counter({(f.period, f.source, f.target): f.customers for f in result.flows})
    assert flows == Counter(
        {
            (period_label(p, period), a, b): n
            for (p, a, b), n in ref_stage_flows(rows, period).items()
        }
        if rows
        else {}
    )


def period_index_of_label(label: str, period: str) -> int:
    day = date.fromisoformat(label + "-01" if period == "month" else label)
    return period_index_of(day, period)


FIXED = [
    event("a", 0, "order_completed"),  # 2024-03-01, a Friday
    event("a", 2 * DAY, "order_completed"),
    event("a", 35 * DAY, "order_completed"),  # April
    event("b", 3 * DAY, "order_completed"),
    event("c", 40 * DAY, "order_completed"),
    event("c", 1 * DAY, "page_viewed"),
    event("d", 61 * DAY, "page_viewed"),  # May: the data's last period
]


def test_fixed_retention(engine: str, tmp_path: Path) -> None:
    with events_store(tmp_path, engine, FIXED) as opened:
        table = opened.table("events")
        months = cohort_retention(table, period="month", periods=3)
        weeks = cohort_retention(table, period="week", periods=1)
        curve = repeat_purchase_curve(table, max_purchases=3, days=(1, 2, 40))
        stages = stage_distribution(table.mutate(stage=table["name"]), period="month")
    assert [c.to_json() for c in months.cohorts] == [
        {
            "period": "2024-03",
            "size": 2,
            "retained": [2, 1, 0, None],
            "rates": [1.0, 0.5, 0.0, None],
        },
        {
            "period": "2024-04",
            "size": 1,
            "retained": [1, 0, None, None],
            "rates": [1.0, 0.0, None, None],
        },
    ]
    assert [(c.period, c.retained) for c in weeks.cohorts] == [
        ("2024-02-26", [1, 0]),  # a's second purchase (Sunday 3 March) is in the same week
        ("2024-03-04", [1, 0]),
        ("2024-04-08", [1, 0]),
    ]
    assert [[p.customers for p in points] for points in curve.curves.values()] == [
        [0, 1, 1],  # a's second purchase 2 days after the first
        [0, 0, 1],  # a's third, 35 days after
    ]
    assert curve.purchasers == 3
    assert stages.counts == {
        "2024-03": {"order_completed": 2, "page_viewed": 1},
        "2024-04": {"order_completed": 2},
        "2024-05": {"page_viewed": 1},
    }
    assert {(f.period, f.source, f.target): f.customers for f in stages.flows} == {
        ("2024-03", "order_completed", "order_completed"): 1,  # a
        ("2024-03", "order_completed", None): 1,  # b leaves
        ("2024-03", "page_viewed", "order_completed"): 1,  # c
        ("2024-04", "order_completed", None): 2,
        ("2024-04", None, "page_viewed"): 1,  # d arrives in May
    }


def test_unknown_period(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", FIXED) as opened, pytest.raises(JourneykitError) as error:
        cohort_retention(opened.table("events"), period="weeks")
    assert "did you mean 'week'?" in error.value.report()
