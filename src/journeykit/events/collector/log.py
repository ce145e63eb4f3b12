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

What is flushed is one number, the highest log id delivered (``collector_flushed``). That holds
because entries commit in id order: SQLite has one writer and gives a new row the largest rowid
plus one; on PostgreSQL, where a sequence hands out ids before commit, each append first takes
one transaction-level advisory lock, so appends from several server processes commit in turn.
Pruning keeps the newest delivered entry, so SQLite never hands out an id at or below the mark.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import NamedTuple

from sqlalchemy import Engine, delete, func, insert, literal, literal_column, select, text

from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.tables import LogId, flushed, log
from journeykit.store import reading

PRUNE_CHUNK = 10_000
Row = tuple[str, str, str]
"""``(message_id, key_name, body)``."""

PLACEHOLDER: Mapping[str, str] = MappingProxyType({"sqlite": "?", "postgresql": "%s"})
"""The driver's positional parameter marker (sqlite3: qmark, psycopg: format)."""
ROWS_PER_STATEMENT = 300
"""3 parameters a row: 900 stays under the 999 of old SQLite builds."""

APPEND_IN_TURN: Mapping[str, str] = MappingProxyType(
    {"sqlite": "", "postgresql": "SELECT pg_advisory_xact_lock(7022377201)"}
)
"""Run first in an append's transaction, so appends commit in id order (SQLite: already so).
The number is the collector's own advisory-lock key; any constant that all appenders share."""

FLUSHED_UP_TO = "(SELECT coalesce(max(up_to), 0) FROM collector_flushed)"
UNFLUSHED = f"id > {FLUSHED_UP_TO}"
"""SQL condition on ``collector_log``: the entry is not in the analytic store yet."""


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
        self._in_turn = _dialect_value(APPEND_IN_TURN, engine)

    def append(self, entries: Sequence[LogEntry], key_name: str) -> None:
        """Store ``entries`` durably in one transaction; known message ids are skipped."""
        self.append_rows(rows_of(entries, key_name))

    def append_rows(self, rows: Sequence[Row]) -> None:
        """Store rows made by ``rows_of`` in one transaction (the group commit of ``writer``)."""
        if not rows:
            return
        with self.write_lock, self.engine.begin() as connection:
            if self._in_turn:
                connection.exec_driver_sql(self._in_turn)
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
            f"SELECT id, key_name, body FROM collector_log WHERE {UNFLUSHED} "
            f"ORDER BY id LIMIT {int(limit)}"
        )
        with reading(self.engine) as connection:
            cursor = connection.connection.cursor()
            try:
                cursor.execute(query)
                return list(map(Pending._make, cursor.fetchall()))
            finally:
                cursor.close()

    def mark_flushed(self, up_to: int) -> None:
        """Record that every message up to id ``up_to`` is in the analytic store.

        One small row, whatever the micro-batch's size; a mark at or below the current one
        changes nothing, so marking is idempotent and never moves back.
        """
        mark = insert(flushed).from_select(
            ["up_to", "flushed_at"],
            select(
                literal(up_to, LogId), literal(datetime.now(UTC), flushed.c.flushed_at.type)
            ).where(literal(up_to, LogId) > literal_column(FLUSHED_UP_TO)),
        )
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(mark)

    def backlog(self) -> int:
        """How many messages wait for the flusher."""
        query = select(func.count()).select_from(log).where(text(UNFLUSHED))
        with reading(self.engine) as connection:
            return int(connection.execute(query).scalar_one())

    def prune(self, older_than: timedelta) -> int:
        """Delete messages flushed longer than ``older_than`` ago, in chunks; returns how many.

        The newest of them stays: on SQLite a new row's id is the largest one plus one, so an
        emptied log would hand out ids at or below the flushed mark, and those would never be
        delivered.
        """
        cutoff = datetime.now(UTC) - older_than
        with reading(self.engine) as connection:
            keep = connection.execute(
                select(func.max(flushed.c.up_to)).where(flushed.c.flushed_at < cutoff)
            ).scalar()
        if keep is None:
            return 0
        old = select(log.c.id).where(log.c.id < keep).order_by(log.c.id).limit(PRUNE_CHUNK)
        removed = 0
        while True:
            with self.write_lock, self.engine.begin() as connection:
                count = connection.execute(delete(log).where(log.c.id.in_(old))).rowcount
            removed += count
            if count < PRUNE_CHUNK:
                break
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(delete(flushed).where(flushed.c.up_to < keep))
        return removed


def _dialect_value(values: Mapping[str, str], engine: Engine) -> str:
    sql = values.get(engine.dialect.name)
    if sql is None:
        raise NotImplementedError(
            f"the collector's append log needs SQLite or PostgreSQL, not {engine.dialect.name}"
        )
    return sql
