"""``journeykit worker``: the loop that reads new events, fires due timers and sends the outbox.

One tick: read events since the watermark (the analytic store is opened only for that read),
observe them, advance the due runs, dispatch pending email, and (with ``feedback``) turn the new
deliveries into ``message_sent`` events (``delivery_events``). Stop requests (SIGTERM, SIGINT) are
checked between ticks and between batches of runs (at most 50, each its own commit), so the work
in hand is finished and committed first.
Events are read from ``watermark - overlap`` on, so an event stored a little late is still seen;
re-reading is harmless (a trigger event enters at most once, goals and wake-ups are idempotent).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from journeykit.flows import state
from journeykit.flows.delivery_events import record_delivery_events
from journeykit.flows.dispatch import Channel, dispatch
from journeykit.flows.engine import FlowEngine, FlowEvent
from journeykit.flows.feed import read_events

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

WATERMARK = "events"
OVERLAP = timedelta(minutes=5)


@dataclass
class TickResult:
    events: int = 0
    entered: int = 0
    advanced: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    delivery_events: int = 0


def tick(
    engine: FlowEngine,
    read: Callable[..., Sequence[FlowEvent]],
    channels: Mapping[str, Channel],
    stop: threading.Event | None = None,
    feedback: Callable[[Engine], int] | None = None,
    require_consent: bool = False,
) -> TickResult:
    """One round of work; ``read(since)`` returns the events from ``since`` on;
    ``feedback(db)`` records the delivery events (returns how many)."""
    result = TickResult()
    with engine.db.connect() as connection:
        mark = state.watermark(connection, WATERMARK)
    events = list(read(None if mark is None else mark - OVERLAP))
    result.events = len(events)
    if events:
        result.entered = engine.observe(events)
        with engine.db.begin() as connection:
            state.set_watermark(connection, WATERMARK, max(e.ts for e in events))
    while not (stop and stop.is_set()):
        advanced = engine.run_due(limit=50)
        result.advanced += advanced
        if advanced == 0:
            break
    if channels and not (stop and stop.is_set()):
        sent = dispatch(
            engine.db, channels, engine.clock, engine.owner, require_consent=require_consent
        )
        result.sent, result.failed, result.skipped = sent.sent, sent.failed, sent.skipped
    if feedback is not None and not (stop and stop.is_set()):
        result.delivery_events = feedback(engine.db)
    return result


def run_worker(
    workspace: Workspace,
    engine: FlowEngine,
    channels: Mapping[str, Channel],
    interval: float = 2.0,
    stop: threading.Event | None = None,
    on_tick: Callable[[TickResult], Any] | None = None,
) -> None:
    """Tick every ``interval`` seconds until ``stop`` is set (SIGTERM/SIGINT set it)."""
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for number in (signal.SIGTERM, signal.SIGINT):
            signal.signal(number, lambda *_: stop.set())

    def read(since: Any) -> Sequence[FlowEvent]:
        return read_events(workspace, since)

    def feedback(db: Engine) -> int:
        return record_delivery_events(workspace, db)

    while not stop.is_set():
        consent = workspace.settings.flows.require_consent
        result = tick(engine, read, channels, stop, feedback, require_consent=consent)
        if on_tick is not None:
            on_tick(result)
        stop.wait(interval)
