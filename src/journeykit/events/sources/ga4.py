"""``--format ga4``: GA4's BigQuery export, as NDJSON (plain or gzipped) or as Parquet.

GA4 writes one table per day (``events_YYYYMMDD``); exported, a day is one file or several shards.
Both shapes are streamed — NDJSON line by line, Parquet batch by batch — and every row goes through
``ga4_row_to_event``, so both give identical events and ids. A row the mapping refuses (no
``event_timestamp``, malformed JSON, damaged parameters) comes out with ``_error`` and goes to
quarantine; the rest of the file is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from journeykit.errors import FileProblem
from journeykit.events.sources._batches import Row, bad_row, batched, source_schema
from journeykit.events.sources._json import dumps, loads_object
from journeykit.events.sources._lines import read_lines, text_head
from journeykit.events.sources.base import LINE, RAW, ROW, ReadOptions
from journeykit.events.sources.ga4_mapping import Ga4RowError, ga4_row_to_event
from journeykit.events.sources.parquet import open_parquet

GA4_FIELDS: tuple[str, ...] = (
    "event_id",
    "ts",
    "user_id",
    "anonymous_id",
    "name",
    "channel",
    "device",
    "source",
    "medium",
    "campaign",
    "revenue",
    "currency",
    "properties",
)
GA4_SCHEMA = source_schema(GA4_FIELDS, sorted_properties=True)
PARQUET_MAGIC = b"PAR1"
PARQUET_READ_ROWS = 2_000
"""Rows turned into Python dicts at a time: nested GA4 rows cost kilobytes each as objects."""
_MARKERS = ("event_timestamp", "event_name")
_ONE_OF = ("event_params", "user_pseudo_id", "event_bundle_sequence_id")
_SHARD_NAME = re.compile(r"events_(intraday_)?\d{8}", re.IGNORECASE)


class Ga4Source:
    """Reader of GA4 BigQuery export files (NDJSON, ``.json.gz``, Parquet)."""

    name = "ga4"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether the file holds GA4 export rows: their column names, or a GA4 shard name."""
        if head.startswith(PARQUET_MAGIC):
            return _parquet_is_ga4(path)
        text = text_head(head)
        has_columns = all(f'"{key}"' in text for key in _MARKERS) and any(
            f'"{key}"' in text for key in _ONE_OF
        )
        return has_columns or (
            _SHARD_NAME.search(path.name) is not None and text.lstrip().startswith("{")
        )

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of at most ``options.batch_rows`` events, one per export row."""
        with path.open("rb") as probe:
            parquet = probe.read(4) == PARQUET_MAGIC
        rows = _parquet_rows(path) if parquet else _ndjson_rows(path)
        yield from batched(rows, GA4_SCHEMA, options.batch_rows)


def _ndjson_rows(path: Path) -> Iterator[Row]:
    for line in read_lines(path):
        if line.error is not None:
            yield bad_row(line.number, line.text, line.error, line.number)
            continue
        record, problem = loads_object(line.text)
        if record is None:
            yield bad_row(line.number, line.text, problem or "unreadable line", line.number)
            continue
        yield {**_mapped(line.number, record, line.text), LINE: line.number}


def _parquet_rows(path: Path) -> Iterator[Row]:
    number = 0
    try:
        with open_parquet(path) as parquet:
            for batch in parquet.iter_batches(batch_size=PARQUET_READ_ROWS):
                for record in batch.to_pylist():
                    number += 1
                    yield _mapped(number, record, dumps(record))
    except (pa.ArrowException, OSError) as error:
        raise FileProblem(
            path,
            f"the Parquet file cannot be read after row {number} ({error})",
            "export the GA4 table again or check that the copy is complete",
        ) from error


def _mapped(number: int, record: Mapping[str, object], raw: str) -> Row:
    try:
        event = ga4_row_to_event(record)
    except Ga4RowError as error:
        return bad_row(number, raw, str(error))
    event[ROW] = number
    event[RAW] = raw
    return event


def _parquet_is_ga4(path: Path) -> bool:
    try:
        names = set(pq.read_schema(path).names)
    except (pa.ArrowException, OSError):
        return False
    return set(_MARKERS) <= names and bool(names.intersection(_ONE_OF))
