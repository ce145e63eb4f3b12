"""The journey map: pydantic models for the YAML format (stages × lanes, one persona a map).

A map file is validated in two passes: these models check shapes, types and ranges; ``rules`` checks
what needs the whole map (unique ids, references, stage order). Both report every problem at once.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from journeykit.errors import suggestion
from journeykit.maps.kpis import METRICS, Direction, Unit
from journeykit.maps.vocab import Channel, Device, normalise_channel, normalise_device

FORMAT_VERSION = 1
ID_PATTERN = r"^[a-z0-9][a-z0-9_-]*$"
SLOT_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d(\s*[-–]\s*([01]\d|2[0-3]):[0-5]\d)?$"

Id = Annotated[
    str,
    Field(
        pattern=ID_PATTERN,
        max_length=64,
        description="Stable identifier: lower-case letters, digits, '-' and '_'.",
    ),
]
Text = Annotated[str, Field(min_length=1, max_length=2000)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
ChannelField = Annotated[Channel, BeforeValidator(normalise_channel)]
DeviceField = Annotated[Device, BeforeValidator(normalise_device)]
Scalar = str | int | float | bool


class MapType(StrEnum):
    """The four kinds of journey map."""

    CURRENT_STATE = "current-state"
    FUTURE_STATE = "future-state"
    DAY_IN_THE_LIFE = "day-in-the-life"
    SERVICE_BLUEPRINT = "service-blueprint"


class Friction(StrEnum):
    """The kind of friction a pain point causes."""

    INTERACTION = "interaction"
    EMOTIONAL = "emotional"
    COGNITIVE = "cognitive"


class OpportunityStatus(StrEnum):
    """Where an opportunity stands."""

    IDEA = "idea"
    PLANNED = "planned"
    IN_PROGRESS = "in-progress"
    DONE = "done"


class Comparison(StrEnum):
    """How a KPI's actual value is held against its target."""

    AT_LEAST = "at-least"
    AT_MOST = "at-most"


class Operator(StrEnum):
    """Predicates a condition applies to an event property or a profile trait."""

    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    CONTAINS = "contains"
    REGEX = "regex"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EXISTS = "exists"


_NUMERIC_OPERATORS = {Operator.GT, Operator.GTE, Operator.LT, Operator.LTE}
_LIST_OPERATORS = {Operator.IN, Operator.NOT_IN}


class Strict(BaseModel):
    """Base of every map model: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Condition(Strict):
    """One predicate over an event property or a profile trait, e.g. ``path contains /checkout``."""

    property: Name = Field(description="Dotted path of the property or trait, e.g. 'path'.")
    op: Operator = Field(default=Operator.EQ, description="The comparison to apply.")
    value: Scalar | list[Scalar] | None = Field(
        default=None, description="What to compare with; a list for 'in'/'not_in'."
    )

    @model_validator(mode="after")
    def _value_fits_operator(self) -> Condition:
        op, value = self.op, self.value
        if op is Operator.EXISTS:
            return self
        if value is None:
            raise PydanticCustomError(
                "condition_value",
                "operator '{op}' needs a value — add 'value: …'",
                {"op": op.value},
            )
        if op in _LIST_OPERATORS and not isinstance(value, list):
            raise PydanticCustomError(
                "condition_value",
                "operator '{op}' needs a list — write 'value: [a, b]'",
                {"op": op.value},
            )
        if op in _NUMERIC_OPERATORS and (
            isinstance(value, bool) or not isinstance(value, int | float)
        ):
            raise PydanticCustomError(
                "condition_value",
                "operator '{op}' compares numbers — give a number as value",
                {"op": op.value},
            )
        if op is Operator.REGEX:
            _check_regex(value)
        return self


def _check_regex(value: object) -> None:
    try:
        re.compile(str(value))
    except re.error as error:
        raise PydanticCustomError(
            "condition_value",
            "regular expression does not compile ({reason}) — put a backslash before special "
            "characters such as ( [ . +",
            {"reason": str(error)},
        ) from None


class MatchRule(Strict):
    """Which events count as a touchpoint; every part given must hold (evaluated by journeys)."""

    event: Name | list[Name] | None = Field(default=None, description="Event name(s).")
    channel: ChannelField | list[ChannelField] | None = Field(default=None)
    device: DeviceField | list[DeviceField] | None = Field(default=None)
    where: list[Condition] = Field(default_factory=list, description="Property predicates.")

    @model_validator(mode="after")
    def _not_empty(self) -> MatchRule:
        if self.event is None and self.channel is None and self.device is None and not self.where:
            raise PydanticCustomError(
                "empty_match",
                "a match rule needs at least one of 'event', 'channel', 'device' or 'where' — "
                "or remove 'match' for a touchpoint without data",
            )
        return self


class EventCondition(Strict):
    """Behaviour in a segment: the customer did ``event`` at least ``min_count`` times."""

    event: Name
    min_count: int = Field(default=1, ge=1)
    within_days: int | None = Field(default=None, ge=1)


class SegmentRule(Strict):
    """Who belongs to a persona, by traits and behaviour; evaluated by later issues."""

    combine: Literal["all", "any"] = Field(default="all")
    traits: list[Condition] = Field(default_factory=list)
    events: list[EventCondition] = Field(default_factory=list)


class Persona(Strict):
    """The one customer type a map is drawn for."""

    name: Name
    description: Text | None = None
    quote: Text | None = Field(default=None, description="A sentence in the persona's own words.")
    demographics: dict[Name, Scalar] = Field(default_factory=dict)
    goals: list[Text] = Field(default_factory=list)
    frustrations: list[Text] = Field(default_factory=list)
    preferred_channels: list[ChannelField] = Field(default_factory=list)
    segment: SegmentRule | None = None


class Emotion(Strict):
    """How the customer feels in a stage: planned on −2..+2, measured from survey data later."""

    planned: int = Field(ge=-2, le=2, description="−2 very negative … +2 very positive.")
    label: Name | None = None
    measured: float | None = Field(default=None, ge=-2, le=2)


class PainPoint(Strict):
    """Friction in a stage, typed and rated, with the evidence behind it."""

    id: Id
    description: Text
    friction: Friction
    severity: int = Field(ge=1, le=5, description="1 minor … 5 blocks the journey.")
    evidence: Text | None = None
    touchpoint: Id | None = Field(default=None, description="Touchpoint where it happens.")


class Opportunity(Strict):
    """An improvement, linked to the pain points it addresses."""

    id: Id
    description: Text
    addresses: list[Id] = Field(default_factory=list, description="Pain point ids.")
    owner: Name | None = None
    status: OpportunityStatus = OpportunityStatus.IDEA


class Kpi(Strict):
    """A catalog metric with a target for this stage."""

    metric: Name = Field(description="Metric id from the KPI catalog (`journeykit map kpis`).")
    target: int | float
    comparison: Comparison | None = Field(
        default=None, description="Defaults to the metric's direction."
    )

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, value: str) -> str:
        if value not in METRICS:
            raise PydanticCustomError(
                "unknown_metric",
                "'{value}' is not in the KPI catalog — {hint} (see `journeykit map kpis`)",
                {"value": value, "hint": suggestion(value, METRICS, list_all=False)},
            )
        return value

    @field_validator("target")
    @classmethod
    def _target_in_unit(cls, value: float, info: ValidationInfo) -> float:
        known = METRICS.get(str(info.data.get("metric")))
        if known is not None and known.unit is Unit.RATIO and not 0 <= value <= 1:
            raise PydanticCustomError(
                "ratio_target",
                "target {target} is outside 0..1 — ratios are fractions: "
                "write {fraction} for {target} %",
                {"target": value, "fraction": round(value / 100, 6)},
            )
        return value

    def effective_comparison(self) -> Comparison:
        """The comparison to apply: the explicit one, else what the metric's direction implies."""
        if self.comparison is not None:
            return self.comparison
        direction = METRICS[self.metric].direction
        return (
            Comparison.AT_LEAST if direction is Direction.HIGHER_IS_BETTER else Comparison.AT_MOST
        )


class Stage(Strict):
    """One column of the map with its lanes."""

    id: Id
    name: Name
    order: int | None = Field(default=None, description="Sort key; defaults to list position.")
    slot: str | None = Field(
        default=None,
        pattern=SLOT_PATTERN,
        description="Time of day for day-in-the-life maps, 'HH:MM' or 'HH:MM-HH:MM'.",
    )
    description: Text | None = None
    goals: list[Text] = Field(default_factory=list)
    actions: list[Text] = Field(default_factory=list)
    thoughts: list[Text] = Field(default_factory=list)
    emotion: Emotion | None = None
    pain_points: list[PainPoint] = Field(default_factory=list)
    opportunities: list[Opportunity] = Field(default_factory=list)
    kpis: list[Kpi] = Field(default_factory=list)
    frontstage: list[Text] = Field(default_factory=list, description="Service blueprint lane.")
    backstage: list[Text] = Field(default_factory=list, description="Service blueprint lane.")
    support: list[Text] = Field(default_factory=list, description="Service blueprint lane.")


class Touchpoint(Strict):
    """A point of contact in one stage; its match rule ties it to events."""

    id: Id
    stage: Id = Field(description="Id of the stage it belongs to.")
    name: Name
    channel: ChannelField
    device: DeviceField | None = None
    description: Text | None = None
    match: MatchRule | None = None


class JourneyMap(Strict):
    """A journey map file: one persona, ordered stages, touchpoints, and the lanes per stage."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        title="journeykit journey map",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    format: Literal[1] = Field(default=1, description="Version of the file format.")
    id: Id
    title: Name
    type: MapType = MapType.CURRENT_STATE
    language: Literal["de", "en"] = Field(default="de", description="Language of labels.")
    description: Text | None = None
    owner: Name | None = None
    based_on: Id | None = Field(default=None, description="Id of the map this one evolves from.")
    persona: Persona
    stages: list[Stage] = Field(min_length=1)
    touchpoints: list[Touchpoint] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> JourneyMap:
        if info.context and info.context.get("skip_rules"):
            return self
        from journeykit.maps.rules import check_rules

        problems = check_rules(self.model_dump(mode="json"))
        if problems:
            raise ValueError("; ".join(f"{p.field}: {p.message}" for p in problems))
        return self

    def ordered_stages(self) -> list[Stage]:
        """Stages in display order: by ``order`` where given, else by position (stable)."""
        positions = {id(stage): index for index, stage in enumerate(self.stages)}
        return sorted(
            self.stages,
            key=lambda stage: (
                stage.order if stage.order is not None else positions[id(stage)],
                positions[id(stage)],
            ),
        )

    def touchpoints_of(self, stage_id: str) -> list[Touchpoint]:
        """The touchpoints that belong to a stage, in file order."""
        return [touchpoint for touchpoint in self.touchpoints if touchpoint.stage == stage_id]

    def to_data(self) -> dict[str, Any]:
        """The canonical plain-data form written to YAML (defaults left out)."""
        body = self.model_dump(mode="json", exclude_defaults=True, exclude={"format"})
        return {"format": FORMAT_VERSION, **body}
