"""The demo's source files: each parses in its own shape, every event lands in exactly one file,
and the readers of the ingest pipeline take them without a single quarantined record."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from journeykit.datasets.generator import (
    DemoTruth,
    GeneratorConfig,
    generate_demo_files,
    route,
    write_german_csv,
    write_parquet,
)
from journeykit.datasets.generator.writers.german_csv import CHANNEL_LABELS, EVENT_LABELS
from journeykit.datasets.generator.writers.shopify import HEADER, LINE_COLUMNS
from journeykit.events.mapping import load_mapping
from journeykit.events.sources.base import ERROR, ReadOptions
from journeykit.events.sources.registry import detect_source

CONFIG = GeneratorConfig(customers=400, seed=99)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, DemoTruth, dict[str, pa.Table]]:
    root = tmp_path_factory.mktemp("demo")
    truth = generate_demo_files(root / "files", CONFIG)
    write_parquet(root / "all.parquet", CONFIG)
    everything = pq.read_table(root / "all.parquet")
    parts = {
        system: pa.Table.from_batches([part])
        for system, part in route(everything.combine_chunks().to_batches()[0]).items()
    }
    return root / "files", truth, parts


def test_every_event_lands_in_exactly_one_file(
    demo: tuple[Path, DemoTruth, dict[str, pa.Table]],
) -> None:
    root, truth, parts = demo
    assert sum(part.num_rows for part in parts.values()) == truth.counts["events"]
    by_system = Counter[str]()
    for path, info in truth.files.items():
        by_system[path.split("/")[0]] += info["events"]
        assert (root / path).stat().st_size == info["bytes"]
    orders = parts["shopify"].num_rows
    assert dict(by_system) == {
        "crm": parts["crm"].num_rows,
        "ga4": parts["ga4"].num_rows,
        "segment": parts["segment"].num_rows,
        "shopify": orders,
    }
    assert set(pc.unique(parts["ga4"]["channel"]).to_pylist()) == {"web"}
    assert set(pc.unique(parts["shopify"]["name"]).to_pylist()) == {"order_completed"}


def test_german_csv_has_german_headers_decimal_comma_and_local_times(
    demo: tuple[Path, DemoTruth, dict[str, pa.Table]],
) -> None:
    root, _, parts = demo
    text = (root / "crm/kundenereignisse.csv").read_bytes().decode("utf-8")
    assert text.startswith("\ufeffVorgangs-Nr.;Zeitpunkt;Kunden-ID;Geräte-ID;Ereignis;Kanal;Gerät")
    rows = list(csv.DictReader(text.lstrip("\ufeff").splitlines(), delimiter=";"))
    expected = {row["event_id"]: row for row in parts["crm"].to_pylist()}
    assert len(rows) == len(expected)
    for row in rows:
        event = expected[row["Vorgangs-Nr."]]
        local = datetime.strptime(row["Zeitpunkt"], "%d.%m.%Y %H:%M:%S").replace(tzinfo=BERLIN)
        assert local == event["ts"]
        assert row["Ereignis"] == EVENT_LABELS[event["name"]]
        assert row["Kanal"] == CHANNEL_LABELS[event["channel"]]
        if event["revenue"] is not None:
            assert re.fullmatch(r"-?\d+,\d\d", row["Umsatz"])
            assert float(row["Umsatz"].replace(",", ".")) == pytest.approx(event["revenue"])
        if event["cost"] is not None:
            assert "." not in row["Kosten"]
            assert float(row["Kosten"].replace(",", ".")) == pytest.approx(event["cost"], abs=1e-4)
        assert json.loads(row["Zusatzdaten"] or "{}") == json.loads(event["properties"])


def test_german_csv_mapping_is_a_valid_ingest_mapping(
    demo: tuple[Path, DemoTruth, dict[str, pa.Table]],
) -> None:
    root, _, _ = demo
    mapping = load_mapping(root / "crm/kundenereignisse.mapping.yaml")
    assert mapping.delimiter == ";"
    assert mapping.decimal == ","
    assert mapping.timezone == "Europe/Berlin"
    assert mapping.columns["Zeitpunkt"] == "ts"
    assert mapping.columns["Zusatzdaten"] == "properties"
    assert mapping.values["name"]["Paket zugestellt"] == "parcel_delivered"


def test_ga4_shards_hold_the_local_day_with_typed_params(
    demo: tuple[Path, DemoTruth, dict[str, pa.Table]],
) -> None:
    root, _, parts = demo
    records = []
    for path in sorted((root / "ga4").glob("events_*.json")):
        day = path.stem.removeprefix("events_")
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            assert record["event_date"] == day
            stamp = int(record["event_timestamp"])  # INT64 as a JSON string
            assert isinstance(record["event_timestamp"], str)
            moment = datetime.fromtimestamp(stamp / 1e6, BERLIN)
            assert moment.strftime("%Y%m%d") == day
            for param in record["event_params"]:
                (kind,) = param["value"]
                assert kind in {"string_value", "int_value", "double_value"}
                if kind == "int_value":
                    assert isinstance(param["value"][kind], str)
            records.append(record)
    assert len(records) == parts["ga4"].num_rows
    names = Counter(record["event_name"] for record in records)
    assert {"page_view", "view_item", "add_to_cart", "begin_checkout"} <= set(names)
    assert all(r["device"]["category"] in {"mobile", "desktop", "tablet"} for r in records)
    assert all("user_pseudo_id" in r for r in records)


def test_segment_lines_follow_the_spec(demo: tuple[Path, DemoTruth, dict[str, pa.Table]]) -> None:
    root, _, parts = demo
    lines = (root / "segment/app.jsonl").read_text(encoding="utf-8").splitlines()
    messages = [json.loads(line) for line in lines]
    assert [m["messageId"] for m in messages] == parts["segment"]["event_id"].to_pylist()
    types = Counter(m["type"] for m in messages)
    assert set(types) == {"track", "identify", "page"}
    for message in messages:
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", message["timestamp"])
        assert message["sentAt"] >= message["timestamp"]
        assert "userId" in message or "anonymousId" in message
        if message["type"] == "track":
            assert re.fullmatch(r"[A-Z][a-z]+( [A-Z][a-z]+)*", message["event"])
        if message["type"] == "identify":
            assert message["traits"]["email"] == message["userId"]
    apps = [m for m in messages if m["context"].get("app")]
    assert apps and all(m["context"]["device"]["type"] in {"mobile", "tablet"} for m in apps)


def test_shopify_export_groups_line_items_under_their_order(
    demo: tuple[Path, DemoTruth, dict[str, pa.Table]],
) -> None:
    root, _, parts = demo
    with (root / "shopify/orders_export.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        assert tuple(next(reader)) == HEADER
        rows = [dict(zip(HEADER, row, strict=True)) for row in reader]
    orders: dict[str, list[dict[str, str]]] = {}
    for row in rows:
        if orders and row["Name"] != list(orders)[-1]:
            assert row["Name"] not in orders, "rows of one order follow each other"
        orders.setdefault(row["Name"], []).append(row)
    events = {json.loads(e["properties"])["order_id"]: e for e in parts["shopify"].to_pylist()}
    assert set(orders) == set(events)
    for name, lines in orders.items():
        event = events[name]
        first, rest = lines[0], lines[1:]
        assert first["Email"] == event["user_id"]
        assert float(first["Total"]) == pytest.approx(event["revenue"])
        items = json.loads(event["properties"])["items"]
        assert [line["Lineitem sku"] for line in lines] == [item["sku"] for item in items]
        assert first["Created at"].endswith(("+0100", "+0200"))
        for line in rest:
            empty = {c for c in ("Financial Status", "Total", "Subtotal", "Billing Name")}
            assert all(line[c] == "" for c in empty)
            assert all(line[c] == first[c] for c in LINE_COLUMNS if c != "Lineitem discount")


@pytest.mark.parametrize(
    ("folder", "source_name"),
    [("ga4", "ga4"), ("segment", "segment"), ("shopify", "shopify-orders"), ("crm", "csv")],
)
def test_the_ingest_readers_take_the_files_without_quarantine(
    demo: tuple[Path, DemoTruth, dict[str, pa.Table]], folder: str, source_name: str
) -> None:
    root, truth, _ = demo
    paths = sorted(path for path in (root / folder).iterdir() if path.suffix != ".yaml")
    mapping = root / "crm/kundenereignisse.mapping.yaml" if folder == "crm" else None
    read = errors = 0
    for path in paths:
        source = detect_source(path)
        assert source.name == source_name
        for batch in source.read(path, ReadOptions(mapping=mapping)):
            read += batch.num_rows
            if ERROR in batch.schema.names:
                errors += batch.num_rows - batch.column(ERROR).null_count
    assert errors == 0
    assert read == sum(
        info["events"] for name, info in truth.files.items() if name.startswith(folder)
    )


def test_one_german_csv_for_everything(tmp_path: Path) -> None:
    config = GeneratorConfig(customers=60, seed=5)
    truth = write_german_csv(tmp_path / "alles.csv", config)
    assert (tmp_path / "alles.mapping.yaml").is_file()
    lines = (tmp_path / "alles.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == truth.counts["events"] + 1
    assert truth.files["alles.csv"]["events"] == truth.counts["events"]
