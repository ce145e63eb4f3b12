"""Store URLs: what ``journeykit.toml`` and ``--store`` say, resolved against the workspace.

Paths follow SQLAlchemy's convention, so one rule covers DuckDB and SQLite: three slashes are a
path relative to the workspace root (``duckdb:///data/events.duckdb``), four an absolute one
(``duckdb:////srv/events.duckdb``). A workspace then moves as a folder without editing URLs.
``duckdb://`` is an in-memory store (``duckdb:///:memory:NAME`` one of several), for tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from journeykit.store.errors import StoreUrlInvalid

MEMORY = ":memory:"
SPARK_FOLDER = "data/spark"


@dataclass(frozen=True)
class AnalyticUrl:
    """A parsed analytic store URL.

    ``engine`` is the Ibis backend name; ``path`` the DuckDB file (None: in memory) or the folder of
    the Spark tables; ``options`` the query parameters.
    """

    url: str
    engine: str
    path: Path | None
    options: tuple[tuple[str, str], ...] = ()

    @property
    def in_memory(self) -> bool:
        return self.engine == "duckdb" and self.path is None

    def option(self, name: str, default: str) -> str:
        return dict(self.options).get(name, default)


def parse_analytic_url(url: str, root: Path) -> AnalyticUrl:
    """The engine and location of ``url``; relative paths are taken from the workspace ``root``."""
    parts = urlsplit(url)
    if not parts.scheme:
        raise StoreUrlInvalid(
            url, "no scheme", "write e.g. duckdb:///data/events.duckdb or pyspark://local"
        )
    options = tuple(parse_qsl(parts.query))
    if parts.scheme == "duckdb":
        return AnalyticUrl(url, "duckdb", _file_path(url, root), options)
    if parts.scheme == "pyspark":
        if parts.netloc not in ("", "local"):
            raise StoreUrlInvalid(
                url,
                f"journeykit runs Spark locally only ('{parts.netloc}' given)",
                "write pyspark://local, or connect a cluster's SQL endpoint by its Ibis URL",
            )
        return AnalyticUrl(url, "pyspark", _spark_folder(parts.path, root), options)
    return AnalyticUrl(url, parts.scheme, None, options)


def sqlite_path(url: str, root: Path) -> Path | None:
    """The SQLite file of ``url`` (None for an in-memory database)."""
    return _file_path(url, root)


def _file_path(url: str, root: Path) -> Path | None:
    rest = url.split("://", 1)[1] if "://" in url else ""
    rest = rest.split("?", 1)[0]
    if rest in ("", "/") or rest.lstrip("/").startswith(MEMORY):
        return None  # in memory; ":memory:NAME" names one of several
    if not rest.startswith("/"):
        raise StoreUrlInvalid(
            url,
            "the path must follow three slashes",
            "write duckdb:///data/events.duckdb (relative) or duckdb:////abs/path (absolute)",
        )
    path = rest[1:]
    return Path(path) if path.startswith("/") else root / path


def _spark_folder(raw: str, root: Path) -> Path:
    if raw.startswith("//"):
        return Path(raw[1:])
    return root / (raw.strip("/") or SPARK_FOLDER)
