"""Ibis 12 on DuckDB 2: the cursor methods ibis still calls, on top of DuckDB 2's connection.

DuckDB 2 removed ``fetch_arrow_table`` and ``fetch_record_batch`` from the connection (results of
``execute``); ibis 12 still calls them in ``list_tables``, ``sql``, ``to_pyarrow_batches`` and a
few more. The store wraps the backend's connection in ``CompatConnection`` so the whole Ibis API
works; everything else is passed through unchanged. Drop this module with ibis ≥ 13.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from journeykit.store.engines import quiet_upstream


class CompatConnection:
    """A DuckDB connection that also answers the two cursor methods ibis 12 expects."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)

    def execute(self, *args: Any, **kwargs: Any) -> CompatConnection:
        self._connection.execute(*args, **kwargs)
        return self

    def fetch_arrow_table(self) -> pa.Table:
        with quiet_upstream():
            return self._connection.to_arrow_table()

    def fetch_record_batch(self, rows_per_batch: int = 1_000_000) -> pa.RecordBatchReader:
        with quiet_upstream():
            return self._connection.to_arrow_reader(rows_per_batch)


def patch_backend(backend: Any) -> Any:
    """Wrap ``backend.con`` once; returns the backend."""
    if not isinstance(backend.con, CompatConnection):
        backend.con = CompatConnection(backend.con)
    return backend
