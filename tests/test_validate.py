"""Map validation: every problem at once, located, with a fix; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeykit.maps.validate import MapInvalid, validate_map_file, validate_map_text

MAPS = Path(__file__).parent / "fixtures" / "maps"

MINIMAL = """\
format: 1
id: m
title: M
persona:
  name: P
stages:
  - id: s1
    name: S1
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(MapInvalid) as caught:
        validate_map_text(text, "m.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_ten_mistakes_are_all_named_with_lines(golden) -> None:  # type: ignore[no-untyped-def]
    path = MAPS / "ten_mistakes.yaml"
    with pytest.raises(MapInvalid) as caught:
        validate_map_file(path)
    problems = caught.value.problems
    assert len(problems) == 10
    assert all(problem.line is not None and problem.column is not None for problem in problems)
    text = "\n".join(str(problem).replace(str(path), "ten_mistakes.yaml") for problem in problems)
    golden("validate_ten_mistakes.txt", text + "\n")


def test_valid_file_loads() -> None:
    journey_map = validate_map_file(MAPS / "valid_commented.yaml")
    assert journey_map.touchpoints[0].channel == "email"  # alias "E-Mail" normalised
    assert [stage.id for stage in journey_map.ordered_stages()] == ["awareness", "purchase"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "m.yaml:1:1: the map is empty — start from `journeykit map new NAME`"),
        ("- a\n- b\n", "a map file must be a YAML mapping"),
        (MINIMAL + "titel: x\n", "m.yaml:9:1: titel: unknown key 'titel' — did you mean 'title'?"),
        (
            MINIMAL.replace("stages:\n  - id: s1\n    name: S1\n", "stages: []\n"),
            "stages: the map has no stages — add at least one stage under 'stages:'",
        ),
        (
            MINIMAL + "  - id: s1\n    name: again\n",
            "m.yaml:9:5: stages[1].id: duplicate stage id 's1' (first used at stages[0])",
        ),
        (
            MINIMAL.replace("id: m\n", "id: m\nid: n\n"),
            'm.yaml:3:1: YAML syntax error: duplicate key "id" — remove or rename one',
        ),
        (
            MINIMAL + "  - id: s2\n   name: bad indent\n",
            "m.yaml:10:4: YAML syntax error: did not find expected",
        ),
        (
            MINIMAL.replace("type", "x") + "type: day-in-the-life\n",
            "stages[0]: a day-in-the-life map needs a time slot for every stage — add e.g.",
        ),
        (MINIMAL + "    slot: '25:00'\n", "stages[0].slot: '25:00' is not a time of day"),
        (
            MINIMAL + "    emotion: {planned: high}\n",
            "stages[0].emotion.planned: 'high' is not a whole number — write a number such as 3",
        ),
        (MINIMAL + "    goals: Sparen\n", "stages[0].goals: must be a list"),
    ],
)
def test_problem_messages(text: str, expected: str) -> None:
    found = problems_of(text)
    assert any(expected in problem for problem in found), found


def test_kpi_ratio_target_suggests_fraction() -> None:
    text = MINIMAL + "    kpis:\n      - metric: conversion_rate\n        target: 3\n"
    assert problems_of(text) == [
        "m.yaml:11:9: stages[0].kpis[0].target: target 3 is outside 0..1 — "
        "ratios are fractions: write 0.03 for 3 %"
    ]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("{property: path, op: regex, value: '(a'}", "regular expression does not compile"),
        ("{property: path, op: in, value: a}", "operator 'in' needs a list"),
        ("{property: price, op: gt, value: viel}", "operator 'gt' compares numbers"),
        ("{property: path, op: eq}", "operator 'eq' needs a value"),
        ("{property: path, op: like, value: a}", "'like' is not a valid op — use one of"),
    ],
)
def test_match_conditions_are_checked(condition: str, expected: str) -> None:
    text = (
        MINIMAL
        + "touchpoints:\n  - id: t\n    stage: s1\n    name: T\n    channel: web\n"
        + f"    match:\n      where:\n        - {condition}\n"
    )
    found = problems_of(text)
    assert any(expected in problem for problem in found), found
    assert all("touchpoints[0].match.where[0]" in problem for problem in found), found


def test_empty_match_rule_is_an_error() -> None:
    text = MINIMAL + "touchpoints:\n  - {id: t, stage: s1, name: T, channel: web, match: {}}\n"
    assert any("a match rule needs at least one of" in p for p in problems_of(text))


def test_references_suggest_close_ids() -> None:
    text = (
        MINIMAL
        + "    pain_points:\n      - {id: slow-page, description: d, friction: interaction,"
        + " severity: 2, touchpoint: chekout}\n"
        + "touchpoints:\n  - {id: checkout, stage: s1, name: Kasse, channel: web}\n"
    )
    assert problems_of(text) == [
        "m.yaml:10:77: stages[0].pain_points[0].touchpoint: no touchpoint has the id 'chekout'"
        " — did you mean 'checkout'?"
    ]


def test_programmatic_models_enforce_rules_too() -> None:
    from pydantic import ValidationError

    from journeykit.maps.model import JourneyMap

    data = {
        "id": "m",
        "title": "M",
        "persona": {"name": "P"},
        "stages": [{"id": "s", "name": "S"}],
        "touchpoints": [{"id": "t", "stage": "x", "name": "T", "channel": "web"}],
    }
    with pytest.raises(ValidationError, match="no stage has the id 'x'"):
        JourneyMap.model_validate(data)


def test_unreadable_files_say_how_to_fix(tmp_path: Path) -> None:
    from journeykit.errors import FileProblem

    with pytest.raises(FileProblem, match="no such file — check the path"):
        validate_map_file(tmp_path / "missing.yaml")
    latin1 = tmp_path / "latin1.yaml"
    latin1.write_bytes("title: Übersicht\n".encode("latin-1"))
    with pytest.raises(FileProblem, match=r"not UTF-8 text .* save the file as UTF-8"):
        validate_map_file(latin1)
