"""Checks that need the whole flow: unique step ids, branch targets that exist and point forward,
and no step that a run can never reach.

Like the map rules they run over plain data, so a file with type errors elsewhere still gets every
one of these problems reported in the same run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from journeykit.errors import suggestion
from journeykit.maps.rules import Loc, RuleProblem, duplicate_ids, format_loc, mapping_items

EXIT = "exit"
_BRANCHES: dict[str, tuple[str, ...]] = {
    "wait_for_event": ("on_event", "on_timeout"),
    "condition": ("then", "else"),
    "holdout": ("on_holdout",),
}
_LINEAR = ("wait", "send", "webhook", "update_profile")

Branch = tuple[Loc, Any]  # where the target is written (or would be), and the target or None


def check_flow_rules(data: Any) -> list[RuleProblem]:
    """Every whole-flow problem of ``data`` (a parsed flow file), in file order."""
    if not isinstance(data, Mapping):
        return []
    steps = mapping_items(data.get("steps"))
    problems = duplicate_ids("step", [(("steps", i), step) for i, step in steps])
    problems += [
        RuleProblem(
            ("steps", i, "id"),
            f"'{EXIT}' is reserved for ending a run",
            "give the step another id",
        )
        for i, step in steps
        if step.get("id") == EXIT
    ]
    for i, step in steps:
        if step.get("type") == "split":
            variants = mapping_items(step.get("variants"))
            problems += duplicate_ids(
                "variant", [(("steps", i, "variants", j), v) for j, v in variants]
            )
    position: dict[str, int] = {}
    for i, step in steps:
        if isinstance(step.get("id"), str):
            position.setdefault(step["id"], i)
    problems += _bad_targets(steps, position)
    problems += _unreachable(steps, position)
    return problems


def branches(index: int, step: Mapping[str, Any]) -> list[Branch]:
    """The ways a run leaves ``step``: (location, target id, 'exit', or None = the next step)."""
    kind = step.get("type")
    here: Loc = ("steps", index)
    if kind in _LINEAR:
        return [((*here, "next"), step.get("next"))]
    if kind == "holdout":
        return [((*here, "on_holdout"), step.get("on_holdout", EXIT)), ((*here,), None)]
    if kind == "split":
        return [
            ((*here, "variants", j, "next"), variant.get("next"))
            for j, variant in mapping_items(step.get("variants"))
        ]
    if kind in _BRANCHES:
        return [((*here, key), step.get(key)) for key in _BRANCHES[str(kind)]]
    return [(here, None)]  # an unknown type (the models report it): assume the run goes on


def _bad_targets(
    steps: list[tuple[int, Mapping[str, Any]]], position: dict[str, int]
) -> list[RuleProblem]:
    known = list(position)
    problems = []
    for index, step in steps:
        for loc, target in branches(index, step):
            if not isinstance(target, str) or target == EXIT:
                continue
            if target not in position:
                hint = suggestion(target, [*known, EXIT])
                problems.append(RuleProblem(loc, f"no step has the id '{target}'", hint))
            elif position[target] <= index:
                problems.append(
                    RuleProblem(
                        loc,
                        f"'{target}' is not after this step (it is {_at(position[target])})",
                        "jumps only go forward so that every run ends: move the target step "
                        "further down, or repeat the steps you need",
                    )
                )
    return problems


def _at(index: int) -> str:
    return format_loc(("steps", index))


def successors(
    index: int, step: Mapping[str, Any], position: dict[str, int], count: int
) -> list[int]:
    """Positions a run can go to from ``step``; ``count`` (past the end) means the run ends."""
    found = []
    for _, target in branches(index, step):
        if target == EXIT:
            found.append(count)
        elif isinstance(target, str) and position.get(target, -1) > index:
            found.append(position[target])
        else:  # no target, or a bad one (reported on its own): the run goes on
            found.append(index + 1)
    return found


def _unreachable(
    steps: list[tuple[int, Mapping[str, Any]]], position: dict[str, int]
) -> list[RuleProblem]:
    if not steps:
        return []
    by_index = dict(steps)
    count = max(by_index) + 1
    seen = {0}
    pending = [0]
    while pending:
        current = pending.pop()
        step = by_index.get(current)
        if step is None:
            if current < count:  # not a mapping: the models report it; assume it falls through
                next_index = current + 1
                if next_index not in seen:
                    seen.add(next_index)
                    pending.append(next_index)
            continue
        for following in successors(current, step, position, count):
            if following not in seen:
                seen.add(following)
                pending.append(following)
    return [
        RuleProblem(
            ("steps", index, "id"),
            f"step '{step.get('id')}' can never be reached: every step before it jumps past it",
            "point a branch at it ('next', 'then', 'on_timeout', …) or remove the step",
        )
        for index, step in steps
        if index not in seen
    ]
