"""Versioned schema migrations: a store's tables change by numbered steps, never drop-and-recreate.

A ``MigrationSet`` belongs to one *component* (``events`` for the analytic tables here; the
operational store has its own sets, see ``operational.py``) and numbers its steps 1, 2, 3, ….
The ``schema_version`` table records, per component, every step applied and when. Opening a store
applies the steps it has not seen, in order, each in a transaction where the engine has them; a
store at a higher version than this code knows is refused (``SchemaTooNew``) instead of guessed at.

Adding a step: append ``Migration(N + 1, "what changes", function)`` to the set — never edit a
step that has shipped. A step gets the open store (or SQLAlchemy connection) and changes it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

import pyarrow as pa

from journeykit.events.schema import EVENT_SCHEMA
from journeykit.store.analytic import AnalyticStore
from journeykit.store.errors import SchemaTooNew
from journeykit.store.tables import (
    IDENTITY_LINKS_SCHEMA,
    INGEST_BATCHES_SCHEMA,
    QUARANTINE_SCHEMA,
    SCHEMA_VERSION_SCHEMA,
)

T = TypeVar("T")
VERSION_TABLE = "schema_version"


@dataclass(frozen=True)
class Migration(Generic[T]):
    """One numbered schema step of a component."""

    version: int
    description: str
    upgrade: Callable[[T], None]


@dataclass(frozen=True)
class MigrationSet(Generic[T]):
    """The ordered steps of one component; versions must be 1, 2, 3, … without gaps."""

    component: str
    migrations: Sequence[Migration[T]]

    def __post_init__(self) -> None:
        versions = [step.version for step in self.migrations]
        if versions != list(range(1, len(versions) + 1)):
            raise ValueError(f"{self.component}: migration versions must be 1..n, got {versions}")

    @property
    def latest(self) -> int:
        return len(self.migrations)

    def pending(self, applied: int) -> list[Migration[T]]:
        """The steps after version ``applied``; refuses a store newer than this code."""
        if applied > self.latest:
            raise SchemaTooNew(self.component, applied, self.latest)
        return list(self.migrations[applied:])


def _create_v1(store: AnalyticStore) -> None:
    for name, schema in (
        ("events", EVENT_SCHEMA),
        ("quarantine", QUARANTINE_SCHEMA),
        ("identity_links", IDENTITY_LINKS_SCHEMA),
        ("ingest_batches", INGEST_BATCHES_SCHEMA),
    ):
        if not store.has_table(name):
            store.create_table(name, schema)


ANALYTIC_MIGRATIONS: MigrationSet[AnalyticStore] = MigrationSet(
    "events",
    [
        Migration(1, "events, quarantine, identity_links, ingest_batches", _create_v1),
    ],
)


def applied_version(store: AnalyticStore, component: str) -> int:
    """The highest step of ``component`` recorded in the store (0 for a new store)."""
    if not store.has_table(VERSION_TABLE):
        return 0
    table = store.table(VERSION_TABLE)
    found = store.scalar(table.filter(table.component == component).version.max())
    return int(found or 0)


def migrate_analytic(
    store: AnalyticStore, migrations: MigrationSet[AnalyticStore] = ANALYTIC_MIGRATIONS
) -> list[int]:
    """Apply the pending steps of ``migrations``; returns the versions applied."""
    if not store.has_table(VERSION_TABLE):
        store.create_table(VERSION_TABLE, SCHEMA_VERSION_SCHEMA)
    done: list[int] = []
    for step in migrations.pending(applied_version(store, migrations.component)):
        with store.transaction():
            step.upgrade(store)
            store.insert(VERSION_TABLE, _version_row(migrations.component, step))
        done.append(step.version)
    return done


def _version_row(component: str, step: Migration[T]) -> pa.Table:
    return pa.Table.from_pylist(
        [
            {
                "component": component,
                "version": step.version,
                "description": step.description,
                "applied_at": datetime.now(UTC),
            }
        ],
        schema=SCHEMA_VERSION_SCHEMA,
    )
