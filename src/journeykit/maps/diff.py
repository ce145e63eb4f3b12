"""What changed between two maps, stage by stage (e.g. current state → future state).

Items are compared by id where they have one (stages, touchpoints, pain points, opportunities) and
by text where they do not (goals, actions, thoughts); a KPI is compared by metric.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journeykit.maps.model import JourneyMap, Stage


@dataclass(frozen=True)
class Change:
    """One difference: ``kind`` is 'added', 'removed' or 'changed'."""

    stage: str | None
    lane: str
    kind: str
    item: str
    before: Any = None
    after: Any = None

    def line(self) -> str:
        sign = {"added": "+", "removed": "-", "changed": "~"}[self.kind]
        where = f"[{self.stage}] " if self.stage else ""
        detail = f": {self.before!r} → {self.after!r}" if self.kind == "changed" else ""
        return f"{sign} {where}{self.lane}: {self.item}{detail}"


@dataclass
class MapDiff:
    """All changes from map ``a`` to map ``b`` in stage order."""

    a: str
    b: str
    changes: list[Change] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not self.changes

    def lines(self) -> list[str]:
        return [f"--- {self.a}", f"+++ {self.b}", *(change.line() for change in self.changes)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a,
            "b": self.b,
            "changes": [
                {
                    "stage": c.stage,
                    "lane": c.lane,
                    "kind": c.kind,
                    "item": c.item,
                    "before": c.before,
                    "after": c.after,
                }
                for c in self.changes
            ],
        }


_TEXT_LANES = ("goals", "actions", "thoughts", "frontstage", "backstage", "support")
_ID_LANES = ("pain_points", "opportunities")


def diff_maps(a: JourneyMap, b: JourneyMap) -> MapDiff:
    """The changes that turn map ``a`` into map ``b``."""
    result = MapDiff(a.id, b.id)
    result.changes += _compare_fields(None, "map", "", a, b, ("title", "type", "description"))
    result.changes += _compare_fields(
        None, "persona", "", a.persona, b.persona, ("name", "description")
    )
    stages_a = {stage.id: stage for stage in a.ordered_stages()}
    stages_b = {stage.id: stage for stage in b.ordered_stages()}
    for stage_id in _union(list(stages_a), list(stages_b)):
        before, after = stages_a.get(stage_id), stages_b.get(stage_id)
        if before is None and after is not None:
            result.changes.append(Change(stage_id, "stage", "added", after.name))
        elif after is None and before is not None:
            result.changes.append(Change(stage_id, "stage", "removed", before.name))
        elif before is not None and after is not None:
            result.changes += _stage_changes(before, after)
            result.changes += _touchpoint_changes(stage_id, a, b)
    return result


def _stage_changes(a: Stage, b: Stage) -> list[Change]:
    changes = _compare_fields(a.id, "stage", a.id, a, b, ("name", "slot", "description"))
    for lane in _TEXT_LANES:
        old, new = getattr(a, lane), getattr(b, lane)
        changes += [Change(a.id, lane, "removed", text) for text in old if text not in new]
        changes += [Change(a.id, lane, "added", text) for text in new if text not in old]
    old_emotion = a.emotion.planned if a.emotion else None
    new_emotion = b.emotion.planned if b.emotion else None
    if old_emotion != new_emotion:
        changes.append(Change(a.id, "emotion", "changed", "planned", old_emotion, new_emotion))
    for lane in _ID_LANES:
        changes += _by_key(a.id, lane, getattr(a, lane), getattr(b, lane), "id", "description")
    changes += _by_key(a.id, "kpis", a.kpis, b.kpis, "metric", "metric")
    return changes


def _touchpoint_changes(stage_id: str, a: JourneyMap, b: JourneyMap) -> list[Change]:
    return _by_key(
        stage_id,
        "touchpoints",
        a.touchpoints_of(stage_id),
        b.touchpoints_of(stage_id),
        "id",
        "name",
    )


def _by_key(
    stage: str, lane: str, old: list[Any], new: list[Any], key: str, label: str
) -> list[Change]:
    before = {getattr(item, key): item for item in old}
    after = {getattr(item, key): item for item in new}
    changes = []
    for item_key in _union(list(before), list(after)):
        if item_key not in after:
            changes.append(Change(stage, lane, "removed", getattr(before[item_key], label)))
        elif item_key not in before:
            changes.append(Change(stage, lane, "added", getattr(after[item_key], label)))
        else:
            old_data = before[item_key].model_dump(mode="json")
            new_data = after[item_key].model_dump(mode="json")
            for name in old_data:
                if old_data[name] != new_data[name]:
                    changes.append(
                        Change(
                            stage,
                            lane,
                            "changed",
                            f"{item_key}.{name}",
                            old_data[name],
                            new_data[name],
                        )
                    )
    return changes


def _compare_fields(
    stage: str | None, lane: str, prefix: str, a: Any, b: Any, names: tuple[str, ...]
) -> list[Change]:
    changes = []
    for name in names:
        old, new = getattr(a, name), getattr(b, name)
        if old != new:
            item = f"{prefix}.{name}" if prefix else name
            changes.append(Change(stage, lane, "changed", item, _plain(old), _plain(new)))
    return changes


def _plain(value: Any) -> Any:
    return getattr(value, "value", value)


def _union(first: list[str], second: list[str]) -> list[str]:
    return first + [item for item in second if item not in first]
