"""Helpers of the event tests: German shop CSVs, workspaces, reading the store back."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa

from journeykit.events.ingest import IngestSummary, ingest_files, options_for
from journeykit.store import open_analytic
from journeykit.workspace import Workspace, init_workspace

GERMAN_HEADER = (
    "Zeitstempel",
    "Kundennummer",
    "Besucher-ID",
    "Ereignis",
    "Kanal",
    "Gerät",
    "Umsatz",
    "Währung",
    "Bestellnummer",
)


def german_row(i: int, **overrides: str) -> dict[str, str]:
    """A plausible row of a German shop export; ``i`` makes it unique."""
    row = {
        "Zeitstempel": f"{1 + i % 28:02d}.03.2024 {i % 24:02d}:{i % 60:02d}:00",
        "Kundennummer": f"K{1000 + i % 50}" if i % 3 else "",
        "Besucher-ID": f"v{i % 70}",
        "Ereignis": ("Seitenaufruf", "Produktansicht", "Kauf")[i % 3],
        "Kanal": ("Web", "E-Mail", "App", "Social Media")[i % 4],
        "Gerät": ("Smartphone", "Desktop", "Tablet")[i % 3],
        "Umsatz": f"{i * 7 % 2000},{i % 100:02d}" if i % 3 == 2 else "",
        "Währung": "EUR" if i % 3 == 2 else "",
        "Bestellnummer": f"B-{i}",
    }
    row.update(overrides)
    return row


def write_csv(
    path: Path,
    rows: Sequence[dict[str, str]],
    *,
    delimiter: str = ";",
    encoding: str = "utf-8",
    header: Sequence[str] = GERMAN_HEADER,
) -> Path:
    """Rows as a CSV file the way a shop exports it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(name, "") for name in header])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def new_workspace(tmp_path: Path, name: str = "ws") -> Workspace:
    return init_workspace(tmp_path / name)


def ingest(workspace: Workspace, *paths: Path, **kwargs: Any) -> IngestSummary:
    """``ingest_files`` without a progress bar."""
    return ingest_files(
        workspace, list(paths), options=options_for(workspace, progress=False), **kwargs
    )


def table(workspace: Workspace, name: str) -> pa.Table:
    """A whole table of the workspace's analytic store."""
    with open_analytic(workspace) as store:
        return store.fetch(store.table(name))


def counts_add_up(summary: IngestSummary) -> bool:
    return all(
        result.read == result.kept + result.duplicates + result.quarantined
        for result in summary.results
    )
