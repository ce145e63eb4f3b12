"""The collector of one workspace: the write-key check, the append log, its writer and flusher.

Routes call ``check`` and then wait for ``write``; the app's lifespan calls ``start`` and
``stop``.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Engine

from journeykit.events.collector.auth import KeyCheck
from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.log import AppendLog
from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.payload import parse_json, read_payload
from journeykit.events.collector.writer import LogWriter


class Background(Protocol):
    """Something the collector runs alongside: the flusher, as a thread or a process."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


@dataclass(frozen=True)
class Checked:
    """A request that passed every check: its source and the entries to log."""

    source: str
    entries: list[LogEntry]


class Collector:
    """Accepts requests durably and keeps the analytic store up to date."""

    def __init__(
        self,
        engine: Engine,
        config: CollectorConfig,
        flusher: Callable[[AppendLog], Background],
    ) -> None:
        self.engine = engine
        self.config = config
        self.keys = KeyCheck(engine, config.key_cache_seconds)
        self.log = AppendLog(engine)
        self.writer = LogWriter(self.log)
        self.flusher = flusher(self.log)

    def check(
        self, body: bytes, kind: str, header_key: str | None, received_at: datetime
    ) -> Checked:
        """The checked request, or a ``CollectorRequestError`` saying why it is refused.

        The key is checked before the messages, so an unauthorised sender learns nothing about
        its payload.
        """
        document = parse_json(body)
        body_key = document.get("writeKey") if isinstance(document, dict) else None
        source = self.keys.source(header_key or (body_key if isinstance(body_key, str) else None))
        payload = read_payload(document, kind, received_at, self.config)
        return Checked(source, payload.entries)

    def write(self, checked: Checked) -> Future[None]:
        """Log the entries durably; the future completes once they are committed."""
        return self.writer.submit(checked.entries, checked.source)

    def start(self) -> None:
        """Start the log writer and the flusher (lifespan startup)."""
        _calm_garbage_collector()
        self.writer.start()
        self.flusher.start()

    def stop(self) -> None:
        """Commit what is queued, then drain the log into the analytic store (shutdown)."""
        self.writer.stop()
        self.flusher.stop()
        self.engine.dispose()


GC_FIRST_GENERATION = 10_000


def _calm_garbage_collector() -> None:
    """Collect cyclic garbage less often while serving: a batch allocates ~1,000 objects (the
    messages' dicts), so Python's default (a collection every 700 allocations, each walking the
    young objects) ran about once per request. Objects from start-up are frozen so the older
    generations' collections skip them. A request's objects hold no cycles; this costs memory
    only for garbage that does."""
    gc.freeze()
    first, second, third = gc.get_threshold()
    gc.set_threshold(max(first, GC_FIRST_GENERATION), second, third)
