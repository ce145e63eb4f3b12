"""Parquet in the event schema: the canonical form, used by the benchmark and the truth checks."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from journeykit.events.schema import EVENT_SCHEMA


class ParquetSink:
    """One Parquet file, one row group per batch (zstd)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = pq.ParquetWriter(self.path, EVENT_SCHEMA, compression="zstd")
        self._count = 0

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)
        self._count += batch.num_rows

    def close(self) -> dict[Path, int]:
        self._writer.close()
        return {self.path: self._count}
