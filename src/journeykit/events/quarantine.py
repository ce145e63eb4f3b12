"""The quarantine: records that could not be ingested, with where they were and why.

``list_entries`` and ``show_entry`` read it; ``retry`` runs the open records of the quarantine
through the pipeline again — after the file's problem was fixed in the mapping file (a new
``values:`` entry for an unknown channel, a ``decimal:`` setting, …) or in journeykit. Records that
pass are ingested; every retried record is marked ``resolved`` and the ones still bad come back
as new entries with their current reason, in one transaction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.events.compute import compute_connection
from journeykit.events.ingest.exceptions import NoSuchQuarantine
from journeykit.events.ingest.pipeline import ingest_batches, options_for
from journeykit.events.ingest.result import IngestResult, Origin
from journeykit.events.mapping import ColumnMapping, load_mapping
from journeykit.events.sources.base import META_DECIMAL
from journeykit.events.sources.framing import Frame
from journeykit.events.sources.jsonl import parse_json_lines
from journeykit.store.analytic import AnalyticStore, open_analytic
from journeykit.workspace import Workspace


@dataclass(frozen=True)
class QuarantineEntry:
    """One quarantined record."""

    quarantine_id: str
    batch_id: str
    source_file: str | None
    row: int | None
    line: int | None
    field: str | None
    reason: str
    raw: str | None
    ts: datetime
    status: str

    @property
    def where(self) -> str:
        parts = [self.source_file or "?"]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.line is not None and self.line != self.row:
            parts.append(f"line {self.line}")
        return ", ".join(parts)


def list_entries(
    store: AnalyticStore, *, batch: str | None = None, status: str | None = "open", limit: int = 50
) -> tuple[int, list[QuarantineEntry]]:
    """The total count and the first ``limit`` entries (by batch and row)."""
    table = _selection(store, batch, status)
    total = int(store.scalar(table.count()))
    rows = store.fetch(table.order_by(["ts", "batch_id", "row"]).limit(limit)).to_pylist()
    return total, [QuarantineEntry(**row) for row in rows]


def show_entry(store: AnalyticStore, quarantine_id: str) -> QuarantineEntry:
    """One entry by id; unknown ids raise ``NoSuchQuarantine``."""
    table = store.table("quarantine")
    rows = store.fetch(table.filter(table.quarantine_id == quarantine_id)).to_pylist()
    if not rows:
        raise NoSuchQuarantine(quarantine_id, "list the ids with `journeykit quarantine list`")
    return QuarantineEntry(**rows[0])


def _selection(store: AnalyticStore, batch: str | None, status: str | None) -> Any:
    table = store.table("quarantine")
    if batch is not None:
        table = table.filter(table.batch_id == batch)
    if status is not None:
        table = table.filter(table.status == status)
    return table


@dataclass
class RetryOutcome:
    """What a retry did: one result per original batch, and what could not be retried."""

    results: list[IngestResult]
    not_retryable: int


def retry(
    workspace: Workspace, *, mapping: Path | None = None, batch: str | None = None
) -> RetryOutcome:
    """Run the open quarantined records (of one batch, or all) through the pipeline again."""
    given = load_mapping(mapping) if mapping else None
    with open_analytic(workspace) as store:
        open_rows = store.fetch(_selection(store, batch, "open"))
        batches = store.fetch(store.table("ingest_batches").select("batch_id", "details"))
        details = dict(zip(*(batches.column(i).to_pylist() for i in (0, 1)), strict=True))
        outcome = RetryOutcome([], 0)
        for batch_id in pc.unique(open_rows["batch_id"]).to_pylist():
            entries = open_rows.filter(pc.equal(open_rows["batch_id"], batch_id))
            retryable = entries.filter(_is_object(entries["raw"]))
            outcome.not_retryable += entries.num_rows - retryable.num_rows
            if retryable.num_rows == 0:
                continue
            info = json.loads(details.get(batch_id) or "{}")
            column_mapping = given or _original_mapping(info)
            origin = Origin(
                str(retryable["source_file"][0]),
                "quarantine",
                details={**info, "status": "retry", "retry_of": batch_id},
            )
            ids = retryable["quarantine_id"]
            options = options_for(workspace, timezone=info.get("timezone") or _zone(workspace))
            result = ingest_batches(
                store,
                _batches(retryable, info.get("decimal", ".")),
                origin,
                options,
                mapping=column_mapping,
                before_write=partial(_resolve, ids=ids),
            )
            outcome.results.append(result)
    return outcome


def _original_mapping(info: dict[str, Any]) -> ColumnMapping | None:
    path = info.get("mapping")
    return load_mapping(Path(path)) if path and Path(path).is_file() else None


def _zone(workspace: Workspace) -> str:
    return workspace.settings.workspace.timezone


def _is_object(raws: pa.ChunkedArray) -> pa.Array:
    stripped = pc.utf8_ltrim_whitespace(pc.fill_null(raws, ""))
    return pc.starts_with(stripped, "{")


def _batches(entries: pa.Table, decimal: str) -> Iterator[pa.RecordBatch]:
    raws = [str(raw).replace("\n", " ") for raw in entries["raw"].to_pylist()]
    data = ("\n".join(raws) + "\n").encode("utf-8")
    rows = np.asarray(entries["row"].fill_null(0).to_pylist(), dtype=np.int64)
    lines = np.asarray(entries["line"].fill_null(0).to_pylist(), dtype=np.int64)
    frame = Frame(data, rows, lines)
    connection = compute_connection()
    try:
        batch = parse_json_lines(connection, frame, row_numbers=rows)
    finally:
        connection.close()
    metadata = dict(batch.schema.metadata or {})
    metadata[META_DECIMAL] = decimal.encode()
    yield batch.replace_schema_metadata(metadata)


def _resolve(store: AnalyticStore, ids: pa.ChunkedArray) -> None:
    mapping = pa.table(
        {"key": ids, "value": pa.array(["resolved"] * len(ids), pa.string())},
        schema=pa.schema([("key", pa.string()), ("value", pa.string())]),
    )
    store.update_from("quarantine", "status", "quarantine_id", mapping)
