"""Quarantined records held aside while the input's events stream into the store.

The store's one statement for the events is still running while later batches are normalised,
so their rejects cannot be written at once. A few thousand are kept in memory; beyond
``MEMORY_ROWS`` they spill to a temporary Parquet file — a file whose every record is bad (the
wrong delimiter, say) still ingests in bounded memory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

MEMORY_ROWS = 50_000
CHUNK_ROWS = 100_000


class RejectBuffer:
    """Collects rejected-record tables in order; hands them back in chunks."""

    def __init__(self) -> None:
        self._tables: list[pa.Table] = []
        self._rows = 0
        self._folder: tempfile.TemporaryDirectory[str] | None = None
        self._writer: pq.ParquetWriter | None = None
        self._path: Path | None = None

    def add(self, rejected: pa.Table) -> None:
        if rejected.num_rows == 0:
            return
        self._tables.append(rejected)
        self._rows += rejected.num_rows
        if self._rows > MEMORY_ROWS:
            self._spill()

    def _spill(self) -> None:
        if self._writer is None:
            self._folder = tempfile.TemporaryDirectory(prefix="journeykit-rejects-")
            self._path = Path(self._folder.name) / "rejects.parquet"
            self._writer = pq.ParquetWriter(self._path, self._tables[0].schema)
        for table in self._tables:
            self._writer.write_table(table)
        self._tables, self._rows = [], 0

    def tables(self) -> Iterator[pa.Table]:
        """Everything added, in order, in tables of at most ``CHUNK_ROWS`` rows."""
        if self._writer is not None:
            self._spill()
            self._writer.close()
            self._writer = None
            assert self._path is not None
            for batch in pq.ParquetFile(self._path).iter_batches(batch_size=CHUNK_ROWS):
                yield pa.Table.from_batches([batch])
        if self._tables:
            yield pa.concat_tables(self._tables)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
        if self._folder is not None:
            self._folder.cleanup()
