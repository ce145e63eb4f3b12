"""Conditions (``property op value``) evaluated in Python on one event's properties or traits.

The engine decides for one customer at a time, so it tests conditions on a dict instead of
building a query; the semantics follow ``analytics.rules`` (numbers compare as numbers, the rest
as text, booleans as JSON spells them; a missing property only satisfies ``ne``/``not_in``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from journeykit.maps.model import Condition, Operator

_MISSING = object()


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at dotted ``path`` (``_MISSING`` when absent or null)."""
    current: Any = data
    for part in path.split("."):
        if not isinstance(current, Mapping) or current.get(part) is None:
            return _MISSING
        current = current[part]
    return current


def holds(condition: Condition, data: Mapping[str, Any]) -> bool:
    """Whether ``condition`` is true of ``data``."""
    op, value = condition.op, condition.value
    found = lookup(data, condition.property)
    if op is Operator.EXISTS:
        return found is not _MISSING
    values = value if isinstance(value, list) else [value]
    if op in (Operator.EQ, Operator.IN):
        return found is not _MISSING and any(_equal(found, v) for v in values)
    if op in (Operator.NE, Operator.NOT_IN):
        return found is _MISSING or not any(_equal(found, v) for v in values)
    if found is _MISSING:
        return False
    if op is Operator.CONTAINS:
        return _text(value) in _text(found)
    if op is Operator.REGEX:
        return re.search(str(value), _text(found)) is not None
    number = _number(found)
    if number is None or not isinstance(value, int | float):
        return False
    return _compare(number, op, float(value))


def all_hold(conditions: Iterable[Condition], data: Mapping[str, Any]) -> bool:
    return all(holds(condition, data) for condition in conditions)


def _equal(found: Any, expected: Any) -> bool:
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        number = _number(found)
        return number is not None and number == float(expected)
    return _text(found) == _text(expected)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _compare(number: float, op: Operator, value: float) -> bool:
    if op is Operator.GT:
        return number > value
    if op is Operator.GTE:
        return number >= value
    if op is Operator.LT:
        return number < value
    return number <= value
