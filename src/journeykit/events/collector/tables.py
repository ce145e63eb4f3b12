"""The collector's two tables in the operational store: write keys and the append log.

``collector_keys`` holds only a SHA-256 of each key. Keys are 192 random bits, so a fast hash is
as safe as a slow one (nobody can guess a preimage of a random 192-bit value, which is what
scrypt's slowness defends against for human passwords), and it lets a request find its key with
one indexed lookup instead of a deliberately slow computation on every request.

``collector_log`` is the durable append log: one row per accepted message, unique by
``message_id`` (the dedupe), ``flushed_at`` set once the message is in the analytic store.

Both are created by the ``collector`` migration set of the operational store; a later change is a
new numbered step, never a drop-and-recreate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from journeykit.store import Migration, MigrationSet, operational_engine

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

metadata = MetaData()

keys = Table(
    "collector_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("key_hash", String(64), nullable=False, unique=True),
    Column("key_prefix", String(16), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
)

log = Table(
    "collector_log",
    metadata,
    # INTEGER PRIMARY KEY on SQLite is the rowid: increasing, so the flusher keeps arrival order.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("key_name", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the message as JSON, with its receivedAt
    Column("flushed_at", DateTime(timezone=True)),
)

Index(
    "ix_collector_log_pending",
    log.c.id,
    sqlite_where=log.c.flushed_at.is_(None),
    postgresql_where=log.c.flushed_at.is_(None),
)


def _create_v1(connection: Connection) -> None:
    metadata.create_all(connection)


COLLECTOR_MIGRATIONS: MigrationSet[Connection] = MigrationSet(
    "collector", [Migration(1, "write keys and the append log", _create_v1)]
)


def collector_engine(workspace: Workspace) -> Engine:
    """The workspace's operational store with the collector's tables in place."""
    return operational_engine(workspace, COLLECTOR_MIGRATIONS)
