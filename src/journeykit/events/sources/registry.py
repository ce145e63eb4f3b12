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
