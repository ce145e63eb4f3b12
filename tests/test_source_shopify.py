"""The Shopify orders source: line-item rows grouped into one event per order (+ refunds)."""

from __future__ import annotations

import csv
import io
import itertools
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from journeykit.errors import FileProblem
from journeykit.events.ingest import ingest_files, options_for
from journeykit.events.sources import shopify
from journeykit.events.sources.base import ReadOptions
from journeykit.events.sources.shopify import SHOPIFY_SCHEMA, ShopifyOrdersSource, group_orders
from journeykit.store.analytic import open_analytic
from journeykit.workspace import Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "events"
EXPORT = FIXTURES / "shopify" / "orders_export.csv"
SOURCE = ShopifyOrdersSource()
HEADER = next(csv.reader([EXPORT.read_text(encoding="utf-8").splitlines()[0]]))


def read(path: Path, **options: object) -> list[dict[str, object]]:
    batches = list(SOURCE.read(path, ReadOptions(**options)))  # type: ignore[arg-type]
    assert all(batch.schema == SHOPIFY_SCHEMA for batch in batches)
    return pa.Table.from_batches(batches, schema=SHOPIFY_SCHEMA).to_pylist()


def props(row: dict[str, object]) -> dict[str, object]:
    assert isinstance(row["properties"], str)
    value = json.loads(row["properties"])
    assert isinstance(value, dict)
    return value


def write_orders(path: Path, rows: list[dict[str, str]], header: list[str] = HEADER) -> Path:
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def order_row(**cells: str) -> dict[str, str]:
    base = {
        "Name": "#2001",
        "Email": "kunde@example.de",
        "Financial Status": "paid",
        "Currency": "EUR",
        "Total": "10.00",
        "Created at": "2026-11-02 14:03:11 +0100",
        "Lineitem quantity": "1",
        "Lineitem name": "Leinen-Serviette",
        "Lineitem price": "10.00",
        "Lineitem sku": "LL-SV-1",
        "Id": "6011234569001",
    }
    return {**base, **cells}


@pytest.fixture(scope="module")
def rows() -> list[dict[str, object]]:
    return read(EXPORT)


def test_one_event_per_order_plus_cancellations_and_refunds(rows: list[dict[str, object]]) -> None:
    summary = [(row["_row"], row["name"], row["event_id"]) for row in rows]
    assert summary == [
        (1, "order_completed", "shopify:order_completed:6011234567001"),
        (3, "order_completed", "shopify:order_completed:6011234567002"),
        (3, "order_refunded", "shopify:order_refunded:6011234567002"),
        (5, "order_completed", "shopify:order_completed:6011234567003"),
        (5, "order_cancelled", "shopify:order_cancelled:6011234567003"),
        (5, "order_refunded", "shopify:order_refunded:6011234567003"),
        (6, "order_completed", "shopify:order_completed:6011234567004"),
        (8, None, None),
        (9, "order_completed", "shopify:order_completed:6011234567006"),
    ]


def test_order_fields_come_from_the_first_row(rows: list[dict[str, object]]) -> None:
    first = rows[0]
    assert first["ts"] == datetime(2026, 11, 2, 13, 3, 11, tzinfo=UTC)
    assert first["user_id"] == "jana.krueger@example.de"
    assert first["anonymous_id"] is None
    assert (first["revenue"], first["currency"], first["channel"]) == (102.82, "EUR", "web")
    found = props(first)
    assert found["order_name"] == "#1001"
    assert found["order_id"] == "6011234567001"
    assert (found["discount_code"], found["discount_amount"]) == ("HERBST10", 10.88)
    assert (found["shipping"], found["taxes"], found["subtotal"]) == (4.9, 16.42, 97.92)
    assert found["financial_status"] == "paid"
    assert found["paid_at"] == "2026-11-02T13:03:15+00:00"
    assert found["tags"] == ["Herbst", "Stammkunde"]


def test_line_items_of_an_order_are_grouped(rows: list[dict[str, object]]) -> None:
    items = props(rows[-1])["items"]
    assert items == [
        {
            "name": "Bettwäsche Leinen 135×200 - weiß",
            "sku": "LL-BW-135-WEI",
            "quantity": 1,
            "price": 109.0,
            "vendor": "Leinenliebe",
        },
        {
            "name": "Kissenbezug, Leinen 80×80",
            "sku": "LL-KB-8080-NAT",
            "quantity": 2,
            "price": 29.9,
            "vendor": "Leinenliebe",
        },
        {
            "name": 'Wäschesack "Kiez"',
            "sku": "LL-WS-KIEZ",
            "quantity": 1,
            "price": 18.9,
            "vendor": "Kiezgut",
        },
    ]
    discounted = props(rows[0])["items"]
    assert isinstance(discounted, list)
    assert [item["discount"] for item in discounted] == [4.98, 5.9]


def test_refunds_are_negative_and_cancellations_carry_their_time(
    rows: list[dict[str, object]],
) -> None:
    partial = rows[2]
    assert (partial["revenue"], partial["ts"]) == (-19.9, rows[1]["ts"])
    assert props(partial)["refunded_at_known"] is False
    cancelled, refunded = rows[4], rows[5]
    assert cancelled["ts"] == datetime(2026, 11, 5, 16, 2, 9, tzinfo=UTC)
    assert cancelled["revenue"] is None
    assert (refunded["revenue"], refunded["ts"]) == (-133.9, cancelled["ts"])


def test_pos_order_without_email(rows: list[dict[str, object]]) -> None:
    pos = rows[6]
    assert pos["user_id"] is None
    assert pos["anonymous_id"] == "shopify-order:6011234567004"
    assert pos["channel"] == "store"
    assert props(pos)["location"] == "Laden Leipzig"


def test_order_without_created_at_is_quarantined(rows: list[dict[str, object]]) -> None:
    bad = rows[7]
    assert bad["_error"] == (
        "order #1005: Created at is empty on the order's first row — Shopify fills the order's "
        "fields on its first line-item row; export the orders again without editing the rows"
    )
    raw = list(csv.reader(io.StringIO(str(bad["_raw"]))))
    assert raw[0] == HEADER
    assert [cells[0] for cells in raw[1:]] == ["#1005"]


def test_rows_and_lines_point_into_the_file(rows: list[dict[str, object]]) -> None:
    """``_row`` counts CSV records, ``_line`` physical lines: #1006 has a two-line note."""
    assert [(row["_row"], row["_line"]) for row in rows[-2:]] == [(8, 9), (9, 10)]


def test_raw_holds_the_whole_order_with_its_header(rows: list[dict[str, object]]) -> None:
    raw = list(csv.reader(io.StringIO(str(rows[-1]["_raw"]))))
    assert raw[0] == HEADER
    assert [cells[0] for cells in raw[1:]] == ["#1006"] * 3
    assert raw[1][HEADER.index("Notes")] == "Bitte beim Nachbarn abgeben,\nfalls niemand da ist."


def test_naive_times_take_the_workspace_zone(tmp_path: Path) -> None:
    path = write_orders(
        tmp_path / "orders.csv", [order_row(**{"Created at": "2026-07-01 12:00:00"})]
    )
    (row,) = read(path, timezone="Europe/Berlin")
    assert row["ts"] == datetime(2026, 7, 1, 10, 0, tzinfo=UTC)


def test_without_id_column_the_name_keys_the_order(tmp_path: Path) -> None:
    header = [column for column in HEADER if column != "Id"]
    path = write_orders(tmp_path / "orders.csv", [order_row(Email="")], header)
    (row,) = read(path)
    assert row["event_id"] == "shopify:order_completed:name:#2001"
    assert row["anonymous_id"] == "shopify-order:name:#2001"


@pytest.mark.parametrize(
    ("cells", "reason"),
    [
        ({"Total": "12,50"}, "order #2001: Total '12,50' is not an amount like '56.29'"),
        ({"Created at": "02.11.2026"}, "order #2001: Created at '02.11.2026' is not a time"),
        ({"Lineitem quantity": "zwei"}, "Lineitem quantity 'zwei' of item 1 is not a whole"),
        ({"Name": ""}, "Name is empty"),
    ],
)
def test_bad_orders_say_what_is_wrong(tmp_path: Path, cells: dict[str, str], reason: str) -> None:
    path = write_orders(tmp_path / "orders.csv", [order_row(**cells), order_row(Name="#2002")])
    bad, good = read(path)
    assert isinstance(bad["_error"], str) and reason in bad["_error"]
    assert good["_error"] is None and props(good)["order_name"] == "#2002"


def test_a_row_with_the_wrong_field_count_spoils_only_its_order(tmp_path: Path) -> None:
    path = write_orders(tmp_path / "orders.csv", [order_row(), order_row(Name="#2002")])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",surplus"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    bad, good = read(path)
    assert bad["_error"] == f"row 1 has {len(HEADER) + 1} fields, the header has {len(HEADER)}"
    assert good["name"] == "order_completed"


def test_too_many_line_items_is_a_broken_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(shopify, "MAX_ORDER_ROWS", 3)
    path = write_orders(tmp_path / "orders.csv", [order_row()] * 5 + [order_row(Name="#2002")])
    bad, good = read(path)
    assert bad["_error"] == "more than 3 line items under Name '#2001'"
    assert good["_row"] == 6


def test_empty_and_header_only_files_give_no_events(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert read(empty) == []
    assert read(write_orders(tmp_path / "header.csv", [])) == []


def test_a_foreign_csv_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("Bestellnummer;Datum;Summe\n1;02.11.2026;10,00\n", encoding="utf-8")
    with pytest.raises(FileProblem, match=r"missing column 'Name', 'Created at'.*--format csv"):
        read(path)


def test_reading_streams_order_by_order(tmp_path: Path) -> None:
    def endless() -> Iterator[tuple[int, list[str]]]:
        for number in itertools.count(1):
            for _ in range(2):
                cells = order_row(Name=f"#{number}")
                yield 0, [cells.get(column, "") for column in HEADER]

    first_two = list(itertools.islice(group_orders(endless(), HEADER), 2))
    assert [(order.name, order.first_row, len(order.rows)) for order in first_two] == [
        ("#1", 1, 2),
        ("#2", 3, 2),
    ]
    many = [order_row(Name=f"#{number}", Id=str(number)) for number in range(1, 8)]
    batches = list(SOURCE.read(write_orders(tmp_path / "o.csv", many), ReadOptions(batch_rows=3)))
    assert [batch.num_rows for batch in batches] == [3, 3, 1]


def test_sniff_recognises_the_orders_export_only() -> None:
    assert SOURCE.sniff(EXPORT, EXPORT.read_bytes()[:1024])
    for other in ("ga4/events_20261101.json", "segment/messages.jsonl"):
        path = FIXTURES / other
        assert not SOURCE.sniff(path, path.read_bytes()[:1024])


# --- end to end: through the ingest pipeline into the workspace's DuckDB file --------------


def test_orders_land_once_and_a_later_export_adds_only_new_orders(
    workspace: Workspace, tmp_path: Path
) -> None:
    options = options_for(workspace, progress=False)
    first = ingest_files(workspace, [EXPORT], format="shopify-orders", options=options)
    assert first.as_json() == {"read": 9, "kept": 8, "duplicates": 0, "quarantined": 1}
    again = ingest_files(workspace, [EXPORT], options=options)  # --format auto
    assert (again.kept, again.duplicates) == (0, 8)

    new_order = order_row(Name="#1007", Id="6011234567007")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([new_order.get(c, "") for c in HEADER])
    later = EXPORT.read_text(encoding="utf-8") + buffer.getvalue()
    path = tmp_path / "orders_export_1.csv"
    path.write_text(later, encoding="utf-8")
    third = ingest_files(workspace, [path], options=options)
    assert (third.kept, third.duplicates, third.quarantined) == (1, 8, 1)

    with open_analytic(workspace) as store:
        events = store.fetch(store.table("events")).to_pylist()
    assert len(events) == 9
    orders = sorted(event["event_id"] for event in events if event["name"] == "order_completed")
    assert orders == [f"shopify:order_completed:601123456700{n}" for n in (1, 2, 3, 4, 6, 7)]
    revenue = sum(float(event["revenue"] or 0) for event in events)  # type: ignore[arg-type]
    assert round(revenue, 2) == round(102.82 + 79.8 - 19.9 + 133.9 - 133.9 + 34.8 + 187.7 + 10, 2)
