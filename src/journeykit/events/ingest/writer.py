"""The commit of one input: the only part of an ingest that holds the store.

Inside the store transaction: resolve identity with the input's new links (and give earlier
stored events of changed customers their new ``customer_id``), append the staged events whose
``event_id`` is not stored yet, the quarantined records, the new links, and last the
``ingest_batches`` row — last, so on engines without transactions the row marks a complete input.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from journeykit.events.identity import (
    ANONYMOUS,
    USER,
    Identities,
    apply_changes,
    changed_customers,
    extended,
    new_pairs,
    stored_identities,
)
from journeykit.events.ingest.progress import IngestProgress
from journeykit.events.ingest.result import IngestResult, Origin
from journeykit.events.ingest.staging import Stage
from journeykit.store.analytic import AnalyticStore
from journeykit.store.tables import IDENTITY_LINKS_SCHEMA, INGEST_BATCHES_SCHEMA, QUARANTINE_SCHEMA

CHUNK_ROWS = 250_000


class InvariantBroken(AssertionError):
    """read ≠ kept + duplicates + quarantined: a bug, never a user error."""


@dataclass
class Commit:
    """What a commit wrote, and the identities to cache once it is durable."""

    result: IngestResult
    identities: Identities


def commit(
    store: AnalyticStore,
    stage: Stage,
    origin: Origin,
    batch_id: str,
    started_at: datetime,
    progress: IngestProgress | None = None,
) -> Commit:
    """Write the staged input to ``store`` (call inside ``store.transaction()``)."""
    result = IngestResult(batch_id, origin.source_file, origin.format, read=stage.read)
    before = stored_identities(store)
    links = new_pairs(before, stage.link_candidates())
    after = extended(before, links)
    apply_changes(store, changed_customers(before, after))
    users, anonymous = after.lookup(USER), after.lookup(ANONYMOUS)
    for chunk in stage.events(users, anonymous, CHUNK_ROWS):
        unseen = _unseen(store, chunk)
        store.insert("events", unseen)
        result.kept += unseen.num_rows
        if progress is not None:
            progress.advance(chunk.num_rows)
    for rejects in stage.rejects(CHUNK_ROWS):
        fresh = _not_yet_quarantined(store, rejects, origin.source_file)
        store.insert("quarantine", _quarantine(fresh, batch_id, origin))
    result.quarantined = stage.rejected
    result.duplicates = stage.staged - result.kept
    store.insert("identity_links", _links(links, batch_id))
    store.insert("ingest_batches", _batch_row(result, origin, started_at))
    _check(result)
    _notes(result)
    return Commit(result, after)


def _unseen(store: AnalyticStore, events: pa.Table) -> pa.Table:
    """The events whose id is not stored yet (looked up within the chunk's time range)."""
    import ibis

    stored = store.table("events")
    bounds = pc.min_max(events["ts"]).as_py()
    ids = ibis.memtable(pa.table({"event_id": events["event_id"]}))
    found = (
        stored.filter(stored.ts.between(bounds["min"], bounds["max"]))
        .semi_join(ids, "event_id")
        .select("event_id")
    )
    existing = store.fetch(found).column("event_id")
    if len(existing) == 0:
        return events
    return events.filter(pc.invert(pc.is_in(events["event_id"], value_set=existing)))


def _not_yet_quarantined(store: AnalyticStore, rejects: pa.Table, source_file: str) -> pa.Table:
    """Rejects without an open entry for the same record (a re-ingested file adds nothing)."""
    quarantine = store.table("quarantine")
    rows = rejects["row"].drop_null()
    if len(rows) == 0:
        return rejects
    bounds = pc.min_max(rows).as_py()
    existing = store.fetch(
        quarantine.filter(
            (quarantine.source_file == source_file)
            & (quarantine.status == "open")
            & quarantine.row.between(bounds["min"], bounds["max"])
        ).select("row", "raw")
    )
    if existing.num_rows == 0:
        return rejects
    known = pc.binary_join_element_wise(
        pc.cast(existing["row"], pa.string()), existing["raw"], "\x1f"
    )
    keys = pc.binary_join_element_wise(pc.cast(rejects["row"], pa.string()), rejects["raw"], "\x1f")
    return rejects.filter(pc.invert(pc.fill_null(pc.is_in(keys, value_set=known), False)))


def _quarantine(rejected: pa.Table, batch_id: str, origin: Origin) -> pa.Table:
    count = rejected.num_rows
    rows = rejected["row"]
    fallback = pa.array([f"x{i}" for i in range(count)], pa.string())
    suffix = pc.coalesce(pc.cast(rows, pa.string()), fallback)
    ids = pc.binary_join_element_wise(batch_id, suffix, ":")
    now = datetime.now(UTC)
    return pa.table(
        {
            "quarantine_id": ids,
            "batch_id": pa.array([batch_id] * count, pa.string()),
            "source_file": pa.array([origin.source_file] * count, pa.string()),
            "row": rows,
            "line": rejected["line"],
            "field": rejected["field"],
            "reason": rejected["reason"],
            "raw": rejected["raw"],
            "ts": pa.array([now] * count, QUARANTINE_SCHEMA.field("ts").type),
            "status": pa.array(["open"] * count, pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
    )


def _links(links: pa.Table, batch_id: str) -> pa.Table:
    count = links.num_rows
    return pa.table(
        {
            "anonymous_id": links["anonymous_id"],
            "user_id": links["user_id"],
            "event_id": links["event_id"],
            "event_name": links["event_name"],
            "event_ts": links["event_ts"].cast(IDENTITY_LINKS_SCHEMA.field("event_ts").type),
            "batch_id": pa.array([batch_id] * count, pa.string()),
            "linked_at": pa.array(
                [datetime.now(UTC)] * count, IDENTITY_LINKS_SCHEMA.field("linked_at").type
            ),
        },
        schema=IDENTITY_LINKS_SCHEMA,
    )


def _batch_row(result: IngestResult, origin: Origin, started_at: datetime) -> pa.Table:
    row = {
        "batch_id": result.batch_id,
        "source_file": origin.source_file,
        "format": origin.format,
        "fingerprint": origin.fingerprint,
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        **result.counts(),
        "status": str(origin.details.get("status", "committed")),
        "details": json.dumps(origin.details, ensure_ascii=False, default=str),
    }
    return pa.Table.from_pylist([row], schema=INGEST_BATCHES_SCHEMA)


def _check(result: IngestResult) -> None:
    if (
        result.read != result.kept + result.duplicates + result.quarantined
        or min(result.kept, result.duplicates, result.quarantined) < 0
    ):
        raise InvariantBroken(f"{result.source_file}: counts do not add up: {result.counts()}")


def _notes(result: IngestResult) -> None:
    if result.read == 0:
        result.notes.append(
            f"{result.source_file}: no records to ingest — is the export empty (a header "
            "only)? check its date range"
        )
    elif result.quarantined:
        result.notes.append(
            f"{result.source_file}: {result.quarantined:,} record(s) quarantined — see "
            f"`journeykit quarantine list --batch {result.batch_id}`"
        )
