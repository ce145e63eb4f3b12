"""Validation of map files: every problem at once, as ``file:line:column: field: what — how to
fix``.

Pydantic's errors are rewritten here into messages a map author understands ("did you mean …" for
keys, enum values and ids), then joined with the whole-map rules and located in the YAML text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from enum import Enum
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.maps import yamlio
from journeykit.maps.model import JourneyMap
from journeykit.maps.rules import check_rules, format_loc
from journeykit.maps.yamlload import Locator, clean_loc, load

ModelT = TypeVar("ModelT", bound=BaseModel)
Explainer = Callable[[ErrorDetails, tuple[str | int, ...]], tuple[str, str | None] | None]

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
    not_a_document = document_problem(data, file, "map", "start from `journeykit map new NAME`")
    if not_a_document is not None:
        raise MapInvalid(file, [not_a_document])
    locate = locator or Locator("")
    journey_map, model_problems_found = model_problems(JourneyMap, data, file, locate)
    problems = model_problems_found + _rule_problems(data, file, locate)
    if problems or journey_map is None:
        raise MapInvalid(file, unique_problems(problems))
    return journey_map


def document_problem(data: Any, file: str, kind: str, start: str) -> Problem | None:
    """The problem when parsed YAML is empty or not a mapping, else None (any file kind)."""
    if data is None or (isinstance(data, str) and not data.strip()):
        return Problem(file, 1, 1, "", f"the {kind} is empty", start)
    if not isinstance(data, Mapping):
        message = f"a {kind} file must be a YAML mapping (key: value lines)"
        return Problem(file, 1, 1, "", message, start)
    return None


def model_problems(
    model: type[ModelT],
    data: Any,
    file: str,
    locate: Locator,
    explain: Explainer | None = None,
) -> tuple[ModelT | None, list[Problem]]:
    """``data`` validated as ``model`` (whole-file rules skipped), or every error, located.

    ``explain`` lets another file format word its own errors first; the map wording is the fallback.
    """
    try:
        return model.model_validate(data, context={"skip_rules": True}), []
    except ValidationError as error:
        details = error.errors(include_url=False)
        return None, [_problem(data, file, detail, locate, model, explain) for detail in details]


def _rule_problems(data: Any, file: str, locate: Locator) -> list[Problem]:
    problems = []
    for rule in check_rules(data):
        line, column = locate.position(rule.loc)
        problems.append(Problem(file, line, column, rule.field, rule.message, rule.hint))
    return problems


def unique_problems(problems: list[Problem]) -> list[Problem]:
    """One problem per field: a union type yields an error per member, the first one says enough."""
    seen: set[tuple[int | None, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.line, problem.field)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique


def _problem(
    data: Any,
    file: str,
    detail: ErrorDetails,
    locate: Locator,
    root: type[BaseModel] = JourneyMap,
    explain: Explainer | None = None,
) -> Problem:
    loc = clean_loc(data, _walk(tuple(detail["loc"]), root)[0])
    line, column = locate.position(loc)
    explained = explain(detail, loc) if explain is not None else None
    message, hint = explained or _explain(detail, loc, root)
    return Problem(file, line, column, format_loc(loc), message, hint)


def _explain(
    detail: ErrorDetails, loc: tuple[str | int, ...], root: type[BaseModel] = JourneyMap
) -> tuple[str, str | None]:
    """What is wrong and how to fix it, for one pydantic error."""
    kind = detail["type"]
    value = detail.get("input")
    ctx = detail.get("ctx") or {}
    name = next((part for part in reversed(loc) if isinstance(part, str)), "value")
    if kind == "missing":
        return f"'{name}' is missing", f"add '{name}: …'"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(tuple(detail["loc"])[:-1], root)
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


def _allowed_keys(loc: tuple[str | int, ...], root: type[BaseModel]) -> list[str]:
    """The field names of the model at pydantic's ``loc`` (for "did you mean" on unknown keys)."""
    models = _walk(loc, root)[1]
    return list(
        dict.fromkeys(
            field.alias or name for model in models for name, field in model.model_fields.items()
        )
    )


def _walk(
    loc: tuple[str | int, ...], root: type[BaseModel]
) -> tuple[tuple[str | int, ...], list[type[BaseModel]]]:
    """Pydantic's ``loc`` without union tags, and the models it ends in.

    A tagged union of models (e.g. flow steps by ``type``) puts the tag into ``loc``; it is not
    a key of the data, it selects the member.
    """
    models: list[type[BaseModel]] = [root]
    kept: list[str | int] = []
    for part in loc:
        if isinstance(part, int):
            kept.append(part)
            continue
        tagged = [model for model in models if _has_tag(model, part)]
        if len(models) > 1 and tagged:
            models = tagged
            continue
        kept.append(part)
        holder = next((m for m in models if _field(m, part) is not None), None)
        if holder is not None:
            models = _models_in(_field(holder, part))
    return tuple(kept), models


def _field(model: type[BaseModel], key: str) -> Any:
    """The annotation of the field written as ``key`` (its alias or name), else None."""
    for name, field in model.model_fields.items():
        if key in (name, field.alias):
            return field.annotation
    return None


def _has_tag(model: type[BaseModel], tag: str) -> bool:
    """Whether ``tag`` names this union member: a literal field's value or the class name."""
    if model.__name__ == tag:
        return True
    return any(
        get_origin(field.annotation) is Literal and tag in get_args(field.annotation)
        for field in model.model_fields.values()
    )


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return []
    return [model for arg in get_args(annotation) for model in _models_in(arg)]
