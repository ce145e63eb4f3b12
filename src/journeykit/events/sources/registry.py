"""Sources by name (the values of ``--format``) and ``--format auto`` sniffing.

Registering a source is one line in ``SOURCES``: its ``--format`` name and where its class lives,
``"module:Class"``. The class is imported only when used, so ``journeykit --help`` stays fast and a
broken optional reader cannot break the others. A new reader in this folder, say ``ga4.py``::

    "ga4": "journeykit.events.sources.ga4:Ga4Source",

The order of ``SOURCES`` is the order of sniffing for ``--format auto``: specific formats (GA4,
Segment, Shopify) come before the generic ones they would also pass as (JSONL, CSV), so put a new
specific format above ``parquet``. A source's ``sniff(path, head)`` gets the first 64 KiB.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from journeykit.errors import FileProblem, JourneykitError, suggestion
from journeykit.events.sources.base import Source

SOURCES: dict[str, str] = {
    "ga4": "journeykit.events.sources.ga4:Ga4Source",
    "segment": "journeykit.events.sources.segment:SegmentSource",
    "shopify-orders": "journeykit.events.sources.shopify:ShopifyOrdersSource",
    "parquet": "journeykit.events.sources.parquet:ParquetSource",
    "jsonl": "journeykit.events.sources.jsonl:JsonlSource",
    "csv": "journeykit.events.sources.csv:CsvSource",
}
AUTO = "auto"
HEAD_BYTES = 64 * 1024


class UnknownFormat(JourneykitError):
    """``--format`` names no registered source, or auto-detection recognised nothing."""


def source_names() -> list[str]:
    """The registered ``--format`` values, in sniffing order."""
    return list(SOURCES)


@cache
def get_source(name: str) -> Source:
    """The source registered as ``name``."""
    target = SOURCES.get(name)
    if target is None:
        raise UnknownFormat(f"unknown format '{name}' — {suggestion(name, [AUTO, *SOURCES])}")
    module, _, attribute = target.partition(":")
    source: Source = getattr(importlib.import_module(module), attribute)()
    return source


def detect_source(path: Path) -> Source:
    """The first registered source whose ``sniff`` accepts the file."""
    head = read_head(path)
    if not head.strip():
        raise FileProblem(path, "the file is empty", "export it again; it has no records")
    for name in SOURCES:
        source = get_source(name)
        if source.sniff(path, head):
            return source
    raise UnknownFormat(
        f"{path}: the format was not recognised — pass --format "
        f"({', '.join(SOURCES)}); CSV needs a header row"
    )


def input_files(paths: Sequence[Path]) -> tuple[list[Path], list[FileProblem]]:
    """The files to ingest: each path as given, a folder standing for the files inside it.

    A folder's files are taken at any depth in name order (GA4's daily shards, or a BigQuery
    extract's ``events_20240101/000000000000.json``, come out day by day). Hidden entries
    (``.name``) and the markers Spark and Hadoop leave in their output folders (``_SUCCESS``,
    any ``_name``) are skipped. A folder without files is a problem of its own.
    """
    files: list[Path] = []
    problems: list[FileProblem] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        inside = sorted(found for found in path.rglob("*") if _data_file(found, path))
        if inside:
            files.extend(inside)
        else:
            problems.append(FileProblem(path, "is a folder without files", "name the files"))
    return files, problems


def _data_file(path: Path, folder: Path) -> bool:
    parts = path.relative_to(folder).parts
    return path.is_file() and not any(part.startswith((".", "_")) for part in parts)


def read_head(path: Path) -> bytes:
    """The first bytes of ``path``; a missing or unreadable file raises ``FileProblem``."""
    try:
        with path.open("rb") as stream:
            return stream.read(HEAD_BYTES)
    except FileNotFoundError:
        raise FileProblem(path, "no such file", "check the path") from None
    except IsADirectoryError:
        raise FileProblem(path, "is a folder", "name the files inside it") from None
    except OSError as error:
        raise FileProblem(path, f"cannot be read ({error.strerror})", "check permissions") from None
