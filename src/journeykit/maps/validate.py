"""Validation of map files: every problem at once, as ``file:line:column: field: what — how to
fix``.

Pydantic's errors are rewritten here into messages a map author understands ("did you mean …" for
keys, enum values and ids), then joined with the whole-map rules and located in the YAML text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from enum import Enum
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.maps import yamlio
from journeykit.maps.model import JourneyMap
from journeykit.maps.rules import check_rules, format_loc
from journeykit.maps.yamlload import Locator, clean_loc, load

_RANGES = {
    "severity": "severity goes from 1 (minor) to 5 (blocks the journey)",
    "planned": "emotions go from -2 (very negative) to +2 (very positive)",
    "measured": "emotions go from -2 (very negative) to +2 (very positive)",
}


class MapInvalid(JourneykitError):
    """A map file with problems; ``problems`` lists every one of them, located."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        count = len(problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{file}: the map has {count} {noun}", problems)


def validate_map_file(path: Path | str) -> JourneyMap:
    """Load and validate a map file; raises ``MapInvalid`` naming every problem."""
    path = Path(path)
    return validate_map_text(yamlio.read_text(path), str(path))


def validate_map_text(text: str, file: str = "<map>") -> JourneyMap:
    """Validate YAML text as a map; raises ``MapInvalid`` naming every problem."""
    try:
        data = load(text, file)
    except yamlio.YamlSyntaxError as error:
        raise MapInvalid(file, error.problems) from None
    return validate_map_data(data, file, Locator(text))


def validate_map_data(data: Any, file: str = "<map>", locator: Locator | None = None) -> JourneyMap:
    """Validate parsed YAML; ``locator`` finds line and column of each problem in the text."""
    if data is None or (isinstance(data, str) and not data.strip()):
        raise MapInvalid(
            file,
            [Problem(file, 1, 1, "", "the map is empty", "start from `journeykit map new NAME`")],
        )
    if not isinstance(data, Mapping):
        problem = Problem(
            file,
            1,
            1,
            "",
            "a map file must be a YAML mapping (key: value lines)",
            "start from `journeykit map new NAME`",
        )
        raise MapInvalid(file, [problem])
    locate = locator or Locator("")
    try:
        journey_map = JourneyMap.model_validate(data, context={"skip_rules": True})
        model_problems: list[Problem] = []
    except ValidationError as error:
        details = error.errors(include_url=False)
        model_problems = [_problem(data, file, detail, locate) for detail in details]
    problems = model_problems + _rule_problems(data, file, locate)
    if problems:
        raise MapInvalid(file, _unique(problems))
    return journey_map


def _rule_problems(data: Any, file: str, locate: Locator) -> list[Problem]:
    problems = []
    for rule in check_rules(data):
        line, column = locate.position(rule.loc)
        problems.append(Problem(file, line, column, rule.field, rule.message, rule.hint))
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    """One problem per field: a union type yields an error per member, the first one says enough."""
    seen: set[tuple[int | None, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.line, problem.field)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _problem(data: Any, file: str, detail: ErrorDetails, locate: Locator) -> Problem:
    loc = clean_loc(data, tuple(detail["loc"]))
    line, column = locate.position(loc)
    message, hint = _explain(detail, loc)
    return Problem(file, line, column, format_loc(loc), message, hint)


def _explain(detail: ErrorDetails, loc: tuple[str | int, ...]) -> tuple[str, str | None]:
    """What is wrong and how to fix it, for one pydantic error."""
    kind = detail["type"]
    value = detail.get("input")
    ctx = detail.get("ctx") or {}
    name = next((part for part in reversed(loc) if isinstance(part, str)), "value")
    if kind == "missing":
        return f"'{name}' is missing", f"add '{name}: …'"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1])
        return f"unknown key '{name}'", suggestion(name, allowed)
    if kind in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        return f"'{value}' is not a valid {_field_name(loc)}", suggestion(str(value), expected)
    if kind == "string_pattern_mismatch":
        return _pattern_problem(name, str(value))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        bound = ctx.get("ge", ctx.get("le", ctx.get("gt", ctx.get("lt"))))
        side = "small" if kind.startswith("greater") else "large"
        return f"{value} is too {side} (limit {bound})", _RANGES.get(name, "change the value")
    if kind == "too_short" and name == "stages":
        return "the map has no stages", "add at least one stage under 'stages:'"
    if kind == "too_short":
        return "must not be empty", "write some text or remove the key"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"'{value}' is not a whole number", "write a number such as 3"
    if kind in ("float_parsing", "float_type"):
        return f"'{value}' is not a number", "write a number such as 0.25 (no unit, no %)"
    if kind in ("list_type", "tuple_type"):
        return "must be a list", "write one item per line, each starting with '- '"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping", "write 'key: value' lines indented below it"
    if kind in ("string_type", "bool_type"):
        return f"expected text, got {type(value).__name__}", "put the value in quotes"
    if kind == "string_too_long":
        return "is too long", f"shorten it to {ctx.get('max_length')} characters"
    message = str(detail["msg"])
    message = message.removeprefix("Value error, ")
    if " — " in message:
        what, fix = message.split(" — ", 1)
        return what, fix
    return message, None


def _field_name(loc: tuple[str | int, ...]) -> str:
    """What the value is called: the key, or for a list item the key in the singular."""
    name = next((part for part in reversed(loc) if isinstance(part, str)), "value")
    if loc and isinstance(loc[-1], int) and name.endswith("s"):
        name = name[:-1]
    return name.replace("_", " ")


def _pattern_problem(name: str, value: str) -> tuple[str, str]:
    if name == "slot":
        return (
            f"'{value}' is not a time of day",
            "write 'HH:MM' or 'HH:MM-HH:MM', e.g. '07:30-08:00'",
        )
    return (
        f"'{value}' is not a valid id",
        f"use lower-case letters, digits, '-' and '_', e.g. '{slugify(value)}'",
    )


def slugify(text: str) -> str:
    """A valid id from any text: 'Über uns!' → 'ueber-uns'."""
    text = text.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    text = text.replace("Ä", "Ae").replace("Ö", "Oe").replace("Ü", "Ue")
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9_]+", "-", ascii_text.lower()).strip("-")
    return slug[:64] or "item"


def _allowed_keys(loc: tuple[str | int, ...]) -> list[str]:
    """The field names of the model found at ``loc`` (for "did you mean" on unknown keys)."""
    model: type[BaseModel] | None = JourneyMap
    for part in loc:
        if model is None:
            break
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _model_in(field.annotation) if field else None
    return list(model.model_fields) if model else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return None
    for arg in get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    if get_origin(annotation) is None:
        return None
    return None
