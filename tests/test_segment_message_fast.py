"""The faster Segment mapping gives exactly what the mapping before it gave, and ``exact_dumps``
exactly what ``_json.dumps`` gives.

``segment_message_reference`` is a frozen copy of ``segment_message.py`` as it was before the
speed work (issue 4); rows are compared by ``repr`` so the ``ts`` zone, float spelling and the
``properties`` text must match byte for byte, not just compare equal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from types import MappingProxyType

import orjson
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import segment_message_reference as reference
from journeykit.events.sources._exact_json import exact_dumps
from journeykit.events.sources._json import TooDeep, dumps
from journeykit.events.sources.segment_message import segment_message_to_row
from segment_support import EDGE_FLOATS, EDGE_INTS, json_value, messages, python_leaf


def assert_same(message: Mapping[str, object]) -> None:
    expected = reference.segment_message_to_row(message)
    actual = segment_message_to_row(message)
    if isinstance(expected, dict):  # since then, properties are written with sorted keys
        expected["properties"] = dumps(dict(sorted(json.loads(expected["properties"]).items())))
    assert type(actual).__name__ == type(expected).__name__
    assert repr(actual) == repr(expected)


@settings(max_examples=300, deadline=None)
@given(messages())
def test_a_message_maps_as_before(message: dict[str, object]) -> None:
    assert_same(message)


@settings(max_examples=150, deadline=None)
@given(messages())
def test_a_message_read_back_from_json_maps_as_before(message: dict[str, object]) -> None:
    """As the callers see it: the file reader decodes with ``json``, the collector with orjson."""
    try:
        text = json.dumps(message, allow_nan=False)
    except ValueError:  # NaN or infinity: not JSON
        assume(False)
    assert_same(json.loads(text))
    if "0" * 19 not in text.translate(str.maketrans("123456789", "0" * 9)):
        assert_same(orjson.loads(text))


@settings(max_examples=100, deadline=None)
@given(messages(leaf=json_value | python_leaf))
def test_python_values_in_a_message_map_as_before(message: dict[str, object]) -> None:
    """NaN, dates, bytes, Decimals, lone surrogates and odd mappings from a Python caller."""
    assert_same(message)
    assert_same(MappingProxyType(message))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=6), json_value | python_leaf, max_size=6))
def test_exact_dumps_writes_the_text_of_dumps(value: dict[str, object]) -> None:
    try:
        expected = dumps(value)
    except TooDeep:
        with pytest.raises(TooDeep):
            exact_dumps(value)
        return
    assert exact_dumps(value) == expected


@pytest.mark.parametrize("value", [*EDGE_FLOATS, *EDGE_INTS, -0.0, 0.0001, 123456789.125])
def test_exact_dumps_spells_each_edge_number_as_python(value: float) -> None:
    assert exact_dumps({"n": value, "l": [value]}) == dumps({"n": value, "l": [value]})


@pytest.mark.parametrize("depth", [50, 300, 5000])
def test_deep_properties_map_as_before(depth: int) -> None:
    """orjson stops at 255 levels and json at the recursion limit; both end as before."""
    nested: object = 1
    for _ in range(depth):
        nested = {"a": nested}
    message = {"type": "track", "event": "Deep", "userId": "u", "properties": {"x": nested}}
    message["timestamp"] = "2026-11-02T10:00:00Z"
    assert_same(message)


@pytest.mark.parametrize(
    "zone", [UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-9, minutes=-30))]
)
def test_the_time_is_an_aware_utc_time_as_before(zone: timezone) -> None:
    moment = datetime(2026, 11, 2, 10, 0, 0, 123000, tzinfo=zone).isoformat()
    message = {"type": "page", "userId": "u", "timestamp": moment, "receivedAt": moment}
    row = segment_message_to_row(message)
    assert not isinstance(row, reference.MessageError)
    assert row["ts"] == datetime.fromisoformat(moment) and row["ts"].tzinfo is UTC  # type: ignore[union-attr]
    assert_same(message)


@pytest.mark.parametrize("event", ["Order Completed", "x" * 199 + "Y", "Viewed " * 60, "  ", "ÄÖ"])
def test_event_names_cached_or_not_map_as_before(event: str) -> None:
    for _ in range(2):  # the second time from the cache, where the name is short enough
        assert_same({"type": "track", "event": event, "userId": "u", "receivedAt": "2026-11-02"})
