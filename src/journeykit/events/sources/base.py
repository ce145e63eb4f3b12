"""The contract between a source and the ingest pipeline.

A source only *reads*: it turns a file (or an HTTP batch) into Arrow record batches whose columns
are event fields (any subset of ``EVENT_FIELDS``, as strings or native types) plus three
bookkeeping columns. Everything else — parsing timestamps (naive ones in the workspace time zone),
channel aliases, number checks, the content-hash ``event_id``, dedupe, quarantine, atomic writes —
is the pipeline's job, done once and vectorised for every source.

Bookkeeping columns of every batch:
- ``_row``: int64, 1-based row (CSV, after the header) or line (JSONL) number in the file;
- ``_raw``: string, the original record as text, stored in quarantine when the record is bad;
- ``_error``: string or null, a reason the reader already knows the record is bad (malformed JSON,
  wrong column count); such rows go to quarantine with that reason and are never dropped.

Compatible extensions (a reader that ignores them still satisfies the contract):
- Columns may carry the file's own names (``Zeitstempel``, ``Kundennummer``): the pipeline maps
  them to event fields by the mapping file (``ReadOptions.mapping``), else by exact field name,
  else by the header aliases in ``journeykit.events.mapping``. Columns that map to no field become
  keys of ``properties``. This keeps readers of generic files (CSV, Parquet) free of mapping logic.
- ``_row`` may be left out (the pipeline numbers rows from 1); ``_line`` (int64, the physical line
  of a text file) may be added for messages.
- ``_raw`` may be left out: for the few rejected rows the pipeline then stores the row's source
  columns as a JSON object — cheaper than carrying the text of every good row.
- Schema metadata ``journeykit.decimal`` (``","`` or ``"."``) says how number text is written,
  ``journeykit.timezone`` the IANA zone of naive timestamps (the mapping file still wins).
- Field metadata ``journeykit.json = "true"`` marks a string column whose values are JSON texts
  (objects, arrays, numbers): they keep their JSON type inside ``properties``.
- ``journeykit.json = "sorted"`` on ``properties`` promises more: every value is a JSON object
  written by ``canonical_dumps`` (compact, top-level keys sorted). Such text is already in the
  stored form, so the pipeline keeps it as it is instead of re-encoding every object — except
  numbers that DuckDB writes differently (see ``normalise``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import pyarrow as pa

ROW = "_row"
RAW = "_raw"
ERROR = "_error"
LINE = "_line"
BOOKKEEPING: tuple[str, ...] = (ROW, RAW, ERROR)
ALL_BOOKKEEPING: tuple[str, ...] = (*BOOKKEEPING, LINE)
META_DECIMAL = b"journeykit.decimal"
META_TIMEZONE = b"journeykit.timezone"
FIELD_JSON = b"journeykit.json"
JSON_TEXT = b"true"
JSON_SORTED = b"sorted"
DEFAULT_BATCH_ROWS = 100_000


@dataclass(frozen=True)
class ReadOptions:
    """What a reader needs besides the path."""

    batch_rows: int = DEFAULT_BATCH_ROWS
    mapping: Path | None = (
        None  # a mapping file (YAML) for CSV/JSONL column names, constants, values
    )
    timezone: str = "Europe/Berlin"  # the workspace zone, for sources that carry local times
    extra: dict[str, str] = field(default_factory=dict)


class Source(Protocol):
    """A reader of one input format (``name`` is the value of ``--format``)."""

    name: str

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether ``path`` (first bytes in ``head``) looks like this format (--format auto)."""
        ...

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of event-field columns plus ``_row``, ``_raw`` and ``_error``; bounded memory."""
        ...
