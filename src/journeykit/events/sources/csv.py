"""``--format csv``: delimited text as shops and spreadsheets export it, German or English.

The dialect (``;``/``,``/tab/``|``, decimal comma, UTF-8 with or without BOM or Windows-1252) is
detected from the head unless the mapping file sets it. The framer cuts the file into whole,
checked records (a record too long, with the wrong number of fields or in another encoding is
rejected with its row and line); pyarrow parses the clean records chunk by chunk into string
columns named by the header. Column names become event fields in the pipeline (mapping file,
exact names, German/English aliases); the decimal mark travels as batch metadata.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from journeykit.errors import FileProblem
from journeykit.events.mapping import ColumnMapping, load_mapping
from journeykit.events.sources.base import ERROR, LINE, META_DECIMAL, RAW, ROW, ReadOptions
from journeykit.events.sources.dialect import Dialect, DialectError, sniff_dialect
from journeykit.events.sources.framing import (
    DEFAULT_MAX_RECORD_BYTES,
    Frame,
    Framer,
    FramingOptions,
    Rejected,
)
from journeykit.events.sources.registry import HEAD_BYTES, read_head

MIN_CHUNK_BYTES = 1 << 20
MAX_CHUNK_BYTES = 64 << 20
REJECTED_SCHEMA = pa.schema(
    [(ROW, pa.int64()), (LINE, pa.int64()), (RAW, pa.string()), (ERROR, pa.string())]
)


class CsvSource:
    """Reader of delimited text files with a header row."""

    name = "csv"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Text (no NUL bytes, not JSON) whose header splits into several columns."""
        if b"\x00" in head or head.lstrip().startswith((b"{", b"[")):
            return False
        try:
            return len(sniff_dialect(head).header) > 1
        except (DialectError, UnicodeDecodeError):
            return False

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of string columns (the header's names) plus ``_row`` and ``_line``."""
        mapping = load_mapping(options.mapping) if options.mapping else None
        dialect = file_dialect(path, mapping)
        framing = FramingOptions(
            quoted=True,
            encoding=dialect.encoding,
            max_record_bytes=(mapping and mapping.max_record_bytes) or DEFAULT_MAX_RECORD_BYTES,
            chunk_bytes=_chunk_bytes(path, options.batch_rows),
        )
        metadata = {META_DECIMAL: dialect.decimal.encode()}
        with path.open("rb") as stream:
            for frame in Framer(stream, framing).frames():
                if frame.rows.size:
                    batch = _parse(frame, dialect)
                    if batch.num_rows:
                        yield batch.replace_schema_metadata(metadata)
                if frame.rejected:
                    yield _rejected_batch([_as_record(r, dialect) for r in frame.rejected])


def file_dialect(path: Path, mapping: ColumnMapping | None) -> Dialect:
    """The dialect of ``path``: detected, with the mapping file's settings winning."""
    head = read_head(path)
    if not head:
        raise FileProblem(path, "the file is empty (0 bytes)", "export it again")
    try:
        dialect = sniff_dialect(
            head,
            delimiter=mapping.delimiter if mapping else None,
            decimal=mapping.decimal if mapping else None,
            encoding=mapping.encoding if mapping else None,
        )
    except DialectError as error:
        raise FileProblem(path, error.reason, error.hint) from None
    if len(dialect.header) < 2:
        raise FileProblem(
            path,
            f"the header has a single column ({dialect.header[0][:80]!r}), so no delimiter "
            "of ; , tab or | separates it",
            "export the file as CSV with ; or , between columns, or name the delimiter with "
            "`delimiter:` in a mapping file",
        )
    return dialect


def _chunk_bytes(path: Path, batch_rows: int) -> int:
    """Bytes per chunk so that a chunk holds about ``batch_rows`` records."""
    head = read_head(path)[:HEAD_BYTES]
    lines = max(head.count(b"\n"), 1)
    per_record = max(len(head) // lines, 16)
    return int(np.clip(per_record * batch_rows, MIN_CHUNK_BYTES, MAX_CHUNK_BYTES))


def _parse(frame: Frame, dialect: Dialect) -> pa.RecordBatch:
    names = list(dialect.header)
    dropped: list[str] = []

    def skip(row: Any) -> str:
        dropped.append(row.text)
        return "skip"

    table = pacsv.read_csv(
        pa.py_buffer(frame.data),
        read_options=pacsv.ReadOptions(column_names=names, block_size=4 << 20),
        parse_options=pacsv.ParseOptions(
            delimiter=dialect.delimiter,
            newlines_in_values=frame.multiline,
            invalid_row_handler=skip,
        ),
        # Empty fields stay "" (cheaper than null detection): the pipeline reads "" as missing.
        convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string())),
    )
    rows, lines = frame.rows, frame.lines
    if dropped or table.num_rows != frame.rows.size:
        table, rows, lines = _parse_slowly(frame, names, dialect.delimiter)
    table = table.append_column(ROW, pa.array(rows)).append_column(LINE, pa.array(lines))
    return table.combine_chunks().to_batches(max_chunksize=max(table.num_rows, 1))[0]


def _parse_slowly(
    frame: Frame, names: list[str], delimiter: str
) -> tuple[pa.Table, np.ndarray, np.ndarray]:
    """Python's csv module, record by record — only when pyarrow disagrees with the framer.

    A record with the wrong number of fields moves to ``frame.rejected`` with its row and line.
    """
    records = list(csv.reader(io.StringIO(frame.data.decode("utf-8")), delimiter=delimiter))
    records = [record for record in records if record]
    good = [i for i, record in enumerate(records) if len(record) == len(names)]
    for i, record in enumerate(records):
        if len(record) != len(names) and i < frame.rows.size:
            reason = field_count_reason(len(record), len(names), delimiter)
            raw = delimiter.join(record)
            frame.rejected.append(Rejected(int(frame.rows[i]), int(frame.lines[i]), reason, raw))
    picked = np.asarray([i for i in good if i < frame.rows.size], dtype=np.int64)
    columns = {
        name: pa.array([records[i][j] for i in picked], pa.string()) for j, name in enumerate(names)
    }
    return pa.table(columns), frame.rows[picked], frame.lines[picked]


def _as_record(rejected: Rejected, dialect: Dialect) -> Rejected:
    """An intact record (bad only in its encoding) as a JSON object, so it can be retried."""
    if rejected.kind != "encoding":
        return rejected
    fields = next(csv.reader([rejected.raw], delimiter=dialect.delimiter), [])
    if len(fields) != len(dialect.header):
        return rejected
    raw = json.dumps(dict(zip(dialect.header, fields, strict=True)), ensure_ascii=False)
    return replace(rejected, raw=raw)


def field_count_reason(found: int, expected: int, delimiter: str) -> str:
    return (
        f"the row has {found} field{'s' if found != 1 else ''}, the header has {expected} "
        f"(delimiter {delimiter!r}) — check for a missing or extra delimiter, "
        "or a value with the delimiter in it that needs quotes"
    )


def _rejected_batch(rejected: list[Rejected]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(
        [{ROW: r.row, LINE: r.line, RAW: r.raw, ERROR: r.reason} for r in rejected],
        schema=REJECTED_SCHEMA,
    )
