"""The analytic store: THE one place that turns a store URL into an Ibis connection.

``duckdb:///data/events.duckdb`` (relative to the workspace), ``duckdb:////abs/file.duckdb``,
``duckdb://`` (in memory, shared by the process — for tests), ``pyspark://local`` (local Spark,
optional extra) and any other Ibis URL (``ibis.connect``).

Why short-lived connections with retry: DuckDB lets one process at a time open a database file
(even a reader is refused while a writer holds it). ``journeykit serve`` runs for hours while the
CLI ingests or reads in another terminal, so no command keeps the file open: each one opens the
store, does its work, and closes it (``open_analytic`` is a context manager). Opening retries with
exponential backoff while another process holds the lock, for up to ``JOURNEYKIT_LOCK_TIMEOUT``
seconds (default 120), then fails with ``StoreBusy`` naming the holder. The cost is that a large
file being ingested (one transaction) keeps others waiting until it is committed; the collector
buffers in its own durable log meanwhile.
"""

from __future__ import annotations

import os
import random
import re
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc

from journeykit.store.arrow_views import registered
from journeykit.store.engines import Engine, engine_traits, quiet_upstream
from journeykit.store.errors import StoreBusy, StoreUrlInvalid
from journeykit.store.urls import AnalyticUrl, parse_analytic_url

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

    from journeykit.workspace import Workspace

ENV_LOCK_TIMEOUT = "JOURNEYKIT_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 120.0
DUCKDB_SETTINGS: dict[str, str] = {
    # analyses sort and group whole tables: below ~2 GB a 10 M-event sort spills to disk and
    # takes 2–3× longer; peak RSS stays under 3 GiB
    "memory_limit": "2GB",
    "preserve_insertion_order": "false",  # lets DuckDB stream big inserts with less memory
}
WRITE_MEMORY_LIMIT = "512MB"
"""Ingest's limit (``bound_for_writes``): large inserts spill and write row groups to the file."""
_MEMORY_STORES: dict[str, AnalyticStore] = {}


class AnalyticStore:
    """An open analytic store: its Ibis backend and what its engine can do.

    Everything that reads or writes the analytic tables goes through these methods, so engine
    differences stay here and in ``engines.ENGINES``.
    """

    def __init__(self, backend: BaseBackend, engine: Engine, location: AnalyticUrl) -> None:
        self.backend = backend
        self.engine = engine
        self.location = location
        self._cursor: Any = None

    @property
    def url(self) -> str:
        return self.location.url

    def table(self, name: str) -> ir.Table:
        with quiet_upstream():
            return self.backend.table(name)

    def has_table(self, name: str) -> bool:
        with quiet_upstream():
            return name in self.backend.list_tables()

    def fetch(self, expr: ir.Table) -> pa.Table:
        """The rows of ``expr`` as Arrow (keep results small: they come into Python).

        Timestamps come back as UTC whatever the engine (Spark returns them without a zone).
        """
        with quiet_upstream():
            table = expr.to_pyarrow()
        utc = _utc_schema(table.schema)
        return table if utc is None else table.cast(utc)

    def scalar(self, expr: ir.Scalar) -> Any:
        """The value of a scalar expression as a Python object."""
        with quiet_upstream():
            value = expr.to_pyarrow()
        if pa.types.is_timestamp(value.type) and value.type.tz is None:
            value = value.cast(pa.timestamp(value.type.unit, tz="UTC"))
        return value.as_py()

    def cluster(self, name: str, order: Sequence[str]) -> bool:
        """Rewrite table ``name`` physically sorted by ``order``, atomically; False where the
        engine keeps no row order of its own (only DuckDB does here).

        Engines sort much faster what is already nearly sorted, so analyses that read per
        customer in time order (windows partitioned by customer) gain from a clustered table.
        """
        if not self.engine.transactions or not self.engine.streams:
            return False
        staged = f"_jk_{name}_clustered"
        keys = ", ".join(f'"{column}"' for column in order)
        con = self.backend.con
        con.execute("SET preserve_insertion_order = true")  # keep the ORDER BY on disk
        try:
            with self.transaction():
                required = con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE table_name = $name "
                    "AND database_name = current_database() AND schema_name = current_schema() "
                    "AND NOT is_nullable",
                    {"name": name},
                ).fetchall()
                con.execute(f'CREATE TABLE "{staged}" AS SELECT * FROM "{name}" LIMIT 0')
                for (column,) in required:
                    con.execute(f'ALTER TABLE "{staged}" ALTER COLUMN "{column}" SET NOT NULL')
                con.execute(f'INSERT INTO "{staged}" SELECT * FROM "{name}" ORDER BY {keys}')
                con.execute(f'DROP TABLE "{name}"')
                con.execute(f'ALTER TABLE "{staged}" RENAME TO "{name}"')
        finally:
            con.execute(
                f"SET preserve_insertion_order = {DUCKDB_SETTINGS['preserve_insertion_order']}"
            )
        self.checkpoint()
        return True

    def defer_checkpoint(self) -> None:
        """Leave this session's writes in DuckDB's write-ahead log when the store closes.

        Closing a DuckDB file writes the log into the file, re-compressing the table's last row
        group each time: for a writer that appends every second (the collector's flusher under
        load) that was a fifth of its work. The log is as durable; the next process to open the
        file reads it back, and DuckDB writes it into the file by itself once it passes its
        threshold (``checkpoint_threshold``, 16 MB). Other engines: nothing to do.
        """
        if self.engine.streams and not self.location.in_memory:
            self.backend.raw_sql("PRAGMA disable_checkpoint_on_shutdown")

    def limit_threads(self, count: int) -> None:
        """At most ``count`` DuckDB threads for this session (other engines: nothing to do).

        For a writer of many small batches beside a busy process — the collector's flusher —
        a second thread bought no speed and cost CPU: its 20,000-event micro-batches took ~10 %
        less CPU, and no more time, on one.
        """
        if self.engine.streams:
            self.backend.raw_sql(f"SET threads = {int(count)}")

    def checkpoint(self) -> None:
        """Write what DuckDB's write-ahead log holds into the file (other engines: nothing)."""
        if self.engine.streams and not self.location.in_memory:
            self.backend.raw_sql("CHECKPOINT")

    def bound_for_writes(self) -> None:
        """Lower DuckDB's memory limit for a writing session (unless the store URL sets one)."""
        if self.engine.streams and "memory_limit" not in dict(self.location.options):
            self.backend.raw_sql(f"SET memory_limit = '{WRITE_MEMORY_LIMIT}'")

    def insert(self, name: str, data: pa.Table) -> None:
        """Append ``data`` (columns by name, in any order) to table ``name``.

        Where Arrow streams straight in (DuckDB), one ``INSERT … BY NAME`` over the registered
        table: ibis' insert costs ~40 ms of schema look-ups and SQL building per call, which
        dominated ingesting many small files.
        """
        if data.num_rows == 0:
            return
        if self.engine.streams:
            _insert_arrow(self.backend.con, name, data)
            return
        target = list(self.table(name).columns)
        with quiet_upstream():
            self.backend.insert(name, self.memtable(data.select(target)))

    def memtable(self, data: pa.Table) -> ir.Table:
        """An in-memory table the engine can join with (Arrow straight in where it matters)."""
        if self.engine.arrow_frames:
            from journeykit.store.spark import arrow_view

            return self.backend.table(arrow_view(self.backend, data))
        import ibis

        return ibis.memtable(data)

    def append_stream(
        self, name: str, batches: Iterator[pa.RecordBatch], schema: pa.Schema, key: str, time: str
    ) -> tuple[int, int]:
        """Append a stream of batches in one statement, once per ``key``; ``(appended, dropped)``.

        Rows whose ``key`` repeats within the stream are dropped after the first (by insertion
        order). Rows whose key is already stored should be screened out beforehand with
        ``stored_keys``; on engines that cannot stream, the stream is collected and anti-joined
        here instead. DuckDB keeps a transaction's rows in memory until commit when they arrive
        in several statements, so one statement per input is also what bounds memory.
        """
        if self.engine.streams:
            return _append_streamed(self, name, batches, schema, key, time)
        return _append_collected(self, name, batches, schema, key)

    def stored_keys(
        self,
        name: str,
        key: str,
        keys: pa.Array | pa.ChunkedArray,
        where: str = "TRUE",
        params: dict[str, Any] | None = None,
    ) -> pa.Array:
        """Which of ``keys`` are stored (committed) on rows matching ``where`` (SQL, ``$params``).

        On DuckDB this reads through a second connection, so it can run in another thread while
        a streamed append is under way on the first; it sees committed rows only. Elsewhere it
        answers none (check ``engine.streams`` where "none" would be wrong).
        """
        if not self.engine.streams:
            return pa.array([], keys.type)
        cursor = self._lookup_cursor()
        with registered(cursor, "_jk_keys", pa.table({"k": keys})):
            found = cursor.sql(
                f'SELECT "{key}" FROM "{name}" WHERE ({where}) '
                f'AND "{key}" IN (SELECT k FROM _jk_keys)',
                params=params or {},
            ).to_arrow_table()
        return found.column(0).combine_chunks()

    def _lookup_cursor(self) -> Any:
        if self._cursor is None:
            self._cursor = self.backend.con.cursor()
        return self._cursor

    def create_table(self, name: str, schema: pa.Schema) -> None:
        """Create an empty table; on Spark as a Parquet folder the store re-registers."""
        with quiet_upstream():
            if self.engine.table_locations:
                from journeykit.store.spark import create_spark_table

                assert self.location.path is not None
                create_spark_table(self.backend, self.location.path, name, schema)
            else:
                import ibis

                self.backend.create_table(name, schema=ibis.Schema.from_pyarrow(schema))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside become visible together where the engine has transactions.

        Elsewhere the block runs as is; writers order their statements so that a rerun after a
        crash repairs what a partial run left (events are deduped by ``event_id``).
        """
        if not self.engine.transactions:
            yield
            return
        self.backend.raw_sql("BEGIN TRANSACTION")
        try:
            yield
        except BaseException:
            self.backend.raw_sql("ROLLBACK")
            raise
        self.backend.raw_sql("COMMIT")

    def update_from(
        self, name: str, column: str, key: str, mapping: pa.Table, *, only_null: str | None = None
    ) -> None:
        """Set ``name.column`` to ``mapping.value`` on rows whose ``key`` equals ``mapping.key``
        (and, with ``only_null``, whose column of that name is null).

        ``UPDATE … FROM`` where the engine has it; otherwise the table is rewritten once.
        """
        if mapping.num_rows == 0:
            return
        if self.engine.updates:
            _update_in_place(self, name, column, key, mapping, only_null)
        else:
            _rewrite_with(self, name, column, key, mapping, only_null)

    def close(self) -> None:
        if self._cursor is not None:
            self._cursor.close()
            self._cursor = None
        if not self.location.in_memory and self.location.engine != "pyspark":
            with quiet_upstream():
                self.backend.disconnect()


@contextmanager
def open_analytic(
    target: Workspace | str, *, root: Path | None = None, migrate: bool = True
) -> Iterator[AnalyticStore]:
    """The analytic store of a workspace (or of a URL), open for the block, migrated, closed after.

    Args:
        target: a ``Workspace`` (its ``analytic_url()``, so ``JOURNEYKIT_STORE`` wins) or a URL.
        root: the folder relative paths in a URL start from (default: the workspace root or cwd).
        migrate: bring the tables to the current schema version first.
    """
    if isinstance(target, str):
        url, base = target, root or Path.cwd()
    else:
        url, base = target.analytic_url(), root or target.root
    location = parse_analytic_url(url, base)
    if location.in_memory:
        yield _memory_store(location, migrate)
        return
    store = _connect_with_retry(location)
    try:
        if migrate:
            from journeykit.store.migrations import migrate_analytic

            migrate_analytic(store)
        yield store
    finally:
        store.close()


def _utc_schema(schema: pa.Schema) -> pa.Schema | None:
    """The schema with zone-less timestamps marked UTC; None when there are none."""
    naive = [pa.types.is_timestamp(f.type) and f.type.tz is None for f in schema]
    if not any(naive):
        return None
    fields = [
        field.with_type(pa.timestamp(field.type.unit, tz="UTC")).with_nullable(True)
        if is_naive
        else field.with_nullable(True)
        for field, is_naive in zip(schema, naive, strict=True)
    ]
    return pa.schema(fields, metadata=schema.metadata)


def lock_timeout() -> float:
    """Seconds to wait for another process's lock (``JOURNEYKIT_LOCK_TIMEOUT``)."""
    try:
        return float(os.environ.get(ENV_LOCK_TIMEOUT, DEFAULT_LOCK_TIMEOUT))
    except ValueError:
        return DEFAULT_LOCK_TIMEOUT


def _memory_store(location: AnalyticUrl, migrate: bool) -> AnalyticStore:
    store = _MEMORY_STORES.get(location.url)
    if store is None:
        store = AnalyticStore(_connect(location), engine_traits("duckdb"), location)
        if migrate:
            from journeykit.store.migrations import migrate_analytic

            migrate_analytic(store)
        _MEMORY_STORES[location.url] = store
    return store


def _connect_with_retry(location: AnalyticUrl) -> AnalyticStore:
    engine = engine_traits(location.engine)
    deadline = time.monotonic() + lock_timeout()
    delay = 0.05
    while True:
        try:
            return AnalyticStore(_connect(location), engine, location)
        except Exception as error:
            if not engine.lock_error or engine.lock_error not in str(error):
                raise
            if time.monotonic() >= deadline:
                raise StoreBusy(str(location.path), lock_timeout(), _holder(str(error))) from None
            time.sleep(delay * (0.5 + random.random()))
            delay = min(delay * 1.6, 1.0)


def _holder(message: str) -> str:
    found = re.search(r"held in (\S+) \(PID (\d+)\)", message)
    if not found:
        return "another process"
    return f"process {found.group(2)} ({Path(found.group(1)).name})"


def _connect(location: AnalyticUrl) -> BaseBackend:
    connector = _CONNECTORS.get(location.engine, _connect_other)
    with quiet_upstream():
        return connector(location)


def _connect_duckdb(location: AnalyticUrl) -> BaseBackend:
    import ibis

    from journeykit.store.duckdb_compat import patch_backend

    if location.path is None:
        return patch_backend(ibis.duckdb.connect(":memory:", **DUCKDB_SETTINGS))
    location.path.parent.mkdir(parents=True, exist_ok=True)
    settings = {**DUCKDB_SETTINGS, **dict(location.options)}
    return patch_backend(ibis.duckdb.connect(str(location.path), **settings))


def _connect_spark(location: AnalyticUrl) -> BaseBackend:
    from journeykit.store.spark import spark_backend

    assert location.path is not None
    return spark_backend(location.path, location.option("master", "local[2]"))


def _connect_other(location: AnalyticUrl) -> BaseBackend:
    import ibis

    try:
        return ibis.connect(location.url)
    except (ImportError, ModuleNotFoundError) as error:
        raise StoreUrlInvalid(
            location.url,
            f"the Ibis backend '{location.engine}' is not installed ({error})",
            f"pip install 'ibis-framework[{location.engine}]'",
        ) from None


_CONNECTORS: dict[str, Callable[[AnalyticUrl], BaseBackend]] = {
    "duckdb": _connect_duckdb,
    "pyspark": _connect_spark,
}


def _insert_arrow(con: Any, name: str, data: pa.Table) -> None:
    view = f"_jk_insert_{name}"
    with registered(con, view, data):
        con.execute(f'INSERT INTO "{name}" BY NAME SELECT * FROM {view}').fetchall()


def _append_streamed(
    store: AnalyticStore,
    name: str,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    key: str,
    time: str,
) -> tuple[int, int]:
    con = store.backend.con
    bounds: list[Any] = []
    failed: list[BaseException] = []

    def tracked() -> Iterator[pa.RecordBatch]:
        # An error of the producer ends the stream here and is raised after the statement, so
        # the caller sees it unchanged (DuckDB would wrap it) and rolls the transaction back.
        try:
            for batch in batches:
                if batch.num_rows:
                    found = pc.min_max(batch.column(time)).as_py()
                    bounds.extend([found["min"], found["max"]])
                yield batch
        except BaseException as error:
            failed.append(error)

    view = f"_jk_append_{name}"
    with registered(con, view, pa.RecordBatchReader.from_batches(schema, tracked())):
        appended = con.execute(f'INSERT INTO "{name}" SELECT * FROM {view}').fetchall()[0][0]
    if failed:
        raise failed[0]
    if not bounds:
        return 0, 0
    in_range = f'FROM "{name}" WHERE "{time}" BETWEEN $lo AND $hi'
    dropped = con.execute(
        # Copies within the stream: candidates by a 64-bit hash (cheap to group), then exact.
        f'DELETE FROM "{name}" WHERE rowid IN (SELECT rowid FROM (SELECT rowid, '
        f'row_number() OVER (PARTITION BY "{key}" ORDER BY rowid) AS copy {in_range} '
        f'AND hash("{key}") IN (SELECT hash("{key}") {in_range} GROUP BY 1 HAVING count(*) > 1)) '
        "WHERE copy > 1)",
        {"lo": min(bounds), "hi": max(bounds)},
    ).fetchall()[0][0]
    return int(appended) - int(dropped), int(dropped)


def _append_collected(
    store: AnalyticStore,
    name: str,
    batches: Iterator[pa.RecordBatch],
    schema: pa.Schema,
    key: str,
) -> tuple[int, int]:

    rows = pa.Table.from_batches(list(batches), schema=schema)
    if rows.num_rows == 0:
        return 0, 0
    index = pa.array(range(rows.num_rows), pa.int64())
    firsts = (
        rows.append_column("_i", index).group_by(key, use_threads=False).aggregate([("_i", "min")])
    )
    unique = rows.filter(pc.is_in(index, value_set=firsts["_i_min"]))
    new = store.memtable(unique).anti_join(store.table(name).select(key), key)
    before = int(store.scalar(store.table(name).count()))
    with quiet_upstream():
        store.backend.insert(name, new.select(*store.table(name).columns))
    appended = int(store.scalar(store.table(name).count())) - before
    return appended, rows.num_rows - appended


def _update_in_place(
    store: AnalyticStore,
    name: str,
    column: str,
    key: str,
    mapping: pa.Table,
    only_null: str | None,
) -> None:
    con = store.backend.con
    view = f"_jk_update_{column}_{key}"
    condition = f' AND "{name}"."{only_null}" IS NULL' if only_null else ""
    with registered(con, view, mapping.select(["key", "value"])):
        con.execute(
            f'UPDATE "{name}" SET "{column}" = m.value FROM {view} m '
            f'WHERE "{name}"."{key}" = m.key AND "{name}"."{column}" IS DISTINCT FROM m.value'
            f"{condition}"
        ).fetchall()


def _rewrite_with(
    store: AnalyticStore,
    name: str,
    column: str,
    key: str,
    mapping: pa.Table,
    only_null: str | None,
) -> None:
    import ibis

    table = store.table(name)
    values = store.memtable(mapping.select(["key", "value"]))
    matches = table[key] == values.key
    if only_null:
        matches = matches & table[only_null].isnull()
    joined = table.left_join(values, matches)
    replaced = [
        (ibis.coalesce(joined.value, joined[c]) if c == column else joined[c]).name(c)
        for c in table.columns
    ]
    scratch = f"{name}__rewrite"
    with quiet_upstream():
        store.backend.create_table(scratch, joined.select(replaced), overwrite=True)
        store.backend.raw_sql(f"INSERT OVERWRITE TABLE {name} SELECT * FROM {scratch}")
        store.backend.drop_table(scratch)
