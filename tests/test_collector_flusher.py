"""The append log, its group-commit writer and the flusher, in one process with a fake delivery."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import wait
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError

from journeykit.events.collector import CollectorConfig, collector_engine
from journeykit.events.collector.flusher import Flusher
from journeykit.events.collector.log import AppendLog, Pending
from journeykit.events.collector.messages import LogEntry
from journeykit.events.collector.tables import COLLECTOR_MIGRATIONS, keys
from journeykit.events.collector.writer import LogWriter
from journeykit.store import Migration, MigrationSet
from journeykit.store.operational import (
    CORE_MIGRATIONS,
    engine_for_url,
    migrate_operational,
    reading,
)
from journeykit.workspace import Workspace


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, workspace: Workspace) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = collector_engine(workspace)
    else:
        engine = fresh_postgres_log(request.getfixturevalue("postgres_url"), workspace.root)
    yield engine
    engine.dispose()


def fresh_postgres_log(url: str, root: Path) -> Engine:
    """The session's PostgreSQL database with empty collector tables."""
    engine = engine_for_url(url, root)
    migrate_operational(engine, CORE_MIGRATIONS)
    with engine.begin() as connection:
        for table in ("collector_flushed", "collector_log", "collector_keys"):
            connection.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
        connection.exec_driver_sql("DELETE FROM schema_version WHERE component = 'collector'")
    migrate_operational(engine, CORE_MIGRATIONS, COLLECTOR_MIGRATIONS)
    return engine


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
    log.append(entries("a", "b", "c"), "shop")
    [_, second, third] = log.pending(10)
    log.mark_flushed(second.id)
    assert log.prune(timedelta(hours=1)) == 0
    assert log.prune(timedelta(seconds=-1)) == 1  # "b", the newest flushed, anchors the ids
    assert [entry.id for entry in log.pending(10)] == [third.id]


def test_entries_logged_after_a_prune_are_still_delivered(engine: Engine) -> None:
    """Pruning everything flushed must not let a new entry get an id at or below the mark
    (SQLite gives a new row the largest rowid + 1, so an emptied log would start again at 1)."""
    log = AppendLog(engine)
    log.append(entries("a", "b"), "shop")
    log.mark_flushed(log.pending(10)[-1].id)
    log.prune(timedelta(seconds=-1))
    log.append(entries("c"), "shop")
    assert [entry.body for entry in log.pending(10)] == ['{"messageId": "c"}']


def test_a_mark_never_moves_back(engine: Engine) -> None:
    log = AppendLog(engine)
    log.append(entries("a", "b", "c"), "shop")
    [first, second, third] = log.pending(10)
    log.mark_flushed(second.id)
    log.mark_flushed(first.id)  # a late, lower mark
    log.mark_flushed(second.id)  # the same mark again
    assert [entry.id for entry in log.pending(10)] == [third.id]
    assert log.backlog() == 1


def test_an_append_that_commits_late_is_not_skipped(engine: Engine) -> None:
    """One append holds its transaction open after inserting (a slow server process) while a
    second one, with its own lock, sends; then the flusher runs. Had the second committed first
    (on PostgreSQL a sequence hands out ids before commit), the flushed mark would pass the
    first one's entry and it would never be delivered."""
    inserted = threading.Event()

    def hold_the_first_append(*args: object) -> None:
        if threading.current_thread().name == "slow" and "INSERT INTO collector_log" in str(
            args[2]
        ):
            inserted.set()
            time.sleep(0.5)

    event.listen(engine, "after_cursor_execute", hold_the_first_append)
    appends = [
        threading.Thread(target=AppendLog(engine).append, args=(entries(name), "shop"), name=name)
        for name in ("slow", "fast")
    ]
    appends[0].start()
    assert inserted.wait(10)
    appends[1].start()
    deliver = Recorder()
    flusher = Flusher(AppendLog(engine), deliver, CollectorConfig())
    time.sleep(0.2)
    flusher.drain()  # while the first append is still open
    for thread in appends:
        thread.join()
    flusher.drain()
    delivered = [entry_id for batch in deliver.delivered for entry_id in batch]
    assert len(delivered) == len(set(delivered)) == 2
    assert flusher.log.backlog() == 0


def legacy_log(connection: Connection) -> None:
    """Version 1 of the collector's tables: a ``flushed_at`` mark per entry."""
    keys.create(connection)
    connection.exec_driver_sql(
        "CREATE TABLE collector_log (id INTEGER PRIMARY KEY, message_id VARCHAR(255) NOT NULL "
        "UNIQUE, key_name VARCHAR(64) NOT NULL, body TEXT NOT NULL, flushed_at DATETIME)"
    )
    connection.exec_driver_sql(
        "CREATE INDEX ix_collector_log_pending ON collector_log (id) WHERE flushed_at IS NULL"
    )


@pytest.mark.parametrize(
    ("marked", "pending"), [(2, ["c", "d"]), (4, []), (0, ["a", "b", "c", "d"])]
)
def test_a_version_1_log_keeps_what_was_pending(
    workspace: Workspace, marked: int, pending: list[str]
) -> None:
    engine = engine_for_url(workspace.settings.store.operational, workspace.root)
    legacy = MigrationSet("collector", [Migration(1, "write keys and the append log", legacy_log)])
    migrate_operational(engine, CORE_MIGRATIONS, legacy)
    with engine.begin() as connection:
        for number, message_id in enumerate("abcd"):
            flushed_at = "2026-11-20 10:00:00" if number < marked else None
            connection.exec_driver_sql(
                "INSERT INTO collector_log (message_id, key_name, body, flushed_at) "
                "VALUES (?, 'shop', ?, ?)",
                (message_id, f'{{"messageId": "{message_id}"}}', flushed_at),
            )
    engine.dispose()
    log = AppendLog(collector_engine(workspace))
    assert [entry.body for entry in log.pending(10)] == [
        f'{{"messageId": "{message_id}"}}' for message_id in pending
    ]
    log.append(entries("e"), "shop")
    assert log.backlog() == len(pending) + 1
    with reading(log.engine) as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("collector_log")}
    assert "flushed_at" not in columns
    log.engine.dispose()


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


def test_a_backlog_leaves_its_writes_in_the_write_ahead_log_until_it_ends(
    workspace: Workspace,
) -> None:
    """Full micro-batches skip the checkpoint at close; a smaller one, or the flusher's end,
    writes it. Another process reading meanwhile sees every event."""
    from collector_harness import stored_event_ids
    from journeykit.events.collector.delivery import AnalyticDelivery
    from journeykit.events.collector.messages import Envelope, check_message

    envelope = Envelope(datetime.now(UTC))
    wal = workspace.root / "data" / "events.duckdb.wal"

    def logged(first: int, count: int) -> list[Pending]:
        messages = [
            {"type": "track", "event": "Viewed", "userId": "u", "messageId": f"wal-{n}"}
            for n in range(first, first + count)
        ]
        checked = [check_message(m, "", None, envelope, 32_768) for m in messages]
        return [Pending(n, "shop", entry.body) for n, entry in enumerate(checked, first)]

    def waiting() -> int:
        return wal.stat().st_size if wal.exists() else 0

    with closing(AnalyticDelivery(workspace, backlog_from=3)) as deliver:
        deliver(logged(0, 3))
        assert waiting() > 0
        deliver(logged(3, 2))  # smaller: the backlog is over
        assert waiting() == 0
        deliver(logged(5, 3))
        assert waiting() > 0
        assert len(stored_event_ids(workspace.root, "wal-")) == 8  # another reader sees all
        deliver(logged(8, 3))
        assert waiting() > 0
    assert waiting() == 0
    assert stored_event_ids(workspace.root, "wal-") == {f"wal-{n}": 1 for n in range(11)}
