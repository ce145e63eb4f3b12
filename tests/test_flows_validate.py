"""Flow validation: every problem at once, located, with a fix; workspace templates and stages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from journeykit.flows.validate import (
    FlowContext,
    FlowInvalid,
    validate_flow_file,
    validate_flow_text,
    workspace_context,
)
from journeykit.workspace import Workspace

FLOWS = Path(__file__).parent / "fixtures" / "flows"

MINIMAL = """\
format: 1
id: f
name: F
stage: purchase
locales: [de]
trigger:
  type: event
  event: checkout_started
steps:
  - id: first
    type: wait
    duration: 2h
"""


def problems_of(text: str, context: FlowContext | None = None) -> list[str]:
    with pytest.raises(FlowInvalid) as caught:
        validate_flow_text(text, "f.yaml", context)
    return [str(problem) for problem in caught.value.problems]


def test_all_mistakes_are_named_with_lines(golden) -> None:  # type: ignore[no-untyped-def]
    path = FLOWS / "mistakes.yaml"
    with pytest.raises(FlowInvalid) as caught:
        validate_flow_file(path)
    problems = caught.value.problems
    assert len(problems) == 11
    assert all(problem.line is not None and problem.column is not None for problem in problems)
    text = "\n".join(str(problem).replace(str(path), "mistakes.yaml") for problem in problems)
    golden("flows_validate_mistakes.txt", text + "\n")


def test_minimal_flow_is_valid() -> None:
    flow = validate_flow_text(MINIMAL).flow
    assert [step.id for step in flow.steps] == ["first"]
    assert flow.reentry.policy == "never"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "f.yaml:1:1: the flow is empty — start from `journeykit flows new NAME --scenario …`"),
        ("- a\n", "a flow file must be a YAML mapping"),
        (MINIMAL + "nmae: x\n", "f.yaml:13:1: nmae: unknown key 'nmae' — did you mean 'name'?"),
        (
            MINIMAL.replace("type: event", "type: click"),
            "f.yaml:6:1: trigger: 'click' is not a trigger type — use one of: 'event', 'segment'",
        ),
        (
            MINIMAL.replace("    type: wait\n", ""),
            "f.yaml:10:5: steps[0]: 'type' is missing — add 'type: …', one of wait, wait_for_event",
        ),
        (
            MINIMAL + "  - id: second\n    type: wait\n    duration: 1h\n    next: first\n",
            "f.yaml:16:5: steps[1].next: 'first' is not after this step (it is steps[0])",
        ),
        (
            MINIMAL.replace("    duration: 2h\n", "    duration: 2h\n    next: exit\n")
            + "  - id: never\n    type: wait\n    duration: 1h\n",
            "f.yaml:14:5: steps[1].id: step 'never' can never be reached",
        ),
        (
            MINIMAL + "  - id: exit\n    type: wait\n    duration: 1h\n",
            "f.yaml:13:5: steps[1].id: 'exit' is reserved for ending a run — give the step another",
        ),
        (
            MINIMAL + "  - id: s\n    type: split\n    variants:\n      - id: a\n",
            "steps[1].variants: a split needs at least two variants",
        ),
        (MINIMAL + "holdout: 100\n", "holdout: 100 is not a percentage between 0 and 100"),
        (
            MINIMAL + "  - id: h\n    type: webhook\n    url: https://x.example\n"
            "    secret_env: my-secret\n",
            "secret_env: 'my-secret' is not an environment variable name — name the variable",
        ),
        (
            MINIMAL + "  - id: h\n    type: webhook\n    url: ftp://x\n",
            "steps[1].url: 'ftp://x' is not a web address — write https://…",
        ),
        (MINIMAL.replace("[de]", "[]"), "locales: no locale given — write e.g. 'locales: [de]'"),
        (
            MINIMAL + "  - id: c\n    type: condition\n    events:\n"
            "      - {event: order_completed, min_count: 2, max_count: 1}\n",
            "steps[1].events[0]: max_count 1 is below min_count 2 — no customer can match",
        ),
    ],
)
def test_single_problems(text: str, expected: str) -> None:
    assert any(expected in problem for problem in problems_of(text)), problems_of(text)


def test_branches_that_are_wrong_do_not_cascade_into_unreachable_steps() -> None:
    text = MINIMAL + (
        "  - id: c\n    type: condition\n    traits: [{property: x, op: exists}]\n"
        "    then: nowhere\n  - id: after\n    type: wait\n    duration: 1h\n"
    )
    assert problems_of(text) == [
        "f.yaml:16:5: steps[1].then: no step has the id 'nowhere' — use one of: "
        "'first', 'c', 'after', 'exit'"
    ]


def test_workspace_checks_templates_and_stage(workspace: Workspace) -> None:
    context = workspace_context(workspace.maps_dir, workspace.templates_dir)
    assert context.stage_ids is not None and "purchase" in context.stage_ids
    text = MINIMAL.replace("stage: purchase", "stage: purchse") + (
        "  - id: mail\n    type: send\n    channel: sms\n    template: cart-sms\n"
    )
    problems = problems_of(text, context)
    assert any(
        "stage: no map of the workspace has the stage 'purchse' — did you mean" in p
        for p in problems
    )
    assert any(
        "steps[1].template: template 'cart-sms' has no de text for sms (missing cart-sms/de.txt.j2"
        in p
        for p in problems
    )
    (workspace.templates_dir / "cart-sms").mkdir()
    (workspace.templates_dir / "cart-sms" / "de.txt.j2").write_text(
        "Hallo {{ profile.first_name }}"
    )
    checked = validate_flow_text(text.replace("purchse", "purchase"), "f.yaml", context)
    assert checked.warnings == []


def test_no_map_is_a_warning_not_an_error(tmp_path: Path) -> None:
    context = workspace_context(tmp_path / "maps", tmp_path / "templates")
    checked = validate_flow_text(MINIMAL, "f.yaml", context)
    [warning] = checked.warnings
    assert warning.field == "stage"
    assert "no map in" in warning.message and "to check stage 'purchase' against" in warning.message


def test_the_example_in_the_docs_is_valid() -> None:
    text = (Path(__file__).parents[1] / "docs" / "flows.md").read_text(encoding="utf-8")
    [example] = re.findall(r"^```yaml\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    flow = validate_flow_text(example, "docs/flows.md").flow
    assert flow.id == "cart-rescue" and len(flow.steps) == 6


def test_the_settings_example_in_the_docs_parses() -> None:
    from journeykit.workspace import parse_settings

    text = (Path(__file__).parents[1] / "docs" / "flows.md").read_text(encoding="utf-8")
    [example] = re.findall(r"^```toml\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    flows = parse_settings(example, "docs/flows.md").flows
    assert [(c.channel.value, c.period.value, c.limit) for c in flows.caps] == [
        ("email", "week", 3)
    ]
