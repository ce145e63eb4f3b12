"""The collector of one workspace: the write-key check, the append log and the flusher together.

Routes call ``accept``; the app's lifespan calls ``start`` and ``stop``. Everything blocking
(SQL, hashing) happens in ``accept``, which the routes run in a worker thread.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine

from journeykit.events.collector.auth import KeyCheck
from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.flusher import Deliver, Flusher
from journeykit.events.collector.log import AppendLog
from journeykit.events.collector.payload import parse_json, read_payload


class Collector:
    """Accepts requests durably and keeps the analytic store up to date."""

    def __init__(self, engine: Engine, deliver: Deliver, config: CollectorConfig) -> None:
        self.config = config
        self.keys = KeyCheck(engine, config.key_cache_seconds)
        self.log = AppendLog(engine)
        self.flusher = Flusher(self.log, deliver, config)

    def accept(self, body: bytes, kind: str, header_key: str | None, received_at: datetime) -> int:
        """Check and durably log one request; returns how many messages it held.

        The key is checked before the messages, so an unauthorised sender learns nothing about
        its payload; raises a ``CollectorRequestError`` for anything refused.
        """
        document = parse_json(body)
        body_key = document.get("writeKey") if isinstance(document, dict) else None
        source = self.keys.source(header_key or (body_key if isinstance(body_key, str) else None))
        payload = read_payload(document, kind, received_at, self.config)
        self.log.append(payload.entries, source, received_at)
        return len(payload.entries)

    def start(self) -> None:
        """Start the flusher (lifespan startup)."""
        self.flusher.start()

    def stop(self) -> None:
        """Stop the flusher after a last drain (lifespan shutdown)."""
        self.flusher.stop()
