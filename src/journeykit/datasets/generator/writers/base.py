"""What all writers share: the sink interface and small Arrow helpers.

A sink receives event batches in the event schema, writes them in its format and reports, when
closed, which files it wrote with how many events (the truth file records them with their sizes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

import pyarrow as pa

FileStats = dict[str, dict[str, int]]


class Sink(Protocol):
    """A writer of one format."""

    def write(self, batch: pa.RecordBatch) -> None:
        """Append the batch's events."""
        ...

    def close(self) -> dict[Path, int]:
        """Finish the files; return each written file with its number of events."""
        ...


def stats(root: Path, counts: dict[Path, int]) -> FileStats:
    """File statistics relative to ``root`` (POSIX separators, sorted)."""
    return {
        path.relative_to(root).as_posix(): {"events": count, "bytes": path.stat().st_size}
        for path, count in sorted(counts.items())
    }


def columns(batch: pa.RecordBatch) -> dict[str, list[Any]]:
    """The batch as Python lists, ``properties`` parsed and ``ts`` as epoch microseconds."""
    data: dict[str, list[Any]] = batch.to_pydict()
    data["ts"] = batch.column("ts").cast(pa.int64()).to_pylist()
    data["properties"] = [json.loads(text) if text else {} for text in data["properties"]]
    return data


def rows(batch: pa.RecordBatch) -> list[dict[str, Any]]:
    """The batch as one dict per event (for the few-row formats)."""
    data = columns(batch)
    names = list(data)
    return [dict(zip(names, values, strict=True)) for values in zip(*data.values(), strict=True)]


class Encoder:
    """JSON-encodes strings with a cache: paths, names and ids repeat across millions of rows."""

    def __init__(self, limit: int = 200_000) -> None:
        self._cache: dict[str, str] = {}
        self._limit = limit

    def __call__(self, text: str) -> str:
        cached = self._cache.get(text)
        if cached is None:
            cached = json.dumps(text, ensure_ascii=False)
            if len(self._cache) < self._limit:
                self._cache[text] = cached
        return cached


def title_case(name: str) -> str:
    """``order_completed`` → ``Order Completed`` (Segment's naming; reversible by snake-casing)."""
    return " ".join(part.capitalize() for part in name.split("_"))


def dumps(value: Any) -> str:
    """Compact JSON with real umlauts, the way exports write it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
