"""Checks that need the whole map: unique ids, references between lanes, stage order, slots.

They run over plain data, not models, so they still report when other parts of the file have type
errors: a user sees every problem of a file in one run.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from journeykit.errors import suggestion

Loc = tuple[str | int, ...]


@dataclass(frozen=True)
class RuleProblem:
    """A problem found by a whole-map rule, located by its path in the data."""

    loc: Loc
    message: str
    hint: str | None = None

    @property
    def field(self) -> str:
        return format_loc(self.loc)


def format_loc(loc: Loc) -> str:
    """``('stages', 2, 'name')`` → ``stages[2].name``."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def check_rules(data: Any) -> list[RuleProblem]:
    """Every whole-map problem of ``data`` (a parsed map file), in file order."""
    if not isinstance(data, Mapping):
        return []
    stages = mapping_items(data.get("stages"))
    touchpoints = mapping_items(data.get("touchpoints"))
    pain_points = list(_nested(stages, "pain_points"))
    opportunities = list(_nested(stages, "opportunities"))
    problems: list[RuleProblem] = []
    problems += duplicate_ids("stage", [(("stages", i), s) for i, s in stages])
    problems += duplicate_ids("touchpoint", [(("touchpoints", i), t) for i, t in touchpoints])
    problems += duplicate_ids("pain point", pain_points)
    problems += duplicate_ids("opportunity", opportunities)
    stage_ids = [str(s["id"]) for _, s in stages if "id" in s]
    touchpoint_ids = [str(t["id"]) for _, t in touchpoints if "id" in t]
    pain_point_ids = [str(p["id"]) for _, p in pain_points if "id" in p]
    problems += references(
        [(("touchpoints", i, "stage"), t.get("stage")) for i, t in touchpoints],
        stage_ids,
        "stage",
    )
    problems += references(
        [((*loc, "touchpoint"), p.get("touchpoint")) for loc, p in pain_points],
        touchpoint_ids,
        "touchpoint",
    )
    problems += references(
        [
            ((*loc, "addresses", j), ref)
            for loc, o in opportunities
            for j, ref in enumerate(_list(o.get("addresses")))
        ],
        pain_point_ids,
        "pain point",
    )
    problems += _duplicate_orders(stages)
    if data.get("type") == "day-in-the-life":
        problems += _missing_slots(stages)
    return problems


def mapping_items(value: Any) -> list[tuple[int, Mapping[str, Any]]]:
    """The mapping items of a list with their positions; anything else is the models' business."""
    if not isinstance(value, Sequence) or isinstance(value, str):
        return []
    return [(index, item) for index, item in enumerate(value) if isinstance(item, Mapping)]


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str) else []


def _nested(
    stages: list[tuple[int, Mapping[str, Any]]], lane: str
) -> Iterator[tuple[Loc, Mapping[str, Any]]]:
    for stage_index, stage in stages:
        for item_index, item in mapping_items(stage.get(lane)):
            yield ("stages", stage_index, lane, item_index), item


def duplicate_ids(kind: str, items: list[tuple[Loc, Mapping[str, Any]]]) -> list[RuleProblem]:
    first: dict[str, Loc] = {}
    problems = []
    for loc, item in items:
        identifier = item.get("id")
        if not isinstance(identifier, str):
            continue
        if identifier in first:
            problems.append(
                RuleProblem(
                    (*loc, "id"),
                    f"duplicate {kind} id '{identifier}' "
                    f"(first used at {format_loc(first[identifier])})",
                    f"give each {kind} its own id",
                )
            )
        else:
            first[identifier] = loc
    return problems


def references(refs: list[tuple[Loc, Any]], known: list[str], kind: str) -> list[RuleProblem]:
    problems = []
    for loc, ref in refs:
        if ref is None or not isinstance(ref, str) or ref in known:
            continue
        hint = suggestion(ref, known) if known else f"add a {kind} with this id first"
        problems.append(RuleProblem(loc, f"no {kind} has the id '{ref}'", hint))
    return problems


def _duplicate_orders(stages: list[tuple[int, Mapping[str, Any]]]) -> list[RuleProblem]:
    first: dict[int, int] = {}
    problems = []
    for index, stage in stages:
        order = stage.get("order")
        if not isinstance(order, int) or isinstance(order, bool):
            continue
        if order in first:
            problems.append(
                RuleProblem(
                    ("stages", index, "order"),
                    f"order {order} is already used by stages[{first[order]}]",
                    "give each stage a different order, or leave 'order' out to keep file order",
                )
            )
        else:
            first[order] = index
    return problems


def _missing_slots(stages: list[tuple[int, Mapping[str, Any]]]) -> list[RuleProblem]:
    return [
        RuleProblem(
            ("stages", index),
            "a day-in-the-life map needs a time slot for every stage",
            "add e.g. 'slot: 07:30-08:00'",
        )
        for index, stage in stages
        if stage.get("slot") is None
    ]
