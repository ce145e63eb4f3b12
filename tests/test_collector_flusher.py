"""The append log, its group-commit writer and the flusher, in one process with a fake delivery."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from concurrent.futures import wait
from contextlib import closing
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine
from sqlalchemy.exc import OperationalError

from journeykit.events.collector import CollectorConfig, collector_engine
from journeykit.events.collector.flusher import Flusher
from journeykit.events.collector.log import AppendLog, Pending
from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.writer import LogWriter
from journeykit.workspace import Workspace


@pytest.fixture
def engine(workspace: Workspace) -> Iterator[Engine]:
    engine = collector_engine(workspace)
    yield engine
    engine.dispose()


def entries(*ids: str) -> list[LogEntry]:
    return [LogEntry(message_id, f'{{"messageId": "{message_id}"}}') for message_id in ids]


class Recorder:
    """A delivery that records what it got and fails while ``failing`` is set."""

    def __init__(self) -> None:
        self.delivered: list[list[int]] = []
        self.failing = False
        self.closed = False

    def __call__(self, batch: Sequence[Pending]) -> None:
        if self.failing:
            raise RuntimeError("the analytic store is down")
        self.delivered.append([entry.id for entry in batch])

    def close(self) -> None:
        self.closed = True


def test_known_message_ids_are_not_logged_twice(engine: Engine) -> None:
    log = AppendLog(engine)
    log.append(entries("a", "b"), "shop")
    log.append(entries("b", "c"), "shop")
    assert [entry.body for entry in log.pending(10)] == [
        '{"messageId": "a"}',
        '{"messageId": "b"}',
        '{"messageId": "c"}',
    ]


def test_a_failed_delivery_leaves_the_batch_pending_for_the_next_round(engine: Engine) -> None:
    log = AppendLog(engine)
    log.append(entries("a", "b", "c"), "shop")
    deliver = Recorder()
    flusher = Flusher(log, deliver, CollectorConfig(flush_max_events=2))
    deliver.failing = True
    with pytest.raises(RuntimeError):
        flusher.flush_once()
    assert log.backlog() == 3
    deliver.failing = False
    assert flusher.drain() == 3
    assert [len(batch) for batch in deliver.delivered] == [2, 1]
    assert log.backlog() == 0


def test_the_thread_flushes_within_the_interval_and_drains_on_stop(engine: Engine) -> None:
    log = AppendLog(engine)
    deliver = Recorder()
    flusher = Flusher(log, deliver, CollectorConfig(flush_interval_seconds=0.05))
    flusher.start()
    log.append(entries("a"), "shop")
    deadline = time.monotonic() + 5
    while log.backlog() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log.backlog() == 0
    log.append(entries("b"), "shop")
    flusher.stop()
    assert log.backlog() == 0
    assert deliver.closed


def test_flushed_entries_are_pruned_after_the_retention(engine: Engine) -> None:
    log = AppendLog(engine)
    log.append(entries("a", "b"), "shop")
    [first, second] = log.pending(10)
    log.mark_flushed([first.id])
    assert log.prune(timedelta(hours=1)) == 0
    assert log.prune(timedelta(seconds=-1)) == 1
    assert [entry.id for entry in log.pending(10)] == [second.id]


def test_group_commit_answers_every_request_once_committed(engine: Engine) -> None:
    log = AppendLog(engine)
    writer = LogWriter(log)
    writer.start()
    try:
        futures = [writer.submit(entries(f"m{number}"), "shop") for number in range(200)]
        done, _ = wait(futures, timeout=30)
    finally:
        writer.stop()
    assert len(done) == 200
    assert all(future.exception() is None for future in done)
    assert log.backlog() == 200


def test_a_failed_commit_fails_every_request_in_it(engine: Engine) -> None:
    log = AppendLog(engine)
    writer = LogWriter(log)
    log.engine = create_engine("sqlite:////nonexistent-folder/ops.sqlite")
    future = writer.submit(entries("x"), "shop")
    assert isinstance(future.exception(timeout=5), OperationalError)


def test_a_second_delivery_after_a_crash_adds_nothing(workspace: Workspace, engine: Engine) -> None:
    """Crash between delivering and marking: the next round delivers the batch again, and the
    pipeline's event_id (= messageId) dedupe keeps every event exactly once."""
    from collector_harness import stored_event_ids
    from journeykit.events.collector.delivery import AnalyticDelivery
    from journeykit.events.collector.messages import Envelope, check_message

    envelope = Envelope(datetime.now(UTC))
    log = AppendLog(engine)
    messages = [
        {"type": "track", "event": "Order Completed", "userId": "u1", "messageId": f"re-{n}"}
        for n in range(3)
    ]
    log.append([check_message(m, "", None, envelope, 32_768) for m in messages], "shop")
    with closing(AnalyticDelivery(workspace)) as deliver:
        deliver(log.pending(10))  # delivered, then the process died before marking
    assert log.backlog() == 3
    with closing(AnalyticDelivery(workspace)) as deliver:
        flusher = Flusher(log, deliver, CollectorConfig())
        assert flusher.drain() == 3  # the restarted flusher delivers the same batch again
    assert log.backlog() == 0
    assert stored_event_ids(workspace.root, "re-") == {"re-0": 1, "re-1": 1, "re-2": 1}
