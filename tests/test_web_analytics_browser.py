"""The analytics pages in real Chromium against a real uvicorn server on the demo workspace.

Each page must draw its plotly chart from the locally served plotly.js (no request leaves the
server), show the analysis' numbers, and download its chart as a PNG rendered server-side.
Screenshots of every page go to ``.tmp/screens/`` for a person to look at.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from analytics_web_support import DEMO_MAP, demo_workspace_with_events, served
from journeykit.analytics import funnel
from journeykit.browser import BrowserMissing, chromium_path, launch_chromium
from journeykit.maps.io import load_map
from journeykit.store import open_analytic
from journeykit.workspace import Workspace

pytestmark = pytest.mark.browser

SCREENS = Path(__file__).parent.parent / ".tmp" / "screens"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
KINDS = {
    "funnel": "funnel",
    "paths": "sankey",
    "transitions": "sankey",
    "retention": "heatmap",
    "kpis": "bar",
}


def _chromium_missing() -> bool:
    try:
        chromium_path()
    except BrowserMissing:
        return True
    return False


if _chromium_missing():
    pytest.skip("Chromium is not installed", allow_module_level=True)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return demo_workspace_with_events(tmp_path_factory.mktemp("analytics-browser") / "ws")


@pytest.fixture(scope="module")
def base_url(demo: Workspace) -> Iterator[str]:
    with served(demo) as url:
        yield url


@pytest.fixture(scope="module")
def context(base_url: str) -> Iterator[BrowserContext]:
    """One browser for the module, so plotly.js is compiled once and then comes from cache."""
    with launch_chromium() as browser:
        context = browser.new_context(
            viewport={"width": 1440, "height": 1000}, accept_downloads=True
        )
        yield context
        context.close()


def _open(page: Page, url: str, outside: list[str], base_url: str) -> None:
    page.on("request", lambda r: None if r.url.startswith(base_url) else outside.append(r.url))
    page.goto(url)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)


def _png_size(body: bytes) -> tuple[int, int]:
    assert body.startswith(PNG_MAGIC)
    width, height = struct.unpack(">II", body[16:24])
    return width, height


@pytest.mark.parametrize(("lang", "chart_word"), [("de", "des Ziels"), ("en", "of target")])
def test_every_page_draws_its_chart_offline_and_downloads_a_png(
    context: BrowserContext, base_url: str, lang: str, chart_word: str
) -> None:
    SCREENS.mkdir(parents=True, exist_ok=True)
    outside: list[str] = []
    page = context.new_page()
    for kind, trace_type in KINDS.items():
        _open(page, f"{base_url}/maps/{DEMO_MAP}/{kind}?lang={lang}", outside, base_url)
        expected = int(page.locator("#chart").get_attribute("data-traces") or 0)
        traces = page.evaluate("() => document.getElementById('chart').data.map(t => t.type)")
        assert traces == [trace_type] * expected and expected >= 1
        page.screenshot(path=SCREENS / f"{kind}-{lang}.png", full_page=True)
        with page.expect_download() as download_info:
            page.get_by_role("link", name="PNG").click()
        download = download_info.value
        assert download.suggested_filename == f"{DEMO_MAP}-{kind}.png"
        body = Path(download.path()).read_bytes()
        width, height = _png_size(body)
        assert (width, len(body)) >= (2400, 20_000)
        assert height >= 600
        (SCREENS / f"{kind}-{lang}-download.png").write_bytes(body)
    assert chart_word in page.locator("#chart").inner_text()  # the KPI axis, in the language
    page.close()
    assert outside == []


def test_funnel_page_shows_the_analysis_numbers(
    context: BrowserContext, base_url: str, demo: Workspace
) -> None:
    anna = load_map(demo.maps_dir / f"{DEMO_MAP}.yaml")
    with open_analytic(demo) as store:
        expected = funnel(
            store.table("events"),
            [stage.id for stage in anna.ordered_stages()],
            level="stage",
            journey_map=anna,
        )
    page = context.new_page()
    _open(page, f"{base_url}/maps/{DEMO_MAP}/funnel?lang=en", [], base_url)
    shown = page.locator("td[data-customers]").evaluate_all(
        "cells => cells.map(c => Number(c.dataset.customers))"
    )
    drawn = page.evaluate("() => document.getElementById('chart').data[0].x")
    bar_texts = page.locator(".js-plotly-plot text.bartext").all_text_contents()
    customers = [step.customers for step in expected.steps]
    assert shown == drawn == customers
    assert bar_texts[0].startswith(f"{customers[0]:,}")

    page.locator("select[name=by]").select_option("device")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**by=device**")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    traces = page.evaluate("() => document.getElementById('chart').data.map(t => [t.type, t.name])")
    assert {"desktop", "mobile"} <= {name for _, name in traces}
    assert {kind for kind, _ in traces} == {"bar"}
    page.get_by_role("link", name="DE", exact=True).click()
    page.wait_for_selector(".js-plotly-plot .main-svg")
    assert page.get_by_role("button", name="Anwenden").is_visible()
    page.close()
