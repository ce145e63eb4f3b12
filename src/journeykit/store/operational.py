"""The operational store: THE one place that builds the SQLAlchemy engine (SQLite or PostgreSQL).

SQLite (``sqlite:///data/ops.sqlite``, relative to the workspace) is tuned for one machine with
several processes — ``journeykit serve`` and the CLI — writing now and then:

- WAL journal: readers never block the writer and the writer never blocks readers;
- ``busy_timeout``: a writer waits for the lock instead of failing at once;
- ``BEGIN IMMEDIATE`` for writers: the write lock is taken when the transaction starts, so two
  writers queue up instead of both reading and then failing to upgrade (SQLite's deadlock,
  answered with ``database is locked`` regardless of the timeout). Read-only work uses
  ``reading(engine)``, which begins deferred and takes no write lock.

PostgreSQL (``postgresql://…``, run by psycopg 3) is for several workers; it needs none of this.

Migrations: each component brings a ``MigrationSet`` of steps taking a SQLAlchemy ``Connection``.
The collector, say, declares::

    COLLECTOR_MIGRATIONS = MigrationSet("collector", [Migration(1, "keys and log", create_v1)])

and calls ``operational_engine(workspace, COLLECTOR_MIGRATIONS)`` (or ``migrate_operational(engine,
COLLECTOR_MIGRATIONS)``) at start-up; ``create_v1(connection)`` may be ``metadata.create_all``.
Steps of all components are recorded in one ``schema_version`` table (component, version).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    func,
    insert,
    select,
)

from journeykit.store.errors import StoreUrlInvalid
from journeykit.store.migrations import Migration, MigrationSet
from journeykit.store.urls import sqlite_path

if TYPE_CHECKING:
    from pathlib import Path

    from journeykit.workspace import Workspace

BUSY_TIMEOUT_MS = 30_000
WRITE = "journeykit_write"

version_metadata = MetaData()
schema_version = Table(
    "schema_version",
    version_metadata,
    Column("component", String(64), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("description", String(200), nullable=False),
    Column("applied_at", DateTime(timezone=True), nullable=False),
)

CORE_MIGRATIONS: MigrationSet[Connection] = MigrationSet(
    "core", [Migration(1, "schema_version table", lambda connection: None)]
)
"""The operational store's own steps; profiles, consent and flow state add theirs here later."""


def operational_engine(
    workspace: Workspace, *sets: MigrationSet[Connection], url: str | None = None
) -> Engine:
    """The workspace's operational engine, migrated to ``CORE_MIGRATIONS`` and ``sets``."""
    engine = engine_for_url(url or workspace.settings.store.operational, workspace.root)
    migrate_operational(engine, CORE_MIGRATIONS, *sets)
    return engine


def engine_for_url(url: str, root: Path) -> Engine:
    """A SQLAlchemy engine for ``url``: SQLite tuned as above, PostgreSQL through psycopg 3."""
    if url.startswith("sqlite"):
        return _sqlite_engine(url, root)
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("postgresql"):
        return create_engine(url, pool_pre_ping=True)
    raise StoreUrlInvalid(
        url,
        "the operational store must be SQLite or PostgreSQL",
        "write sqlite:///data/ops.sqlite or postgresql://user@host/db",
    )


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for read-only work: on SQLite a deferred transaction (no write lock)."""
    with engine.connect() as connection:
        connection = connection.execution_options(**{WRITE: False})
        with connection.begin():
            yield connection


def migrate_operational(engine: Engine, *sets: MigrationSet[Connection]) -> list[str]:
    """Apply the pending steps of each set, each step in its own write transaction."""
    version_metadata.create_all(engine)
    applied: list[str] = []
    for migration_set in sets:
        with engine.begin() as connection:
            current = connection.execute(
                select(func.max(schema_version.c.version)).where(
                    schema_version.c.component == migration_set.component
                )
            ).scalar()
        for step in migration_set.pending(int(current or 0)):
            with engine.begin() as connection:
                step.upgrade(connection)
                connection.execute(
                    insert(schema_version).values(
                        component=migration_set.component,
                        version=step.version,
                        description=step.description,
                        applied_at=datetime.now(UTC),
                    )
                )
            applied.append(f"{migration_set.component}:{step.version}")
    return applied


def _sqlite_engine(url: str, root: Path) -> Engine:
    path = sqlite_path(url, root)
    if path is None:
        from sqlalchemy.pool import StaticPool

        engine = create_engine("sqlite://", poolclass=StaticPool)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(f"sqlite:///{path}")
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    return engine


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Hand transaction control to us (pysqlite would BEGIN DEFERRED on its own), then tune.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = FULL")  # the collector answers 200 after a commit
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.close()


def _on_begin(connection: Connection) -> None:
    writes = connection.get_execution_options().get(WRITE, True)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
