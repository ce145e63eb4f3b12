"""The Segment source and its message mapping, shared with the HTTP collector."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from journeykit.events.ingest import ingest_files, options_for
from journeykit.events.sources._batches import to_batch
from journeykit.events.sources.base import ReadOptions
from journeykit.events.sources.segment import SEGMENT_SCHEMA, SegmentSource
from journeykit.events.sources.segment_message import (
    SEGMENT_TYPES,
    V1_EVENT_NAMES,
    MessageError,
    normalise_event_name,
    segment_message_to_row,
)
from journeykit.store.analytic import open_analytic
from journeykit.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "events"
MESSAGES = FIXTURES / "segment" / "messages.jsonl"
SOURCE = SegmentSource()


def read(path: Path, batch_rows: int = 100_000) -> list[dict[str, object]]:
    batches = list(SOURCE.read(path, ReadOptions(batch_rows=batch_rows)))
    assert all(batch.schema == SEGMENT_SCHEMA for batch in batches)
    return pa.Table.from_batches(batches, schema=SEGMENT_SCHEMA).to_pylist()


def props(row: dict[str, object]) -> dict[str, object]:
    assert isinstance(row["properties"], str)
    value = json.loads(row["properties"])
    assert isinstance(value, dict)
    return value


def mapped(**message: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "track",
        "event": "Order Completed",
        "userId": "c-1",
        "messageId": "m-1",
        "timestamp": "2026-11-02T10:00:00Z",
    }
    result = segment_message_to_row({**base, **message})
    assert not isinstance(result, MessageError), str(result)
    return result


def refused(**message: object) -> MessageError:
    base: dict[str, object] = {
        "type": "track",
        "event": "Order Completed",
        "userId": "c-1",
        "timestamp": "2026-11-02T10:00:00Z",
    }
    result = segment_message_to_row({key: value for key, value in {**base, **message}.items()})
    assert isinstance(result, MessageError)
    return result


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return read(MESSAGES)


def test_each_line_is_one_row_blank_lines_skipped(rows: list[dict[str, object]]) -> None:
    assert [row["_row"] for row in rows] == [1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]
    assert [row["_line"] for row in rows] == [row["_row"] for row in rows]
    lines = MESSAGES.read_text(encoding="utf-8").splitlines()
    assert all(row["_raw"] == lines[int(str(row["_row"])) - 1] for row in rows)


def test_types_map_to_names(rows: list[dict[str, object]]) -> None:
    names = [(row["_row"], row["name"]) for row in rows if row["_error"] is None]
    assert names == [
        (1, "page_viewed"),
        (2, "product_added"),
        (3, "identify"),
        (5, "order_completed"),
        (7, "screen_viewed"),
        (10, "alias"),
        (11, "group"),
        (12, "order_completed"),  # "Completed Order", e-commerce spec v1
        (13, "order_refunded"),
    ]
    assert props(rows[4])["event"] == "Order Completed"
    assert props(rows[10])["event"] == "Completed Order"


def test_event_id_is_the_message_id(rows: list[dict[str, object]]) -> None:
    assert rows[0]["event_id"] == "ajs-next-1793613792001-2f1e9b1c"
    assert rows[6]["event_id"] == "B1C2D3E4-0001-4A5B-8C9D-0E1F2A3B4C5D"


def test_clock_skew_is_corrected(rows: list[dict[str, object]]) -> None:
    order = rows[4]  # client clock two hours fast: sentAt − timestamp = 0.5 s before receivedAt
    assert order["ts"] == datetime(2026, 11, 2, 13, 48, 30, 250000, tzinfo=UTC)
    identify = rows[2]  # offsets in +01:00 and Z mixed
    assert identify["ts"] == datetime(2026, 11, 2, 12, 47, 0, 200000, tzinfo=UTC)


def test_timestamp_already_corrected_by_segment_is_kept(rows: list[dict[str, object]]) -> None:
    assert rows[10]["ts"] == datetime(2026, 11, 1, 21, 0, tzinfo=UTC)


def test_context_gives_campaign_device_channel(rows: list[dict[str, object]]) -> None:
    page = rows[0]
    assert (page["source"], page["medium"], page["campaign"]) == (
        "instagram",
        "social",
        "herbst_sale",
    )
    assert (page["channel"], page["device"]) == ("web", "mobile")  # an iPhone user agent
    screen = rows[6]
    assert (screen["channel"], screen["device"]) == ("app", "mobile")
    group = rows[9]
    assert (group["channel"], group["device"]) == (None, None)  # server side: nothing known


def test_page_properties_include_the_page_context(rows: list[dict[str, object]]) -> None:
    page = props(rows[0])
    assert page["name"] == "Leinen-Kissenbezug"
    assert page["category"] == "Produkte"
    assert page["referrer"] == "https://www.instagram.com/"
    assert page["path"] == "/produkte/leinen-kissenbezug"
    assert page["context"]["locale"] == "de-DE"  # type: ignore[index]


def test_identify_alias_group_carry_their_fields(rows: list[dict[str, object]]) -> None:
    identify, alias, group = rows[2], rows[8], rows[9]
    assert (identify["user_id"], identify["anonymous_id"]) == (
        "c-20931",
        "0d1c1e51-3f3a-4b4e-9c41-6a1b2c3d4e5f",
    )
    assert props(identify)["traits"]["plan"] == "stammkunde"  # type: ignore[index]
    assert props(alias)["previous_id"] == "7F1A2B3C-4D5E-6F70-8192-A3B4C5D6E7F8"
    assert props(group)["group_id"] == "b2b-hotel-ostseeblick"
    assert props(group)["traits"]["employees"] == 42  # type: ignore[index]


def test_revenue_and_currency(rows: list[dict[str, object]]) -> None:
    order, legacy, refund = rows[4], rows[10], rows[11]
    assert (order["revenue"], order["currency"]) == (97.92, "EUR")  # revenue before total
    assert legacy["revenue"] == 39.9  # total, sent as text
    assert refund["revenue"] == -39.9
    assert rows[1]["revenue"] is None


def test_bad_lines_are_quarantined_with_a_reason(rows: list[dict[str, object]]) -> None:
    errors = {row["_row"]: row["_error"] for row in rows if row["_error"] is not None}
    assert errors == {
        4: "type: 'trak' is not a Segment message type — did you mean 'track'?",
        6: "malformed JSON: Expecting ',' delimiter: line 1 column 158 (char 157)",
        8: "event: is missing or empty — a track call names what happened",
    }


def test_reading_is_batched() -> None:
    batches = list(SOURCE.read(MESSAGES, ReadOptions(batch_rows=5)))
    assert [batch.num_rows for batch in batches] == [5, 5, 2]


def test_sniff_recognises_segment_only() -> None:
    assert SOURCE.sniff(MESSAGES, MESSAGES.read_bytes()[:4096])
    assert SOURCE.sniff(MESSAGES, MESSAGES.read_bytes()[:120])  # first line cut short
    for other in ("ga4/events_20261101.json", "shopify/orders_export.csv"):
        path = FIXTURES / other
        assert not SOURCE.sniff(path, path.read_bytes()[:4096])


@pytest.mark.parametrize(
    ("event", "name"),
    [
        ("Order Completed", "order_completed"),
        ("order_completed", "order_completed"),
        ("orderCompleted", "order_completed"),
        ("  Product  Added ", "product_added"),
        ("checkout-started", "checkout_started"),
        ("Completed Order", "order_completed"),
        ("Viewed Product", "product_viewed"),
        ("Warenkorb geöffnet", "warenkorb_geöffnet"),
        ("NPS Survey Answered", "nps_survey_answered"),
        ("!!!", "!!!"),
    ],
)
def test_event_name_normalisation(event: str, name: str) -> None:
    assert normalise_event_name(event) == name


def test_skew_needs_all_three_times() -> None:
    no_sent = mapped(receivedAt="2026-11-02T12:00:00Z")
    assert no_sent["ts"] == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    only_received = segment_message_to_row(
        {"type": "page", "userId": "u", "receivedAt": "2026-11-02T12:00:00Z"}
    )
    assert isinstance(only_received, dict)
    assert only_received["ts"] == datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
    naive = mapped(timestamp="2026-11-02T10:00:00")
    assert naive["ts"] == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)


def test_user_property_named_like_a_reserved_key_is_kept() -> None:
    row = mapped(properties={"context": "Startseite", "event": "x"}, context={"locale": "de-DE"})
    assert props(row) == {
        "property_context": "Startseite",
        "property_event": "x",
        "event": "Order Completed",
        "context": {"locale": "de-DE"},
    }


def test_identify_takes_traits_from_the_context_too() -> None:
    row = segment_message_to_row(
        {"type": "identify", "userId": "u", "context": {"traits": {"email": "a@example.de"}}}
        | {"timestamp": "2026-11-02T10:00:00Z"}
    )
    assert isinstance(row, dict)
    assert props(row)["traits"] == {"email": "a@example.de"}


@pytest.mark.parametrize(
    ("message", "field", "reason"),
    [
        ({"type": None}, "type", "is missing"),
        ({"type": "Identity"}, "type", "'Identity' is not a Segment message type"),
        ({"userId": None}, "userId", "a message needs a userId or an anonymousId"),
        ({"userId": ["u"]}, "userId", "is list, expected text"),
        ({"timestamp": "gestern"}, "timestamp", "'gestern' is not an ISO-8601 time"),
        ({"timestamp": 1793613792}, "timestamp", "is int, expected text"),
        ({"timestamp": None}, "timestamp", "is missing"),
        ({"properties": [1, 2]}, "properties", "is list, expected a JSON object"),
        ({"properties": {"revenue": "12,50 €"}}, "properties.revenue", "is not a number"),
        ({"properties": {"revenue": True}}, "properties.revenue", "is not a number"),
        ({"type": "alias", "previousId": None}, "previousId", "is missing"),
        ({"type": "group"}, "groupId", "is missing"),
        (
            {"timestamp": "9999-12-31T23:00:00Z", "sentAt": "2000-01-01T00:00:00Z"}
            | {"receivedAt": "9999-12-31T23:00:00Z"},
            "timestamp",
            "outside the years 1–9999",
        ),
    ],
)
def test_refused_messages_name_the_field(
    message: dict[str, object], field: str, reason: str
) -> None:
    error = refused(**message)
    assert error.field == field
    assert reason in error.reason
    assert str(error).startswith(f"{field}: ")


def test_batch_envelope_on_a_line_gets_a_hint() -> None:
    error = segment_message_to_row({"batch": [], "sentAt": "2026-11-02T10:00:00Z"})
    assert isinstance(error, MessageError)
    assert str(error) == "type: is missing — unpack batches to one message per line"


# --- properties: any message maps or is refused with a field, never a crash ----------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=10,
)
_TIMES = st.datetimes(timezones=st.sampled_from([UTC])).map(lambda moment: moment.isoformat())
_FIELDS = st.sampled_from(
    [
        "type",
        "event",
        "userId",
        "anonymousId",
        "messageId",
        "timestamp",
        "sentAt",
        "receivedAt",
        "originalTimestamp",
        "properties",
        "context",
        "traits",
        "previousId",
        "groupId",
        "name",
        "channel",
    ]
)
_ANY_MESSAGE = st.dictionaries(
    _FIELDS, _JSON | _TIMES | st.sampled_from([*SEGMENT_TYPES, "trak"]), max_size=10
)


def _check_row(row: dict[str, object]) -> None:
    moment = row["ts"]
    assert isinstance(moment, datetime) and moment.utcoffset() is not None
    assert moment.utcoffset().total_seconds() == 0  # type: ignore[union-attr]
    assert isinstance(row["name"], str) and row["name"]
    assert row["user_id"] is not None or row["anonymous_id"] is not None
    assert isinstance(row["properties"], str)
    json.loads(row["properties"], parse_constant=lambda name: pytest.fail(name))
    assert to_batch([row], SEGMENT_SCHEMA).num_rows == 1


@given(_ANY_MESSAGE)
def test_any_message_maps_or_is_refused_clearly(message: dict[str, object]) -> None:
    result = segment_message_to_row(message)
    if isinstance(result, MessageError):
        assert result.field and result.reason
        return
    _check_row(result)


_ID = st.text(min_size=1, max_size=12).filter(str.strip)
_VALID = st.fixed_dictionaries(
    {
        "type": st.sampled_from(SEGMENT_TYPES),
        "event": _ID,
        "userId": _ID,
        "messageId": _ID,
        "previousId": _ID,
        "groupId": _ID,
        "timestamp": st.datetimes(
            min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
        ).map(datetime.isoformat),
    },
    optional={
        "anonymousId": _ID,
        "properties": st.dictionaries(st.text(max_size=8), _JSON, max_size=4),
        "traits": st.dictionaries(st.text(max_size=8), _JSON, max_size=4),
        "context": st.fixed_dictionaries(
            {},
            optional={
                "campaign": st.fixed_dictionaries({"source": _ID, "medium": _ID, "name": _ID}),
                "userAgent": st.text(max_size=30),
                "page": st.fixed_dictionaries({"path": st.text(max_size=10)}),
            },
        ),
    },
)


@given(_VALID)
def test_valid_messages_always_map(message: dict[str, object]) -> None:
    properties = message.get("properties")
    if isinstance(properties, dict):
        properties.pop("revenue", None)
        properties.pop("total", None)
    result = segment_message_to_row(message)
    assert not isinstance(result, MessageError), str(result)
    _check_row(result)
    assert result["event_id"] == str(message["messageId"]).strip()
    fixed = {"page": "page_viewed", "screen": "screen_viewed", "identify": "identify"}
    fixed |= {"group": "group", "alias": "alias"}
    kind = str(message["type"])
    expected = fixed.get(kind) or normalise_event_name(str(message["event"]))
    assert result["name"] == expected


def test_deeply_nested_properties_are_refused_not_a_crash() -> None:
    deep: object = 1
    for _ in range(5000):
        deep = {"a": deep}
    error = refused(properties=deep)
    assert (error.field, error.reason) == (
        "properties",
        "nests lists and objects too deeply (hundreds of levels)",
    )


def test_docs_list_every_v1_name() -> None:
    text = (Path(__file__).parents[1] / "docs" / "events-sources.md").read_text(encoding="utf-8")
    section = text[text.index("Names of the e-commerce spec v1") :].split("\n\n")[0]
    pairs = re.findall(r"`([A-Z][A-Za-z ]+)` →\s+`([a-z_]+)`", section)
    assert {normalise_event_name(v1): v2 for v1, v2 in pairs} == {
        name: name for name in V1_EVENT_NAMES.values()
    }
    assert len(pairs) == len(V1_EVENT_NAMES)


# --- end to end: through the ingest pipeline into the workspace's DuckDB file --------------


def test_messages_land_exactly_once(workspace: Workspace) -> None:
    options = options_for(workspace, progress=False)
    first = ingest_files(workspace, [MESSAGES], format="segment", options=options)
    assert first.as_json() == {"read": 12, "kept": 9, "duplicates": 0, "quarantined": 3}
    again = ingest_files(workspace, [MESSAGES], options=options)  # --format auto
    assert (again.kept, again.duplicates, again.quarantined) == (0, 9, 3)
    with open_analytic(workspace) as store:
        events = store.fetch(store.table("events")).to_pylist()
    assert len(events) == 9
    order = next(event for event in events if event["event_id"].endswith("9e8d7c6b"))  # type: ignore[union-attr]
    assert order["ts"] == datetime(2026, 11, 2, 13, 48, 30, 250000, tzinfo=UTC)
    assert (order["name"], order["revenue"], order["currency"]) == ("order_completed", 97.92, "EUR")
