"""``--format shopify-orders``: Shopify's orders export CSV, one event per order (and its refund).

The export has one row per line item, and the rows of an order follow each other with the same
``Name``. The reader streams the file with the ``csv`` module and holds one order at a time, so
memory stays bounded by the largest order, not the file. What an order becomes is decided in
``shopify_orders``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pyarrow as pa

from journeykit.errors import FileProblem, JourneykitError
from journeykit.events.sources._batches import Row, bad_row, batched, source_schema
from journeykit.events.sources._lines import first_line
from journeykit.events.sources.base import LINE, RAW, ROW, ReadOptions
from journeykit.events.sources.shopify_orders import (
    REQUIRED_COLUMNS,
    ShopifyOrderError,
    order_events,
)

SHOPIFY_FIELDS: tuple[str, ...] = (
    "event_id",
    "ts",
    "user_id",
    "anonymous_id",
    "name",
    "channel",
    "revenue",
    "currency",
    "properties",
)
SHOPIFY_SCHEMA = source_schema(SHOPIFY_FIELDS, sorted_properties=True)
MAX_ORDER_ROWS = 10_000
"""More line items than this under one ``Name`` means a broken file, not an order."""

_SNIFF_COLUMNS = ("Name", "Financial Status", "Lineitem quantity", "Created at")


Record = tuple[int, list[str]]
"""A CSV record and the physical line it starts on (a quoted note may span several lines)."""


class _CsvReader(Protocol):
    line_num: int

    def __iter__(self) -> Iterator[list[str]]: ...


@dataclass
class OrderRows:
    """The consecutive rows of one order; ``first_row`` is the 1-based row after the header."""

    first_row: int
    first_line: int
    name: str
    rows: list[list[str]] = field(default_factory=list)
    problem: str | None = None


class ShopifyOrdersSource:
    """Reader of Shopify's orders export (``orders_export.csv``)."""

    name = "shopify-orders"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether the header row has the columns only Shopify's orders export has."""
        header = next(csv.reader([first_line(head)]), [])
        return all(column in header for column in _SNIFF_COLUMNS)

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of order events; an order the mapping refuses is one quarantined row."""
        zone = _zone(options.timezone)
        yield from batched(_order_rows(path, zone), SHOPIFY_SCHEMA, options.batch_rows)


def _order_rows(path: Path, zone: tzinfo) -> Iterator[Row]:
    with path.open(encoding="utf-8-sig", newline="") as stream:
        reader = csv.reader(stream)
        try:
            header = next(reader, None)
            if header is None:
                return
            _check_header(path, header)
            for order in group_orders(_records(reader), header):
                yield from _events(order, header, zone)
        except (csv.Error, UnicodeDecodeError) as error:
            raise FileProblem(
                path,
                f"the CSV cannot be read near line {reader.line_num} ({error})",
                "export the orders again from Shopify (Orders → Export → CSV for Excel or others)",
            ) from error


def group_orders(records: Iterable[Record], header: Sequence[str]) -> Iterator[OrderRows]:
    """Consecutive rows with the same non-empty ``Name`` as one order each, lazily."""
    name_at = list(header).index("Name")
    order: OrderRows | None = None
    for number, (line, cells) in enumerate(records, start=1):
        if not any(cell.strip() for cell in cells):
            continue
        name = cells[name_at].strip() if len(cells) > name_at else ""
        if order is not None and name and name == order.name:
            _add(order, number, cells, len(header))
            continue
        if order is not None:
            yield order
        order = OrderRows(number, line, name)
        _add(order, number, cells, len(header))
    if order is not None:
        yield order


def _records(reader: _CsvReader) -> Iterator[Record]:
    """The reader's records with their first physical line (``line_num`` counts lines read)."""
    line = reader.line_num
    for cells in reader:
        yield line + 1, cells
        line = reader.line_num


def _add(order: OrderRows, number: int, cells: list[str], width: int) -> None:
    if len(cells) != width and order.problem is None:
        order.problem = f"row {number} has {len(cells)} fields, the header has {width}"
    if len(order.rows) >= MAX_ORDER_ROWS:
        order.problem = f"more than {MAX_ORDER_ROWS} line items under Name '{order.name}'"
        return
    order.rows.append(cells)


def _events(order: OrderRows, header: Sequence[str], zone: tzinfo) -> Iterator[Row]:
    raw = _raw(header, order.rows)
    events = _mapped(order, header, zone)
    if isinstance(events, str):
        yield bad_row(order.first_row, raw, events, order.first_line)
        return
    for event in events:
        yield {**event, ROW: order.first_row, LINE: order.first_line, RAW: raw}


def _mapped(order: OrderRows, header: Sequence[str], zone: tzinfo) -> list[Row] | str:
    """The order's events, or the reason it goes to quarantine."""
    if order.problem is not None:
        return order.problem
    if not order.name:
        return "Name is empty — every row of Shopify's export names its order (#1001)"
    records = [dict(zip(header, cells, strict=False)) for cells in order.rows]
    try:
        return order_events(records, zone)
    except ShopifyOrderError as error:
        return f"order {order.name}: {error}"


def _raw(header: Sequence[str], rows: list[list[str]]) -> str:
    """The order as CSV text with its header, so a quarantined order can be fixed and re-read."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _check_header(path: Path, header: Sequence[str]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise FileProblem(
            path,
            "missing column " + ", ".join(f"'{column}'" for column in missing),
            "this is not Shopify's orders export; use --format csv with a mapping file instead",
        )


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise JourneykitError(
            f"time zone '{name}' is unknown — set an IANA zone such as 'Europe/Berlin'"
        ) from error
