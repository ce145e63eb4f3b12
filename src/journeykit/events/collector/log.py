"""The durable append log: accepted messages wait here until they are in the analytic store.

A request's messages are written in one transaction before the collector answers 200, so an
answered event survives a crash of the server. ``message_id`` is unique: a resent message
(a client retry after a lost response) is recognised here and stored once.

All writes of this process go through one lock. SQLite has one writer at a time anyway; queueing
on a Python lock wakes the next writer at once, where SQLite's own busy handler would sleep
(1, 2, 5 … 100 ms) and wreck the tail latency under load.

Rows go in as multi-row ``INSERT … VALUES (…), (…), …`` statements of up to 300 rows through the
driver, not as ``executemany``: the SQLite driver releases the GIL around every row it steps,
and under load each re-acquisition waits behind the request path — a 1,600-row commit took close
to a second that way. One statement steps once. (A single statement over a JSON array of the
rows, the previous way, cost twice the CPU: SQLite had to parse the array and unescape every
message again.) The placeholder per dialect is data (``PLACEHOLDER``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Engine, bindparam, delete, func, select, text

from journeykit.events.collector.jsontext import compact_bytes
from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.tables import log
from journeykit.store import reading

PRUNE_CHUNK = 10_000
Row = tuple[str, str, str]
"""``(message_id, key_name, body)``."""

PLACEHOLDER: Mapping[str, str] = MappingProxyType({"sqlite": "?", "postgresql": "%s"})
"""The driver's positional parameter marker (sqlite3: qmark, psycopg: format)."""
ROWS_PER_STATEMENT = 300
"""3 parameters a row: 900 stays under the 999 of old SQLite builds."""

MARK_SQL: Mapping[str, str] = MappingProxyType(
    {
        "sqlite": (
            "UPDATE collector_log SET flushed_at = :now "
            "WHERE id IN (SELECT value FROM json_each(:ids))"
        ),
        "postgresql": (
            "UPDATE collector_log SET flushed_at = :now WHERE id IN "
            "(SELECT CAST(value AS bigint) FROM json_array_elements_text(CAST(:ids AS json)))"
        ),
    }
)
"""Mark the entries of a JSON array of ids ``[1, 2, …]`` flushed."""


def rows_of(entries: Sequence[LogEntry], key_name: str) -> list[Row]:
    """The table rows of one request's entries."""
    return [(entry.message_id, key_name, entry.body) for entry in entries]


class Pending(NamedTuple):
    """A logged message not yet in the analytic store (a tuple: built per row, cheaply)."""

    id: int
    key_name: str
    body: str


class AppendLog:
    """The ``collector_log`` table of one operational store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.write_lock = threading.Lock()
        self._marker = _dialect_value(PLACEHOLDER, engine)
        self._inserts: dict[int, str] = {}
        self._mark = text(_dialect_value(MARK_SQL, engine)).bindparams(
            bindparam("now", type_=log.c.flushed_at.type)
        )

    def append(self, entries: Sequence[LogEntry], key_name: str) -> None:
        """Store ``entries`` durably in one transaction; known message ids are skipped."""
        self.append_rows(rows_of(entries, key_name))

    def append_rows(self, rows: Sequence[Row]) -> None:
        """Store rows made by ``rows_of`` in one transaction (the group commit of ``writer``)."""
        if not rows:
            return
        with self.write_lock, self.engine.begin() as connection:
            for start in range(0, len(rows), ROWS_PER_STATEMENT):
                chunk = rows[start : start + ROWS_PER_STATEMENT]
                values = tuple(value for row in chunk for value in row)
                connection.exec_driver_sql(self._insert(len(chunk)), values)

    def _insert(self, count: int) -> str:
        """``INSERT`` of ``count`` rows, skipping known message ids (built once per count)."""
        statement = self._inserts.get(count)
        if statement is None:
            row = "(" + ",".join([self._marker] * 3) + ")"
            statement = (
                "INSERT INTO collector_log (message_id, key_name, body) VALUES "
                + ",".join([row] * count)
                + " ON CONFLICT (message_id) DO NOTHING"
            )
            self._inserts[count] = statement
        return statement

    def pending(self, limit: int) -> list[Pending]:
        """The oldest ``limit`` messages not yet flushed, in arrival order.

        Read through the driver's cursor: a micro-batch is tens of thousands of rows, and
        SQLAlchemy's per-row result processing cost more than the query.
        """
        query = (
            "SELECT id, key_name, body FROM collector_log WHERE flushed_at IS NULL "
            f"ORDER BY id LIMIT {int(limit)}"
        )
        with reading(self.engine) as connection:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(query)
                return list(map(Pending._make, cursor.fetchall()))
            finally:
                cursor.close()

    def mark_flushed(self, ids: Sequence[int]) -> None:
        """Record that these messages are in the analytic store (one JSON array parameter,
        as an ``IN`` list of 20,000 bound values took longer to build than to run)."""
        parameters = {"ids": compact_bytes(list(ids)).decode(), "now": datetime.now(UTC)}
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(self._mark, parameters)

    def backlog(self) -> int:
        """How many messages wait for the flusher."""
        query = select(func.count()).select_from(log).where(log.c.flushed_at.is_(None))
        with reading(self.engine) as connection:
            return int(connection.execute(query).scalar_one())

    def prune(self, older_than: timedelta) -> int:
        """Delete flushed messages older than ``older_than``, in chunks; returns how many."""
        cutoff = datetime.now(UTC) - older_than
        old = (
            select(log.c.id)
            .where(log.c.flushed_at.is_not(None), log.c.flushed_at < cutoff)
            .order_by(log.c.id)
            .limit(PRUNE_CHUNK)
        )
        removed = 0
        while True:
            with self.write_lock, self.engine.begin() as connection:
                count = connection.execute(delete(log).where(log.c.id.in_(old))).rowcount
            removed += count
            if count < PRUNE_CHUNK:
                return removed


def _dialect_value(values: Mapping[str, str], engine: Engine) -> str:
    sql = values.get(engine.dialect.name)
    if sql is None:
        raise NotImplementedError(
            f"the collector's append log needs SQLite or PostgreSQL, not {engine.dialect.name}"
        )
    return sql
