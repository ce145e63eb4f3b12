"""The contract between a source and the ingest pipeline.

A source only *reads*: it turns a file (or an HTTP batch) into Arrow record batches whose columns are
event fields (any subset of ``EVENT_FIELDS``, as strings or native types) plus three bookkeeping
columns. Everything else — parsing timestamps (naive ones in the workspace time zone), channel aliases,
number checks, the content-hash ``event_id``, dedupe, quarantine, atomic writes — is the pipeline's job,
done once and vectorised for every source.

Bookkeeping columns of every batch:
- ``_row``: int64, 1-based row (CSV, after the header) or line (JSONL) number in the file;
- ``_raw``: string, the original record as text, stored in quarantine when the record is bad;
- ``_error``: string or null, a reason the reader already knows the record is bad (malformed JSON,
  wrong column count); such rows go to quarantine with that reason and are never dropped.
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
BOOKKEEPING: tuple[str, ...] = (ROW, RAW, ERROR)
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
        """Whether ``path`` (its first bytes in ``head``) looks like this format, for --format auto."""
        ...

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of event-field columns plus ``_row``, ``_raw`` and ``_error``; bounded memory."""
        ...
