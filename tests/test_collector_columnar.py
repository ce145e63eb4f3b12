"""The collector's SQL mapping gives exactly the rows of the Python mapping, and takes the bulk.

``to_record_batch(entries, compute)`` maps most logged messages a column at a time in DuckDB
(``columnar``) and the rest one by one; ``to_record_batch(entries)`` maps all one by one. Rows
are compared by ``repr`` so ids, the ``ts`` zone, float spelling and the ``properties`` text must
match byte for byte. A test that passed because every message went the Python way would prove
nothing, so the typical messages are checked to go the SQL way, and the odd ones the other.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeykit.events.collector.columnar import _ID, sql_mapped
from journeykit.events.collector.delivery import to_record_batch
from journeykit.events.collector.exceptions import InvalidRequest
from journeykit.events.collector.jsontext import compact
from journeykit.events.collector.log import Pending
from journeykit.events.collector.messages import Envelope, check_message, iso
from journeykit.events.ingest.configuration import IngestOptions
from journeykit.events.ingest.normalise import Compute
from segment_support import (
    context,
    event_names,
    identifier,
    iso_times,
    json_value,
    kinds,
    messages,
    money,
    properties,
    text_field,
)

RECEIVED = datetime(2026, 11, 27, 6, 4, 42, 945000, tzinfo=UTC)

# Stored messages near and inside what SQL maps: mostly plain text and numbers, sometimes not.
plain_text = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters='"\\'), max_size=10
)
plain_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(-1e15, 1e15, allow_nan=False),
    st.sampled_from([0, 0.0, -0.0, "", 1e-4, 123456789.125, 1e15, [], {}]),
    plain_text,
)
plain_json = st.recursive(
    plain_leaf,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(plain_text, inner, max_size=3),
    max_leaves=8,
)
a_time = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
).map(iso)
stored_time = st.one_of(
    a_time, a_time, a_time, st.sampled_from(["2026-02-30T06:04:41.120Z", "2026-11-27T24:00:00Z"])
)
simple_id = st.text("abcXYZ019-_.@üß", min_size=1, max_size=10)
plain_id = st.one_of(simple_id, simple_id, simple_id, simple_id, plain_text, identifier)
plain_context = st.fixed_dictionaries(
    {},
    optional={
        "campaign": st.fixed_dictionaries(
            {}, optional={"source": plain_leaf, "medium": plain_leaf, "name": plain_leaf}
        ),
        "device": st.fixed_dictionaries(
            {},
            optional={
                "type": st.sampled_from(["ios", "Android", "tablet", "tv"]) | plain_leaf,
                "model": st.sampled_from(["iPad7,1", "Pixel 8"]) | plain_leaf,
            },
        )
        | plain_json,
        "userAgent": st.sampled_from(["Mozilla/5.0 (iPad) Mobile", "Mozilla/5.0 (X11)"])
        | plain_leaf,
        "page": plain_json,
        "app": plain_json,
        "library": st.just({"name": "analytics-python", "version": "2.3.2"}),
    },
)
good_track = st.fixed_dictionaries(
    {
        "type": st.just("track"),
        "event": event_names | simple_id,
        "anonymousId": simple_id,
        "timestamp": a_time,
        "receivedAt": a_time,
    },
    optional={
        "userId": simple_id,
        "messageId": simple_id,
        "originalTimestamp": a_time,
        "channel": st.sampled_from(["browser", "mobile", "server"]) | plain_leaf,
        "context": plain_context,
        "properties": st.dictionaries(
            st.sampled_from(["revenue", "total", "currency"]) | plain_text,
            plain_json | money,
            max_size=5,
        ),
    },
)
odd_fields = {
    "type": kinds,
    "userId": plain_id,
    "anonymousId": plain_id,
    "messageId": plain_id,
    "event": event_names | text_field,
    "timestamp": stored_time | iso_times(),
    "originalTimestamp": stored_time | iso_times(),
    "sentAt": stored_time,
    "receivedAt": stored_time,
    "context": context | json_value,
    "properties": properties | json_value,
}


@st.composite
def stored_track(draw: st.DrawFn) -> dict[str, object]:
    """A track message SQL maps, or one with a field changed that may make it go Python's way."""
    message = draw(good_track)
    if draw(st.booleans()):
        name = draw(st.sampled_from(sorted(odd_fields)))
        message[name] = draw(odd_fields[name])
    return message


@pytest.fixture(scope="module")
def compute() -> Iterator[Compute]:
    local = Compute(IngestOptions(progress=False))
    yield local
    local.close()


def logged(bodies: Sequence[str]) -> list[Pending]:
    return [Pending(number, "key", body) for number, body in enumerate(bodies, start=7)]


def assert_same_rows(bodies: Sequence[str], compute: Compute) -> None:
    entries = logged(bodies)
    python = to_record_batch(entries)
    columnar = to_record_batch(entries, compute)
    assert columnar.schema.equals(python.schema, check_metadata=True)
    assert repr(columnar.to_pylist()) == repr(python.to_pylist())


def typical(number: int, **fields: object) -> dict[str, object]:
    """A track message as analytics-python sends it, after the collector stored it."""
    message: dict[str, object] = {
        "type": "track",
        "event": "Order Completed",
        "userId": f"user-{number}",
        "anonymousId": f"anon-{number}",
        "messageId": f"message-{number}",
        "timestamp": "2026-11-27T06:04:41.120Z",
        "originalTimestamp": "2026-11-27T06:04:40.000Z",
        "sentAt": "2026-11-27T06:04:41.000Z",
        "receivedAt": "2026-11-27T06:04:42.120Z",
        "properties": {"order_id": f"o-{number}", "revenue": 59.9, "currency": "EUR", "n": 2},
        "context": {
            "library": {"name": "analytics-python", "version": "2.3.2"},
            "campaign": {"source": "newsletter", "medium": "email", "name": "Winter"},
            "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) Mobile/15E148",
            "page": {"url": f"https://shop.example/p/{number}"},
        },
        "integrations": {},
    }
    return {**message, **fields}


@settings(max_examples=300, deadline=None)
@given(st.lists(stored_track(), min_size=1, max_size=8))
def test_stored_track_messages_map_as_in_python(
    compute: Compute, drawn: list[dict[str, object]]
) -> None:
    """Track messages in and near the shape SQL maps (about half of them go the SQL way)."""
    assert_same_rows([compact(message) for message in drawn], compute)


@settings(max_examples=100, deadline=None)
@given(st.lists(messages(), min_size=1, max_size=6))
def test_any_messages_map_as_in_python(compute: Compute, drawn: list[dict[str, object]]) -> None:
    """Odd, wrong and well-formed messages as the collector's JSON writer stores them."""
    assert_same_rows([compact(message) for message in drawn], compute)


client_message = st.fixed_dictionaries(
    {"type": st.just("track"), "event": event_names},
    optional={
        "userId": identifier,
        "anonymousId": identifier | st.text(max_size=6),
        "messageId": identifier | st.text(min_size=1, max_size=8),
        "timestamp": iso_times(),
        "sentAt": iso_times(),
        "channel": st.sampled_from(["browser", "mobile", "server"]),
        "properties": properties | st.dictionaries(st.text(max_size=6), json_value | money),
        "context": context,
    },
)


@settings(max_examples=200, deadline=None)
@given(st.lists(client_message, min_size=1, max_size=6))
def test_messages_the_collector_accepted_map_as_in_python(
    compute: Compute, drawn: list[dict[str, object]]
) -> None:
    """Bodies from the collector's own check (ids as text, times stamped and skew-corrected)."""
    envelope = Envelope(received_at=RECEIVED)
    bodies = []
    for message in drawn:
        try:
            bodies.append(check_message(message, "", None, envelope, 32_000).body)
        except InvalidRequest:
            continue
    assert_same_rows(bodies, compute)


def test_the_typical_messages_are_mapped_in_sql(compute: Compute) -> None:
    bodies = [compact(typical(number)) for number in range(50)]
    bodies += [compact(typical(50, context={}, properties={}))]
    bodies += [compact(typical(51, userId=None, properties={"revenue": "59.90"}))]
    mapped, rest = sql_mapped(compute, logged(bodies))
    assert rest == [] and mapped.num_rows == len(bodies)
    assert_same_rows(bodies, compute)


@pytest.mark.parametrize(
    ("case", "odd"),
    [
        ("a page call", typical(1, type="page")),
        ("an escape in a string", typical(1, properties={"title": 'Sale "50%"'})),
        ("a number in exponent form", typical(1, properties={"big": 1e16})),
        ("a tiny number", typical(1, properties={"small": 0.00001})),
        ("an integer beyond 64 bits", typical(1, properties={"id": 2**70})),
        ("an id with a trailing space", typical(1, userId="user-1 ")),
        ("an id with a no-break space", typical(1, anonymousId="\u00a0anon")),
        ("a numeric id", typical(1, userId=42)),
        ("a property named event", typical(1, properties={"event": "x"})),
        ("properties not an object", typical(1, properties=["x"])),
        ("context not an object", typical(1, context="web")),
        ("a time with an offset", typical(1, timestamp="2026-11-27T07:04:41.120+01:00")),
        ("February 30th", typical(1, timestamp="2026-02-30T06:04:41.120Z")),
        ("skew still to correct", typical(1, originalTimestamp=None)),
        ("no ids at all", typical(1, userId=None, anonymousId=None)),
        ("a revenue that is no number", typical(1, properties={"revenue": "abc"})),
        ("an empty event name", typical(1, event="  ")),
    ],
)
def test_odd_messages_go_the_python_way(
    compute: Compute, case: str, odd: dict[str, object]
) -> None:
    bodies = [compact(typical(0)), compact({k: v for k, v in odd.items() if v is not None})]
    mapped, rest = sql_mapped(compute, logged(bodies))
    assert [entry.body for entry in rest] == [bodies[1]], case
    assert mapped.num_rows == 1
    assert_same_rows(bodies, compute)


TRUTH_CASES = [None, False, True, 0, 1, -1, 0.0, -0.0, 0.5, "", "x", [], [0], {}, {"a": None}]


@pytest.mark.parametrize("name", ["app", "page", "userAgent"])
def test_channel_follows_pythons_truth_of_each_value(compute: Compute, name: str) -> None:
    """``context.app``/``page``/``userAgent`` decide the channel by their truth alone."""
    bodies = [
        compact(typical(number, context={name: value})) for number, value in enumerate(TRUTH_CASES)
    ]
    mapped, rest = sql_mapped(compute, logged(bodies))
    assert rest == []
    assert_same_rows(bodies, compute)
    assert set(mapped["channel"].to_pylist()) == {None, "app" if name == "app" else "web"}


def test_a_body_that_is_not_json_sends_the_whole_batch_the_python_way(compute: Compute) -> None:
    """Only a hand-edited log holds one; the Python mapping quarantines it with its reason."""
    bodies = [compact(typical(0)), '{"type": "track", "event": ', compact(typical(1))]
    mapped, rest = sql_mapped(compute, logged(bodies))
    assert mapped.num_rows == 0 and len(rest) == 3
    rows = to_record_batch(logged(bodies), compute).to_pylist()
    assert "malformed JSON" in str(rows[1]["_error"]) and rows[0]["_error"] is None


def test_an_id_is_plain_exactly_when_python_would_not_strip_it(compute: Compute) -> None:
    """Every code point at either end of an id (those JSON writes without an escape)."""
    codes = [code for code in range(0x20, 0x110000) if chr(code) not in '"\\']
    codes = [code for code in codes if not 0xD800 <= code <= 0xDFFF]
    ids = [f'"{chr(code)}x"' for code in codes] + [f'"x{chr(code)}"' for code in codes]
    found = compute.connection.execute(
        "SELECT list(regexp_full_match(id, $pattern)) FROM unnest($ids) AS t(id)",
        {"pattern": _ID, "ids": ids},
    ).fetchall()[0][0]
    expected = [json.loads(text) == json.loads(text).strip() for text in ids]
    assert found == expected
