"""The flow pages and ``/api/flows`` over a real server, real stores and real Chromium.

A workspace runs the abandoned-cart scenario for 40 customers with a simulated clock: some order
within 30 minutes (converted at the first wait), some click the reminder (exit at the
wait-for-click step), the rest get both emails. The pages must show exactly those counts.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from events_support import ingest
from flows_support import START
from journeykit.browser import BrowserMissing, chromium_path, launch_chromium
from journeykit.flows import state
from journeykit.flows.assignment import in_holdout
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.engine import FlowEngine, FlowEvent
from journeykit.flows.runtime import workspace_flows
from journeykit.flows.scenarios import Scenario, create_flow
from journeykit.flows.validate import workspace_context
from journeykit.web import create_app
from journeykit.workspace import Workspace, init_workspace
from web_server import running

FLOW = "abandoned-cart"
CUSTOMERS = [f"c{i}" for i in range(40)]
CONVERTERS = CUSTOMERS[:10]  # order 30 minutes after the checkout
CLICKERS = CUSTOMERS[10:15]  # click 2 hours after the checkout
REVENUE = 50.0
SCREENS = Path(__file__).parent.parent / ".tmp" / "screens"


def _held(customer: str) -> bool:
    return in_holdout(FLOW, "flow", customer, 10.0)


def _treated(group: list[str]) -> int:
    return sum(1 for customer in group if not _held(customer))


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    root = tmp_path_factory.mktemp("flows") / "ws"
    workspace = init_workspace(root, language="de")
    context = workspace_context(workspace.maps_dir, workspace.templates_dir)
    create_flow("Abandoned cart", Scenario(FLOW), "en", workspace.flows_dir, context)
    _run(workspace)
    (workspace.flows_dir / "broken.yaml").write_text(
        "format: 1\nid: broken\nname: Broken\nsteps: []\n", encoding="utf-8"
    )
    return workspace


def _run(workspace: Workspace) -> None:
    flows = workspace_flows(workspace)
    db = state.flows_engine(workspace)
    try:
        engine = FlowEngine(db, flows, SimulatedClock(START))
        engine.observe([FlowEvent(f"k-{c}", START, c, "checkout_started", {}) for c in CUSTOMERS])
        half_hour, two_hours = START + timedelta(minutes=30), START + timedelta(hours=2)
        engine.run_until(half_hour)
        engine.observe(
            [FlowEvent(f"o-{c}", half_hour, c, "order_completed", {}) for c in CONVERTERS]
        )
        engine.run_until(two_hours)
        engine.observe([FlowEvent(f"e-{c}", two_hours, c, "email_clicked", {}) for c in CLICKERS])
        engine.run_until(START + timedelta(days=5))
    finally:
        db.dispose()
    lines = [
        {"ts": (START + timedelta(minutes=30)).isoformat(), "user_id": c, "name": "order_completed"}
        | {"revenue": REVENUE, "event_id": f"o-{c}"}
        for c in CONVERTERS
    ]
    orders = workspace.root / "orders.jsonl"
    orders.write_text("\n".join(json.dumps(line) for line in lines), encoding="utf-8")
    ingest(workspace, orders)


@pytest.fixture(scope="module")
def base(workspace: Workspace) -> Iterator[str]:
    with running(create_app(workspace, collector=False)) as url:
        yield url


def _expected() -> dict[str, Any]:
    rest = [c for c in CUSTOMERS if c not in CONVERTERS and c not in CLICKERS]
    treated_rest, treated_clickers = _treated(rest), _treated(CLICKERS)
    return {
        "runs": {
            "converted": len(CONVERTERS),
            "done": len(rest) + sum(_held(c) for c in CLICKERS),
            "exited": treated_clickers,
            "active": 0,
        },
        "past": {
            "wait-1h": treated_clickers + treated_rest,
            "reminder": treated_clickers + treated_rest,
            "clicked": treated_rest,
            "next-morning": treated_rest,
            "last-call": treated_rest,
        },
        "pending": {"reminder": treated_clickers + treated_rest, "last-call": treated_rest},
        "holdout": sum(_held(c) for c in CUSTOMERS),
    }


def test_api_lists_flows_with_counts_and_the_invalid_file(base: str) -> None:
    listed = httpx.get(f"{base}/api/flows").json()
    by_file = {row["file"]: row for row in listed}
    cart = by_file["flows/abandoned-cart.yaml"]
    expected = _expected()
    for status, count in expected["runs"].items():
        assert cart["runs"][status] == count, status
    assert cart["messages"]["pending"] == sum(expected["pending"].values())
    assert cart["stage"] == "purchase" and cart["trigger"] == "event: checkout_started"
    broken = by_file["flows/broken.yaml"]
    assert broken["valid"] is False and broken["problems"]


def test_api_one_flow_has_the_steps_in_order_with_their_counts(base: str) -> None:
    answer = httpx.get(f"{base}/api/flows/{FLOW}").json()
    expected = _expected()
    steps = answer["step_counts"]
    assert [s["id"] for s in steps] == list(expected["past"])
    for step in steps:
        assert step["past"] == expected["past"][step["id"]], step["id"]
        assert step["waiting"] == 0
        assert step["messages"]["pending"] == expected["pending"].get(step["id"], 0)
    assert answer["holdout_runs"] == expected["holdout"]
    missing = httpx.get(f"{base}/api/flows/abandoned-kart")
    assert missing.status_code == 404
    assert "abandoned-cart" in missing.json()["detail"]["hint"]


def test_api_lift_reports_groups_and_says_the_sample_is_too_small(base: str) -> None:
    lift = httpx.get(f"{base}/api/flows/{FLOW}/lift").json()
    treated = _treated(CUSTOMERS)
    converted = _treated(CONVERTERS)
    assert lift["treated"]["runs"] == treated
    assert lift["treated"]["converted"] == converted
    assert lift["treated"]["revenue_per_run"] == pytest.approx(REVENUE * converted / treated)
    assert lift["holdout"]["runs"] == len(CUSTOMERS) - treated
    assert lift["verdict"] == "too small to conclude"
    assert httpx.get(f"{base}/api/flows/broken/lift").status_code == 422
    paths = httpx.get(f"{base}/openapi.json").json()["paths"]
    for path in ("/api/flows", "/api/flows/{flow_id}", "/api/flows/{flow_id}/lift"):
        assert "get" in paths[path], path
    assert "post" in paths["/api/flows/bounces"]


def _cell(html: str, step: str, column: str) -> int:
    row = re.search(rf'<tr data-step="{step}">(.*?)</tr>', html, re.S)
    assert row, step
    found = re.search(rf'data-count="{column}">(\d+)<', row[1])
    assert found, (step, column)
    return int(found[1])


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("de", ("Durchläufe", "weiter als hier", "Stichprobe zu klein für eine Aussage")),
        ("en", ("Runs", "moved past", "Sample too small to conclude")),
    ],
)
def test_flow_page_shows_counts_and_lift_in_both_languages(
    base: str, lang: str, words: tuple[str, ...]
) -> None:
    page = httpx.get(f"{base}/flows/{FLOW}?lang={lang}")
    assert page.status_code == 200
    html = page.text
    assert f'<html lang="{lang}">' in html
    for word in words:
        assert word in html, word
    for step, count in _expected()["past"].items():
        assert _cell(html, step, "past") == count
    listing = httpx.get(f"{base}/flows?lang={lang}").text
    assert f'href="/flows/{FLOW}?lang={lang}"' in listing
    assert ("Fehlerhafte Flow-Datei" if lang == "de" else "Invalid flow file") in listing


def test_invalid_and_unknown_flows_are_pages_not_errors(base: str) -> None:
    broken = httpx.get(f"{base}/flows/broken?lang=en")
    assert broken.status_code == 200
    assert "Invalid flow file" in broken.text and "steps" in broken.text
    unknown = httpx.get(f"{base}/flows/abandoned-kart?lang=en")
    assert unknown.status_code == 404
    assert "abandoned-cart" in unknown.text


def _chromium_missing() -> bool:
    try:
        chromium_path()
    except BrowserMissing:
        return True
    return False


@pytest.mark.browser
@pytest.mark.skipif(_chromium_missing(), reason="Chromium is not installed")
def test_chromium_opens_the_list_and_the_flow(base: str) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    with launch_chromium() as browser:
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.goto(f"{base}/flows?lang=de")
        assert page.locator("h1").inner_text() == "Flows"
        page.screenshot(path=str(SCREENS / "flows-list-de.png"), full_page=True)
        page.get_by_role("link", name="Abandoned cart").click()
        page.wait_for_url(f"{base}/flows/{FLOW}?lang=de")
        assert page.locator("table.flow-steps tbody tr").count() == 5
        verdict = page.locator("[data-verdict]")
        assert verdict.is_visible()
        assert "Stichprobe zu klein" in verdict.inner_text()
        page.screenshot(path=str(SCREENS / "flows-detail-de.png"), full_page=True)
        page.get_by_role("link", name="EN", exact=True).click()
        page.wait_for_url(f"{base}/flows/{FLOW}?lang=en")
        assert "Sample too small to conclude" in page.locator("[data-verdict]").inner_text()
        page.screenshot(path=str(SCREENS / "flows-detail-en.png"), full_page=True)
        page.goto(f"{base}/flows/broken")
        page.screenshot(path=str(SCREENS / "flows-broken-en.png"), full_page=True)
        page.close()
