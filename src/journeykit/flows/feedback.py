"""Feedback events: what happened to a message (sent, opened, clicked, bounced, answered,
unsubscribed) recorded as an analytic event, so the map's KPIs and the flows' own triggers see it.

The event is appended to the collector's durable log in the operational store — the same
exactly-once path as an event sent over HTTP — and the collector's flusher (running in
``journeykit serve``) moves it into ``events`` within seconds. The event id is derived from the
event name and an idempotency key, so recording the same feedback twice (a pixel loaded again, a
worker retrying after a crash) stores it once: the log skips a known ``messageId``, and the
ingest pipeline skips a known ``event_id``.

Usage (the whole API)::

    from journeykit.flows.feedback import record_feedback

    record_feedback(
        workspace,
        "email_unsubscribed",
        customer_id="c-123",
        channel="email",
        key="unsubscribe.cart-rescue.r42.reminder",  # the same key → the same, single event
        properties={"flow": "cart-rescue", "step": "reminder", "topic": "marketing"},
    )

The event's properties are ``properties`` plus ``channel`` and ``feedback_key``. The analytic
``channel`` column stays empty: the collector's Segment mapping knows only ``web`` and ``app``.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from journeykit.events.collector.jsontext import compact
from journeykit.events.collector.log import AppendLog
from journeykit.events.collector.messages import LogEntry, iso
from journeykit.events.collector.tables import collector_engine

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

SOURCE = "flows"
"""The ``key_name`` of feedback entries in the append log (where write keys name the sender)."""
ID_PREFIX = "jk-feedback-"


def feedback_event_id(name: str, key: str) -> str:
    """The event id of feedback ``name`` with idempotency ``key``: the same pair, the same id."""
    digest = hashlib.sha256(f"{name}\x00{key}".encode()).hexdigest()[:40]
    return ID_PREFIX + digest


def feedback_message(
    name: str,
    customer_id: str,
    *,
    channel: str,
    key: str,
    properties: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> LogEntry:
    """The append-log entry of one feedback event (a Segment ``track`` message)."""
    moment = iso(at or datetime.now(UTC))
    message = {
        "type": "track",
        "event": name,
        "userId": customer_id,
        "messageId": feedback_event_id(name, key),
        "timestamp": moment,
        "originalTimestamp": moment,
        "receivedAt": iso(datetime.now(UTC)),
        "properties": {**(properties or {}), "channel": channel, "feedback_key": key},
        "context": {"library": {"name": "journeykit-flows"}},
    }
    return LogEntry(str(message["messageId"]), compact(message))


def record_feedback(
    workspace: Workspace,
    name: str,
    customer_id: str,
    *,
    channel: str,
    key: str,
    properties: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> str:
    """Durably record feedback event ``name`` of ``customer_id``; returns its event id.

    Committed before it returns. ``key`` is the idempotency key: recording the same ``name`` and
    ``key`` again adds nothing. ``at`` is when it happened (default now).
    """
    entry = feedback_message(
        name, customer_id, channel=channel, key=key, properties=properties, at=at
    )
    record_messages(workspace, [entry])
    return entry.message_id


def record_messages(workspace: Workspace, entries: Sequence[LogEntry]) -> None:
    """Durably record several ``feedback_message`` entries in one transaction (a worker tick)."""
    if entries:
        _log_of(workspace).append(entries, SOURCE)


_logs: dict[tuple[str, str], AppendLog] = {}
_logs_lock = threading.Lock()


def _log_of(workspace: Workspace) -> AppendLog:
    """One append log per operational store and process, kept open: opening the store (and
    checking its migrations) took 30 ms, most of a pixel request."""
    place = (str(workspace.root), workspace.settings.store.operational)
    with _logs_lock:
        log = _logs.get(place)
        if log is None:
            log = _logs[place] = AppendLog(collector_engine(workspace))
        return log
