"""The stores: URLs, migrations, DuckDB's one-writer lock, the operational engine."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert, select, text

from journeykit.store import (
    AnalyticStore,
    ExtraMissing,
    Migration,
    MigrationSet,
    SchemaTooNew,
    StoreBusy,
    StoreUrlInvalid,
    engine_for_url,
    migrate_analytic,
    migrate_operational,
    open_analytic,
    operational_engine,
    reading,
)
from journeykit.store.migrations import applied_version
from journeykit.store.urls import parse_analytic_url


def test_urls_resolve_against_the_workspace(tmp_path: Path) -> None:
    relative = parse_analytic_url("duckdb:///data/events.duckdb", tmp_path)
    assert relative.path == tmp_path / "data/events.duckdb"
    assert parse_analytic_url("duckdb:////srv/e.duckdb", tmp_path).path == Path("/srv/e.duckdb")
    assert parse_analytic_url("duckdb://", tmp_path).in_memory
    assert parse_analytic_url("duckdb:///:memory:", tmp_path).in_memory
    spark = parse_analytic_url("pyspark://local", tmp_path)
    assert (spark.engine, spark.path) == ("pyspark", tmp_path / "data/spark")
    assert parse_analytic_url("clickhouse://host/db", tmp_path).engine == "clickhouse"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("events.duckdb", "no scheme — write e.g. duckdb:///data/events.duckdb"),
        ("duckdb://data/x.duckdb", "the path must follow three slashes"),
        ("pyspark://cluster:7077", "journeykit runs Spark locally only ('cluster:7077' given)"),
    ],
)
def test_bad_urls_say_how_to_write_them(tmp_path: Path, url: str, message: str) -> None:
    with pytest.raises(StoreUrlInvalid, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_analytic_url(url, tmp_path)


def test_migrations_create_the_tables_once(tmp_path: Path) -> None:
    url = "duckdb:///data/events.duckdb"
    with open_analytic(url, root=tmp_path) as store:
        tables = set(store.backend.list_tables())
        assert {
            "events",
            "quarantine",
            "identity_links",
            "ingest_batches",
            "schema_version",
        } <= tables
        assert applied_version(store, "events") == 1
    with open_analytic(url, root=tmp_path) as store:  # reopening applies nothing again
        versions = store.fetch(store.table("schema_version"))
        assert versions["version"].to_pylist() == [1]
        assert store.table("events").schema().names[:2] == ("event_id", "ts")
    assert (tmp_path / "data/events.duckdb").is_file()


def test_a_later_step_is_applied_to_an_existing_store(tmp_path: Path) -> None:
    def add_notes(store) -> None:  # type: ignore[no-untyped-def]
        store.create_table("notes", pa.schema([("text", pa.string())]))

    first = MigrationSet("extra", [Migration(1, "nothing yet", lambda store: None)])
    second = MigrationSet("extra", [*first.migrations, Migration(2, "a notes table", add_notes)])
    with open_analytic("duckdb:///x.duckdb", root=tmp_path) as store:
        assert migrate_analytic(store, first) == [1]
    with open_analytic("duckdb:///x.duckdb", root=tmp_path) as store:
        assert migrate_analytic(store, second) == [2]
        assert migrate_analytic(store, second) == []
        assert store.has_table("notes")
        with pytest.raises(SchemaTooNew, match="'extra' tables are at schema version 2"):
            migrate_analytic(store, first)


def test_migration_versions_must_be_consecutive() -> None:
    with pytest.raises(ValueError, match=r"must be 1\.\.n"):
        MigrationSet("x", [Migration(2, "gap", lambda store: None)])


def _hold_lock(path: Path, seconds: float, ready: Path) -> subprocess.Popen[bytes]:
    script = (
        "import duckdb, pathlib, sys, time\n"
        f"con = duckdb.connect({str(path)!r})\n"
        f"pathlib.Path({str(ready)!r}).touch()\n"
        f"time.sleep({seconds})\n"
        "con.close()\n"
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert time.monotonic() < deadline, "the lock holder did not start"
        time.sleep(0.05)
    return process


def test_a_second_process_waits_for_the_lock(tmp_path: Path) -> None:
    with open_analytic("duckdb:///e.duckdb", root=tmp_path):
        pass
    holder = _hold_lock(tmp_path / "e.duckdb", 1.5, tmp_path / "ready")
    started = time.monotonic()
    with open_analytic("duckdb:///e.duckdb", root=tmp_path) as store:
        assert store.scalar(store.table("events").count()) == 0
    assert time.monotonic() - started > 0.5  # it waited instead of failing
    holder.wait(timeout=30)


def test_the_wait_has_an_end_that_names_the_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOURNEYKIT_LOCK_TIMEOUT", "0.5")
    holder = _hold_lock(tmp_path / "e.duckdb", 10, tmp_path / "ready")
    try:
        with (
            pytest.raises(StoreBusy, match=rf"in use by process {holder.pid} \(python"),
            open_analytic("duckdb:///e.duckdb", root=tmp_path),
        ):
            pass
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_spark_without_pyspark_names_the_pip_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)
    with (
        pytest.raises(ExtraMissing, match=r"run: pip install 'journeykit\[spark\]'"),
        open_analytic("pyspark://local", root=tmp_path),
    ):
        pass


def test_memory_store_is_shared_within_the_process() -> None:
    with open_analytic("duckdb://") as store:
        store.insert("ingest_batches", _batch_row("m1"))
    with open_analytic("duckdb://") as store:
        ids = store.fetch(store.table("ingest_batches"))["batch_id"].to_pylist()
    assert "m1" in ids


def test_analyses_get_room_and_ingest_stays_bounded(tmp_path: Path) -> None:
    from journeykit.events.ingest.pipeline import IngestSession, options_for
    from journeykit.workspace import init_workspace

    def limit(store: AnalyticStore) -> str:
        return str(store.backend.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0])

    workspace = init_workspace(tmp_path / "ws")
    with open_analytic(workspace) as store:
        assert limit(store) == "1.8 GiB"  # 2 GB: big sorts stay in memory
    with IngestSession(workspace, options_for(workspace)) as session:
        assert limit(session.store) == "488.2 MiB"  # 512 MB
    with open_analytic(f"duckdb:///{tmp_path / 'x.duckdb'}?memory_limit=1GB") as store:
        store.bound_for_writes()
        assert limit(store) == "953.6 MiB"  # the URL's own limit wins


def test_transactions_roll_back_on_error(tmp_path: Path) -> None:
    with open_analytic("duckdb:///t.duckdb", root=tmp_path) as store:
        with pytest.raises(RuntimeError), store.transaction():
            store.insert("ingest_batches", _batch_row("gone"))
            raise RuntimeError("boom")
        assert store.scalar(store.table("ingest_batches").count()) == 0


def _batch_row(batch_id: str) -> pa.Table:
    from datetime import UTC, datetime

    from journeykit.store.tables import INGEST_BATCHES_SCHEMA

    now = datetime.now(UTC)
    row = {
        "batch_id": batch_id,
        "started_at": now,
        "finished_at": now,
        "read": 0,
        "kept": 0,
        "duplicates": 0,
        "quarantined": 0,
        "status": "committed",
    }
    return pa.Table.from_pylist([row], schema=INGEST_BATCHES_SCHEMA)


# --- operational store ---------------------------------------------------------------------

_metadata = MetaData()
_things = Table("things", _metadata, Column("n", Integer, primary_key=True))


def _create_things(connection: Connection) -> None:
    _metadata.create_all(connection)


THINGS = MigrationSet("things", [Migration(1, "things", _create_things)])


def test_sqlite_is_tuned_for_several_processes(tmp_path: Path) -> None:
    engine = engine_for_url("sqlite:///data/ops.sqlite", tmp_path)
    with reading(engine) as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 30000
    assert (tmp_path / "data/ops.sqlite").is_file()


def test_operational_migrations_per_component(tmp_path: Path) -> None:
    from journeykit.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws")
    engine = operational_engine(workspace, THINGS)
    assert migrate_operational(engine, THINGS) == []
    with engine.begin() as connection:
        connection.execute(insert(_things).values(n=1))
        versions = connection.execute(text("SELECT component, version FROM schema_version"))
        assert sorted(versions.all()) == [("core", 1), ("things", 1)]
    assert (workspace.data_dir / "ops.sqlite").is_file()


def test_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    """BEGIN IMMEDIATE: two read-modify-write transactions in parallel both succeed."""
    engine = engine_for_url("sqlite:///ops.sqlite", tmp_path)
    migrate_operational(engine, THINGS)
    errors: list[BaseException] = []

    def writer(start: int) -> None:
        try:
            for n in range(start, start + 20):
                with engine.begin() as connection:
                    connection.execute(select(_things.c.n)).all()
                    connection.execute(insert(_things).values(n=n))
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i * 100,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with reading(engine) as connection:
        assert connection.execute(select(_things.c.n)).all().__len__() == 40


def test_operational_urls(tmp_path: Path) -> None:
    with pytest.raises(StoreUrlInvalid, match="must be SQLite or PostgreSQL"):
        engine_for_url("mysql://x/y", tmp_path)
    engine = engine_for_url("postgresql://user@localhost/db", tmp_path)
    assert engine.url.drivername == "postgresql+psycopg"


def test_public_api_is_pinned() -> None:
    import journeykit.store as store

    assert sorted(store.__all__) == [
        "ANALYTIC_MIGRATIONS",
        "AnalyticStore",
        "ENGINES",
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
