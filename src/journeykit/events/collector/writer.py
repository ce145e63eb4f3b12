"""Group commit: one thread writes the append log, many requests share each transaction.

A durable commit costs an fsync, a few milliseconds on most disks, and SQLite commits one writer
at a time. Committing per request would cap the collector at a few hundred requests per second
and make every request wait for the ones ahead of it. Instead each request hands its entries to
the writer and waits; the writer takes everything queued, writes it in ONE transaction, and then
answers all of them. Each request is still all-or-nothing (it is inside one transaction), and no
request is answered before its entries are committed.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

from journeykit.events.collector.log import AppendLog, Row, rows_of
from journeykit.events.collector.messages import LogEntry

MAX_ROWS_PER_COMMIT = 20_000
POLL_SECONDS = 0.5


@dataclass
class _Job:
    rows: list[Row]
    done: Future[None] = field(default_factory=Future)


class LogWriter:
    """The thread that commits queued requests to the append log."""

    def __init__(self, log: AppendLog) -> None:
        self.log = log
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def submit(self, entries: Sequence[LogEntry], key_name: str) -> Future[None]:
        """Queue one request's entries; the future completes once they are committed."""
        job = _Job(rows_of(entries, key_name))
        if self._thread is None:  # not started (a script, a test): write in the caller
            self._commit([job])
        else:
            self._jobs.put(job)
        return job.done

    def start(self) -> None:
        """Start the writer thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name="journeykit-log-writer", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        """Commit what is queued, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join()
        self._drain_now()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                first = self._jobs.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            self._commit(self._with_queued(first))

    def _with_queued(self, first: _Job) -> list[_Job]:
        jobs, rows = [first], len(first.rows)
        while rows < MAX_ROWS_PER_COMMIT:
            try:
                job = self._jobs.get_nowait()
            except queue.Empty:
                break
            jobs.append(job)
            rows += len(job.rows)
        return jobs

    def _drain_now(self) -> None:
        while True:
            try:
                first = self._jobs.get_nowait()
            except queue.Empty:
                return
            self._commit(self._with_queued(first))

    def _commit(self, jobs: list[_Job]) -> None:
        try:
            self.log.append_rows([row for job in jobs for row in job.rows])
        except Exception as error:
            for job in jobs:
                job.done.set_exception(error)
            return
        for job in jobs:
            job.done.set_result(None)
