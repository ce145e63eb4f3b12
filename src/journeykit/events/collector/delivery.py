"""From logged messages to the analytic store: the Segment mapping, then the ingest pipeline.

Each message goes through ``segment_message_to_row`` — the one mapping shared with
``journeykit ingest --format segment`` — so an event looks the same whether it came over HTTP or
from a file (the common messages are mapped a column at a time in DuckDB, ``columnar``, to the
very same rows). A message the mapping refuses (say ``properties.revenue`` is ``"abc"``) is
handed on as a bad row with its reason and lands in quarantine with its raw text; it is never
dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from journeykit.events.collector.columnar import sql_mapped
from journeykit.events.collector.jsontext import fast_loads
from journeykit.events.collector.log import Pending
from journeykit.events.sources._batches import Row, bad_row, to_batch
from journeykit.events.sources.base import RAW, ROW
from journeykit.events.sources.segment import SEGMENT_SCHEMA
from journeykit.events.sources.segment_message import MessageError, segment_message_to_row
from journeykit.store.analytic import open_analytic

if TYPE_CHECKING:
    from journeykit.events.collector.configuration import CollectorConfig
    from journeykit.events.ingest.normalise import Compute
    from journeykit.workspace import Workspace


ORIGIN_NAME = "collector"
FLUSHER_THREADS = 1
"""DuckDB threads for a micro-batch: a second one cost CPU and bought no speed (it runs beside
the server, which needs the CPU)."""
logger = logging.getLogger(__name__)


def _decode(body: str) -> Any:
    """A logged message: JSON the collector wrote itself (strict, checked), so orjson reads it,
    unless it holds a number orjson would change (see ``jsontext``)."""
    try:
        return fast_loads(body.encode())
    except ValueError:
        return json.loads(body)


def to_record_batch(entries: Sequence[Pending], compute: Compute | None = None) -> pa.RecordBatch:
    """One Arrow batch of event rows in the source contract; ``_row`` is the log entry's id.

    With a ``compute`` DuckDB, most messages are mapped there a column at a time (``columnar``)
    and only the rest one by one: the same rows in the same order, in about two thirds of the
    time.
    """
    if compute is None or not entries:
        return to_batch([_row(entry) for entry in entries], SEGMENT_SCHEMA)
    mapped, rest = sql_mapped(compute, entries)
    if rest:
        python = to_batch([_row(entry) for entry in rest], SEGMENT_SCHEMA)
        mapped = pa.concat_tables([mapped, pa.table(python)]).sort_by(ROW)
    return mapped.combine_chunks().to_batches()[0]


def _row(entry: Pending) -> Row:
    try:
        message = _decode(entry.body)
    except ValueError as error:  # not written by this collector: an edited log
        return bad_row(entry.id, entry.body, f"malformed JSON in the collector log: {error}")
    row = segment_message_to_row(message)
    if isinstance(row, MessageError):
        return bad_row(entry.id, entry.body, str(row))
    row[ROW] = entry.id  # the mapping's fresh dict: completed in place, not copied
    row[RAW] = entry.body
    return row


class AnalyticDelivery:
    """Delivers logged messages to a workspace's analytic store through the ingest pipeline.

    Each delivery opens the store, writes one atomic batch and closes it again, so other
    processes — ``journeykit ingest``, ``events stats`` — get the DuckDB file between two
    micro-batches. What does not hold the file stays from one delivery to the next: the local
    compute DuckDB with its prepared statements, and the schema migration, checked by the first
    delivery only. Starting those for every micro-batch cost ~0.1 s each time: under load, a
    tenth of the flusher's work.
    """

    def __init__(self, workspace: Workspace, *, backlog_from: int | None = None) -> None:
        """``backlog_from``: a micro-batch this large means more are waiting (the flusher's
        largest); such batches leave their writes in DuckDB's write-ahead log (``deliver``)."""
        from journeykit.events.ingest import Origin, options_for

        self.workspace = workspace
        self.options = options_for(workspace, progress=False, threads=FLUSHER_THREADS)
        self.origin = Origin(ORIGIN_NAME, "segment")
        self.backlog_from = backlog_from
        self._compute: Compute | None = None
        self._migrated = False
        self._deferred = False

    @classmethod
    def for_flusher(cls, workspace: Workspace, config: CollectorConfig) -> AnalyticDelivery:
        """The delivery of a flusher run with ``config``: its full micro-batch means a backlog."""
        return cls(workspace, backlog_from=config.flush_max_events)

    def __call__(self, entries: Sequence[Pending]) -> None:
        """One atomic ingest of ``entries``.

        While a backlog lasts, the store is closed without a checkpoint (``defer_checkpoint``):
        the next micro-batch follows at once, and writing each one into the file cost ~0.1 s.
        The first smaller micro-batch — the backlog is gone — checkpoints again.
        """
        from journeykit.events.ingest import ingest_batches

        batch = to_record_batch(entries, self.compute)
        backlog = self.backlog_from is not None and len(entries) >= self.backlog_from
        with open_analytic(self.workspace, migrate=not self._migrated) as store:
            self._migrated = True
            store.bound_for_writes()
            store.limit_threads(FLUSHER_THREADS)
            if backlog:
                store.defer_checkpoint()
            ingest_batches(store, [batch], self.origin, self.options, compute=self.compute)
        self._deferred = backlog

    @property
    def compute(self) -> Compute:
        if self._compute is None:
            from journeykit.events.ingest.normalise import Compute

            self._compute = Compute(self.options)
        return self._compute

    def close(self) -> None:
        """Write a deferred checkpoint and stop the local compute DuckDB (the next delivery
        would start a new one)."""
        if self._deferred:
            try:
                with open_analytic(self.workspace, migrate=False) as store:
                    store.checkpoint()
            except Exception:  # the log is as durable: the next process to open reads it
                logger.warning("could not checkpoint the analytic store", exc_info=True)
            self._deferred = False
        if self._compute is not None:
            self._compute.close()
            self._compute = None
