"""Layout promises on big and random maps: no text box overlaps another, every line fits its box,
nothing leaves the canvas; plus the text measuring and wrapping they rest on."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.maps.model import JourneyMap
from journeykit.maps.render.curve import monotone_slopes
from journeykit.maps.render.layout import layout_map
from journeykit.maps.render.metrics import Font, text_width
from journeykit.maps.render.overlay import Overlay
from journeykit.maps.render.paging import paginate
from journeykit.maps.render.scene import Icon, Scene, Text, bounds
from journeykit.maps.render.wrap import wrap
from render_support import generated_map

EPSILON = 0.01


def assert_layout_promises(scene: Scene) -> None:
    texts = scene.texts()
    for text in texts:
        assert text.lines, "an empty text box was drawn"
        assert len(text.lines) * text.font.line_height <= text.box.h + EPSILON
        for line in text.lines:
            assert text_width(line, text.font) <= text.box.w + EPSILON, (line, text.box)
    _assert_no_overlaps(texts)
    for shape in scene.shapes:
        box = bounds(shape)
        assert box.x >= -EPSILON and box.y >= -EPSILON, shape
        assert box.right <= scene.width + EPSILON and box.bottom <= scene.height + EPSILON, shape


def _assert_no_overlaps(texts: list[Text]) -> None:
    """Sweep by top edge: each box is compared only with boxes that start before it ends."""
    ordered = sorted(texts, key=lambda text: text.box.y)
    for index, text in enumerate(ordered):
        for other in ordered[index + 1 :]:
            if other.box.y >= text.box.bottom:
                break
            assert not text.box.overlaps(other.box), (text.lines, other.lines)


def test_twelve_stages_forty_touchpoints_keep_their_promises() -> None:
    journey_map = generated_map(12, 40, seed=7)
    scene = layout_map(journey_map, "de", Overlay(measured={"s0": -2, "s11": 2}))
    assert_layout_promises(scene)
    assert scene.width > 12 * 200  # columns keep their width; the canvas grows
    channel_icons = [
        s for s in scene.shapes if isinstance(s, Icon) and s.symbol.startswith("channel-")
    ]
    assert len(channel_icons) >= 40  # every touchpoint card is drawn


def test_every_blueprint_lane_keeps_the_promises() -> None:
    assert_layout_promises(
        layout_map(generated_map(5, 12, kind="service-blueprint"), "en", Overlay())
    )
    assert_layout_promises(layout_map(generated_map(3, 5, kind="day-in-the-life"), "de", Overlay()))


# -- random maps -------------------------------------------------------------------------------

_ALPHABET = st.characters(
    codec="utf-8", categories=("L", "N", "P", "S", "Zs"), exclude_characters="\x85\u2028\u2029"
)
_HARD_WORDS = [
    "Größe",
    "Donaudampfschifffahrtsgesellschaftskapitän",
    "&<>\"'",
    "a-b/c–d",
    "3\u00a0%",
    "x" * 90,
    "😀",
    "\n",
]
_text = st.one_of(
    st.text(_ALPHABET, min_size=1, max_size=60),
    st.lists(st.sampled_from(_HARD_WORDS), min_size=1, max_size=12).map(" ".join),
)
_texts = st.lists(_text, max_size=3)
_name = _text.map(lambda text: text[:200])  # names (titles, labels, owners) allow 200 characters


@st.composite
def random_maps(draw: st.DrawFn) -> JourneyMap:
    count = draw(st.integers(1, 6))
    kind = draw(
        st.sampled_from(["current-state", "future-state", "service-blueprint", "day-in-the-life"])
    )
    stages = [_random_stage(draw, index, kind) for index in range(count)]
    touchpoints = [
        {
            "id": f"t{n}",
            "stage": f"s{draw(st.integers(0, count - 1))}",
            "name": draw(_name),
            "channel": draw(st.sampled_from(["web", "app", "email", "store", "other"])),
            **({"description": draw(_text)} if draw(st.booleans()) else {}),
        }
        for n in range(draw(st.integers(0, 8)))
    ]
    persona = {
        "name": draw(_name),
        "quote": draw(_text),
        "goals": draw(_texts),
        "demographics": {draw(_name): draw(st.integers(0, 10**6))},
    }
    data = {
        "id": "random",
        "title": draw(_name),
        "type": kind,
        "persona": persona,
        "stages": stages,
        "touchpoints": touchpoints,
    }
    return JourneyMap.model_validate(data)


def _random_stage(draw: st.DrawFn, index: int, kind: str) -> dict[str, Any]:
    pain_point = {
        "id": f"p{index}",
        "description": draw(_text),
        "friction": draw(st.sampled_from(["interaction", "emotional", "cognitive"])),
        "severity": draw(st.integers(1, 5)),
        "evidence": draw(_text),
    }
    opportunity = {
        "id": f"o{index}",
        "description": draw(_text),
        "addresses": [f"p{index}"],
        "owner": draw(_name),
    }
    stage: dict[str, Any] = {
        "id": f"s{index}",
        "name": draw(_name),
        "goals": draw(_texts),
        "actions": draw(_texts),
        "thoughts": draw(_texts),
        "pain_points": [pain_point],
        "opportunities": [opportunity],
        "kpis": [{"metric": "conversion_rate", "target": draw(st.floats(0, 1))}],
    }
    if draw(st.booleans()):
        stage["emotion"] = {"planned": draw(st.integers(-2, 2)), "label": draw(_name)}
    if kind == "day-in-the-life":
        stage["slot"] = "08:00-09:30"
    if kind == "service-blueprint":
        stage |= {"frontstage": draw(_texts), "backstage": draw(_texts), "support": draw(_texts)}
    return stage


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(journey_map=random_maps(), lang=st.sampled_from(["de", "en"]))
def test_random_maps_keep_the_promises(journey_map: JourneyMap, lang: str) -> None:
    measured = {stage.id: 1.5 for stage in journey_map.stages[::2]}
    scene = layout_map(journey_map, lang, Overlay(measured=measured))
    assert_layout_promises(scene)
    pages = paginate(scene)
    assert pages[0][0].top == 0 and pages[-1][-1].bottom == scene.height


# -- measuring, wrapping, paging, the curve ----------------------------------------------------


def test_widths_come_from_the_font_table() -> None:
    body = Font(12)
    assert text_width("", body) == 0
    assert text_width("iiii", body) < text_width("WWWW", body)
    assert text_width("Text", Font(12, "bold")) > text_width("Text", body)
    assert round(text_width("a", Font(2048 / 100)), 2) == round(1255 / 100, 2)  # DejaVu's advance


@given(text=_text, width=st.floats(40, 400))
def test_wrapped_lines_fit_and_keep_every_character(text: str, width: float) -> None:
    font = Font(12)
    lines = wrap(text, font, width)
    assert all(text_width(line, font) <= width + EPSILON for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


def test_long_words_are_cut_and_no_break_spaces_hold() -> None:
    font = Font(12)
    lines = wrap("Donaudampfschifffahrtsgesellschaftskapitän", font, 100)
    assert len(lines) > 1 and all(text_width(line, font) <= 100 for line in lines)
    assert wrap("Ziel ≥ 3\u00a0%", font, text_width("Ziel ≥ 3", font) + 1) == ("Ziel ≥", "3\u00a0%")
    assert wrap("Service-Blueprint-Linie", font, text_width("Service-Blueprint-", font) + 1)[0] == (
        "Service-Blueprint-"
    )
    assert wrap("  \n ", font, 100) == ()


def test_pages_cut_between_lanes_and_repeat_the_stage_header() -> None:
    scene = layout_map(generated_map(6, 30, seed=3, kind="service-blueprint"), "de", Overlay())
    pages = paginate(scene)
    assert len(pages) >= 2
    cuts = [page[-1].bottom for page in pages[:-1]]
    assert all(cut in scene.breaks or _between_cards(scene, cut) for cut in cuts)
    assert all(
        len(page) == 2 and (page[0].top, page[0].bottom) == scene.repeat for page in pages[1:-1]
    )


def _between_cards(scene: Scene, y: float) -> bool:
    return not any(text.box.y < y < text.box.bottom for text in scene.texts())


def test_emotion_curve_never_overshoots() -> None:
    points = [(0.0, 0.0), (1.0, 2.0), (2.0, 2.0), (3.0, -2.0), (4.0, -1.0)]
    slopes = monotone_slopes(points)
    assert slopes[1] == 0 and slopes[2] == 0  # flat at the plateau and at the turning point
    for (x0, y0), (x1, y1), m0, m1 in zip(points, points[1:], slopes, slopes[1:], strict=False):
        third = (x1 - x0) / 3
        for control in (y0 + m0 * third, y1 - m1 * third):
            assert min(y0, y1) - EPSILON <= control <= max(y0, y1) + EPSILON
