"""The two stores of a workspace: analytic (Ibis, by URL) and operational (SQLAlchemy 2).

- ``open_analytic(workspace)`` — the analytic store for a block of work: connected by URL
  (DuckDB file, in-memory DuckDB, local Spark, any Ibis backend), migrated, closed afterwards so
  other processes can use the DuckDB file (see ``analytic.py`` for the locking design).
- ``AnalyticStore`` — table access, inserts, transactions and retroactive updates that work the
  same on every engine; engine differences are data in ``engines.ENGINES``.
- ``operational_engine(workspace, *migration_sets)`` — the SQLAlchemy engine (SQLite WAL with
  ``BEGIN IMMEDIATE`` writers, or PostgreSQL), migrated; ``reading(engine)`` for read-only work.
- ``Migration`` / ``MigrationSet`` — numbered schema steps per component.
"""

from journeykit.store.analytic import AnalyticStore, open_analytic
from journeykit.store.engines import ENGINES, Engine
from journeykit.store.errors import (
    ExtraMissing,
    SchemaTooNew,
    StoreBusy,
    StoreError,
    StoreUrlInvalid,
)
from journeykit.store.migrations import (
    ANALYTIC_MIGRATIONS,
    Migration,
    MigrationSet,
    migrate_analytic,
)
from journeykit.store.operational import (
    engine_for_url,
    migrate_operational,
    operational_engine,
    reading,
)

__all__ = [
    "ANALYTIC_MIGRATIONS",
    "ENGINES",
    "AnalyticStore",
    "Engine",
    "ExtraMissing",
    "Migration",
    "MigrationSet",
    "SchemaTooNew",
    "StoreBusy",
    "StoreError",
    "StoreUrlInvalid",
    "engine_for_url",
    "migrate_analytic",
    "migrate_operational",
    "open_analytic",
    "operational_engine",
    "reading",
]
