"""The stage: one input's normalised events and rejects, held by the local DuckDB until commit.

Staging lets the pipeline read, parse and check a whole file *before* it opens the store, so the
store (a DuckDB file only one process may open) is locked only for the commit. It is also where
the file is deduplicated as a whole and where ``customer_id`` is filled in from the identity
links that include the file's own. Beyond its memory limit the local DuckDB spills to a
temporary folder, so a file of any size stages in bounded memory.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from typing import Any

import pyarrow as pa

from journeykit.events.compute import run
from journeykit.events.ingest.normalise import REJECTED_SCHEMA, Normalised
from journeykit.events.schema import EVENT_FIELDS

EVENTS = "__jk_stage_events"
REJECTS = "__jk_stage_rejects"


class Stage:
    """Accumulates normalised batches; hands them out deduplicated and resolved."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.read = 0
        self.staged = 0
        self.rejected = 0
        self._spill = tempfile.mkdtemp(prefix="journeykit-stage-")
        run(connection, f"SET temp_directory = '{self._spill}'")
        run(connection, "SET preserve_insertion_order = true")

    def close(self) -> None:
        shutil.rmtree(self._spill, ignore_errors=True)

    def add(self, rows_in: int, normalised: Normalised) -> None:
        """Stage one batch (``rows_in`` rows before normalising)."""
        self.read += rows_in
        self._append(EVENTS, normalised.events)
        self._append(REJECTS, normalised.rejected)
        self.staged += normalised.events.num_rows
        self.rejected += normalised.rejected.num_rows

    def _append(self, name: str, table: pa.Table) -> None:
        if table.num_rows == 0 and self._exists(name):
            return
        self.connection.register("__jk_batch", table)
        try:
            if self._exists(name):
                run(self.connection, f"INSERT INTO {name} SELECT * FROM __jk_batch")
            else:
                run(self.connection, f"CREATE TABLE {name} AS SELECT * FROM __jk_batch")
        finally:
            self.connection.unregister("__jk_batch")

    def _exists(self, name: str) -> bool:
        found = run(
            self.connection, "SELECT count(*) FROM duckdb_tables() WHERE table_name = ?", [name]
        )
        return bool(found[0][0])

    def link_candidates(self) -> pa.Table:
        """Each (anonymous_id, user_id) pair of the staged events with its first event."""
        if not self.staged:
            return _empty_links()
        return self.connection.sql(
            f"""SELECT anonymous_id, user_id,
                  arg_min(event_id, _row) AS event_id, arg_min(name, _row) AS event_name,
                  arg_min(ts, _row) AS event_ts
                FROM {EVENTS}
                WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL
                GROUP BY anonymous_id, user_id ORDER BY min(_row)"""
        ).to_arrow_table()

    def events(self, users: pa.Table, anonymous: pa.Table, rows: int) -> Iterator[pa.Table]:
        """The first staged event of each ``event_id``, with ``customer_id``.

        Mostly in file order (DuckDB keeps scan order where it can), so chunks of a file sorted
        by time cover short time ranges — which keeps the store's duplicate lookups cheap.

        ``users`` / ``anonymous`` map ids in identity links (``key``) to their customer id
        (``value``); other events belong to their user id, else their anonymous id.
        """
        if not self.staged:
            return
        self.connection.register("__jk_users", users)
        self.connection.register("__jk_anons", anonymous)
        columns = ", ".join(
            "coalesce(u.value, a.value, s.user_id, s.anonymous_id) AS customer_id"
            if name == "customer_id"
            else f"s.{name}"
            for name in EVENT_FIELDS
        )
        query = f"""
            SELECT {columns}
            FROM {EVENTS} s
            LEFT JOIN __jk_users u ON u.key = s.user_id
            LEFT JOIN __jk_anons a ON a.key = s.anonymous_id
            WHERE s.rowid IN (SELECT min(rowid) FROM {EVENTS} GROUP BY event_id)"""
        try:
            reader = self.connection.sql(query).to_arrow_reader(rows)
            for batch in reader:
                yield pa.Table.from_batches([batch])
        finally:
            self.connection.unregister("__jk_users")
            self.connection.unregister("__jk_anons")

    def rejects(self, rows: int) -> Iterator[pa.Table]:
        """The staged rejects in file order."""
        if not self.rejected:
            return
        reader = self.connection.sql(f"SELECT * FROM {REJECTS} ORDER BY rowid").to_arrow_reader(
            rows
        )
        for batch in reader:
            yield pa.Table.from_batches([batch]).cast(REJECTED_SCHEMA)


def _empty_links() -> pa.Table:
    return pa.table(
        {
            "anonymous_id": pa.array([], pa.string()),
            "user_id": pa.array([], pa.string()),
            "event_id": pa.array([], pa.string()),
            "event_name": pa.array([], pa.string()),
            "event_ts": pa.array([], pa.timestamp("us", tz="UTC")),
        }
    )
