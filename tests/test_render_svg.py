"""The rendered SVG and HTML: golden files, well-formed XML, icons, labels, escaping, the API."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from journeykit.errors import JourneykitError
from journeykit.maps import render
from journeykit.maps.examples import example_map
from journeykit.maps.io import load_map
from journeykit.maps.kpis import Unit
from journeykit.maps.model import JourneyMap
from journeykit.maps.presets import Preset
from journeykit.maps.render import Overlay, render_html, render_svg, render_to_file
from journeykit.maps.render.icons import CHANNEL_ICONS, DEVICE_ICONS, SYMBOLS
from journeykit.maps.render.numbers import format_signed, format_value
from journeykit.maps.vocab import Channel, Device

MAPS = Path(__file__).parent / "fixtures" / "maps"
SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
DAY_MEASURED = {"morning": -1.6, "lunch": 0.5}


def blueprint() -> JourneyMap:
    return load_map(MAPS / "render_blueprint.yaml")


def day_in_the_life() -> JourneyMap:
    return load_map(MAPS / "render_day.yaml")


@pytest.mark.parametrize("lang", ["de", "en"])
def test_example_map_matches_golden(lang: str, golden) -> None:  # type: ignore[no-untyped-def]
    golden(
        f"render/example-ecommerce-{lang}.svg",
        render_svg(example_map(Preset.ECOMMERCE, lang), lang),
    )


def test_service_blueprint_matches_golden(golden) -> None:  # type: ignore[no-untyped-def]
    golden("render/retoure-blueprint-de.svg", render_svg(blueprint(), "de"))


def test_day_in_the_life_with_measured_emotions_matches_golden(golden) -> None:  # type: ignore[no-untyped-def]
    golden("render/commuter-day-en.svg", render_svg(day_in_the_life(), "en", DAY_MEASURED))


def test_output_is_deterministic() -> None:
    assert render_svg(blueprint()) == render_svg(blueprint())


@pytest.mark.parametrize("build", [blueprint, day_in_the_life])
def test_svg_parses_and_every_use_points_to_a_symbol(build) -> None:  # type: ignore[no-untyped-def]
    root = ET.fromstring(render_svg(build(), "de", DAY_MEASURED))
    symbols = {element.get("id") for element in root.iter(f"{SVG}symbol")}
    uses = [element.get(XLINK_HREF) for element in root.iter(f"{SVG}use")]
    assert uses
    assert {href.removeprefix("#") for href in uses if href} <= symbols
    assert all(href and href.startswith("#") for href in uses)
    assert len(symbols) == len(list(root.iter(f"{SVG}symbol"))), "a symbol is defined twice"


def test_every_channel_and_device_has_its_own_icon() -> None:
    assert set(CHANNEL_ICONS) == set(Channel)
    assert set(DEVICE_ICONS) == set(Device)
    drawings = list(CHANNEL_ICONS.values()) + list(DEVICE_ICONS.values())
    assert len(set(drawings)) == len(drawings)
    for name, body in SYMBOLS.items():
        ET.fromstring(f'<svg xmlns="http://www.w3.org/2000/svg">{body}</svg>')  # well-formed
        assert "http" not in body, name


def test_blueprint_shows_its_lanes_and_lines() -> None:
    texts = _texts(render_svg(blueprint(), "de"))
    for label in ("Frontstage", "Backstage", "Sichtbarkeitslinie", "Interaktionslinie"):
        assert label in texts
    assert "Service Blueprint" in texts
    assert "→ löst keine-bestaetigung" in texts


def test_day_in_the_life_shows_time_slots_and_measured_values() -> None:
    svg = render_svg(day_in_the_life(), "en", DAY_MEASURED)
    texts = _texts(svg)
    assert {"06:30–07:15", "07:20–08:10", "12:30", "18:00–19:30"} <= texts
    assert {"−1.6", "+0.4", "+0.5"} <= texts  # from the argument and from the file
    assert "measured" in texts
    assert "stroke-dasharray" in svg


def test_measured_argument_overrides_the_file() -> None:
    texts = _texts(render_svg(day_in_the_life(), "en", {"commute": -0.3}))
    assert "−0.3" in texts
    assert "+0.4" not in texts  # the file's value for the same stage


def test_without_measured_values_there_is_no_measured_legend() -> None:
    texts = _texts(render_svg(example_map(Preset.ECOMMERCE, "de"), "de"))
    assert "geplant" in texts
    assert "gemessen" not in texts


def test_kpis_are_labelled_and_formatted_per_language() -> None:
    de = _texts(render_svg(blueprint(), "de"))
    assert {"Verweildauer", "Ziel ≥ 90\u00a0s", "Ziel ≤ 4,50\u00a0€", "Ziel ≥ 80\u00a0%"} <= de
    assert {"Ziel ≤ Platz\u00a03", "Ziel ≥ 125.000"} <= de
    en = _texts(render_svg(blueprint(), "en"))
    assert {
        "Dwell time",
        "Target ≥ 90\u00a0s",
        "Target ≤ €4.50",
        "Target ≥ 80%",
        "Target ≥ 125,000",
    } <= en


def test_kpi_actuals_and_touchpoint_volumes_from_an_overlay() -> None:
    overlay = Overlay(
        kpi_actuals={"inspection": {"csat": 0.72}, "refund": {"nps": 41}},
        touchpoint_volumes={"returns-portal": 12345},
    )
    texts = _texts(render_svg(blueprint(), "de", overlay=overlay))
    assert {"Ist 72\u00a0% ✗", "Ist 41 ✓", "12.345 Kunden"} <= texts


def test_overlay_rejects_emotions_off_the_scale() -> None:
    with pytest.raises(ValueError, match="outside"):
        Overlay(measured={"a": 3})


@pytest.mark.parametrize(
    ("value", "unit", "lang", "expected"),
    [
        (0.03, Unit.RATIO, "de", "3\u00a0%"),
        (0.03, Unit.RATIO, "en", "3%"),
        (0.125, Unit.RATIO, "de", "12,5\u00a0%"),
        (1234.5, Unit.CURRENCY, "de", "1.234,50\u00a0€"),
        (1234.5, Unit.CURRENCY, "en", "€1,234.50"),
        (20, Unit.CURRENCY, "de", "20\u00a0€"),
        (45, Unit.SECONDS, "en", "45\u00a0s"),
        (300, Unit.SECONDS, "de", "5\u00a0min"),
        (20000, Unit.COUNT, "de", "20.000"),
        (-12.5, Unit.SCORE, "en", "−12.5"),
    ],
)
def test_values_are_formatted_by_unit(value: float, unit: Unit, lang: str, expected: str) -> None:
    assert format_value(value, unit, lang) == expected


def test_signed_scores() -> None:
    assert [format_signed(v, "de") for v in (1.44, -0.5, 0, 2)] == ["+1,4", "−0,5", "0", "+2"]


def test_text_is_escaped() -> None:
    data = example_map(Preset.ECOMMERCE, "de").model_dump(mode="json")
    data["title"] = 'Küche & <Bad> "Test" \u0007'
    data["stages"][0]["actions"] = ["a < b && c > d"]
    svg = render_svg(JourneyMap.model_validate(data))
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == 'Küche & <Bad> "Test" '  # type: ignore[union-attr]
    assert "a &lt; b &amp;&amp; c &gt; d" in svg


def test_html_is_standalone_and_prints_as_a3_landscape() -> None:
    html = render_html(blueprint(), "de")
    assert html.startswith("<!DOCTYPE html>")
    assert "@page { size: A3 landscape;" in html
    assert "<title>Retoure im Onlineshop – Service Blueprint</title>" in html
    assert not re.search(r"(src|href)=\"(https?:)?//", html), "no external references"
    assert "url(" not in html
    assert html.count('class="page"') >= 2  # a blueprint is taller than one A3 page


def test_render_to_file_writes_svg_and_html(tmp_path: Path) -> None:
    journey_map = blueprint()
    svg = render_to_file(journey_map, "svg", tmp_path / "map.svg", "en")
    html = render_to_file(journey_map, "html", tmp_path / "map.html", "en")
    assert svg.read_text(encoding="utf-8") == render_svg(journey_map, "en")
    assert html.read_text(encoding="utf-8") == render_html(journey_map, "en")


def test_unknown_format_and_language_are_user_errors(tmp_path: Path) -> None:
    with pytest.raises(
        JourneykitError, match="cannot render 'gif' — use one of: svg, html, png, pdf"
    ):
        render_to_file(blueprint(), "gif", tmp_path / "map.gif", "de")
    with pytest.raises(JourneykitError, match="use 'de' or 'en'"):
        render_svg(blueprint(), "fr")


def test_render_api_is_pinned() -> None:
    assert sorted(render.__all__) == [
        "FORMATS",
        "Overlay",
        "render_html",
        "render_pdf",
        "render_png",
        "render_svg",
        "render_to_file",
    ]


def _texts(svg: str) -> set[str]:
    """Every line of text drawn in the SVG (``<text>`` or ``<tspan>`` content)."""
    root = ET.fromstring(svg)
    lines = {element.text for element in root.iter(f"{SVG}text") if element.text}
    lines |= {element.text for element in root.iter(f"{SVG}tspan") if element.text}
    joined = set()
    for element in root.iter(f"{SVG}text"):
        spans = [span.text or "" for span in element.iter(f"{SVG}tspan")]
        if spans:
            joined.add(" ".join(spans))
    return lines | joined
