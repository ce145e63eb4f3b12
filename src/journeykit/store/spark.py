"""Local Spark as the analytic store: the one module that imports ``pyspark`` (lazily).

``pyspark://local`` runs Spark inside this process (Java 17 needed). Spark's built-in catalog lives
in memory and forgets tables when the process ends, so every table is a Parquet folder under the
store folder with its schema beside it (``_schemas/NAME.json``); connecting registers them again.
One Spark session serves every store of the process: it takes ~20 s to start.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from journeykit.store.errors import ExtraMissing

if TYPE_CHECKING:
    from ibis.backends import BaseBackend

SCHEMAS = "_schemas"
SPARK_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.sql.sources.default": "parquet",
}


def require_pyspark() -> Any:
    """The ``pyspark.sql`` module, or ``ExtraMissing`` with the pip command."""
    try:
        import pyspark.sql
    except ImportError:
        raise ExtraMissing("the Spark store (pyspark://local)", "spark", "pyspark") from None
    return pyspark.sql


def spark_backend(folder: Path, master: str) -> BaseBackend:
    """An Ibis PySpark backend whose current database holds the tables stored in ``folder``."""
    sql = require_pyspark()
    import ibis

    session = sql.SparkSession.getActiveSession() or _new_session(sql, master, folder)
    folder.mkdir(parents=True, exist_ok=True)
    database = "jk_" + hashlib.sha1(str(folder.resolve()).encode()).hexdigest()[:12]
    session.sql(f"CREATE DATABASE IF NOT EXISTS {database} LOCATION '{(folder / '_db').as_uri()}'")
    session.catalog.setCurrentDatabase(database)
    for schema_file in sorted((folder / SCHEMAS).glob("*.json")):
        _register(session, database, folder, schema_file.stem, schema_file.read_text())
    return ibis.pyspark.connect(session)


def create_spark_table(backend: BaseBackend, folder: Path, name: str, schema: pa.Schema) -> None:
    """Create table ``name`` as a Parquet folder under ``folder`` and remember its schema."""
    import ibis
    from ibis.backends.pyspark.datatypes import PySparkSchema

    spark_schema = PySparkSchema.from_ibis(ibis.Schema.from_pyarrow(schema))
    session = backend._session
    database = session.catalog.currentDatabase()
    text = spark_schema.json()
    _register(session, database, folder, name, text)
    (folder / SCHEMAS).mkdir(parents=True, exist_ok=True)
    (folder / SCHEMAS / f"{name}.json").write_text(text, encoding="utf-8")


def arrow_view(backend: BaseBackend, table: pa.Table) -> str:
    """A temporary view of ``table`` made from Arrow directly; returns its name."""
    import uuid

    session = backend._session
    name = "_jk_arrow_" + uuid.uuid4().hex[:12]
    session.createDataFrame(table).createOrReplaceTempView(name)
    return name


def _register(session: Any, database: str, folder: Path, name: str, schema_json: str) -> None:
    if session.catalog.tableExists(f"{database}.{name}"):
        return
    types = require_pyspark().types
    schema = types.StructType.fromJson(json.loads(schema_json))
    session.catalog.createTable(
        f"{database}.{name}", path=(folder / name).as_uri(), source="parquet", schema=schema
    )


def _new_session(sql: Any, master: str, folder: Path) -> Any:
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # no loopback warning, no network
    builder = sql.SparkSession.builder.master(master).appName("journeykit")
    for key, value in SPARK_CONF.items():
        builder = builder.config(key, value)
    builder = builder.config("spark.sql.warehouse.dir", (folder / "_warehouse").as_uri())
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session
