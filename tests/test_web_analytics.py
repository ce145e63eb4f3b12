"""The analytics pages through FastAPI's TestClient, over the demo workspace in a real DuckDB file.

The CSV downloads must carry exactly the library's numbers (the same calls the CLI makes); pages
speak German and English; bad parameters, broken maps and an empty store get pages that say
what is wrong, never a 500. The browser side (plotly drawing, PNG) is in
``test_web_analytics_browser.py``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import as_file, files
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from analytics_web_support import DEMO_MAP, demo_workspace_with_events
from journeykit.analytics import cohort_retention, funnel, label_events, paths, stage_kpis
from journeykit.analytics.transitions import stage_ranks, transitions
from journeykit.datasets.demo import create_demo_workspace
from journeykit.datasets.generator import GeneratorConfig
from journeykit.datasets.generator.run import simulate
from journeykit.errors import JourneykitError
from journeykit.maps.io import load_map, save_map
from journeykit.maps.model import JourneyMap
from journeykit.store import open_analytic
from journeykit.web import create_app
from journeykit.web.analytics_params import funnel_request, paths_request, retention_request
from journeykit.web.chart_png import plotly_js
from journeykit.workspace import Workspace, init_workspace

KINDS = ("funnel", "paths", "transitions", "retention", "kpis")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return demo_workspace_with_events(tmp_path_factory.mktemp("analytics-web") / "ws")


@pytest.fixture(scope="module")
def client(demo: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(demo, collector=False)) as client:
        yield client


@pytest.fixture(scope="module")
def anna(demo: Workspace) -> JourneyMap:
    return load_map(demo.maps_dir / f"{DEMO_MAP}.yaml")


def _csv(client: TestClient, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    return list(csv.DictReader(io.StringIO(response.text)))


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def test_funnel_csv_equals_the_library_funnel_over_the_maps_stages(
    client: TestClient, demo: Workspace, anna: JourneyMap
) -> None:
    stages = [stage.id for stage in anna.ordered_stages()]
    with open_analytic(demo) as store:
        expected = funnel(store.table("events"), stages, level="stage", journey_map=anna)
    found = _csv(client, f"/maps/{DEMO_MAP}/funnel.csv")
    assert [row["step"] for row in found] == stages
    assert expected.entered > 0
    for row, step in zip(found, expected.steps, strict=True):
        assert int(row["customers"]) == step.customers
        assert float(row["conversion_from_start"]) == step.conversion_from_start
        assert float(row["conversion_from_previous"]) == step.conversion_from_previous
        assert _number(row["median_seconds_from_previous"]) == step.median_seconds_from_previous
        assert _number(row["p90_seconds_from_previous"]) == step.p90_seconds_from_previous


def test_funnel_csv_with_breakdown_and_event_steps(client: TestClient, demo: Workspace) -> None:
    steps = ["product_viewed", "checkout_started", "order_completed"]
    with open_analytic(demo) as store:
        expected = funnel(store.table("events"), steps, by="device")
    url = f"/maps/{DEMO_MAP}/funnel.csv?level=event&steps={','.join(steps)}&by=device"
    found = _csv(client, url)
    by_group: dict[str, list[int]] = {}
    for row in found:
        by_group.setdefault(row["group"], []).append(int(row["customers"]))
    assert by_group[""] == [step.customers for step in expected.steps]
    for group in expected.groups or []:
        assert by_group[group.value or ""] == [step.customers for step in group.steps]


def test_paths_csv_equals_the_library_paths_and_adds_up(
    client: TestClient, demo: Workspace, anna: JourneyMap
) -> None:
    first = anna.ordered_stages()[0].id
    with open_analytic(demo) as store:
        labelled = label_events(store.table("events"), anna)
        expected = paths(labelled, first, level="stage", collapse_repeats=True)
    found = _csv(client, f"/maps/{DEMO_MAP}/paths.csv")
    listed = found[:-2]
    assert [tuple(v for k, v in r.items() if k.startswith("step_")) for r in listed] == [
        p.steps for p in expected.paths
    ]
    assert [int(r["customers"]) for r in listed] == [p.customers for p in expected.paths]
    other, left = found[-2:]
    assert (other["step_1"], int(other["customers"])) == ("(other)", expected.other)
    assert (left["step_1"], int(left["customers"])) == ("(left)", expected.left)
    assert sum(int(r["customers"]) for r in found) == expected.customers > 0


def test_transitions_csv_equals_the_library_matrix(
    client: TestClient, demo: Workspace, anna: JourneyMap
) -> None:
    with open_analytic(demo) as store:
        expected = transitions(
            label_events(store.table("events"), anna),
            level="touchpoint",
            collapse_repeats=True,
            stage_of=stage_ranks(anna, "touchpoint"),
        )
    found = _csv(client, f"/maps/{DEMO_MAP}/transitions.csv?level=touchpoint")
    assert [(r["from"], r["to"], int(r["count"]), r["kind"]) for r in found] == [
        (t.source, t.target, t.count, t.kind or "") for t in expected.transitions
    ]
    assert [float(r["probability"]) for r in found] == [t.probability for t in expected.transitions]
    assert expected.back_steps is not None and expected.back_steps > 0


def test_retention_csv_equals_the_library_cohorts(client: TestClient, demo: Workspace) -> None:
    with open_analytic(demo) as store:
        expected = cohort_retention(store.table("events"), period="week", periods=3)
    found = _csv(client, f"/maps/{DEMO_MAP}/retention.csv?period=week&periods=3")
    assert len(found) == 4 * len(expected.cohorts) > 0
    for cohort in expected.cohorts:
        rows = [r for r in found if r["cohort"] == cohort.period]
        assert [int(r["customers"]) for r in rows] == [cohort.size] * 4
        assert [_number(r["retained"]) for r in rows] == cohort.retained
        assert [_number(r["rate"]) for r in rows] == cohort.rates()


def test_kpi_csv_equals_the_library_kpis_with_needs_events(
    client: TestClient, demo: Workspace, anna: JourneyMap
) -> None:
    with open_analytic(demo) as store:
        expected = stage_kpis(store.table("events"), anna)
    found = _csv(client, f"/maps/{DEMO_MAP}/kpis.csv")
    assert len(found) == len(expected.results)
    for row, result in zip(found, expected.results, strict=True):
        assert (row["stage"] or None, row["metric"], row["status"]) == (
            result.stage,
            result.metric,
            result.status,
        )
        # sums over floats may differ in the last bit between two runs of a parallel engine
        assert _number(row["value"]) == pytest.approx(result.value, rel=1e-12)
        assert _number(row["target"]) == result.target
        assert row["needs_events"].split() == result.needs


def test_kpi_page_shows_traffic_lights(client: TestClient) -> None:
    page = client.get(f"/maps/{DEMO_MAP}/kpis?lang=en").text
    assert 'class="light light-met"' in page and 'class="light light-missed"' in page


def test_kpi_page_says_which_events_a_metric_needs(tmp_path: Path) -> None:
    """Without survey answers, NPS names the event it needs instead of showing 0."""
    workspace = create_demo_workspace(tmp_path / "ws")
    events = pa.Table.from_batches(list(simulate(GeneratorConfig(customers=40))))
    with open_analytic(workspace) as store:
        store.insert("events", events.filter(pc.field("name") != "nps_answered"))
    with TestClient(create_app(workspace, collector=False)) as client:
        page = client.get(f"/maps/{DEMO_MAP}/kpis?lang=en").text
        rows = list(csv.DictReader(io.StringIO(client.get(f"/maps/{DEMO_MAP}/kpis.csv").text)))
    assert re.search(r"needs events\s*<code>nps_answered</code>", page)
    nps = next(row for row in rows if row["metric"] == "nps" and row["stage"] == "advocacy")
    assert (nps["status"], nps["value"], nps["needs_events"]) == (
        "needs-events",
        "",
        "nps_answered",
    )


@pytest.mark.parametrize(
    ("lang", "words", "absent"),
    [
        ("de", ["Kunden", "Zeitfenster", "Anwenden", "Kundenbindung", "Daten (CSV)"], "Apply"),
        ("en", ["Customers", "Window", "Apply", "Retention", "Data (CSV)"], "Anwenden"),
    ],
)
def test_pages_speak_german_and_english(
    client: TestClient, lang: str, words: list[str], absent: str
) -> None:
    page = client.get(f"/maps/{DEMO_MAP}/funnel?lang={lang}").text
    for word in words:
        assert word in page
    assert absent not in page
    separators = re.search(r'"separators":"(..)"', page)
    assert separators is not None
    assert separators.group(1) == {"de": ",.", "en": ".,"}[lang]


def test_german_numbers_use_german_separators(client: TestClient) -> None:
    page = client.get(f"/maps/{DEMO_MAP}/funnel?lang=de").text
    assert re.search(r"<td>\d+,\d %</td>", page)  # 76,1 %
    english = client.get(f"/maps/{DEMO_MAP}/funnel?lang=en").text
    assert re.search(r"<td>\d+\.\d%</td>", english)


@pytest.mark.parametrize("kind", KINDS)
def test_every_page_embeds_the_local_plotly_and_links_its_downloads(
    client: TestClient, kind: str
) -> None:
    page = client.get(f"/maps/{DEMO_MAP}/{kind}?lang=en").text
    script = re.search(r'<script src="(/assets/plotly-[0-9a-f]{12}\.min\.js)">', page)
    assert script is not None
    assert "cdn" not in page.lower()
    assert f'href="/maps/{DEMO_MAP}/{kind}.csv?' in page
    assert f'href="/maps/{DEMO_MAP}/{kind}.png?' in page
    bundle = client.get(script.group(1))
    assert bundle.status_code == 200
    assert bundle.text == plotly_js()
    assert "immutable" in bundle.headers["cache-control"]


def test_map_page_and_index_link_the_analyses(client: TestClient) -> None:
    for url in (f"/maps/{DEMO_MAP}?lang=en", "/?lang=en"):
        page = client.get(url).text
        for kind in KINDS:
            assert f'href="/maps/{DEMO_MAP}/{kind}?lang=en"' in page


@pytest.mark.parametrize(
    ("query", "param"),
    [
        ("window=soon", "window"),
        ("level=journey", "level"),
        ("steps=awareness,kauf", "steps"),
        ("level=event", "steps"),
        ("by=colour", "by"),
        ("since=last-week", "since"),
        ("since=2026-03-01&until=2026-02-01", "until"),
    ],
)
def test_bad_funnel_parameters_give_a_400_page_naming_the_parameter(
    client: TestClient, query: str, param: str
) -> None:
    for url in (f"/maps/{DEMO_MAP}/funnel?{query}", f"/maps/{DEMO_MAP}/funnel.csv?{query}"):
        response = client.get(url)
        assert response.status_code == 400
        assert f'<code class="param">{param}</code>' in response.text


@pytest.mark.parametrize(
    ("kind", "query", "param"),
    [
        ("paths", "direction=sideways", "direction"),
        ("paths", "steps=1", "steps"),
        ("paths", "level=event&anchor=nothing_like_it", "anchor"),
        ("transitions", "sessions=maybe", "sessions"),
        ("transitions", "level=touchpoints", "level"),
        ("retention", "period=year", "period"),
        ("retention", "periods=many", "periods"),
        ("kpis", "until=31.12.2026", "until"),
    ],
)
def test_bad_parameters_of_the_other_pages(
    client: TestClient, kind: str, query: str, param: str
) -> None:
    response = client.get(f"/maps/{DEMO_MAP}/{kind}?{query}&lang=en")
    assert response.status_code == 400
    assert "Invalid parameter" in response.text
    assert f'<code class="param">{param}</code>' in response.text


def test_unknown_map_and_unknown_analysis_are_404_pages(client: TestClient) -> None:
    missing = client.get("/maps/anna-is/funnel")
    assert missing.status_code == 404
    assert "anna-ist" in missing.text  # did you mean
    assert client.get(f"/maps/{DEMO_MAP}/cohorts").status_code == 404
    assert client.get(f"/maps/{DEMO_MAP}/funnel.xlsx").status_code == 404


def test_a_broken_map_gives_a_page_with_its_problems(demo: Workspace, client: TestClient) -> None:
    broken = demo.maps_dir / "zz-broken.yaml"
    text = (demo.maps_dir / f"{DEMO_MAP}.yaml").read_text(encoding="utf-8")
    broken.write_text(
        text.replace(f"id: {DEMO_MAP}", "id: zz-broken").replace("channel: web", "channel: wbe", 1),
        encoding="utf-8",
    )
    try:
        for url in ("/maps/zz-broken/funnel", "/maps/zz-broken/kpis.csv"):
            response = client.get(url)
            assert response.status_code == 422
            assert "did you mean &#39;web&#39;?" in response.text
            assert "journeykit map validate" in response.text
    finally:
        broken.unlink()


def test_a_map_whose_rules_match_nothing_shows_no_customers(
    demo: Workspace, client: TestClient, anna: JourneyMap
) -> None:
    """Pages of a map no event matches explain it instead of failing on the default anchor."""
    silent = anna.model_copy(
        update={
            "id": "zz-silent",
            "touchpoints": [tp.model_copy(update={"match": None}) for tp in anna.touchpoints],
        }
    )
    path = save_map(silent, demo.maps_dir / "zz-silent.yaml")
    try:
        for kind in ("funnel", "paths"):
            page = client.get(f"/maps/zz-silent/{kind}?lang=en")
            assert page.status_code == 200
            assert "No customer in the selection" in page.text
            assert 'id="chart"' not in page.text
        rows = list(csv.DictReader(io.StringIO(client.get("/maps/zz-silent/paths.csv").text)))
        assert [int(row["customers"]) for row in rows] == [0, 0]
    finally:
        path.unlink()


def test_language_switch_keeps_the_parameters(client: TestClient) -> None:
    page = client.get(f"/maps/{DEMO_MAP}/retention?period=week&periods=3&lang=de").text
    assert (
        'href="?period=week&amp;periods=3&amp;purchase_event=order_completed&amp;lang=en"' in page
    )


def test_an_empty_store_says_how_to_load_events(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws", language="en")
    map_id = workspace.map_files()[0].stem
    with TestClient(create_app(workspace, collector=False)) as client:
        for kind in KINDS:
            page = client.get(f"/maps/{map_id}/{kind}")
            assert page.status_code == 200
            assert "No events yet" in page.text
            assert "journeykit ingest" in page.text
        assert client.get(f"/maps/{map_id}/funnel.csv").status_code == 409


@cache
def _anna_shipped() -> JourneyMap:
    with as_file(files("journeykit.datasets") / "demo_maps" / f"{DEMO_MAP}.yaml") as path:
        return load_map(path)


QUERY_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
KEYS = ("level", "steps", "window", "by", "since", "until", "anchor", "direction", "top")


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(KEYS), QUERY_TEXT, max_size=4))
def test_any_query_is_read_or_refused_as_a_user_error(query: dict[str, str]) -> None:
    """No text in a query makes the readers fail with anything but a user error (so no 500)."""
    journey_map = _anna_shipped()
    readers: list[Any] = [
        lambda: funnel_request(query, journey_map, "Europe/Berlin"),
        lambda: paths_request(query, journey_map, "Europe/Berlin"),
        lambda: retention_request(query, "Europe/Berlin"),
    ]
    for read in readers:
        try:
            asked = read()
        except JourneykitError:
            continue
        assert all(isinstance(v, str) for v in asked.query().values())


def test_map_page_draws_the_live_map_on_request(
    client: TestClient, demo: Workspace, anna: JourneyMap, tmp_path: Path
) -> None:
    from zoneinfo import ZoneInfo

    from journeykit.analytics.live import live_overlay

    with open_analytic(demo) as store:
        zone = ZoneInfo(demo.settings.workspace.timezone)
        overlay = live_overlay(store.table("events"), anna, zone=zone)
    first = anna.ordered_stages()[0]
    customers, onward = overlay.stage_customers[first.id], overlay.stage_onward[first.id]
    reach = f"{customers:,} customers · {100 * onward / customers:,.0f} % go on"
    assert overlay.period is not None
    period = f"Live · {overlay.period[0].isoformat()} – {overlay.period[1].isoformat()}"
    plain = client.get(f"/maps/{anna.id}?lang=en")
    assert plain.status_code == 200 and reach not in plain.text and "Live ·" not in plain.text
    assert 'href="?live=1&amp;lang=en"' in plain.text
    live = client.get(f"/maps/{anna.id}?live=1&lang=en")
    assert live.status_code == 200
    assert reach in live.text and period in live.text
    empty = init_workspace(tmp_path / "empty")
    save_map(anna, empty.maps_dir / "anna.yaml")
    with TestClient(create_app(empty, collector=False)) as other:
        page = other.get(f"/maps/{anna.id}?live=1&lang=en")
    assert page.status_code == 200 and "No events for live data yet" in page.text
