"""The analytics CLI: ``funnel`` and ``map coverage`` print the contract's JSON or a table; user
errors exit 1 with what, where and how to fix."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from analytics_support import event, events_store
from journeykit.cli import app
from journeykit.errors import JourneykitError
from journeykit.workspace import Workspace, load_workspace

runner = CliRunner()

MAP = """\
format: 1
id: shop
title: Shop
persona: {name: Anna}
stages:
  - {id: consideration, name: Abwägen}
  - {id: purchase, name: Kauf}
touchpoints:
  - id: produkt
    stage: consideration
    name: Produkt
    channel: web
    match: {event: product_viewed}
  - id: kasse
    stage: purchase
    name: Kasse
    channel: web
    match: {event: [checkout_started, order_completed]}
  - id: kauf
    stage: purchase
    name: Kauf
    channel: web
    match: {event: order_completed}
"""

LOG = [
    event("c1", 0, "product_viewed", device="mobile"),
    event("c1", 5, "checkout_started", device="mobile"),
    event("c1", 9, "order_completed", device="mobile", revenue=40.0),
    event("c2", 0, "product_viewed"),
    event("c2", 60 * 24 * 8, "checkout_started"),  # after the 7-day window
    event("c3", 0, "page_viewed"),
]


@pytest.fixture(autouse=True)
def _no_store_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEYKIT_STORE", raising=False)


@pytest.fixture
def shop(tmp_path: Path) -> Workspace:
    """A workspace with one map and a small event log in its DuckDB file."""
    with events_store(tmp_path, "duckdb", LOG):
        pass
    workspace = load_workspace(tmp_path / "ws")
    for old in workspace.map_files():
        old.unlink()
    (workspace.maps_dir / "shop.yaml").write_text(MAP, encoding="utf-8")
    return workspace


def invoke_json(workspace: Workspace, *args: str) -> Any:
    result = runner.invoke(app, ["-w", str(workspace.root), *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def jk(workspace: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    """The console script as a user runs it."""
    environment = {k: v for k, v in os.environ.items() if k != "JOURNEYKIT_STORE"}
    return subprocess.run(
        [sys.executable, "-m", "journeykit", "-w", str(workspace.root), *args],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


def test_funnel_json_is_the_contract_document(shop: Workspace) -> None:
    document = invoke_json(shop, "funnel", "product_viewed", "checkout_started", "order_completed")
    assert set(document) == {"window_seconds", "entered", "steps", "breakdown"}
    assert document["window_seconds"] == 7 * 86400
    assert document["entered"] == 2
    assert [(s["step"], s["customers"]) for s in document["steps"]] == [
        ("product_viewed", 2),
        ("checkout_started", 1),
        ("order_completed", 1),
    ]
    assert document["steps"][1]["conversion_from_previous"] == 0.5
    assert document["steps"][2]["median_seconds_from_previous"] == 240.0
    assert document["breakdown"] is None
    wide = invoke_json(
        shop, "funnel", "product_viewed", "checkout_started", "--window", "9d", "--by", "device"
    )
    assert [s["customers"] for s in wide["steps"]] == [2, 2]
    assert [(g["value"], g["entered"]) for g in wide["breakdown"]["groups"]] == [
        ("desktop", 1),
        ("mobile", 1),
    ]
    later = invoke_json(shop, "funnel", "product_viewed", "--since", "2024-03-02")
    assert later["entered"] == 0


def test_funnel_by_stage_uses_the_map(shop: Workspace) -> None:
    document = invoke_json(shop, "funnel", "consideration", "purchase", "--level", "stage")
    assert [s["customers"] for s in document["steps"]] == [2, 1]
    table = runner.invoke(
        app,
        ["-w", str(shop.root), "funnel", "kasse", "kauf", "--level", "touchpoint", "--map", "shop"],
    )
    assert table.exit_code == 0, table.output
    assert "kasse" in table.stdout and "entered" in table.stdout
    # order_completed counts as "kasse" (first in the map wins): "kauf" is never reached
    assert [
        s["customers"]
        for s in invoke_json(shop, "funnel", "kasse", "kauf", "--level", "touchpoint")["steps"]
    ] == [2, 0]  # c1 and c2 both have a "kasse" event


def test_map_coverage(shop: Workspace) -> None:
    document = invoke_json(shop, "map", "coverage", "shop")
    assert document["map"] == "shop"
    assert (document["events"], document["unmatched_events"]) == (6, 1)
    assert document["unmatched_revenue_share"] == 0.0
    assert document["top_unmatched"] == [{"name": "page_viewed", "events": 1}]
    assert document["overlaps"] == [{"first": "kasse", "second": "kauf", "events": 1}]
    text = runner.invoke(app, ["-w", str(shop.root), "map", "coverage", "shop"])
    assert "1 of 6 events (16.7%)" in text.stdout
    assert "'kasse' and 'kauf' both match 1 events" in text.stdout


def test_user_errors_say_what_where_and_how(shop: Workspace) -> None:
    window = jk(shop, "funnel", "a", "b", "--window", "7x")
    assert window.returncode == 1
    assert "Traceback" not in window.stderr
    assert "--window: cannot read '7x' — write a positive whole number and a unit" in window.stderr
    # the rest in-process: main() prints ``report()`` of the error and exits 1
    step = runner.invoke(app, ["-w", str(shop.root), "funnel", "kase", "--level", "touchpoint"])
    assert step.exit_code == 1
    assert isinstance(step.exception, JourneykitError)
    assert "'kase' is not a touchpoint of map 'shop' — did you mean 'kasse'?" in (
        step.exception.report()
    )
    missing = runner.invoke(app, ["-w", str(shop.root), "map", "coverage", "shp"])
    assert missing.exit_code == 1
    assert isinstance(missing.exception, JourneykitError)
    assert "no map 'shp'" in str(missing.exception)
    assert "did you mean 'shop'?" in missing.exception.report()


def test_python_example_in_the_docs_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from journeykit.datasets.demo import create_demo_workspace

    docs = Path(__file__).parents[1] / "docs" / "analytics.md"
    (snippet,) = re.findall(r"```python\n(.*?)```", docs.read_text(encoding="utf-8"), re.DOTALL)
    workspace = create_demo_workspace(tmp_path / "demo")
    with events_store(tmp_path, "duckdb", LOG, name="demo"):
        pass
    monkeypatch.chdir(workspace.root)
    namespace: dict[str, Any] = {}
    exec(compile(snippet, str(docs), "exec"), namespace)
    assert [s.customers for s in namespace["result"].steps] == [2, 1]  # c1 and c2; c1 orders
    assert "touchpoint" in namespace["labelled"].columns
