"""The durable append log: accepted messages wait here until they are in the analytic store.

A request's messages are written in one transaction before the collector answers 200, so an
answered event survives a crash of the server. ``message_id`` is unique: a resent message
(a client retry after a lost response) is recognised here and stored once.

All writes of this process go through one lock. SQLite has one writer at a time anyway; queueing
on a Python lock wakes the next writer at once, where SQLite's own busy handler would sleep
(1, 2, 5 … 100 ms) and wreck the tail latency under load.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, Insert, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.tables import log

PRUNE_CHUNK = 10_000


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
        self._insert = _insert_ignoring_duplicates(engine)

    def append(self, entries: Sequence[LogEntry], key_name: str, received_at: datetime) -> None:
        """Store ``entries`` durably in one transaction; known message ids are skipped."""
        if not entries:
            return
        rows = [
            {
                "message_id": entry.message_id,
                "key_name": key_name,
                "received_at": received_at,
                "body": entry.body,
            }
            for entry in entries
        ]
        with self.write_lock, self.engine.begin() as connection:
            connection.execute(self._insert, rows)

    def pending(self, limit: int) -> list[Pending]:
        """The oldest ``limit`` messages not yet flushed, in arrival order."""
        query = (
            select(log.c.id, log.c.key_name, log.c.body)
            .where(log.c.flushed_at.is_(None))
            .order_by(log.c.id)
            .limit(limit)
        )
        with self.engine.connect() as connection:
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
        with self.engine.connect() as connection:
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


def _insert_ignoring_duplicates(engine: Engine) -> Insert:
    """``INSERT … ON CONFLICT (message_id) DO NOTHING`` in the engine's dialect."""
    dialects: dict[str, Any] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    build = dialects.get(engine.dialect.name)
    if build is None:
        raise NotImplementedError(
            f"the collector's append log needs SQLite or PostgreSQL, not {engine.dialect.name}"
        )
    statement: Insert = build(log).on_conflict_do_nothing(index_elements=["message_id"])
    return statement
