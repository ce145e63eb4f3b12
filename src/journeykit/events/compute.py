"""The local DuckDB the ingest uses as a vectorised compute library (not as the store).

Batches are transformed here — parsed, checked, hashed — with SQL over Arrow, zero-copy; the
results are written to the analytic store through ``journeykit.store``, whatever its engine.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any


def compute_connection(
    memory_limit: str = "512MB", threads: int | None = None, spill: Path | None = None
) -> Any:
    """A fresh in-memory DuckDB with a memory limit and no progress bar.

    Beyond the limit it spills to ``spill`` (a folder the caller owns and removes); without one
    to the system's temporary folder — never into the current directory (DuckDB's default).
    """
    import duckdb

    config: dict[str, Any] = {"memory_limit": memory_limit}
    if threads:
        config["threads"] = threads
    connection = duckdb.connect(":memory:", config=config)
    run(connection, "SET enable_progress_bar = false")
    folder = spill or Path(tempfile.gettempdir()) / "journeykit-spill"
    run(connection, f"SET temp_directory = '{folder}'")
    return connection


def run(connection: Any, statement: str, parameters: list[Any] | None = None) -> list[Any]:
    """Execute a statement to completion (DuckDB 2 keeps unfetched results open) — its rows."""
    result: list[Any] = connection.execute(statement, parameters or []).fetchall()
    return result
