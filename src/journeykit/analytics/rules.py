"""Touchpoint match rules compiled to Ibis predicates (docs/map-format.md, "Match rule").

Every part of a rule that is given must hold; a list means "any of these". The predicate is never
NULL: an event with a missing column or property simply does not match (``ne`` and ``not_in`` do
match an event without the property — it does not equal the value). ``device: any`` puts no
condition on the device.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import reduce
from typing import Any

import ibis
import ibis.expr.types as ir

from journeykit.analytics.properties import property_number, property_text
from journeykit.maps.model import Condition, MatchRule, Operator
from journeykit.maps.vocab import Device

Scalar = str | int | float | bool


def rule_predicate(events: ir.Table, rule: MatchRule) -> ir.BooleanValue:
    """True for the events the rule matches, False for all others (never NULL)."""
    parts: list[ir.BooleanValue] = []
    if rule.event is not None:
        parts.append(events["name"].isin(_as_list(rule.event)))
    if rule.channel is not None:
        parts.append(events["channel"].isin([str(c) for c in _as_list(rule.channel)]))
    if rule.device is not None:
        devices = [str(d) for d in _as_list(rule.device)]
        if Device.ANY.value not in devices:
            parts.append(events["device"].isin(devices))
    parts.extend(condition_predicate(events["properties"], c) for c in rule.where)
    combined: ir.BooleanValue = reduce(lambda a, b: a & b, parts)
    return combined.fill_null(False)


def condition_predicate(properties: ir.StringValue, condition: Condition) -> ir.BooleanValue:
    """One ``where`` condition over the ``properties`` JSON text (NULL where it cannot hold)."""
    op, value, path = condition.op, condition.value, condition.property
    text = property_text(properties, path)
    if op is Operator.EXISTS:
        return text.notnull()
    if op in (Operator.EQ, Operator.IN):
        return _any_equal(properties, path, _as_list(value))
    if op in (Operator.NE, Operator.NOT_IN):
        return ~_any_equal(properties, path, _as_list(value)).fill_null(False)
    if op is Operator.CONTAINS:
        return text.contains(_text_of(value))
    if op is Operator.REGEX:
        return text.re_search(str(value))
    return _compare(property_number(properties, path), op, float(_number(value)))


def _any_equal(properties: ir.StringValue, path: str, values: Sequence[Any]) -> ir.BooleanValue:
    """The property equals one of ``values``: numbers compare as numbers, the rest as text."""
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    texts = [_text_of(v) for v in values if isinstance(v, str | bool)]
    parts: list[ir.BooleanValue] = []
    if texts:
        parts.append(property_text(properties, path).isin(texts))
    if numbers:
        parts.append(property_number(properties, path).isin(numbers))
    if not parts:
        return ibis.literal(False)
    return reduce(lambda a, b: a | b, parts)


def _compare(number: ir.FloatingValue, op: Operator, value: float) -> ir.BooleanValue:
    if op is Operator.GT:
        return number > value
    if op is Operator.GTE:
        return number >= value
    if op is Operator.LT:
        return number < value
    return number <= value


def _text_of(value: Any) -> str:
    """How a scalar reads as property text: booleans as JSON spells them."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float:
    assert isinstance(value, int | float) and not isinstance(value, bool)  # validated by Condition
    return float(value)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]
