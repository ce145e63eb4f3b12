"""The Segment-compatible HTTP collector: ``POST /v1/track|identify|page|screen|group|alias|batch``.

A request is checked, its messages written to a durable append log in the operational store, and
only then answered 200; a background flusher moves the log into the analytic store in
micro-batches through the ingest pipeline. See docs/collector.md.
"""

from __future__ import annotations

from journeykit.events.collector.app import (
    build_collector,
    collector_router,
    create_collector_app,
)
from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.exceptions import (
    CollectorRequestError,
    InvalidRequest,
    PayloadTooLarge,
    Unauthorized,
)
from journeykit.events.collector.keys import (
    KeyProblem,
    WriteKey,
    create_key,
    list_keys,
    revoke_key,
)
from journeykit.events.collector.service import Collector
from journeykit.events.collector.tables import collector_engine

__all__ = [
    "Collector",
    "CollectorConfig",
    "CollectorRequestError",
    "InvalidRequest",
    "KeyProblem",
    "PayloadTooLarge",
    "Unauthorized",
    "WriteKey",
    "build_collector",
    "collector_engine",
    "collector_router",
    "create_collector_app",
    "create_key",
    "list_keys",
    "revoke_key",
]
