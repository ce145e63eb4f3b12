"""Property tests: valid maps round-trip YAML → model → YAML; mutated files never crash."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.maps import yamlio
from journeykit.maps.examples import example_map
from journeykit.maps.io import format_map_text, map_to_yaml
from journeykit.maps.kpis import CATALOG, Unit
from journeykit.maps.model import Friction, JourneyMap, MapType, Operator, OpportunityStatus
from journeykit.maps.presets import Preset
from journeykit.maps.validate import MapInvalid, validate_map_text
from journeykit.maps.vocab import Channel, Device

MAPS = Path(__file__).parent / "fixtures" / "maps"

# Text users type: letters with umlauts, digits, YAML-significant punctuation, emoji.
_ALPHABET = st.characters(
    codec="utf-8",
    exclude_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"),
    exclude_characters="\x85",
)
text = st.text(_ALPHABET, min_size=1, max_size=40).filter(lambda s: s.strip() == s and s != "")
ident = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,11}", fullmatch=True)
scalar = st.one_of(text, st.integers(-(10**6), 10**6), st.booleans())


def unique_ids(count: int) -> st.SearchStrategy[list[str]]:
    return st.lists(ident, min_size=count, max_size=count, unique=True)


@st.composite
def kpis(draw: st.DrawFn) -> dict[str, Any]:
    metric = draw(st.sampled_from(CATALOG))
    # Targets people set: up to four decimals (ruamel garbles exotic exponents like 1e-57 on
    # round trip; no KPI target looks like that).
    if metric.unit is Unit.RATIO:
        target: float = draw(st.integers(0, 10_000)) / 10_000
    else:
        target = draw(
            st.one_of(st.integers(0, 10**6), st.integers(0, 10**10).map(lambda n: n / 10_000))
        )
    return {"metric": metric.id, "target": target}


@st.composite
def maps(draw: st.DrawFn) -> dict[str, Any]:
    """Valid map data: unique ids and references that resolve."""
    map_type = draw(st.sampled_from(MapType))
    stage_ids = draw(unique_ids(draw(st.integers(1, 4))))
    touchpoint_ids = draw(unique_ids(draw(st.integers(0, 4))))
    pain_ids = draw(unique_ids(draw(st.integers(0, 3))))
    stages: list[dict[str, Any]] = [{"id": stage_id, "name": draw(text)} for stage_id in stage_ids]
    for stage in stages:
        if map_type is MapType.DAY_IN_THE_LIFE:
            stage["slot"] = draw(st.from_regex(r"(0\d|1\d|2[0-3]):[0-5]\d", fullmatch=True))
        for lane in ("goals", "actions", "thoughts"):
            if draw(st.booleans()):
                stage[lane] = draw(st.lists(text, min_size=1, max_size=3))
        if draw(st.booleans()):
            stage["emotion"] = {"planned": draw(st.integers(-2, 2))}
        if draw(st.booleans()):
            stage["kpis"] = draw(st.lists(kpis(), min_size=1, max_size=2))
    for pain_id in pain_ids:
        stage = draw(st.sampled_from(stages))
        pain: dict[str, Any] = {
            "id": pain_id,
            "description": draw(text),
            "friction": draw(st.sampled_from(Friction)).value,
            "severity": draw(st.integers(1, 5)),
        }
        stage.setdefault("pain_points", []).append(pain)
        if draw(st.booleans()):
            stage.setdefault("opportunities", []).append(
                {
                    "id": f"opp-{pain_id}",
                    "description": draw(text),
                    "addresses": [pain_id],
                    "status": draw(st.sampled_from(OpportunityStatus)).value,
                }
            )
    touchpoints = [
        {
            "id": tp_id,
            "stage": draw(st.sampled_from(stage_ids)),
            "name": draw(text),
            "channel": draw(st.sampled_from(Channel)).value,
            "device": draw(st.sampled_from(Device)).value,
            "match": {
                "event": draw(text),
                "where": [
                    {
                        "property": draw(text),
                        "op": draw(st.sampled_from([Operator.EQ, Operator.CONTAINS])).value,
                        "value": draw(scalar),
                    }
                ],
            },
        }
        for tp_id in touchpoint_ids
    ]
    persona = {
        "name": draw(text),
        "demographics": draw(st.dictionaries(text, scalar, max_size=3)),
        "preferred_channels": draw(st.lists(st.sampled_from(Channel), max_size=3)),
    }
    return {
        "format": 1,
        "id": draw(ident),
        "title": draw(text),
        "type": map_type.value,
        "persona": persona,
        "stages": stages,
        "touchpoints": touchpoints,
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(maps())
def test_valid_maps_round_trip(data: dict[str, Any]) -> None:
    journey_map = JourneyMap.model_validate(data)
    text_once = map_to_yaml(journey_map)
    reloaded = validate_map_text(text_once)
    assert reloaded == journey_map
    assert map_to_yaml(reloaded) == text_once
    assert yamlio.dump(yamlio.parse(text_once, "m.yaml")) == text_once


def test_users_comments_order_and_quotes_survive() -> None:
    text_in = (MAPS / "valid_commented.yaml").read_text(encoding="utf-8")
    assert yamlio.dump(yamlio.parse(text_in, "m.yaml")) == text_in
    assert format_map_text(text_in) == text_in


def test_fmt_reindents_but_keeps_comments() -> None:
    messy = "format: 1\nid: m   # the id\ntitle: 'M'\npersona:\n    name: P\n" + (
        "stages:\n- id: s\n  name: S\n"
    )
    formatted = format_map_text(messy)
    assert formatted == (
        "format: 1\nid: m   # the id\ntitle: 'M'\npersona:\n  name: P\n"
        "stages:\n  - id: s\n    name: S\n"
    )
    assert format_map_text(formatted) == formatted


_SEED_TEXTS = [
    (MAPS / "valid_commented.yaml").read_text(encoding="utf-8"),
    map_to_yaml(example_map(Preset.SIX_STAGE, "de")),
]


@st.composite
def mutated(draw: st.DrawFn) -> str:
    """A valid file with random edits: lines dropped, doubled, re-indented, characters typed."""
    lines = draw(st.sampled_from(_SEED_TEXTS)).splitlines(keepends=True)
    for _ in range(draw(st.integers(1, 4))):
        if not lines:
            break
        index = draw(st.integers(0, len(lines) - 1))
        action = draw(st.sampled_from(["drop", "double", "indent", "dedent", "type", "swap"]))
        if action == "drop":
            del lines[index]
        elif action == "double":
            lines.insert(index, lines[index])
        elif action == "indent":
            lines[index] = "  " + lines[index]
        elif action == "dedent":
            lines[index] = lines[index][2:] if lines[index].startswith("  ") else lines[index]
        elif action == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        else:
            line = lines[index]
            at = draw(st.integers(0, len(line)))
            typed = draw(st.text(st.sampled_from(":-[]{}'\"#&*!|>%@`,?9 xä\t"), max_size=3))
            lines[index] = line[:at] + typed + line[at:]
    return "".join(lines)


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_mutations_give_errors_never_crashes(text_in: str) -> None:
    try:
        validate_map_text(text_in, "m.yaml")
    except MapInvalid as error:
        assert error.problems
        line_count = max(1, len(text_in.splitlines()) + 1)
        for problem in error.problems:
            assert problem.message
            assert problem.line is None or 1 <= problem.line <= line_count
            assert str(problem).startswith("m.yaml")


def _plain(value: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {_plain_key(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _plain_key(key: Any) -> str:
    """A complex key (``? a: 1``) is a frozenset of pairs for one parser and a mapping for the
    other; both mean the same key."""
    pairs = key.items() if hasattr(key, "items") else key if isinstance(key, frozenset) else None
    if pairs is None:
        return str(key)
    return repr(sorted((str(name), repr(_plain(item))) for name, item in pairs))


@settings(max_examples=200, deadline=None)
@given(mutated())
def test_fast_loader_and_round_trip_parser_agree(text_in: str) -> None:
    """Validation (libyaml, YAML 1.2 rules) and fmt (ruamel) must read a file the same way."""
    from journeykit.maps import yamlload

    try:
        fast = yamlload.load(text_in, "m.yaml")
        slow = yamlio.parse(text_in, "m.yaml")
    except yamlio.YamlSyntaxError:
        return
    assert _plain(fast) == _plain(slow)


def test_yaml_12_scalars() -> None:
    from journeykit.maps import yamlload

    text_in = "a: no\nb: 07:30\nc: 010\nd: 0o10\ne: ~\nf: 1e3\ng: True\nh: 2026-11-01\n"
    assert yamlload.load(text_in, "m.yaml") == {
        "a": "no",
        "b": "07:30",
        "c": 10,
        "d": 8,
        "e": None,
        "f": 1000.0,
        "g": True,
        "h": datetime.date(2026, 11, 1),
    }
