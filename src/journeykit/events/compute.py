"""The local DuckDB the ingest uses as a vectorised compute library (not as the store).

Batches are transformed here — parsed, checked, hashed — with SQL over Arrow, zero-copy; the
results are written to the analytic store through ``journeykit.store``, whatever its engine.
"""

from __future__ import annotations

from typing import Any


def compute_connection(memory_limit: str = "768MB", threads: int | None = None) -> Any:
    """A fresh in-memory DuckDB with a memory limit (it spills beyond) and no progress bar."""
    import duckdb

    config: dict[str, Any] = {"memory_limit": memory_limit}
    if threads:
        config["threads"] = threads
    connection = duckdb.connect(":memory:", config=config)
    run(connection, "SET enable_progress_bar = false")
    return connection


def run(connection: Any, statement: str, parameters: list[Any] | None = None) -> list[Any]:
    """Execute a statement to completion (DuckDB 2 keeps unfetched results open) — its rows."""
    result: list[Any] = connection.execute(statement, parameters or []).fetchall()
    return result
