"""The web app through FastAPI's TestClient: pages, JSON API, downloads, errors, OpenAPI.

PNG and PDF need Chromium and are exercised in ``test_web_browser.py``.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from journeykit.browser import BrowserMissing
from journeykit.maps.model import JourneyMap
from journeykit.web import create_app
from journeykit.web import downloads as downloads_module
from journeykit.workspace import Workspace, init_workspace

EXAMPLE = "example-ecommerce"
BROKEN = """\
format: 1
id: broken-map
title: Kaputte Map
persona:
  name: Paula
stages:
  - id: s1
    name: Erste Phase
    emotion:
      planned: 7
touchpoints:
  - id: t1
    stage: s1
    name: Newsletter
    channel: emial
"""
BROKEN_PROBLEMS = [
    "maps/broken.yaml:10: stages[0].emotion.planned: 7 is too large (limit 2) — "
    "emotions go from -2 (very negative) to +2 (very positive)",
    "maps/broken.yaml:15: touchpoints[0].channel: 'emial' is not a valid channel — "
    "did you mean 'email'?",
]


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    """A German ecommerce workspace with its example map, a broken map and a duplicate id."""
    workspace = init_workspace(tmp_path / "ws")
    (workspace.maps_dir / "broken.yaml").write_text(BROKEN, encoding="utf-8")
    shutil.copy(workspace.maps_dir / f"{EXAMPLE}.yaml", workspace.maps_dir / "zz-copy.yaml")
    return workspace


@pytest.fixture
def client(workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace)) as client:
        yield client


def test_index_lists_maps_with_translated_type_and_counts(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<a href="/maps/example-ecommerce">Beispiel-Journey (ecommerce)</a>' in page
    assert "Ist-Zustand" in page
    assert "Anna, 34, mobile Schnäppchenjägerin" in page
    assert "<code>maps/example-ecommerce.yaml</code>" in page
    assert "<dt>Phasen</dt><dd>5</dd>" in page
    assert "ws</span>" in page  # the workspace name in the header


def test_index_lists_the_broken_map_with_its_problems(client: TestClient) -> None:
    page = client.get("/").text
    assert '<a href="/maps/broken-map">broken-map</a>' in page
    for problem in BROKEN_PROBLEMS:
        assert problem.replace("'", "&#39;") in page


def test_index_shows_a_problem_for_the_second_file_with_the_same_id(client: TestClient) -> None:
    page = client.get("/").text
    assert "maps/zz-copy.yaml:4: id: the id &#39;example-ecommerce&#39; is already used by " in page
    assert page.count('<a href="/maps/example-ecommerce">') == 1  # the copy is not linked
    assert page.count('<img src="/maps/example-ecommerce.svg?lang=de"') == 1


def test_index_of_an_empty_workspace_says_how_to_start(workspace: Workspace) -> None:
    for path in workspace.map_files():
        path.unlink()
    with TestClient(create_app(workspace)) as client:
        page = client.get("/").text
    assert "Noch keine Maps. Lege eine an mit: journeykit map new NAME" in page


def test_language_comes_from_query_then_cookie_then_workspace(client: TestClient) -> None:
    assert "Ist-Zustand" in client.get("/").text
    english = client.get("/?lang=en")
    assert "Current state" in english.text
    assert english.cookies.get("journeykit_lang") == "en"
    assert 'lang="en"' in client.get("/").text  # remembered by the cookie
    assert "Current state" in client.get("/?lang=xx").text  # unknown values are ignored
    assert "Ist-Zustand" in client.get("/?lang=de").text


def test_api_lists_maps(client: TestClient) -> None:
    response = client.get("/api/maps")
    assert response.status_code == 200
    listed = {(item["file"]): item for item in response.json()}
    assert list(listed) == ["maps/broken.yaml", "maps/example-ecommerce.yaml", "maps/zz-copy.yaml"]
    assert listed["maps/example-ecommerce.yaml"] == {
        "id": EXAMPLE,
        "title": "Beispiel-Journey (ecommerce)",
        "type": "current-state",
        "language": "de",
        "persona": "Anna, 34, mobile Schnäppchenjägerin",
        "stages": 5,
        "touchpoints": 5,
        "file": "maps/example-ecommerce.yaml",
        "valid": True,
        "problems": [],
    }
    broken = listed["maps/broken.yaml"]
    assert (broken["id"], broken["valid"], broken["title"], broken["stages"]) == (
        "broken-map",
        False,
        None,
        0,
    )
    assert [problem["text"] for problem in broken["problems"]] == BROKEN_PROBLEMS
    assert broken["problems"][1] == {
        "file": "maps/broken.yaml",
        "line": 15,
        "column": 5,
        "field": "touchpoints[0].channel",
        "message": "'emial' is not a valid channel",
        "hint": "did you mean 'email'?",
        "text": BROKEN_PROBLEMS[1],
    }
    duplicate = listed["maps/zz-copy.yaml"]
    assert duplicate["valid"] is False
    assert duplicate["problems"][0]["hint"] == "give this map another id"


def test_api_map_round_trips_to_the_model(client: TestClient, workspace: Workspace) -> None:
    response = client.get(f"/api/maps/{EXAMPLE}")
    assert response.status_code == 200
    journey_map = JourneyMap.model_validate(response.json())
    assert journey_map.id == EXAMPLE
    assert response.json() == journey_map.model_dump(mode="json")
    assert [stage.id for stage in journey_map.stages][:2] == ["awareness", "consideration"]


def test_api_unknown_map_is_404_with_did_you_mean(client: TestClient) -> None:
    response = client.get("/api/maps/example-ecomerce")
    assert response.status_code == 404
    assert response.json() == {
        "detail": {
            "error": "no map with id 'example-ecomerce'",
            "hint": "did you mean 'example-ecommerce'?",
        }
    }


def test_api_invalid_map_is_422_with_its_problems(client: TestClient) -> None:
    response = client.get("/api/maps/broken-map")
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["error"] == "map 'broken-map' (maps/broken.yaml) has 2 problems"
    assert [problem["text"] for problem in detail["problems"]] == BROKEN_PROBLEMS


def test_openapi_documents_the_api_and_downloads(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    paths = schema["paths"]
    expected = {"/api/maps", "/api/maps/{map_id}"}
    expected |= {f"/maps/{{map_id}}.{kind}" for kind in ("svg", "png", "pdf", "html", "yaml")}
    collector = {f"/v1/{kind}" for kind in ("track", "identify", "page", "screen", "group")}
    expected |= collector | {"/v1/alias", "/v1/batch"}
    expected |= {"/api/flows", "/api/flows/{flow_id}", "/api/flows/{flow_id}/lift"}
    expected |= {"/api/flows/bounces"}
    assert set(paths) == expected  # pages are not part of the API
    responses = paths["/api/maps/{map_id}"]["get"]["responses"]
    assert responses["404"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/ErrorResponse"
    )
    assert responses["422"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/InvalidMapResponse"
    )
    assert {"MapSummary", "ProblemOut", "JourneyMap"} <= set(schema["components"]["schemas"])
    assert "image/png" in paths["/maps/{map_id}.png"]["get"]["responses"]["200"]["content"]


def test_docs_page_works_offline(client: TestClient) -> None:
    pytest.importorskip("swagger_ui_bundle", reason="swagger-ui-bundle-v2 ships Swagger UI")
    page = client.get("/docs")
    assert page.status_code == 200
    assert "http" not in page.text.replace("window.location", "")
    assert "/static/swagger-ui/swagger-ui-bundle.js" in page.text
    script = client.get("/static/swagger-ui/swagger-ui-bundle.js")
    assert script.status_code == 200
    assert "SwaggerUIBundle" in script.text


def test_map_page_shows_the_svg_with_print_and_downloads(client: TestClient) -> None:
    response = client.get(f"/maps/{EXAMPLE}")
    assert response.status_code == 200
    page = response.text
    assert '<div class="map-canvas"' in page
    assert "onclick=\"this.classList.toggle('actual-size')\"><svg" in page
    assert "Ziele" in page
    assert 'onclick="window.print()">Drucken</button>' in page
    for kind in ("svg", "png", "pdf", "html", "yaml"):
        assert f'href="/maps/{EXAMPLE}.{kind}?lang=de"' in page


def test_map_page_switches_language(client: TestClient) -> None:
    page = client.get(f"/maps/{EXAMPLE}?lang=en").text
    assert "Goals" in page
    assert "Ziele" not in page
    assert f'href="/maps/{EXAMPLE}.svg?lang=en"' in page
    assert 'onclick="window.print()">Print</button>' in page


def test_map_page_of_an_invalid_map_shows_its_problems(client: TestClient) -> None:
    response = client.get("/maps/broken-map")
    assert response.status_code == 200
    assert "<svg" not in response.text
    assert "Diese Map hat Fehler" in response.text
    assert BROKEN_PROBLEMS[0] in response.text
    assert 'href="/maps/broken-map.yaml?lang=de"' in response.text
    assert "broken-map.png" not in response.text


def test_map_page_of_an_unknown_map_is_404_with_did_you_mean(client: TestClient) -> None:
    response = client.get("/maps/broken-mao")
    assert response.status_code == 404
    assert "did you mean &#39;broken-map&#39;?" in response.text


def test_downloads_have_their_content_types(client: TestClient, workspace: Workspace) -> None:
    svg = client.get(f"/maps/{EXAMPLE}.svg?lang=en")
    assert svg.headers["content-type"] == "image/svg+xml"
    assert "<svg" in svg.text
    assert "Goals" in svg.text
    assert svg.headers["content-disposition"] == f'attachment; filename="{EXAMPLE}.svg"'
    html = client.get(f"/maps/{EXAMPLE}.html")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert "<html" in html.text.lower()
    yaml = client.get(f"/maps/{EXAMPLE}.yaml")
    assert yaml.headers["content-type"] == "application/yaml; charset=utf-8"
    assert yaml.content == (workspace.maps_dir / f"{EXAMPLE}.yaml").read_bytes()


def test_downloads_of_an_invalid_map(client: TestClient) -> None:
    assert client.get("/maps/broken-map.svg").status_code == 422
    assert client.get("/maps/nope.svg").status_code == 404
    source = client.get("/maps/broken-map.yaml")  # the source is served to be fixed
    assert source.status_code == 200
    assert source.text == BROKEN


def test_png_without_chromium_is_503_with_a_hint(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_browser(*_: object) -> None:
        raise BrowserMissing("Chromium is not installed — install it with apt-get")

    monkeypatch.setattr(downloads_module, "render_png", no_browser)
    response = client.get(f"/maps/{EXAMPLE}.png")
    assert response.status_code == 503
    assert response.json() == {
        "detail": {"error": "Chromium is not installed", "hint": "install it with apt-get"}
    }


def test_edited_files_are_seen_without_a_restart(client: TestClient, workspace: Workspace) -> None:
    assert client.get("/api/maps/broken-map").status_code == 422
    fixed = BROKEN.replace("planned: 7", "planned: 1").replace("emial", "email")
    (workspace.maps_dir / "broken.yaml").write_text(fixed, encoding="utf-8")
    response = client.get("/api/maps/broken-map")
    assert response.status_code == 200
    assert response.json()["title"] == "Kaputte Map"
    (workspace.maps_dir / "broken.yaml").unlink()
    assert client.get("/api/maps/broken-map").status_code == 404


def test_docs_fall_back_to_fastapis_page_without_the_bundle(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "swagger_ui_bundle", None)  # import fails
    with TestClient(create_app(workspace)) as client:
        page = client.get("/docs")
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in page.text
    assert "/static/swagger-ui/" not in page.text


def test_an_unreadable_file_is_listed_with_the_reason(
    client: TestClient, workspace: Workspace
) -> None:
    (workspace.maps_dir / "latin1.yaml").write_bytes("title: Größe\n".encode("latin-1"))
    listed = {item["file"]: item for item in client.get("/api/maps").json()}
    assert [problem["text"] for problem in listed["maps/latin1.yaml"]["problems"]] == [
        "maps/latin1.yaml: not UTF-8 text (byte 9) — save the file as UTF-8"
    ]
    assert listed["maps/latin1.yaml"]["id"] == "latin1"
