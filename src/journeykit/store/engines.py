"""What each analytic engine can and cannot do, as data (STYLE.md: gaps of a backend are data).

Code that writes to the store asks these traits instead of testing the backend's name:
``transaction`` spans statements only where ``transactions`` is true, retroactive changes use
``UPDATE … FROM`` only where ``updates`` is true (else the table is rewritten), and only engines
with ``file_lock`` retry on the lock error.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


@dataclass(frozen=True)
class Engine:
    """Traits of one Ibis backend as the store uses it."""

    name: str
    transactions: bool = False
    """``BEGIN … COMMIT`` spans several statements: a file's events, quarantine and batch row
    become visible together or not at all."""
    updates: bool = False
    """``UPDATE t SET … FROM m`` works; without it a retroactive change rewrites the table."""
    lock_error: str | None = None
    """Text of the error raised when another process holds the store's file lock."""
    table_locations: bool = False
    """Tables are folders the store registers itself (Spark's in-memory catalog forgets them)."""
    streams: bool = False
    """An Arrow stream can be inserted in one statement without collecting it first."""
    arrow_frames: bool = False
    """In-memory tables go in as Arrow (ibis' pandas route would turn missing text into 'NaN')."""
    stored_order: bool = False
    """``LEAD … OVER ()`` reads a table's rows in the order they are stored, without sorting: an
    analysis may use that on a table clustered in journey order if it checks the order in the
    same pass (``analytics.sequence.stored_successors``)."""


ENGINES: dict[str, Engine] = {
    "duckdb": Engine(
        "duckdb",
        transactions=True,
        updates=True,
        lock_error="Could not set lock on file",
        streams=True,
        stored_order=True,
    ),
    "pyspark": Engine("pyspark", table_locations=True, arrow_frames=True),
}


def engine_traits(name: str) -> Engine:
    """The traits of backend ``name``; unknown backends get the careful defaults."""
    return ENGINES.get(name, Engine(name))


UPSTREAM_WARNINGS: tuple[tuple[type[Warning], str], ...] = (
    # ibis 12 calls APIs that duckdb 2.0 deprecated; harmless, fixed upstream in later ibis.
    (DeprecationWarning, r"fetch_arrow_table\(\) is deprecated"),
    (DeprecationWarning, r"fetch_record_batch\(\) is deprecated"),
    (UserWarning, r"Arrow output on a DB-API result"),
    # ibis' and pyspark's pandas conversions use what pandas 3 deprecated.
    (Warning, r"The 'future.infer_string' option is deprecated"),
    (Warning, r"The copy keyword is deprecated"),
)
"""Warnings our dependencies raise about each other, silenced where we call them."""


@contextmanager
def quiet_upstream() -> Iterator[None]:
    """Silence ``UPSTREAM_WARNINGS`` (and only those) inside the block."""
    with warnings.catch_warnings():
        for category, message in UPSTREAM_WARNINGS:
            warnings.filterwarnings("ignore", message=message, category=category)
        yield
