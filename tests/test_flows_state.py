"""Timers and leases: due runs are claimed once, a dead worker's lease is taken over, two workers
never advance the same run twice (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from flows_support import (
    START,
    event,
    fresh_postgres,
    outbox_rows,
    run_rows,
    sqlite_db,
)
from journeykit.flows import state
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.engine import FlowEngine
from journeykit.flows.model import Flow

LEASE = timedelta(minutes=5)


def welcome_flow() -> Flow:
    return Flow.model_validate(
        {
            "id": "welcome",
            "name": "Welcome",
            "stage": "retention",
            "locales": ["en"],
            "trigger": {"type": "event", "event": "signup"},
            "steps": [{"id": "hello", "type": "send", "channel": "email", "template": "hi"}],
        }
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sqlite_db(tmp_path)
    else:
        engine = fresh_postgres(request.getfixturevalue("postgres_url"), tmp_path)
    yield engine
    engine.dispose()


def worker(db: Engine, name: str, clock: SimulatedClock) -> FlowEngine:
    return FlowEngine(db, [welcome_flow()], clock, owner=name, lease=LEASE)


def enter(db: Engine, count: int) -> SimulatedClock:
    clock = SimulatedClock(START)
    worker(db, "feeder", clock).observe(event(f"c{i}", "signup", START) for i in range(count))
    return clock


def test_a_claimed_timer_is_not_claimed_again_while_the_lease_holds(db: Engine) -> None:
    enter(db, 3)
    first = state.claim_due(db, "a", START, LEASE)
    assert len(first) == 3
    assert state.claim_due(db, "b", START + LEASE - timedelta(seconds=1), LEASE) == []


def test_a_dead_workers_lease_is_taken_over_and_its_late_commit_refused(db: Engine) -> None:
    clock = enter(db, 2)
    dead = worker(db, "dead", clock)
    claims = state.claim_due(db, dead.owner, clock.now(), LEASE)  # then it dies: no advance
    clock.advance(LEASE + timedelta(seconds=1))
    survivor = worker(db, "survivor", clock)
    assert survivor.run_due() == 2  # fired late, not never
    assert [dead.advance(claim) for claim in claims] == [False, False]  # it woke up too late
    assert len(outbox_rows(db)) == 2
    assert {row.status for row in run_rows(db)} == {"done"}


def test_timers_survive_a_restart(db: Engine) -> None:
    clock = enter(db, 1)
    db.dispose()  # everything in memory is gone; the store remains
    assert worker(db, "after-restart", clock).run_due() == 1
    assert [row.step_id for row in outbox_rows(db)] == ["hello"]


def test_two_workers_claiming_concurrently_advance_each_run_once(db: Engine) -> None:
    count = 120
    clock = enter(db, count)
    done: dict[str, int] = {}

    def work(name: str) -> None:
        me = worker(db, name, SimulatedClock(clock.now()))
        total = 0
        while advanced := me.run_due(limit=7):
            total += advanced
        done[name] = total

    threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(done.values()) == count
    rows = outbox_rows(db)
    assert len(rows) == count
    assert len({row.idempotency_key for row in rows}) == count


@settings(max_examples=15, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=10_000), min_size=1, max_size=20))
def test_claims_come_in_due_order_and_only_when_due(offsets: list[int]) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        db = sqlite_db(Path(folder))
        with db.begin() as connection:
            for i, offset in enumerate(offsets):
                connection.execute(
                    state.runs.insert().values(
                        id=i + 1,
                        flow_id="f",
                        customer_id=f"c{i}",
                        step_index=0,
                        phase="enter",
                        status="active",
                        run_group="treated",
                        assignments="{}",
                        context="{}",
                        entered_at=START,
                    )
                )
                state.set_timer(connection, i + 1, START + timedelta(seconds=offset))
        now = START + timedelta(seconds=5_000)
        claims = state.claim_due(db, "w", now, LEASE, limit=100)
        db.dispose()
    assert [c.due_at for c in claims] == sorted(c.due_at for c in claims)
    assert len(claims) == sum(offset <= 5_000 for offset in offsets)


def test_two_workers_reading_the_same_events_enter_each_customer_once(db: Engine) -> None:
    clock = SimulatedClock(START)
    signups = [event(f"c{i % 30}", "signup", START) for i in range(60)]  # 2 events per customer
    entered: dict[str, int] = {}

    def read(name: str) -> None:
        entered[name] = worker(db, name, clock).observe(signups)

    threads = [threading.Thread(target=read, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    runs = run_rows(db)
    assert sum(entered.values()) == len(runs) == 30
    assert len({row.customer_id for row in runs}) == 30
