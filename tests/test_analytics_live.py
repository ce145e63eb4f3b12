"""The live map: overlay numbers hand-computed on a small log; `map render --live` draws them."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import event, events_store
from journeykit.analytics.live import live_overlay
from journeykit.cli import app
from journeykit.cli.maps import NoLiveEvents
from journeykit.maps.io import load_map
from journeykit.maps.model import JourneyMap

runner = CliRunner()
DAY = 24 * 60

MAP = """\
format: 1
id: shop
title: Shop
language: en
persona: {name: Anna}
stages:
  - id: consideration
    name: Consider
  - id: purchase
    name: Buy
    kpis:
      - {metric: conversion_rate, target: 0.5}
      - {metric: revenue, target: 30}
  - id: retention
    name: Keep
    emotion: {planned: 1}
    kpis:
      - {metric: csat, target: 0.8}
      - {metric: nps, target: 30}
touchpoints:
  - {id: produkt, stage: consideration, name: Product, channel: web, match: {event: product_viewed}}
  - id: kasse
    stage: purchase
    name: Checkout
    channel: web
    match: {event: [checkout_started, order_completed]}
  - {id: umfrage, stage: retention, name: Survey, channel: email, match: {event: csat_answered}}
  - {id: newsletter, stage: retention, name: Newsletter, channel: email}
"""

LOG = [
    event("c1", 0, "product_viewed"),
    event("c1", 5, "checkout_started"),
    event("c1", 9, "order_completed", revenue=40.0),
    event("c1", 2 * DAY, "csat_answered", score=5),
    event("c2", 0, "product_viewed"),
    event("c2", 2 * DAY + 10, "csat_answered", score=2),
    event("c3", 0, "page_viewed"),
    event("c4", 10 * DAY, "product_viewed"),
]


@pytest.fixture(autouse=True)
def _no_store_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEYKIT_STORE", raising=False)


@pytest.fixture
def shop_map(tmp_path: Path) -> JourneyMap:
    path = tmp_path / "shop.yaml"
    path.write_text(MAP, encoding="utf-8")
    return load_map(path)


def test_overlay_numbers_on_the_whole_log(tmp_path: Path, shop_map: JourneyMap) -> None:
    with events_store(tmp_path, "duckdb", LOG) as store:
        overlay = live_overlay(store.table("events"), shop_map)
    # visitors c1..c4, one buyer; revenue 40; CSAT answers 5 and 2 → one good of two; no NPS
    assert overlay.kpi_actuals == {
        "purchase": {"conversion_rate": 0.25, "revenue": 40.0},
        "retention": {"csat": 0.5},
    }
    assert overlay.touchpoint_volumes == {"produkt": 3, "kasse": 1, "umfrage": 2}
    assert overlay.measured == {"retention": pytest.approx(0.5)}  # (+2 + −1) / 2
    # consideration c1 c2 c4, of whom c1 buys later; c1 buys and answers; c2 skips purchase
    assert overlay.stage_customers == {"consideration": 3, "purchase": 1, "retention": 2}
    assert overlay.stage_onward == {"consideration": 1, "purchase": 1}
    assert overlay.period == (date(2024, 3, 1), date(2024, 3, 11))


def test_overlay_numbers_in_a_period(tmp_path: Path, shop_map: JourneyMap) -> None:
    since, until = datetime(2024, 3, 2, tzinfo=UTC), datetime(2024, 3, 12, tzinfo=UTC)
    with events_store(tmp_path, "duckdb", LOG) as store:
        overlay = live_overlay(store.table("events"), shop_map, since=since, until=until)
    # only the surveys and c4's product view: no order events, so no revenue or conversion number
    assert overlay.kpi_actuals == {"retention": {"csat": 0.5}}
    assert overlay.touchpoint_volumes == {"produkt": 1, "kasse": 0, "umfrage": 2}
    assert overlay.stage_customers == {"consideration": 1, "purchase": 0, "retention": 2}
    assert overlay.stage_onward == {"consideration": 0, "purchase": 0}
    assert overlay.period == (date(2024, 3, 3), date(2024, 3, 11))


def test_surveys_off_the_scale_are_clipped(tmp_path: Path, shop_map: JourneyMap) -> None:
    rows = [event("c1", 0, "csat_answered", score=9), event("c2", 0, "page_viewed")]
    with events_store(tmp_path, "duckdb", rows) as store:
        overlay = live_overlay(store.table("events"), shop_map)
    assert overlay.measured == {"retention": 2.0}


def test_render_live_writes_the_numbers_into_the_svg(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", LOG):
        pass
    map_file = tmp_path / "shop.yaml"
    map_file.write_text(MAP, encoding="utf-8")
    out = tmp_path / "out.svg"
    args = ["-w", str(tmp_path / "ws"), "map", "render", str(map_file), "--live", "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    texts = _texts(out.read_text(encoding="utf-8"))
    assert {"Actual 25% ✗", "Actual €40 ✓", "Actual 50% ✗", "+0.5"} <= texts
    assert {"3 customers", "1 customers", "2 customers"} <= texts
    assert {"3 customers · 33 % go on", "1 customers · 100 % go on", "2 customers"} <= texts
    assert "Live · 2024-03-01 – 2024-03-11" in texts
    period = runner.invoke(app, [*args, "--since", "2024-03-02", "--until", "2024-03-12"])
    assert period.exit_code == 0, period.output
    assert "Actual €40 ✓" not in _texts(out.read_text(encoding="utf-8"))
    empty = runner.invoke(app, [*args, "--since", "2030-01-01"])
    assert isinstance(empty.exception, NoLiveEvents)
    assert "no events in the period --since/--until — widen" in str(empty.exception)


def test_render_live_without_events_says_how_to_load_them(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", []):
        pass
    map_file = tmp_path / "shop.yaml"
    map_file.write_text(MAP, encoding="utf-8")
    out = tmp_path / "out.svg"
    args = ["-w", str(tmp_path / "ws"), "map", "render", str(map_file), "-o", str(out)]
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", *args, "--live"],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "JOURNEYKIT_STORE"},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "--live: the workspace's analytic store has no events at all" in result.stderr
    assert "journeykit ingest FILE" in result.stderr
    assert not out.exists()
    without_live = runner.invoke(app, [*args, "--since", "2024-03-01"])
    assert without_live.exit_code == 2
    assert "only with --live" in without_live.stderr


def _texts(svg: str) -> set[str]:
    """Every text line drawn in the SVG, as joined from its spans."""
    root = ET.fromstring(svg)
    found: set[str] = set()
    for element in root.iter("{http://www.w3.org/2000/svg}text"):
        found.add("".join(element.itertext()))
    return found
