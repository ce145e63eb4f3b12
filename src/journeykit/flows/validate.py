"""Validation of flow files: every problem at once, as ``file:line:column: field: what — fix``.

The map machinery does the work (YAML loading, locating, pydantic errors in plain words); this
module adds the flow's own wording, the whole-flow rules, and the checks against the workspace:
the templates a send needs exist in ``templates/``, and the stage exists in the workspace's maps
(a warning when there is no map to check against).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic_core import ErrorDetails

from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.flows.model import STEP_TYPES, Flow, MessageChannel
from journeykit.flows.rules import check_flow_rules
from journeykit.flows.templates import missing_parts
from journeykit.maps import yamlio
from journeykit.maps.rules import Loc, mapping_items
from journeykit.maps.validate import document_problem, model_problems, unique_problems
from journeykit.maps.yamlload import Locator, load

_TRIGGER_TYPES = ("event", "segment", "date")
_START = "start from `journeykit flows new NAME --scenario …`"


class FlowInvalid(JourneykitError):
    """A flow file with problems; ``problems`` lists every one of them, located."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{file}: the flow has {count} {noun}", problems)


@dataclass(frozen=True)
class FlowContext:
    """What a flow is checked against: the workspace's templates and map stages.

    ``templates_dir`` None skips the template check; ``stage_ids`` None means no map was found
    (the stage gets a warning, not an error).
    """

    templates_dir: Path | None = None
    stage_ids: frozenset[str] | None = None
    maps_dir: Path | None = None


@dataclass(frozen=True)
class CheckedFlow:
    """A valid flow and the warnings about it (things that may be fine, worth a look)."""

    flow: Flow
    warnings: list[Problem] = field(default_factory=list)


def workspace_context(maps_dir: Path, templates_dir: Path) -> FlowContext:
    """The context of a workspace: its templates folder and the stage ids of its readable maps."""
    stage_ids: set[str] = set()
    found = False
    for path in sorted([*maps_dir.glob("*.yaml"), *maps_dir.glob("*.yml")]):
        try:
            data = load(yamlio.read_text(path), str(path))
        except JourneykitError:
            continue  # a broken map is `map validate`'s business
        if isinstance(data, Mapping):
            found = True
            stage_ids.update(
                str(s["id"]) for _, s in mapping_items(data.get("stages")) if "id" in s
            )
    return FlowContext(templates_dir, frozenset(stage_ids) if found else None, maps_dir)


def validate_flow_file(path: Path | str, context: FlowContext | None = None) -> CheckedFlow:
    """Load and validate a flow file; raises ``FlowInvalid`` naming every problem."""
    path = Path(path)
    return validate_flow_text(yamlio.read_text(path), str(path), context)


def validate_flow_text(
    text: str, file: str = "<flow>", context: FlowContext | None = None
) -> CheckedFlow:
    """Validate YAML text as a flow; raises ``FlowInvalid`` naming every problem."""
    try:
        data = load(text, file)
    except yamlio.YamlSyntaxError as error:
        raise FlowInvalid(file, error.problems) from None
    return validate_flow_data(data, file, Locator(text), context)


def validate_flow_data(
    data: Any,
    file: str = "<flow>",
    locator: Locator | None = None,
    context: FlowContext | None = None,
) -> CheckedFlow:
    """Validate parsed YAML; ``locator`` finds line and column of each problem in the text."""
    not_a_document = document_problem(data, file, "flow", _START)
    if not_a_document is not None:
        raise FlowInvalid(file, [not_a_document])
    locate = locator or Locator("")
    context = context or FlowContext()
    flow, problems = model_problems(Flow, data, file, locate, explain_flow_error)
    for rule in check_flow_rules(data):
        problems.append(_located(file, locate, rule.loc, rule.message, rule.hint))
    problems += _template_problems(data, file, locate, context)
    stage_problem, warnings = _stage_check(data, file, locate, context)
    problems += stage_problem
    if problems or flow is None:
        raise FlowInvalid(file, unique_problems(problems))
    return CheckedFlow(flow, warnings)


def _located(file: str, locate: Locator, loc: Loc, message: str, hint: str | None) -> Problem:
    from journeykit.maps.rules import format_loc

    line, column = locate.position(loc)
    return Problem(file, line, column, format_loc(loc), message, hint)


def _template_problems(
    data: Mapping[str, Any], file: str, locate: Locator, context: FlowContext
) -> list[Problem]:
    if context.templates_dir is None:
        return []
    locales = [loc for loc in data.get("locales") or [] if loc in ("de", "en")]
    problems = []
    for index, step in mapping_items(data.get("steps")):
        template, channel = step.get("template"), step.get("channel")
        if step.get("type") != "send" or not isinstance(template, str):
            continue
        if channel not in set(MessageChannel):
            continue
        for locale in locales:
            missing = missing_parts(
                context.templates_dir, template, locale, MessageChannel(channel)
            )
            if missing:
                problems.append(
                    _located(
                        file,
                        locate,
                        ("steps", index, "template"),
                        f"template '{template}' has no {locale} text for {channel} "
                        f"(missing {', '.join(missing)} in {context.templates_dir})",
                        "create the files, or copy them from a scenario "
                        "(`journeykit flows new NAME --scenario …` writes its templates)",
                    )
                )
    return problems


def _stage_check(
    data: Mapping[str, Any], file: str, locate: Locator, context: FlowContext
) -> tuple[list[Problem], list[Problem]]:
    """(errors, warnings) about the stage: unknown in the maps, or no map to check against."""
    stage = data.get("stage")
    if not isinstance(stage, str) or context.maps_dir is None:
        return [], []
    if context.stage_ids is None:
        warning = _located(
            file,
            locate,
            ("stage",),
            f"no map in {context.maps_dir} to check stage '{stage}' against",
            "create a map with `journeykit map new NAME`",
        )
        return [], [warning]
    if stage in context.stage_ids:
        return [], []
    problem = _located(
        file,
        locate,
        ("stage",),
        f"no map of the workspace has the stage '{stage}'",
        suggestion(stage, sorted(context.stage_ids)),
    )
    return [problem], []


def explain_flow_error(detail: ErrorDetails, loc: Loc) -> tuple[str, str | None] | None:
    """The flow's own wording for a pydantic error; None leaves it to the map wording."""
    kind = detail["type"]
    ctx = detail.get("ctx") or {}
    name = next((part for part in reversed(loc) if isinstance(part, str)), "value")
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        what = "step type" if "steps" in loc and "trigger" not in loc else "trigger type"
        options: tuple[str, ...] = STEP_TYPES if what == "step type" else _TRIGGER_TYPES
        return f"'{tag}' is not a {what}", suggestion(tag, options)
    if kind == "union_tag_not_found":
        steps = name == "steps" or isinstance(loc[-1], int)
        options = STEP_TYPES if steps else _TRIGGER_TYPES
        return "'type' is missing", "add 'type: …', one of " + ", ".join(options)
    if kind == "too_short":
        return _too_short(name)
    if kind == "bool_parsing":
        return f"'{detail.get('input')}' is not true or false", f"write '{name}: true' or 'false'"
    if name == "offset_days" and kind in ("greater_than_equal", "less_than_equal"):
        return (
            f"{detail.get('input')} days is more than a year from the date",
            "write a number of days between -365 and 365 (-3 = three days before)",
        )
    if kind == "string_pattern_mismatch" and name == "url":
        return f"'{detail.get('input')}' is not a web address", "write https://…"
    if kind == "string_pattern_mismatch" and name == "secret_env":
        return (
            f"'{detail.get('input')}' is not an environment variable name",
            "name the variable that holds the secret (not the secret itself), e.g. SHOP_HOOK_KEY",
        )
    if kind in ("greater_than", "less_than", "greater_than_equal", "less_than_equal") and name in (
        "holdout",
        "percent",
    ):
        return (
            f"{detail.get('input')} is not a percentage between 0 and 100",
            "write the percent of customers held out, e.g. 10 for 10 %",
        )
    return None


def _too_short(name: str) -> tuple[str, str]:
    if name == "steps":
        return "the flow has no steps", "add at least one step under 'steps:'"
    if name == "locales":
        return "no locale given", "write e.g. 'locales: [de]'"
    if name == "variants":
        return "a split needs at least two variants", "add another entry under 'variants:'"
    return "must not be empty", "write something or remove the key"


def flow_files(folder: Path) -> list[Path]:
    """The flow files directly in ``folder`` (``*.yaml``, ``*.yml``), sorted by name."""
    if not folder.is_dir():
        return []
    return sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
