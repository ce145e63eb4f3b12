"""The store side of one input, inside its transaction: dedupe, write, resolve identity, account.

A ``BatchWriter`` takes the normalised batches of one input (a file, a micro-batch):

1. ``screen`` (in the normalising thread) drops events whose ``event_id`` is already stored —
   looked up in the batch's time range, through the store's second connection;
2. ``append`` streams the rest into the store in ONE statement (later copies of an id within the
   input are dropped there) and keeps the quarantined records aside;
3. ``finish`` writes the quarantine, resolves identity with the input's new links (collected by
   the normaliser), gives events of ids whose customer changed their new ``customer_id``, appends
   the links and — last, so on engines without transactions it marks a complete input — the
   ``ingest_batches`` row.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc

from journeykit.events.identity import (
    ANONYMOUS,
    USER,
    Identities,
    apply_changes,
    extended,
    stored_identities,
)
from journeykit.events.ingest.alone import AnonymousAlone
from journeykit.events.ingest.normalise import Normalised
from journeykit.events.ingest.progress import IngestProgress
from journeykit.events.ingest.rejects import RejectBuffer
from journeykit.events.ingest.result import IngestResult, Origin
from journeykit.events.schema import EVENT_FIELDS, EVENT_SCHEMA
from journeykit.store.analytic import AnalyticStore
from journeykit.store.tables import IDENTITY_LINKS_SCHEMA, INGEST_BATCHES_SCHEMA, QUARANTINE_SCHEMA

STORED_EVENTS = pa.schema([field.with_nullable(True) for field in EVENT_SCHEMA])
LARGE_INPUT = 1_000_000
"""Events appended from which the retroactive update is filtered first (``_seen_alone``): its join
over a large uncommitted append was the ingest's memory peak (50 M events: +0.9 GiB). A smaller
input (the collector's micro-batches) updates directly; the look-up would be a second scan."""


class InvariantBroken(AssertionError):
    """read ≠ kept + duplicates + quarantined: a bug, never a user error."""


class BatchWriter:
    """Writes the normalised batches of one input (see the module docstring)."""

    def __init__(self, store: AnalyticStore, origin: Origin, batch_id: str) -> None:
        self.store = store
        self.origin = origin
        self.started_at = datetime.now(UTC)
        self.result = IngestResult(batch_id, origin.source_file, origin.format)
        self.before = stored_identities(store)
        self.after = self.before
        self.rejects = RejectBuffer()
        self._staged = 0

    def customer_maps(self) -> tuple[pa.Table, pa.Table]:
        """The linked ids whose customer id is another id, for the normaliser to apply."""
        return (
            self.before.lookup(USER, moved_only=True),
            self.before.lookup(ANONYMOUS, moved_only=True),
        )

    def screen(self, normalised: Normalised) -> Normalised:
        """The batch without events already stored (safe to call from another thread)."""
        events = normalised.events
        if events.num_rows == 0:
            return normalised
        bounds = pc.min_max(events["ts"]).as_py()
        ids = events["event_id"].combine_chunks()
        stored = self.store.stored_keys(
            "events", "event_id", ids, '"ts" BETWEEN $min AND $max', bounds
        )
        if len(stored) == 0:
            return normalised
        fresh = events.filter(pc.invert(pc.is_in(events["event_id"], value_set=stored)))
        dropped = events.num_rows - fresh.num_rows
        return Normalised(fresh, normalised.rejected, normalised.duplicates + dropped)

    def append(
        self, normalised: Iterable[tuple[int, Normalised]], progress: IngestProgress | None
    ) -> None:
        """Stream every batch's events into the store in one statement."""
        batches = self._events(normalised, progress)
        kept, dropped = self.store.append_stream(
            "events", batches, STORED_EVENTS, key="event_id", time="ts"
        )
        self.result.kept = kept
        self.result.duplicates += dropped
        if self._staged != kept + dropped:
            raise InvariantBroken(f"{self._staged} events sent, {kept} kept + {dropped} dropped")

    def _events(
        self, normalised: Iterable[tuple[int, Normalised]], progress: IngestProgress | None
    ) -> Iterator[pa.RecordBatch]:
        for rows_in, batch in normalised:
            events = batch.events
            self.result.read += rows_in
            self.result.duplicates += batch.duplicates
            self.result.quarantined += batch.rejected.num_rows
            self.rejects.add(batch.rejected)
            self._staged += events.num_rows
            if events.num_rows:
                yield from events.select(list(EVENT_FIELDS)).cast(STORED_EVENTS).to_batches()
            if progress is not None:
                progress.advance(rows_in)

    def finish(self, pairs: pa.Table, alone: AnonymousAlone) -> IngestResult:
        """Quarantine, identity, links and the batch row; returns the counts.

        ``pairs`` are the input's new (anonymous_id, user_id) pairs with their first event;
        ``alone`` its anonymous ids seen without a user id.
        """
        for rejects in self.rejects.tables():
            fresh = _not_yet_quarantined(self.store, rejects, self.origin.source_file)
            self.store.insert("quarantine", _quarantine(fresh, self.result.batch_id, self.origin))
        self.rejects.close()
        links = _links(pairs, self.result.batch_id)
        extension = extended(self.before, links)
        self.after = extension.after
        moved = extension.changes
        apply_changes(self.store, {**moved, ANONYMOUS: self._seen_alone(moved[ANONYMOUS], alone)})
        self.store.insert("identity_links", links)
        self.store.insert("ingest_batches", _batch_row(self.result, self.origin, self.started_at))
        _check(self.result)
        _notes(self.result)
        return self.result

    def _seen_alone(self, moved: pa.Table, alone: AnonymousAlone) -> pa.Table:
        """The moved anonymous ids with events without a user id, in this input or stored.

        Only those events take the new customer id (see ``journeykit.events.ingest.alone``).
        """
        if moved.num_rows == 0 or self.result.kept < LARGE_INPUT or not self.store.engine.streams:
            return moved  # small, or no look-up of the stored events: update them all
        here = pa.array(alone.may_contain(moved["key"]))
        elsewhere = moved["key"].filter(pc.invert(here))  # only these need the stored events
        if len(elsewhere) == 0:
            return moved
        stored = self.store.stored_keys("events", "anonymous_id", elsewhere, "user_id IS NULL")
        return moved.filter(pc.or_(here, pc.is_in(moved["key"], value_set=stored)))

    @property
    def identities(self) -> Identities:
        """The store's identities once this input is committed."""
        return self.after


def _links(found: pa.Table, batch_id: str) -> pa.Table:
    """The new links as ``identity_links`` rows."""
    count = found.num_rows
    return pa.table(
        {
            "anonymous_id": found["anonymous_id"],
            "user_id": found["user_id"],
            "event_id": found["event_id"],
            "event_name": found["event_name"],
            "event_ts": found["event_ts"].cast(IDENTITY_LINKS_SCHEMA.field("event_ts").type),
            "batch_id": _repeat(batch_id, count, pa.string()),
            "linked_at": _repeat(
                datetime.now(UTC), count, IDENTITY_LINKS_SCHEMA.field("linked_at").type
            ),
        },
        schema=IDENTITY_LINKS_SCHEMA,
    )


def _repeat(value: object, count: int, kind: pa.DataType) -> pa.Array:
    """``value`` ``count`` times, without a Python list of that length (links can be millions)."""
    return pa.repeat(pa.scalar(value, kind), count)


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
            "batch_id": _repeat(batch_id, count, pa.string()),
            "source_file": _repeat(origin.source_file, count, pa.string()),
            "row": rows,
            "line": rejected["line"],
            "field": rejected["field"],
            "reason": rejected["reason"],
            "raw": rejected["raw"],
            "ts": _repeat(now, count, QUARANTINE_SCHEMA.field("ts").type),
            "status": _repeat("open", count, pa.string()),
        },
        schema=QUARANTINE_SCHEMA,
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
