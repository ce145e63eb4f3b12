"""The flow file: pydantic models for an automation (trigger → steps → exit goals) on one stage.

A flow is a flat list of steps with ids. A run starts at the first step and goes down the list;
a step that branches (wait_for_event, condition, split, holdout) names, per branch, the id of the
step where that branch continues, or ``exit`` to end the run. A branch left out continues with the
following step. Linear steps may jump with ``next``. Jumps only go forward, so every run ends.
Whole-flow checks (ids, references, reachability) live in ``rules``; both passes report every
problem at once, like maps.
"""

from __future__ import annotations

from datetime import time, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from journeykit.flows.durations import Duration, TimeOfDay
from journeykit.maps.model import Condition, Id, Name, Scalar, Strict, Text

FORMAT_VERSION = 1
EXIT = "exit"
ENV_NAME_PATTERN = r"^[A-Z][A-Z0-9_]*$"
URL_PATTERN = r"^https?://[^\s/$.?#][^\s]*$"

Target = Annotated[
    str,
    Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        max_length=64,
        description="Id of the step where this branch continues, or 'exit' to end the run.",
    ),
]
Locale = Literal["de", "en"]


class MessageChannel(StrEnum):
    """Channels a flow sends messages on."""

    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"


class Period(StrEnum):
    """Calendar periods of a frequency cap, counted in the recipient's local calendar."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class OnCap(StrEnum):
    """What happens to a message a cap stops: postponed to the next period, or skipped."""

    POSTPONE = "postpone"
    SKIP = "skip"


class ReentryPolicy(StrEnum):
    """Whether a customer may start the flow again."""

    NEVER = "never"
    ALWAYS = "always"
    COOLDOWN = "cooldown"


# --- triggers -------------------------------------------------------------------------------


class HistoryCondition(Strict):
    """Event history: how often the customer did ``event`` (optionally within a recent window)."""

    event: Name
    where: list[Condition] = Field(default_factory=list)
    min_count: int = Field(default=1, ge=0)
    max_count: int | None = Field(default=None, ge=0, description="0 = never did it.")
    within: Duration | None = Field(default=None, description="Only count the last … (e.g. 90d).")

    @model_validator(mode="after")
    def _range(self) -> HistoryCondition:
        if self.max_count is not None and self.max_count < self.min_count:
            raise PydanticCustomError(
                "count_range",
                "max_count {high} is below min_count {low} — no customer can match; "
                "set min_count: 0 to test that the event did not happen",
                {"high": self.max_count, "low": self.min_count},
            )
        return self


class Segment(Strict):
    """Who is in a segment: traits and event history, in the language of condition steps."""

    combine: Literal["all", "any"] = "all"
    traits: list[Condition] = Field(default_factory=list)
    events: list[HistoryCondition] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> Segment:
        if not self.traits and not self.events:
            raise PydanticCustomError(
                "segment", "a segment needs 'traits' or 'events' — add who belongs to it"
            )
        return self


class EventTrigger(Strict):
    """Start a run when the customer does ``event`` (and every ``where`` predicate holds)."""

    type: Literal["event"]
    event: Name = Field(description="Event name, e.g. 'checkout_started'.")
    where: list[Condition] = Field(default_factory=list, description="Property predicates.")


class SegmentTrigger(Strict):
    """Start a run when the customer enters a segment: its conditions become true for a customer
    for whom they were false at the previous check (checked at most every ``every``)."""

    type: Literal["segment"]
    segment: Segment
    every: Duration = Field(
        default=timedelta(minutes=15),
        description="How often the segment is checked, e.g. '15m' (at least 1m).",
        json_schema_extra={"default": "15m"},
    )

    @field_validator("every")
    @classmethod
    def _not_too_often(cls, value: timedelta) -> timedelta:
        return _check_interval(value)


class DateTrigger(Strict):
    """Start a run on a date held in a profile trait, shifted by ``offset_days`` (e.g. birthday),
    at the local time ``at`` in the customer's time zone; once a year with ``yearly``."""

    type: Literal["date"]
    property: Name = Field(description="Profile trait holding a date (YYYY-MM-DD).")
    offset_days: int = Field(default=0, ge=-365, le=365, description="-3 = three days before.")
    at: TimeOfDay = Field(default=time(9, 0), description="Local time of day to start the run.")
    yearly: bool = Field(default=True, description="Repeat every year (birthdays, anniversaries).")
    every: Duration = Field(
        default=timedelta(minutes=1),
        description="How often the dates are checked (a run starts at most this late).",
        json_schema_extra={"default": "1m"},
    )

    @field_validator("every")
    @classmethod
    def _not_too_often(cls, value: timedelta) -> timedelta:
        return _check_interval(value)


def _check_interval(every: timedelta) -> timedelta:
    if every < timedelta(minutes=1):
        raise PydanticCustomError(
            "check_interval",
            "a trigger is checked at most every minute — write 'every: 1m' or longer",
        )
    return every


Trigger = Annotated[EventTrigger | SegmentTrigger | DateTrigger, Field(discriminator="type")]


class Reentry(Strict):
    """May a customer go through the flow again: never, always, or after a cooldown."""

    policy: ReentryPolicy = ReentryPolicy.NEVER
    cooldown: Duration | None = Field(default=None, description="Needed for policy 'cooldown'.")

    @model_validator(mode="after")
    def _cooldown_fits_policy(self) -> Reentry:
        if self.policy is ReentryPolicy.COOLDOWN and self.cooldown is None:
            raise PydanticCustomError(
                "reentry", "policy 'cooldown' needs a cooldown — add e.g. 'cooldown: 30d'"
            )
        if self.policy is not ReentryPolicy.COOLDOWN and self.cooldown is not None:
            raise PydanticCustomError(
                "reentry",
                "a cooldown only applies to policy 'cooldown' — "
                "write 'policy: cooldown' or remove 'cooldown'",
            )
        return self


# --- steps ----------------------------------------------------------------------------------


class _Step(Strict):
    id: Id = Field(description="Unique in the flow; runs and reports refer to it.")
    name: Name | None = Field(default=None, description="Label shown in reports.")


class _LinearStep(_Step):
    next: Target | None = Field(default=None, description="Jump here afterwards (default: on).")


class WaitStep(_LinearStep):
    """Pause for a duration, then (if given) until the next local time of day ``until``."""

    type: Literal["wait"]
    duration: Duration | None = None
    until: TimeOfDay | None = Field(default=None, description="e.g. '09:00' recipient's time.")

    @model_validator(mode="after")
    def _something_to_wait_for(self) -> WaitStep:
        if self.duration is None and self.until is None:
            raise PydanticCustomError(
                "wait", "a wait needs 'duration' or 'until' — add e.g. 'duration: 2h'"
            )
        return self


class WaitForEventStep(_Step):
    """Wait until the customer does ``event`` or ``timeout`` passes; each branch continues."""

    type: Literal["wait_for_event"]
    event: Name
    where: list[Condition] = Field(default_factory=list)
    timeout: Duration
    on_event: Target | None = Field(default=None, description="Branch when the event came.")
    on_timeout: Target | None = Field(default=None, description="Branch when time ran out.")


class ConditionStep(_Step):
    """Branch on profile traits and event history: ``then`` when it holds, else ``else``."""

    type: Literal["condition"]
    combine: Literal["all", "any"] = "all"
    traits: list[Condition] = Field(default_factory=list)
    events: list[HistoryCondition] = Field(default_factory=list)
    then: Target | None = None
    otherwise: Target | None = Field(default=None, alias="else")

    @model_validator(mode="after")
    def _not_empty(self) -> ConditionStep:
        if not self.traits and not self.events:
            raise PydanticCustomError(
                "condition", "a condition needs 'traits' or 'events' — add what to test"
            )
        return self


class Variant(Strict):
    """One arm of a random split; ``weight`` is relative to the other arms."""

    id: Id
    weight: int = Field(default=1, ge=1, le=1000)
    next: Target | None = None


class SplitStep(_Step):
    """A/B/n test: each run goes to one variant at random, stable per customer."""

    type: Literal["split"]
    variants: list[Variant] = Field(min_length=2)


class HoldoutStep(_Step):
    """Hold ``percent`` of customers back (stable per customer) to measure this step's lift."""

    type: Literal["holdout"]
    percent: int | float = Field(gt=0, lt=100)
    on_holdout: Target = Field(default=EXIT, description="Where held-out runs go (default exit).")


class SendStep(_LinearStep):
    """Send a message rendered from a template (consent, caps and quiet hours apply)."""

    type: Literal["send"]
    channel: MessageChannel
    template: Id = Field(description="Folder in templates/ holding the per-locale files.")
    transactional: bool = Field(
        default=False, description="Order/service mail: caps and quiet hours do not apply."
    )
    topic: Id = Field(default="marketing", description="Consent topic the message needs.")


class WebhookStep(_LinearStep):
    """POST the run's profile and event to a URL, signed with the secret in ``secret_env``."""

    type: Literal["webhook"]
    url: str = Field(pattern=URL_PATTERN, max_length=2000)
    secret_env: str | None = Field(
        default=None, pattern=ENV_NAME_PATTERN, description="Environment variable with the key."
    )
    body: dict[Name, Scalar] = Field(default_factory=dict, description="Extra fixed fields.")


class UpdateProfileStep(_LinearStep):
    """Set or remove profile traits (e.g. mark the customer as asked for a review)."""

    type: Literal["update_profile"]
    set: dict[Name, Scalar] = Field(default_factory=dict)
    unset: list[Name] = Field(default_factory=list)

    @model_validator(mode="after")
    def _not_empty(self) -> UpdateProfileStep:
        if not self.set and not self.unset:
            raise PydanticCustomError(
                "update_profile", "nothing to update — add 'set:' or 'unset:'"
            )
        return self


Step = Annotated[
    WaitStep
    | WaitForEventStep
    | ConditionStep
    | SplitStep
    | HoldoutStep
    | SendStep
    | WebhookStep
    | UpdateProfileStep,
    Field(discriminator="type"),
]
STEP_TYPES = (
    "wait",
    "wait_for_event",
    "condition",
    "split",
    "holdout",
    "send",
    "webhook",
    "update_profile",
)


# --- goals and policies ---------------------------------------------------------------------


class ExitGoal(Strict):
    """Conversion: ``event`` within ``within`` of the run's start ends the run as converted."""

    event: Name
    where: list[Condition] = Field(default_factory=list)
    within: Duration


class Cap(Strict):
    """At most ``limit`` messages on ``channel`` per local ``period`` (day, week, month)."""

    channel: MessageChannel
    period: Period
    limit: int = Field(ge=0, le=1000)


class QuietHours(Strict):
    """No marketing messages between ``start`` and ``end`` (local time; may span midnight)."""

    enabled: bool = True
    start: TimeOfDay = Field(default=time(21, 0))
    end: TimeOfDay = Field(default=time(8, 0))

    @model_validator(mode="after")
    def _not_empty(self) -> QuietHours:
        if self.start == self.end:
            raise PydanticCustomError(
                "quiet_hours",
                "start and end are the same — set 'enabled: false' to turn quiet hours off",
            )
        return self


class Flow(Strict):
    """A flow file: what starts a run, the steps it takes, and what counts as converted."""

    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        title="journeykit flow",
        json_schema_extra={"$schema": "https://json-schema.org/draft/2020-12/schema"},
    )

    format: Literal[1] = Field(default=1, description="Version of the file format.")
    id: Id
    name: Name
    description: Text | None = None
    stage: Id = Field(description="Id of the map stage this flow serves, e.g. 'purchase'.")
    locales: list[Locale] = Field(
        min_length=1, description="Languages the templates exist in; the profile's locale picks."
    )
    trigger: Trigger
    reentry: Reentry = Field(default_factory=Reentry)
    steps: list[Step] = Field(min_length=1)
    goals: list[ExitGoal] = Field(default_factory=list, description="Exit goals (conversions).")
    holdout: int | float = Field(
        default=0, ge=0, lt=100, description="Percent of entrants held out of the whole flow."
    )
    caps: list[Cap] = Field(default_factory=list, description="Override the workspace caps.")
    on_cap: OnCap = Field(default=OnCap.POSTPONE, description="What a capped message does.")
    quiet_hours: QuietHours | None = Field(
        default=None, description="Override the workspace quiet hours."
    )

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Flow:
        if info.context and info.context.get("skip_rules"):
            return self
        from journeykit.flows.rules import check_flow_rules

        problems = check_flow_rules(self.to_data())
        if problems:
            raise ValueError("; ".join(f"{p.field}: {p.message}" for p in problems))
        return self

    def step(self, step_id: str) -> Any:
        """The step with this id (``KeyError`` when there is none)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def templates(self) -> list[tuple[str, MessageChannel]]:
        """(template id, channel) of every send step, in step order, without repeats."""
        seen: dict[tuple[str, MessageChannel], None] = {}
        for step in self.steps:
            if isinstance(step, SendStep):
                seen[(step.template, step.channel)] = None
        return list(seen)

    def to_data(self) -> dict[str, Any]:
        """The canonical plain-data form written to YAML (defaults left out, step types kept)."""
        body = self.model_dump(mode="json", by_alias=True, exclude_defaults=True)
        body.pop("format", None)
        body["steps"] = [
            _type_first(step.type, data)
            for step, data in zip(self.steps, body["steps"], strict=True)
        ]
        body["trigger"] = _type_first(self.trigger.type, body["trigger"])
        return {"format": FORMAT_VERSION, **body}


def _type_first(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A step or trigger as written by hand: ``id`` (if any), then ``type``, then the rest."""
    head = {"id": data["id"]} if "id" in data else {}
    return {**head, "type": kind, **data}
