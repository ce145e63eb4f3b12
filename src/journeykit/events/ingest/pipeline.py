"""The ingest pipeline: source → normalise (vectorised, local DuckDB) → store, one input at a time.

Batches stream through: read, normalised and appended one after the other, so memory stays bounded
by a few batches whatever the file size. One input — a file, or the micro-batch of the collector —
is one atomic unit: on DuckDB its events, quarantined records, identity links and
``ingest_batches`` row are written in ONE transaction, so a process killed halfway leaves nothing
of that input, and running the same command again gives exactly the expected events. Files of one
call are independent: a file that cannot be read as a whole is reported, the others are ingested.

The files of one call share one ``IngestSession``: the store is opened (and migrated) once and the
local compute DuckDB started once, which cost ~0.3 s per file when each file opened its own — the
difference between minutes and seconds for a year of daily GA4 shards. The store stays locked for
the whole call (other processes wait, see ``store.analytic``), as it already was for one big file.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import replace
from pathlib import Path
from queue import Empty, Queue
from types import TracebackType
from typing import TypeVar

import pyarrow as pa

from journeykit.errors import FileProblem, JourneykitError
from journeykit.events.identity import forget, remember
from journeykit.events.ingest.configuration import IngestOptions
from journeykit.events.ingest.normalise import Compute, Normalised, Normaliser
from journeykit.events.ingest.progress import IngestProgress
from journeykit.events.ingest.result import IngestResult, IngestSummary, Origin
from journeykit.events.ingest.writer import BatchWriter
from journeykit.events.mapping import ColumnMapping, load_mapping
from journeykit.events.sources.base import ReadOptions
from journeykit.events.sources.registry import (
    AUTO,
    detect_source,
    get_source,
    input_files,
    read_head,
)
from journeykit.store.analytic import AnalyticStore, open_analytic
from journeykit.workspace import Workspace


def options_for(workspace: Workspace, **overrides: object) -> IngestOptions:
    """Ingest options with the workspace's time zone and currency."""
    settings = workspace.settings.workspace
    values: dict[str, object] = {"timezone": settings.timezone, "currency": settings.currency}
    values.update(overrides)
    return IngestOptions.model_validate(values)


def ingest_files(
    workspace: Workspace,
    paths: Sequence[Path],
    *,
    format: str = AUTO,
    mapping: Path | None = None,
    options: IngestOptions | None = None,
) -> IngestSummary:
    """Ingest each file as one atomic batch; failures of whole files are collected, not raised.

    A folder among ``paths`` stands for the files inside it (``input_files``).
    """
    options = options or options_for(workspace)
    column_mapping = load_mapping(mapping) if mapping else None
    if format != AUTO:
        get_source(format)  # an unknown --format fails before any file is touched
    files, problems = input_files(paths)
    summary = IngestSummary()
    summary.failures.extend(problems)
    bar = IngestProgress(options.progress, files=len(files))
    with bar as progress, IngestSession(workspace, options) as session:
        for path in files:
            try:
                result = _ingest_file(session, path, format, mapping, column_mapping, progress)
            except JourneykitError as error:
                summary.failures.append(error)
            else:
                summary.results.append(result)
    return summary


def ingest_batches(
    target: Workspace | AnalyticStore,
    batches: Iterable[pa.RecordBatch],
    origin: Origin,
    options: IngestOptions | None = None,
    *,
    mapping: ColumnMapping | None = None,
    progress: IngestProgress | None = None,
    before_write: Callable[[AnalyticStore], None] | None = None,
    compute: Compute | None = None,
) -> IngestResult:
    """Validate, normalise, dedupe and write ``batches`` (the source contract) as ONE batch.

    ``target`` is a workspace (its store is opened for the work and closed after the commit) or
    an open store. ``before_write`` runs inside the transaction
    before the writes (the quarantine marks the retried records resolved with it). ``compute``
    is a local compute DuckDB to borrow (a caller ingesting batch after batch keeps one); by
    default one is started for the call. Returns the counts;
    ``read == kept + duplicates + quarantined``.
    """
    if options is None:
        options = IngestOptions() if isinstance(target, AnalyticStore) else options_for(target)
    with IngestSession(target, options, compute) as session:
        return session.ingest(batches, origin, mapping, progress, before_write)


class IngestSession:
    """The store and the local compute DuckDB, each opened once — when first needed — for all
    inputs of one call; every input is still its own transaction.

    ``target`` is a workspace (its store is opened here and closed at the end) or an open store
    (borrowed, left open); so is ``compute`` when given.
    """

    def __init__(
        self,
        target: Workspace | AnalyticStore,
        options: IngestOptions,
        compute: Compute | None = None,
    ) -> None:
        self.target = target
        self.options = options
        self._resources = ExitStack()
        self._store: AnalyticStore | None = target if isinstance(target, AnalyticStore) else None
        self._compute = compute

    def __enter__(self) -> IngestSession:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._resources.close()

    @property
    def store(self) -> AnalyticStore:
        if self._store is None:
            assert isinstance(self.target, Workspace)
            self._store = self._resources.enter_context(open_analytic(self.target))
            self._store.bound_for_writes()
        return self._store

    @property
    def compute(self) -> Compute:
        if self._compute is None:
            self._compute = Compute(self.options)
            self._resources.callback(self._compute.close)
        return self._compute

    def ingest(
        self,
        batches: Iterable[pa.RecordBatch],
        origin: Origin,
        mapping: ColumnMapping | None = None,
        progress: IngestProgress | None = None,
        before_write: Callable[[AnalyticStore], None] | None = None,
    ) -> IngestResult:
        """One input as one atomic batch (see ``ingest_batches``)."""
        normaliser = Normaliser(origin.source_file, mapping, self.options, self.compute)
        try:
            return _write(self.store, normaliser, batches, origin, progress, before_write)
        finally:
            normaliser.close()


def _ingest_file(
    session: IngestSession,
    path: Path,
    format: str,
    mapping_path: Path | None,
    mapping: ColumnMapping | None,
    progress: IngestProgress,
) -> IngestResult:
    head = read_head(path)
    if not head:
        raise FileProblem(path, "the file is empty (0 bytes)", "export it again")
    source = detect_source(path) if format == AUTO else get_source(format)
    options = session.options
    read_options = ReadOptions(
        batch_rows=options.batch_rows, mapping=mapping_path, timezone=options.timezone
    )
    details = {"mapping": str(mapping_path) if mapping_path else None}
    origin = Origin(str(path), source.name, fingerprint(path, head), details)
    progress.start(f"{path.name} ({source.name})")
    batches = source.read(path, read_options)
    return session.ingest(batches, origin, mapping, progress)


def _write(
    store: AnalyticStore,
    normaliser: Normaliser,
    batches: Iterable[pa.RecordBatch],
    origin: Origin,
    progress: IngestProgress | None,
    before_write: Callable[[AnalyticStore], None] | None,
) -> IngestResult:
    try:
        with store.transaction():
            if before_write is not None:
                before_write(store)
            writer = BatchWriter(store, origin, new_batch_id())
            normaliser.set_customers(*writer.customer_maps())
            writer.append(ahead(normaliser, batches, writer.screen), progress)
            writer.origin = replace(
                origin, details={**origin.details, **normaliser.settings_used()}
            )
            pairs = normaliser.pairs.take_new(writer.before.links)
            result = writer.finish(pairs, normaliser.alone)
    except BaseException:
        forget(store)
        raise
    remember(store, writer.identities)
    return result


def ahead(
    normaliser: Normaliser,
    batches: Iterable[pa.RecordBatch],
    screen: Callable[[Normalised], Normalised],
) -> Iterator[tuple[int, Normalised]]:
    """Normalised and screened batches, prepared by two threads while the caller writes.

    Three stages overlap on separate cores: the source reads (and parses) the next batch, the
    local DuckDB normalises the one before, the store's engine writes the one before that. All
    three release the GIL for their heavy work. An error in a stage is raised here, in order.
    """
    read = prefetched(batches)
    return prefetched((batch.num_rows, screen(normaliser.normalise(batch))) for batch in read)


T = TypeVar("T")


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """The items of ``items``, produced by a thread up to ``depth`` ahead of the consumer."""
    queue: Queue[tuple[T] | BaseException | None] = Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                queue.put((item,))
        except BaseException as error:
            queue.put(error)
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # a generator upstream stops its own thread too
        queue.put(None)

    thread = threading.Thread(target=produce, name="journeykit-prefetch", daemon=True)
    thread.start()
    try:
        while (entry := queue.get()) is not None:
            if isinstance(entry, BaseException):
                raise entry
            yield entry[0]
    finally:
        stop.set()
        while thread.is_alive():
            with suppress(Empty):
                queue.get_nowait()
            thread.join(timeout=0.05)


def new_batch_id() -> str:
    """A short random id, easy to type in ``journeykit quarantine list --batch``."""
    return uuid.uuid4().hex[:10]


def fingerprint(path: Path, head: bytes) -> str:
    """Size, modification time and a hash of the first and last 64 KiB: recognises a file."""
    stat = path.stat()
    with path.open("rb") as stream:
        stream.seek(max(stat.st_size - len(head), 0))
        tail = stream.read()
    digest = hashlib.sha256(head + tail).hexdigest()[:16]
    return f"{stat.st_size}:{int(stat.st_mtime)}:{digest}"
