"""``--format jsonl``: one JSON object per line, keys named like event fields (or mapped).

Lines are framed without parsing (a JSON string cannot hold a raw newline), then parsed all at once
by the local DuckDB: every top-level key of the batch becomes a column of JSON texts (marked so, so
numbers stay numbers inside ``properties``). A line that is not valid JSON, or not an object, is
handed on with its line number and the parser's complaint and goes to quarantine; the rest of the
file is kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from journeykit.events.compute import compute_connection
from journeykit.events.mapping import load_mapping
from journeykit.events.sources.base import (
    ALL_BOOKKEEPING,
    ERROR,
    FIELD_JSON,
    JSON_TEXT,
    LINE,
    META_DECIMAL,
    RAW,
    ROW,
    ReadOptions,
)
from journeykit.events.sources.dialect import sniff_encoding
from journeykit.events.sources.framing import (
    DEFAULT_MAX_RECORD_BYTES,
    Frame,
    Framer,
    FramingOptions,
    Rejected,
)

MAX_KEYS = 500
CHUNK_BYTES = 32 << 20
REJECTED_SCHEMA = pa.schema(
    [(ROW, pa.int64()), (LINE, pa.int64()), (RAW, pa.string()), (ERROR, pa.string())]
)


class JsonlSource:
    """Reader of newline-delimited JSON objects."""

    name = "jsonl"

    def sniff(self, path: Path, head: bytes) -> bool:
        """The first non-blank line starts a JSON object."""
        for line in head.removeprefix(b"\xef\xbb\xbf").splitlines():
            if line.strip():
                return line.lstrip().startswith(b"{")
        return False

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of JSON-text columns, one per top-level key, plus the bookkeeping columns."""
        mapping = load_mapping(options.mapping) if options.mapping else None
        with path.open("rb") as stream:
            encoding, _ = sniff_encoding(stream.read(64 * 1024))
            stream.seek(0)
            framing = FramingOptions(
                quoted=False,
                encoding=encoding,
                max_record_bytes=(mapping and mapping.max_record_bytes) or DEFAULT_MAX_RECORD_BYTES,
                chunk_bytes=CHUNK_BYTES,
                skip_header=False,
            )
            connection = compute_connection()
            try:
                for frame in Framer(stream, framing).frames():
                    if frame.rows.size:
                        yield parse_json_lines(connection, frame)
                    if frame.rejected:
                        yield _rejected_batch(frame.rejected)
            finally:
                connection.close()


def _lines(frame: Frame) -> pa.Array:
    """The frame's lines as one string array over the frame's bytes (no copy)."""
    newlines = np.flatnonzero(np.frombuffer(frame.data, dtype=np.uint8) == 10)
    offsets = np.concatenate(([0], newlines + 1)).astype(np.int64)
    return pa.LargeStringArray.from_buffers(
        newlines.size, pa.py_buffer(offsets.tobytes()), pa.py_buffer(frame.data)
    ).cast(pa.string())


def parse_json_lines(
    connection: Any, frame: Frame, row_numbers: np.ndarray | None = None
) -> pa.RecordBatch:
    """A batch of the frame's JSON lines: one JSON-text column per top-level key.

    ``_row`` is the line number unless ``row_numbers`` are given (the quarantine retries records
    under their original numbers).
    """
    rows = frame.lines if row_numbers is None else row_numbers
    source = pa.table({"line": _lines(frame), ROW: rows, LINE: frame.lines})
    connection.register("__jk_lines", source)
    try:
        checked = connection.sql(
            "SELECT *, json_valid(line) AS ok, "
            "CASE WHEN json_valid(line) THEN json_type(line) END AS kind FROM __jk_lines"
        )
        connection.register("__jk_checked", checked.to_arrow_table())
        found = connection.sql(
            "SELECT DISTINCT unnest(json_keys(line)) FROM __jk_checked WHERE kind = 'OBJECT'"
        ).fetchall()
        keys = sorted(str(row[0]) for row in found if str(row[0]) not in ALL_BOOKKEEPING)
        keys = keys[:MAX_KEYS]
        table = connection.sql(_extraction(keys)).to_arrow_table()
    finally:
        connection.unregister("__jk_lines")
        connection.unregister("__jk_checked")
    return _finish(table, keys)


def _extraction(keys: list[str]) -> str:
    columns = [
        f"CASE WHEN kind = 'OBJECT' THEN CAST(json_extract(line, {_pointer(key)}) AS VARCHAR) "
        f"END AS {_name(key)}"
        for key in keys
    ]
    bookkeeping = [
        f"{ROW}",
        f"{LINE}",
        f"rtrim(line, chr(13) || chr(10)) AS {RAW}",
        f"CASE WHEN NOT ok THEN 'bad' WHEN kind <> 'OBJECT' THEN kind END AS {ERROR}",
    ]
    return f"SELECT {', '.join([*columns, *bookkeeping])} FROM __jk_checked"


def _pointer(key: str) -> str:
    escaped = key.replace("~", "~0").replace("/", "~1").replace("'", "''")
    return f"'/{escaped}'"


def _name(key: str) -> str:
    return '"' + key.replace('"', '""') + '"'


def _finish(table: pa.Table, keys: list[str]) -> pa.RecordBatch:
    errors = table.column(ERROR).to_pylist()
    if any(error is not None for error in errors):
        raws = table.column(RAW).to_pylist()
        reasons = [
            None if error is None else _reason(error, raw)
            for error, raw in zip(errors, raws, strict=True)
        ]
        table = table.set_column(
            table.schema.get_field_index(ERROR), ERROR, pa.array(reasons, pa.string())
        )
    json_field = {FIELD_JSON: JSON_TEXT}
    schema = pa.schema(
        [
            field.with_metadata(json_field) if field.name in keys else field
            for field in table.schema
        ],
        metadata={META_DECIMAL: b"."},
    )
    return table.cast(schema).combine_chunks().to_batches(max_chunksize=table.num_rows)[0]


def _reason(error: str, raw: str) -> str:
    if error != "bad":
        return (
            f"the line is a JSON {error.lower()}, not an object — write one event per line as "
            '{"ts": …, "name": …, "user_id": …}'
        )
    try:
        json.loads(raw)
    except json.JSONDecodeError as problem:
        return (
            f"the line is not valid JSON ({problem.msg} at column {problem.colno}) — "
            "fix or remove the line, then run `journeykit quarantine retry`"
        )
    return "the line is not valid JSON — fix or remove the line"


def _rejected_batch(rejected: list[Rejected]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [{ROW: r.row, LINE: r.line, RAW: r.raw, ERROR: r.reason} for r in rejected],
        schema=REJECTED_SCHEMA,
    )
