"""Flow models: durations and times of day, step and trigger shapes, canonical form, schema."""

from __future__ import annotations

import json
from datetime import time, timedelta
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError
from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.flows.durations import format_duration, parse_duration, parse_time_of_day
from journeykit.flows.model import (
    ConditionStep,
    DateTrigger,
    Flow,
    QuietHours,
    Reentry,
    SendStep,
    WaitStep,
)
from journeykit.flows.schema import flow_json_schema
from journeykit.flows.validate import validate_flow_file

FLOWS = Path(__file__).parent / "fixtures" / "flows"
SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "schema" / "flow.schema.json"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(days=7)),
        ("1d12h", timedelta(days=1, hours=12)),
        (" 90 s ", timedelta(seconds=90)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["2 hours", "h", "", "1.5h", "-2h", "2x"])
def test_bad_durations_say_how_to_write_one(text: str) -> None:
    with pytest.raises(ValueError, match=r"is not a duration — write 2h, 30m, 3d"):
        parse_duration(text)


def test_zero_and_numbers_are_not_durations() -> None:
    with pytest.raises(ValueError, match="is zero"):
        parse_duration("0h")
    with pytest.raises(ValueError, match=r"'3' is not a duration"):
        parse_duration(3)


@given(st.integers(min_value=1, max_value=10**8))
def test_duration_short_form_round_trips(seconds: int) -> None:
    value = timedelta(seconds=seconds)
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize(("text", "expected"), [("09:00", time(9)), ("7:05", time(7, 5))])
def test_time_of_day(text: str, expected: time) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9", "09:60", "9 Uhr"])
def test_bad_time_of_day(text: str) -> None:
    with pytest.raises(ValueError, match="is not a time of day — write HH:MM"):
        parse_time_of_day(text)


def test_wait_needs_duration_or_until() -> None:
    with pytest.raises(ValidationError, match="a wait needs 'duration' or 'until'"):
        WaitStep.model_validate({"id": "w", "type": "wait"})
    step = WaitStep.model_validate({"id": "w", "type": "wait", "until": "09:00"})
    assert step.until == time(9)


def test_condition_uses_then_and_else_keys() -> None:
    step = ConditionStep.model_validate(
        {
            "id": "c",
            "type": "condition",
            "traits": [{"property": "x", "op": "exists"}],
            "else": "exit",
        }
    )
    assert step.otherwise == "exit"
    assert step.model_dump(by_alias=True)["else"] == "exit"
    with pytest.raises(ValidationError, match="needs 'traits' or 'events'"):
        ConditionStep.model_validate({"id": "c", "type": "condition"})


def test_reentry_cooldown_belongs_to_its_policy() -> None:
    assert Reentry.model_validate({"policy": "cooldown", "cooldown": "30d"}).cooldown == timedelta(
        days=30
    )
    with pytest.raises(ValidationError, match="needs a cooldown"):
        Reentry.model_validate({"policy": "cooldown"})
    with pytest.raises(ValidationError, match="only applies to policy 'cooldown'"):
        Reentry.model_validate({"policy": "never", "cooldown": "1d"})


def test_defaults_are_real_values() -> None:
    assert DateTrigger.model_validate({"type": "date", "property": "birthday"}).at == time(9)
    quiet = QuietHours()
    assert (quiet.start, quiet.end) == (time(21), time(8))
    with pytest.raises(ValidationError, match="start and end are the same"):
        QuietHours(start=time(8), end=time(8))
    send = SendStep.model_validate({"id": "s", "type": "send", "channel": "email", "template": "t"})
    assert (send.transactional, send.topic) == (False, "marketing")


def test_canonical_form_round_trips_and_puts_type_after_id() -> None:
    flow = validate_flow_file(FLOWS / "valid_commented.yaml").flow
    data = flow.to_data()
    assert list(data["steps"][5])[:2] == ["id", "type"]
    assert data["reentry"] == {"policy": "cooldown", "cooldown": "7d"}
    assert data["steps"][0]["duration"] == "1d12h"
    assert Flow.model_validate(data) == flow
    assert flow.templates() == [("cart-reminder", "email"), ("cart-sms", "sms")]
    assert flow.step("hook").url == "https://crm.example.com/hooks/cart"


def test_model_validation_alone_applies_the_whole_flow_rules() -> None:
    data = validate_flow_file(FLOWS / "valid_commented.yaml").flow.to_data()
    data["steps"][1]["id"] = "pause"
    with pytest.raises(ValidationError, match="duplicate step id 'pause'"):
        Flow.model_validate(data)


def test_schema_file_is_current_and_accepts_the_models_output() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == flow_json_schema(), "docs/schema/flow.schema.json is stale"
    validator = jsonschema.Draft202012Validator(flow_json_schema())
    data = validate_flow_file(FLOWS / "valid_commented.yaml").flow.to_data()
    assert not list(validator.iter_errors(data))
    data["steps"][0]["duraton"] = "2h"
    assert list(validator.iter_errors(data))


def test_cli_prints_the_schema() -> None:
    result = CliRunner().invoke(app, ["flows", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == flow_json_schema()


def test_flow_overrides_replace_single_workspace_caps() -> None:
    from journeykit.flows.model import Cap, OnCap
    from journeykit.flows.settings import FlowsSection, effective_policy
    from journeykit.workspace import parse_settings

    settings = parse_settings(
        '[flows]\nquiet_hours = {start = "22:00", end = "07:00"}\n', "journeykit.toml"
    )
    defaults = settings.flows
    assert defaults.quiet_hours.start == time(22) and defaults.on_cap is OnCap.POSTPONE
    flow = validate_flow_file(FLOWS / "valid_commented.yaml").flow  # email 2/week, skip, 21:30
    policy = effective_policy(flow, defaults)
    assert policy.quiet_hours.start == time(21, 30)
    assert policy.on_cap is OnCap.SKIP
    email = {(c.period.value, c.limit) for c in policy.caps if c.channel == "email"}
    assert email == {("day", 1), ("week", 2)}
    assert effective_policy(flow.model_copy(update={"caps": []}), FlowsSection()).caps == [
        Cap.model_validate(c) for c in FlowsSection().model_dump()["caps"]
    ]
