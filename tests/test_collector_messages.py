"""Message checks, clock-skew correction and body reading of the collector, without a server."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeykit.events.collector.body import read_body
from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.exceptions import (
    InvalidBatch,
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedEncoding,
)
from journeykit.events.collector.jsontext import compact
from journeykit.events.collector.payload import parse_json, read_payload

RECEIVED = datetime(2026, 11, 26, 12, 0, 0, tzinfo=UTC)
CONFIG = CollectorConfig()


def track(**fields: object) -> dict[str, object]:
    message: dict[str, object] = {
        "type": "track",
        "event": "Order Completed",
        "userId": "u1",
        "messageId": "m1",
        "timestamp": "2026-11-26T11:59:00.000Z",
    }
    message.update(fields)
    return {key: value for key, value in message.items() if value is not None}


def stored(document: dict[str, object], kind: str = "batch") -> list[dict[str, object]]:
    payload = read_payload(document, kind, RECEIVED, CONFIG)
    return [json.loads(entry.body) for entry in payload.entries]


def test_clock_skew_is_corrected_from_sent_at() -> None:
    # The sender's clock is 1 h ahead: it says sentAt 13:00 for an event 2 min before sending.
    document = {
        "batch": [track(timestamp="2026-11-26T12:58:00Z")],
        "sentAt": "2026-11-26T13:00:00Z",
    }
    [message] = stored(document)
    assert message["timestamp"] == "2026-11-26T11:58:00.000Z"
    assert message["originalTimestamp"] == "2026-11-26T12:58:00Z"
    assert message["receivedAt"] == "2026-11-26T12:00:00.000Z"


def test_without_sent_at_the_timestamp_is_kept_and_without_timestamp_receipt_is_used() -> None:
    [kept] = stored(track(timestamp="2026-11-26T13:58:00+02:00"), "track")
    [filled] = stored(track(timestamp=None), "track")
    assert kept["timestamp"] == "2026-11-26T11:58:00.000Z"
    assert filled["timestamp"] == "2026-11-26T12:00:00.000Z"


def test_message_level_sent_at_wins_over_batch_level() -> None:
    document = {
        "batch": [track(timestamp="2026-11-26T12:00:00Z", sentAt="2026-11-26T12:00:10Z")],
        "sentAt": "2026-11-26T15:00:00Z",
    }
    [message] = stored(document)
    assert message["timestamp"] == "2026-11-26T11:59:50.000Z"


def test_batch_context_is_a_default_and_write_key_is_not_stored() -> None:
    document = {
        "batch": [track(context={"ip": "1.2.3.4"})],
        "context": {"library": {"name": "x"}, "ip": "9.9.9.9"},
        "writeKey": "secret",
    }
    payload = read_payload(document, "batch", RECEIVED, CONFIG)
    assert payload.write_key == "secret"
    [message] = [json.loads(entry.body) for entry in payload.entries]
    assert message["context"] == {"library": {"name": "x"}, "ip": "1.2.3.4"}
    assert "writeKey" not in message


def test_single_endpoint_sets_the_type_and_numeric_ids_become_text() -> None:
    [message] = stored({"userId": 42, "traits": {"plan": "pro"}, "messageId": 7}, "identify")
    assert message["type"] == "identify"
    assert message["userId"] == "42"
    assert message["messageId"] == "7"


def test_missing_message_id_gets_a_stable_content_hash() -> None:
    first = stored(track(messageId=None), "track")[0]["messageId"]
    again = stored({**track(messageId=None), "sentAt": "2026-11-26T12:00:01Z"}, "track")
    other = stored(track(messageId=None, event="Other"), "track")[0]["messageId"]
    assert str(first).startswith("sha256-")
    assert again[0]["messageId"] == first
    assert other != first


def test_duplicate_message_ids_in_one_batch_are_stored_once() -> None:
    assert len(stored({"batch": [track(), track(), track(messageId="m2")]})) == 2


@pytest.mark.parametrize(
    ("message", "field", "error"),
    [
        (track(type=None), "batch[1].type", "is missing"),
        (track(type="trak"), "batch[1].type", "'trak' is not a Segment message type"),
        (track(userId=None), "batch[1].userId", "is missing, and so is anonymousId"),
        (track(event=None), "batch[1].event", "is missing"),
        (track(timestamp="26.11.2026"), "batch[1].timestamp", "'26.11.2026' is not an ISO-8601"),
        (track(timestamp=1764158400), "batch[1].timestamp", "must be an ISO-8601 string"),
        (track(properties=[1]), "batch[1].properties", "must be a JSON object, not an array"),
        (track(userId={"id": 1}), "batch[1].userId", "must be a string, not an object"),
        ({"type": "alias", "userId": "u"}, "batch[1].previousId", "is missing"),
        ({"type": "group", "userId": "u"}, "batch[1].groupId", "is missing"),
        ("text", "batch[1]", "must be a JSON object"),
    ],
)
def test_an_invalid_message_rejects_the_batch_naming_the_field(
    message: object, field: str, error: str
) -> None:
    with pytest.raises(InvalidBatch) as caught:
        read_payload({"batch": [track(), message]}, "batch", RECEIVED, CONFIG)
    body = caught.value.body()
    assert body["field"] == field
    assert str(body["error"]).startswith(error)
    assert body["hint"]
    assert body["problem_count"] == 1


def test_the_type_hint_suggests_the_close_spelling() -> None:
    with pytest.raises(InvalidBatch) as caught:
        read_payload({"batch": [track(type="identfy")]}, "batch", RECEIVED, CONFIG)
    assert caught.value.hint == "did you mean 'identify'?"


def test_every_problem_of_a_batch_is_listed() -> None:
    batch = [track(), track(userId=None, messageId="a"), track(event=None, messageId="b")]
    with pytest.raises(InvalidBatch) as caught:
        read_payload({"batch": batch}, "batch", RECEIVED, CONFIG)
    fields = [problem["field"] for problem in caught.value.body()["problems"]]
    assert fields == ["batch[1].userId", "batch[2].event"]


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"batch": {"type": "track"}}, "batch"),
        ({"events": []}, "batch"),
        ([track()], "body"),
        ({"batch": [], "sentAt": "yesterday"}, "sentAt"),
    ],
)
def test_batch_shape_errors_name_the_field(document: object, field: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        read_payload(document, "batch", RECEIVED, CONFIG)
    assert caught.value.field == field


def test_an_oversize_message_is_413_naming_it() -> None:
    big = track(properties={"blob": "x" * 33_000})
    with pytest.raises(PayloadTooLarge) as caught:
        read_payload({"batch": [track(), big]}, "batch", RECEIVED, CONFIG)
    assert caught.value.field == "batch[1]"


def test_malformed_json_says_where() -> None:
    with pytest.raises(InvalidRequest) as caught:
        parse_json(b'{"batch": [}')
    assert caught.value.error == "malformed JSON: Expecting value at line 1 column 12"
    assert caught.value.field == "body"


async def _chunks(data: bytes, size: int = 4096) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def read(data: bytes, encoding: str | None = None, limit: int = 1000) -> bytes:
    return asyncio.run(read_body(_chunks(data), encoding, limit))


def test_gzip_bodies_are_inflated_also_when_concatenated() -> None:
    assert read(gzip.compress(b'{"a": 1}'), "gzip") == b'{"a": 1}'
    assert read(gzip.compress(b"ab") + gzip.compress(b"cd"), "gzip") == b"abcd"


def test_a_gzip_bomb_stops_at_the_limit() -> None:
    bomb = gzip.compress(b"\0" * 20_000_000, compresslevel=1)  # 20 MB of zeros in ~90 KB
    with pytest.raises(PayloadTooLarge) as caught:
        read(bomb, "gzip", limit=500 * 1024)
    assert caught.value.error == "the decompressed body is larger than 512000 bytes"


def test_plain_bodies_are_capped_and_broken_gzip_is_400() -> None:
    with pytest.raises(PayloadTooLarge):
        read(b"x" * 1001)
    assert read(b"x" * 1000) == b"x" * 1000
    with pytest.raises(InvalidRequest, match="not valid gzip"):
        read(b"not gzip at all", "gzip")
    with pytest.raises(InvalidRequest, match="before the gzip trailer"):
        read(gzip.compress(b"x" * 100)[:-6], "gzip")
    with pytest.raises(UnsupportedEncoding):
        read(b"{}", "br")


def test_an_integer_id_beyond_64_bits_keeps_every_digit() -> None:
    """orjson would read it as a float; the collector reads such bodies exactly."""
    body = b'{"batch": [{"type": "track", "event": "x", "userId": 123456789012345678901234567890,'
    body += b' "messageId": "big-int", "properties": {"n": 98765432109876543210987}}]}'
    [entry] = read_payload(parse_json(body), "batch", RECEIVED, CONFIG).entries
    message = json.loads(entry.body)
    assert message["userId"] == "123456789012345678901234567890"
    assert message["properties"] == {"n": 98765432109876543210987}


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(max_size=8), JSON_VALUES, max_size=5))
def test_the_fast_json_path_reads_and_writes_what_the_standard_library_does(
    document: dict[str, object],
) -> None:
    text = json.dumps(document, ensure_ascii=False)
    assert parse_json(text.encode()) == json.loads(text)
    assert json.loads(compact(document)) == document
