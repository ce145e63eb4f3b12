"""Journeys: touchpoint/stage labels from match rules, overlaps, coverage and sessions.

Every test runs on DuckDB and on local PySpark (the ``engine`` fixture) and asserts the same result.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from analytics_support import SPARK_WARNINGS, event, events_store
from analytics_support import engine as engine
from journeykit.analytics import coverage, label_events, overlapping_touchpoints, sessionize
from journeykit.analytics.journeys import Overlap, UnmatchedName
from journeykit.maps.model import JourneyMap

pytestmark = SPARK_WARNINGS


def journey_map(*touchpoints: dict[str, Any]) -> JourneyMap:
    """A two-stage map with the given touchpoints."""
    return JourneyMap.model_validate(
        {
            "id": "test",
            "title": "Test",
            "persona": {"name": "Anna"},
            "stages": [{"id": "consideration", "name": "C"}, {"id": "purchase", "name": "P"}],
            "touchpoints": list(touchpoints),
        }
    )


def touchpoint(tp_id: str, stage: str, match: dict[str, Any] | None) -> dict[str, Any]:
    data: dict[str, Any] = {"id": tp_id, "stage": stage, "name": tp_id, "channel": "web"}
    if match is not None:
        data["match"] = match
    return data


SHOP_MAP = journey_map(
    touchpoint(
        "kasse",
        "purchase",
        {
            "event": "checkout_started",
            "where": [{"property": "path", "op": "contains", "value": "/kasse"}],
        },
    ),
    touchpoint(
        "kauf-gross",
        "purchase",
        {
            "event": "order_completed",
            "where": [{"property": "order.total", "op": "gte", "value": 100}],
        },
    ),
    touchpoint("kauf", "purchase", {"event": ["order_completed"]}),
    touchpoint("produkt-mobil", "consideration", {"event": "product_viewed", "device": "mobile"}),
    touchpoint(
        "produkt",
        "consideration",
        {"where": [{"property": "sku", "op": "regex", "value": "^A-\\d+$"}]},
    ),
    touchpoint("ohne-daten", "consideration", None),
)

LOG = [
    event("c1", 0, "product_viewed", device="mobile", sku="A-1"),
    event("c1", 1, "product_viewed", device="desktop", sku="B-1"),
    event("c1", 2, "checkout_started", path="/de/kasse/1"),
    event("c1", 3, "checkout_started", path="/de/cart"),
    event("c1", 4, "order_completed", revenue=150.0, order={"total": 150}),
    event("c2", 0, "order_completed", revenue=50.0, order={"total": 50}),
    event("c2", 1, "page_viewed"),
    event("c2", 2, "page_viewed"),
    event("c2", 3, "email_opened", channel="email"),
]


def labels(rows: list[dict[str, Any]]) -> dict[str, tuple[str | None, str | None]]:
    return {r["event_id"]: (r["touchpoint"], r["stage"]) for r in rows}


def test_labels_follow_rules_and_first_match_wins(engine: str, tmp_path: Path) -> None:
    with events_store(tmp_path, engine, LOG) as store:
        labelled = store.fetch(label_events(store.table("events"), SHOP_MAP)).to_pylist()
    assert labels(labelled) == {
        "c1-product_viewed-0": ("produkt-mobil", "consideration"),  # also 'produkt': first wins
        "c1-product_viewed-1": (None, None),  # desktop and sku B-1
        "c1-checkout_started-2": ("kasse", "purchase"),
        "c1-checkout_started-3": (None, None),  # path without /kasse
        "c1-order_completed-4": ("kauf-gross", "purchase"),
        "c2-order_completed-0": ("kauf", "purchase"),  # total 50 < 100
        "c2-page_viewed-1": (None, None),
        "c2-page_viewed-2": (None, None),
        "c2-email_opened-3": (None, None),
    }


def test_overlaps_and_coverage(engine: str, tmp_path: Path) -> None:
    with events_store(tmp_path, engine, LOG) as store:
        events = store.table("events")
        found = overlapping_touchpoints(events, SHOP_MAP)
        covered = coverage(events, SHOP_MAP, top=2)
    assert found == [
        Overlap("kauf-gross", "kauf", 1),
        Overlap("produkt-mobil", "produkt", 1),
    ]
    assert covered.events == 9
    assert covered.unmatched_events == 5
    assert covered.unmatched_share == pytest.approx(5 / 9)
    assert covered.revenue == 200.0
    assert covered.unmatched_revenue == 0.0
    assert covered.top_unmatched == [
        UnmatchedName("page_viewed", 2),
        UnmatchedName("checkout_started", 1),
    ]
    assert covered.as_json()["unmatched_revenue_share"] == 0.0


def test_sessions_split_at_gaps(engine: str, tmp_path: Path) -> None:
    log = [
        event("c1", 0, "a"),
        event("c1", 29, "b"),
        event("c1", 58, "c"),  # 29 min after b: same session
        event("c1", 88, "d"),  # exactly 30 min: a new session
        event("c1", 88, "e"),  # same instant
        event("c2", 5, "a"),
        event("c2", 100, "a"),
    ]
    with events_store(tmp_path, engine, log) as store:
        rows = store.fetch(sessionize(store.table("events"))).to_pylist()
        short = store.fetch(sessionize(store.table("events"), timedelta(minutes=10))).to_pylist()
    sessions = {r["event_id"]: r["session_id"] for r in rows}
    assert sessions == {
        "c1-a-0": "c1:1",
        "c1-b-29": "c1:1",
        "c1-c-58": "c1:1",
        "c1-d-88": "c1:2",
        "c1-e-88": "c1:2",
        "c2-a-5": "c2:1",
        "c2-a-100": "c2:2",
    }
    assert sorted(r["session_id"] for r in short) == [
        "c1:1",
        "c1:2",
        "c1:3",
        "c1:4",
        "c1:4",
        "c2:1",
        "c2:2",
    ]  # with a 10-minute gap every pause in c1 ends a session; d and e share an instant
