"""The collector's two tables in the operational store: write keys and the append log.

``collector_keys`` holds only a SHA-256 of each key. Keys are 192 random bits, so a fast hash is
as safe as a slow one (nobody can guess a preimage of a random 192-bit value, which is what
scrypt's slowness defends against for human passwords), and it lets a request find its key with
one indexed lookup instead of a deliberately slow computation on every request.

``collector_log`` is the durable append log: one row per accepted message, unique by
``message_id`` (the dedupe). ``collector_flushed`` says how far the flusher got: one row per
delivered micro-batch, ``up_to`` the highest log id it held. Entries commit in id order (one
writer at a time), so "flushed" is one number, and marking a micro-batch is one small insert. The
first version marked every entry (``flushed_at``): an ``UPDATE`` of 20,000 rows that held SQLite's
write lock for 0.1–0.2 s, while the server's requests waited to append.

The tables are created by the ``collector`` migration set of the operational store; a change is a
new numbered step, never a drop-and-recreate.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    text,
)

from journeykit.store import Migration, MigrationSet, operational_engine

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

metadata = MetaData()
LogId = BigInteger().with_variant(Integer, "sqlite")

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
    Column("id", LogId, primary_key=True),
    Column("message_id", String(255), nullable=False, unique=True),
    Column("key_name", String(64), nullable=False),
    Column("body", Text, nullable=False),  # the message as JSON, with its receivedAt
)

flushed = Table(
    "collector_flushed",
    metadata,
    Column("up_to", LogId, primary_key=True, autoincrement=False),
    Column("flushed_at", DateTime(timezone=True), nullable=False),
)

LEGACY_MARK = "flushed_at"
"""Version 1's per-entry mark on ``collector_log``, replaced by ``collector_flushed``."""


def _create_v1(connection: Connection) -> None:
    keys.create(connection, checkfirst=True)
    log.create(connection, checkfirst=True)


def _create_v2(connection: Connection) -> None:
    """``collector_flushed``; a version-1 log's marks become its first row, then go."""
    flushed.create(connection, checkfirst=True)
    columns = {column["name"] for column in inspect(connection).get_columns(log.name)}
    if LEGACY_MARK not in columns:
        return
    pending = f"SELECT min(id) - 1 FROM collector_log WHERE {LEGACY_MARK} IS NULL"
    up_to = connection.execute(text(pending)).scalar()
    if up_to is None:  # nothing pending: all of it is flushed
        up_to = connection.execute(text("SELECT max(id) FROM collector_log")).scalar()
    if up_to:
        connection.execute(insert(flushed).values(up_to=up_to, flushed_at=datetime.now(UTC)))
    connection.execute(text("DROP INDEX IF EXISTS ix_collector_log_pending"))
    connection.execute(text(f"ALTER TABLE collector_log DROP COLUMN {LEGACY_MARK}"))


COLLECTOR_MIGRATIONS: MigrationSet[Connection] = MigrationSet(
    "collector",
    [
        Migration(1, "write keys and the append log", _create_v1),
        Migration(2, "flushed up to an id instead of a mark per entry", _create_v2),
    ],
)


def collector_engine(workspace: Workspace) -> Engine:
    """The workspace's operational store with the collector's tables in place."""
    return operational_engine(workspace, COLLECTOR_MIGRATIONS)
