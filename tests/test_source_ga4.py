"""The GA4 export source: NDJSON, gzipped NDJSON and Parquet give the same events and ids."""

from __future__ import annotations

import gzip
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ga4_support import json_rows, write_parquet
from journeykit.errors import FileProblem
from journeykit.events.ingest import ingest_files, options_for
from journeykit.events.sources._lines import read_lines
from journeykit.events.sources.base import ReadOptions
from journeykit.events.sources.ga4 import GA4_SCHEMA, Ga4Source
from journeykit.events.sources.ga4_mapping import (
    GA4_EVENT_NAMES,
    ID_FIELDS,
    Ga4RowError,
    flatten_params,
    ga4_row_to_event,
)
from journeykit.store.analytic import open_analytic
from journeykit.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "events"
DAY = FIXTURES / "ga4" / "events_20261101.json"
SOURCE = Ga4Source()


def read(path: Path, batch_rows: int = 100_000) -> list[dict[str, object]]:
    batches = list(SOURCE.read(path, ReadOptions(batch_rows=batch_rows)))
    assert all(batch.schema == GA4_SCHEMA for batch in batches)
    return pa.Table.from_batches(batches, schema=GA4_SCHEMA).to_pylist()


def props(row: dict[str, object]) -> dict[str, object]:
    assert isinstance(row["properties"], str)
    value = json.loads(row["properties"])
    assert isinstance(value, dict)
    return value


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return read(DAY)


def test_every_line_is_one_row_numbered_by_line(rows: list[dict[str, object]]) -> None:
    assert [row["_row"] for row in rows] == list(range(1, 12))
    assert [row["_line"] for row in rows] == list(range(1, 12))
    lines = DAY.read_text(encoding="utf-8").splitlines()
    assert [row["_raw"] for row in rows] == lines


def test_names_map_recommended_events_and_keep_the_rest(rows: list[dict[str, object]]) -> None:
    names = [row["name"] for row in rows if row["_error"] is None]
    assert names == [
        "session_start",
        "page_viewed",
        "product_viewed",
        "product_added",
        "checkout_started",
        "order_completed",
        "screen_viewed",
        "newsletter_signup",
        "order_refunded",
    ]
    assert props(rows[5])["ga4"]["event_name"] == "purchase"  # type: ignore[index]


def test_timestamps_are_utc_microseconds(rows: list[dict[str, object]]) -> None:
    assert rows[2]["ts"] == datetime(2026, 11, 1, 9, 15, 2, 123456, tzinfo=UTC)
    assert rows[3]["ts"] == datetime(2026, 11, 1, 9, 16, 10, 500, tzinfo=UTC)


def test_ids_channel_device(rows: list[dict[str, object]]) -> None:
    purchase, app, tablet = rows[5], rows[6], rows[8]
    assert (purchase["user_id"], purchase["anonymous_id"]) == ("c-20931", "1904861713.1793008902")
    assert (purchase["channel"], purchase["device"]) == ("web", "desktop")
    assert (app["user_id"], app["anonymous_id"]) == (None, "f3c2a7d4e5b64c1e9a0d8b7c6e5f4a3b")
    assert (app["channel"], app["device"]) == ("app", "mobile")
    assert tablet["device"] == "tablet"


def test_params_are_flattened_with_their_types(rows: list[dict[str, object]]) -> None:
    purchase = props(rows[5])
    assert purchase["ga_session_id"] == 1793524479  # int_value "1793524479" in JSON
    assert purchase["value"] == 102.82  # double_value
    assert purchase["transaction_id"] == "1001"  # string_value stays text
    assert purchase["user_properties"] == {"customer_tier": "stammkunde", "orders_total": 4}
    signup = props(rows[8])
    assert (signup["double_opt_in"], signup["score"], signup["form_id"]) == (1, 0.75, "footer")


def test_purchase_revenue_currency_items(rows: list[dict[str, object]]) -> None:
    purchase = rows[5]
    assert (purchase["revenue"], purchase["currency"]) == (102.82, "EUR")
    items = props(purchase)["items"]
    assert isinstance(items, list)
    assert [(item["item_id"], item["quantity"], item["price"]) for item in items] == [
        ("LL-KB-5050-NAT", 2, 24.9),
        ("LL-PL-130-GRAU", 1, 59.0),
    ]
    assert items[0]["item_params"] == {"material": "Leinen"}
    assert props(purchase)["ecommerce"]["unique_items"] == 2  # type: ignore[index]


def test_value_is_revenue_only_on_purchase_and_refund(rows: list[dict[str, object]]) -> None:
    add_to_cart, refund = rows[3], rows[10]
    assert add_to_cart["revenue"] is None
    assert props(add_to_cart)["value"] == 49.8
    assert refund["revenue"] == -39.9


def test_traffic_event_scope_first_then_first_touch(rows: list[dict[str, object]]) -> None:
    page_view, view_item = rows[1], rows[2]
    for row in (page_view, view_item):
        assert (row["source"], row["medium"], row["campaign"]) == ("google", "cpc", "herbst_sale")
    assert props(page_view)["ga4"]["traffic_scope"] == "event"  # type: ignore[index]
    assert props(view_item)["ga4"]["traffic_scope"] == "user_first_touch"  # type: ignore[index]


def test_bad_rows_are_quarantined_with_a_reason(rows: list[dict[str, object]]) -> None:
    missing, malformed = rows[7], rows[9]
    assert isinstance(missing["_error"], str)
    assert missing["_error"].startswith("event_timestamp is missing")
    assert missing["ts"] is None and missing["name"] is None
    assert isinstance(malformed["_error"], str)
    assert malformed["_error"].startswith("malformed JSON")
    assert sum(row["_error"] is not None for row in rows) == 2


def test_event_ids_are_unique_and_stable_across_reads(rows: list[dict[str, object]]) -> None:
    ids = [row["event_id"] for row in rows if row["_error"] is None]
    assert len(set(ids)) == len(ids)
    assert all(isinstance(value, str) and value.startswith("ga4:") for value in ids)
    assert [row["event_id"] for row in read(DAY)] == [row["event_id"] for row in rows]


def test_a_rewritten_day_keeps_the_ids() -> None:
    """GA4 fills attribution and lifetime value in later; the id must not move."""
    row = json_rows(DAY)[5]
    rewritten = {
        **row,
        "traffic_source": {"name": "(organic)", "medium": "organic", "source": "google"},
        "user_ltv": {"revenue": 310.5, "currency": "EUR"},
        "session_traffic_source_last_click": {"manual_campaign": {"source": "google"}},
        "event_server_timestamp_offset": "1400",
    }
    assert ga4_row_to_event(rewritten)["event_id"] == ga4_row_to_event(row)["event_id"]
    other_bundle = {**row, "event_bundle_sequence_id": "9"}
    assert ga4_row_to_event(other_bundle)["event_id"] != ga4_row_to_event(row)["event_id"]


def test_gzipped_shard_reads_the_same(tmp_path: Path, rows: list[dict[str, object]]) -> None:
    shard = tmp_path / "events_20261101.json.gz"
    shard.write_bytes(gzip.compress(DAY.read_bytes()))
    assert SOURCE.sniff(shard, shard.read_bytes()[:512])
    assert read(shard) == rows


def test_parquet_export_gives_the_same_events(
    tmp_path: Path, rows: list[dict[str, object]]
) -> None:
    path = write_parquet(json_rows(DAY), tmp_path / "events_20261101.parquet")
    assert pq.ParquetFile(path).metadata.num_row_groups > 1
    from_parquet = read(path, batch_rows=4)
    good = [row for row in rows if row["_error"] is None]
    parquet_good = [row for row in from_parquet if row["_error"] is None]
    fields = ["event_id", "ts", "name", "user_id", "anonymous_id", "revenue", "currency"]
    assert [[row[f] for f in fields] for row in parquet_good] == [
        [row[f] for f in fields] for row in good
    ]
    for json_row, parquet_row in zip(good, parquet_good, strict=True):
        assert props(parquet_row) == props(json_row)
    assert [row["_error"] is not None for row in from_parquet].count(True) == 1


def test_reading_is_batched(tmp_path: Path) -> None:
    batches = list(SOURCE.read(DAY, ReadOptions(batch_rows=4)))
    assert [batch.num_rows for batch in batches] == [4, 4, 3]


def test_sniff_recognises_ga4_only(tmp_path: Path) -> None:
    assert SOURCE.sniff(DAY, DAY.read_bytes()[:2048])
    for other in ("segment/messages.jsonl", "shopify/orders_export.csv"):
        path = FIXTURES / other
        assert not SOURCE.sniff(path, path.read_bytes()[:2048])
    ga4_parquet = write_parquet(json_rows(DAY), tmp_path / "ga4.parquet")
    assert SOURCE.sniff(ga4_parquet, ga4_parquet.read_bytes()[:4])
    plain = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"ts": ["2026-11-01"], "name": ["x"]}), plain)
    assert not SOURCE.sniff(plain, plain.read_bytes()[:4])


def test_truncated_gzip_names_the_last_line(tmp_path: Path) -> None:
    data = gzip.compress(DAY.read_bytes() * 20)
    shard = tmp_path / "events_20261102.json.gz"
    shard.write_bytes(data[: len(data) // 2])
    with pytest.raises(FileProblem, match="cannot be read after line"):
        read(shard)


def test_overlong_line_is_skipped_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "events.json"
    shutil.copy(DAY, path)
    with path.open("a", encoding="utf-8") as stream:
        stream.write('{"event_name": "' + "x" * 5000 + '"}\n{"a": 1}\n')
    lines = list(read_lines(path, max_bytes=4096))
    assert lines[-2].error == "line is longer than 4096 bytes; it was skipped"
    assert (lines[-1].number, lines[-1].text) == (13, '{"a": 1}')


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"event_timestamp": "soon"}, "event_timestamp is 'soon', expected an integer"),
        ({"event_timestamp": "999999999999999999"}, "outside the years 1–9999"),
        ({"event_name": None}, "event_name is missing"),
        ({"event_params": {"key": "x"}}, "event_params is dict, expected a list"),
        ({"event_params": [{"value": {}}]}, "event_params[0] has no text 'key'"),
        ({"items": [{"quantity": "zwei"}]}, "items[0].quantity is 'zwei'"),
        ({"ecommerce": {"purchase_revenue": "NaN"}}, "ecommerce.purchase_revenue is nan"),
    ],
)
def test_damaged_rows_say_what_is_wrong(change: dict[str, object], reason: str) -> None:
    row = {**json_rows(DAY)[5], **change}
    with pytest.raises(Ga4RowError) as raised:
        ga4_row_to_event(row)
    assert reason in str(raised.value)


# --- properties: flattening any well-formed parameter list ---------------------------------

_TYPED = st.one_of(
    st.tuples(st.just("string_value"), st.text(max_size=20)),
    st.tuples(st.just("int_value"), st.integers(min_value=-(2**63), max_value=2**63 - 1)),
    st.tuples(st.just("double_value"), st.floats(allow_nan=False, allow_infinity=False)),
    st.tuples(st.just("float_value"), st.floats(allow_nan=False, allow_infinity=False)),
)


@given(
    st.lists(st.tuples(st.text(min_size=1, max_size=12), _TYPED), max_size=12),
    st.booleans(),
)
def test_flattening_keeps_each_key_with_its_typed_value(
    params: list[tuple[str, tuple[str, object]]], ints_as_text: bool
) -> None:
    exported = []
    for key, (kind, value) in params:
        shown = str(value) if kind == "int_value" and ints_as_text else value
        exported.append({"key": key, "value": {kind: shown}})
    flat = flatten_params(exported)
    expected = {key: value for key, (_, value) in params}  # the last of a repeated key wins
    assert flat == expected
    assert all(type(flat[key]) is type(value) for key, value in expected.items())
    assert json.loads(json.dumps(flat)) == flat


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
_KEYS = st.sampled_from(
    [
        "event_timestamp",
        "event_name",
        "event_params",
        "user_properties",
        "items",
        "ecommerce",
        "device",
        "traffic_source",
        "collected_traffic_source",
        "platform",
        "user_id",
        "user_pseudo_id",
        "event_bundle_sequence_id",
        "batch_event_index",
    ]
)


EVENT_COLUMNS = pa.schema([GA4_SCHEMA.field(name) for name in GA4_SCHEMA.names[:13]])
BASE_ROW = json_rows(DAY)[5]


@given(st.dictionaries(_KEYS, _JSON, max_size=6))
def test_any_row_maps_or_fails_with_a_reason(overrides: dict[str, object]) -> None:
    row = {**BASE_ROW, **overrides}
    try:
        event = ga4_row_to_event(row)
    except Ga4RowError as error:
        assert str(error)
        return
    assert isinstance(event["properties"], str)
    json.loads(event["properties"], parse_constant=lambda name: pytest.fail(name))
    assert pa.RecordBatch.from_pylist([event], schema=EVENT_COLUMNS).num_rows == 1


DOCS = Path(__file__).parents[1] / "docs" / "events-sources.md"


def test_docs_list_every_renamed_event_and_the_id_rule() -> None:
    text = DOCS.read_text(encoding="utf-8")
    names = text[text.index("Event names:") : text.index("### The GA4 event id")]
    table = re.findall(r"^\| `([a-z_]+)`(?:, `([a-z_]+)`)? \| `([a-z_]+)` \|$", names, re.M)
    documented = {ga4: ours for first, second, ours in table for ga4 in (first, second) if ga4}
    assert documented == dict(GA4_EVENT_NAMES)
    rule = text[text.index('event_id = "ga4:"') :].split("```")[0]
    assert re.findall(r"[a-z_]+(?=[,\]])", rule) == list(ID_FIELDS)


# --- end to end: through the ingest pipeline into the workspace's DuckDB file --------------


def stored_events(workspace: Workspace) -> list[dict[str, object]]:
    with open_analytic(workspace) as store:
        return store.fetch(store.table("events")).to_pylist()


def test_reloading_a_rewritten_day_adds_nothing(workspace: Workspace, tmp_path: Path) -> None:
    options = options_for(workspace, progress=False)
    first = ingest_files(workspace, [DAY], format="ga4", options=options)
    assert first.as_json() == {"read": 11, "kept": 9, "duplicates": 0, "quarantined": 2}
    assert workspace.root.joinpath("data", "events.duckdb").is_file()

    # Two days later GA4 has rewritten the table with attribution filled in; it comes back as
    # a gzipped shard and, from another export job, as Parquet.
    rows = json_rows(DAY)
    for row in rows:
        row["traffic_source"] = {"name": "(organic)", "medium": "organic", "source": "google"}
        row["user_ltv"] = {"revenue": 310.5, "currency": "EUR"}
    shard = tmp_path / "events_20261101.json.gz"
    shard.write_bytes(gzip.compress("".join(json.dumps(row) + "\n" for row in rows).encode()))
    parquet = write_parquet(rows, tmp_path / "events_20261101.parquet")
    again = ingest_files(workspace, [shard, parquet], options=options)  # --format auto
    assert not again.failures
    assert (again.kept, again.duplicates, again.quarantined) == (0, 18, 2)

    events = stored_events(workspace)
    assert len(events) == 9
    purchase = next(event for event in events if event["name"] == "order_completed")
    assert (purchase["revenue"], purchase["currency"]) == (102.82, "EUR")
    assert purchase["ts"] == datetime(2026, 11, 1, 9, 21, 7, 901234, tzinfo=UTC)
    assert json.loads(str(purchase["properties"]))["ga4"]["traffic_scope"] == "user_first_touch"
