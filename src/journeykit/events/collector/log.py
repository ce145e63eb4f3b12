"""The durable append log: accepted messages wait here until they are in the analytic store.

A request's messages are written in one transaction before the collector answers 200, so an
answered event survives a crash of the server. ``message_id`` is unique: a resent message
(a client retry after a lost response) is recognised here and stored once.

All writes of this process go through one lock. SQLite has one writer at a time anyway; queueing
on a Python lock wakes the next writer at once, where SQLite's own busy handler would sleep
(1, 2, 5 … 100 ms) and wreck the tail latency under load.

Rows go in as ONE statement over a JSON array, not as ``executemany``: the SQLite driver releases
the GIL around every row it steps, and under load each re-acquisition waits behind the request
path — a 1,600-row commit took close to a second that way. One statement steps once. The SQL per
dialect is data (``APPEND_SQL``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType

from sqlalchemy import Engine, TextClause, delete, func, select, text, update

from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.tables import log
from journeykit.store import reading

PRUNE_CHUNK = 10_000
Row = tuple[str, str, str]
"""``(message_id, key_name, body)``."""

APPEND_SQL: Mapping[str, str] = MappingProxyType(
    {
        # "WHERE true" tells SQLite's parser that ON CONFLICT is the upsert, not a join's ON.
        "sqlite": (
            "INSERT INTO collector_log (message_id, key_name, body) "
            "SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(:rows) WHERE true "
            "ON CONFLICT (message_id) DO NOTHING"
        ),
        "postgresql": (
            "INSERT INTO collector_log (message_id, key_name, body) "
            "SELECT r ->> 0, r ->> 1, r ->> 2 FROM json_array_elements(CAST(:rows AS json)) AS r "
            "ON CONFLICT (message_id) DO NOTHING"
        ),
    }
)
"""Insert the rows of a JSON array ``[[message_id, key_name, body], …]``, skipping known ids."""


def rows_of(entries: Sequence[LogEntry], key_name: str) -> list[Row]:
    """The table rows of one request's entries."""
    return [(entry.message_id, key_name, entry.body) for entry in entries]


@dataclass(frozen=True)
class Pending:
    """A logged message not yet in the analytic store."""

    id: int
    key_name: str
    body: str


class AppendLog:
    """The ``collector_log`` table of one operational store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.write_lock = threading.Lock()
        self._append = _append_statement(engine)

    def append(self, entries: Sequence[LogEntry], key_name: str) -> None:
        """Store ``entries`` durably in one transaction; known message ids are skipped."""
        self.append_rows(rows_of(entries, key_name))

    def append_rows(self, rows: Sequence[Row]) -> None:
        """Store rows made by ``rows_of`` in one transaction (the group commit of ``writer``)."""
        if not rows:
            return
        document = json.dumps(rows, ensure_ascii=False, separators=(",", ":"))
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(self._append, {"rows": document})

    def pending(self, limit: int) -> list[Pending]:
        """The oldest ``limit`` messages not yet flushed, in arrival order."""
        query = (
            select(log.c.id, log.c.key_name, log.c.body)
            .where(log.c.flushed_at.is_(None))
            .order_by(log.c.id)
            .limit(limit)
        )
        with reading(self.engine) as connection:
            return [Pending(*row) for row in connection.execute(query)]

    def mark_flushed(self, ids: Sequence[int]) -> None:
        """Record that these messages are in the analytic store."""
        now = datetime.now(UTC)
        statement = update(log).where(log.c.id.in_(list(ids))).values(flushed_at=now)
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(statement)

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


def _append_statement(engine: Engine) -> TextClause:
    sql = APPEND_SQL.get(engine.dialect.name)
    if sql is None:
        raise NotImplementedError(
            f"the collector's append log needs SQLite or PostgreSQL, not {engine.dialect.name}"
        )
    return text(sql)
