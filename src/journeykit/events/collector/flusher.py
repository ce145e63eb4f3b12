"""The flusher: moves logged messages into the analytic store in micro-batches.

One round takes the oldest pending messages, hands them to ``deliver`` (the ingest pipeline) and
then marks them flushed. A crash between the two leaves them pending, so the next round delivers
them again; the pipeline dedupes by ``event_id`` (the ``messageId``), so that second delivery adds
nothing. Nothing is lost (the log keeps a message until it is marked) and nothing is doubled.

``run`` loops in the calling thread — in the flusher's own process by default
(``flusher_process.py``); ``start`` runs the same loop in a thread of the server instead.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Protocol

from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.log import AppendLog, Pending

logger = logging.getLogger(__name__)


class Deliver(Protocol):
    """Puts a micro-batch into the analytic store (``AnalyticDelivery``); ``close`` frees what
    it keeps between micro-batches once the flusher stops."""

    def __call__(self, entries: Sequence[Pending], /) -> None: ...

    def close(self) -> None: ...


MAX_BACKOFF_SECONDS = 30.0
PRUNE_EVERY_SECONDS = 600.0


def _always() -> bool:
    return True


class Flusher:
    """Drains the append log into the analytic store, round after round."""

    def __init__(self, log: AppendLog, deliver: Deliver, config: CollectorConfig) -> None:
        self.log = log
        self.deliver = deliver
        self.config = config
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._next_prune = 0.0
        self._failures = 0

    def flush_once(self) -> int:
        """Deliver one micro-batch and mark it flushed; returns how many messages it held."""
        batch = self.log.pending(self.config.flush_max_events)
        if batch:
            self.deliver(batch)
            self.log.mark_flushed(batch[-1].id)  # the batch is in id order
        return len(batch)

    def drain(self) -> int:
        """Flush until the log is empty; returns how many messages were delivered."""
        total = 0
        while (count := self.flush_once()) > 0:
            total += count
            if count < self.config.flush_max_events:
                break
        return total

    def run(self, stop: threading.Event, alive: Callable[[], bool] = _always) -> None:
        """Round after round until ``stop`` is set (then one last drain) or ``alive()`` fails.

        ``alive`` turning false means the server died without stopping us (SIGKILL): we then end
        without another round and leave the log to the flusher of the next server.
        """
        delay = self.config.flush_interval_seconds
        try:
            while True:
                stopping = stop.wait(delay)
                if not alive():
                    return
                delay = self._round()
                if stopping:
                    return
        finally:
            self.deliver.close()

    def start(self) -> None:
        """Run the loop in a thread of this process."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self.run, args=(self._stop,), name="journeykit-flusher", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Stop the thread after a last drain, so a clean shutdown leaves nothing pending."""
        thread, self._thread = self._thread, None
        if thread is not None:
            self._stop.set()
            thread.join(timeout)

    def _round(self) -> float:
        """One drain; the delay before the next: the interval, or a growing back-off on failure."""
        try:
            self.drain()
            self._maybe_prune()
        except Exception:
            logger.exception("flushing the collector log failed; the events stay in the log")
            self._failures += 1
            interval = self.config.flush_interval_seconds
            return min(interval * 2.0**self._failures, MAX_BACKOFF_SECONDS)
        self._failures = 0
        return self.config.flush_interval_seconds

    def _maybe_prune(self) -> None:
        now = time.monotonic()
        if now < self._next_prune:
            return
        self._next_prune = now + PRUNE_EVERY_SECONDS
        self.log.prune(timedelta(hours=self.config.log_retention_hours))
