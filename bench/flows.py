"""Flows bench: the engine against bare SQLAlchemy Core writing the same rows (SQLite, PostgreSQL).

``--runs`` customers (default 100,000) start the 5-step abandoned-cart scenario (wait 1 h, email,
wait for a click 1 d, wait until 10:00, email; no holdout, nobody clicks or orders, so every run
takes all 5 steps and sends 2 messages). Their ``checkout_started`` events are spread evenly over
10 simulated hours. A simulated clock moves in ticks of one minute (jumping over idle stretches to
the next due timer or event); at each tick a worker observes the events up to the clock and
advances every due run, in batches, until nothing is due.

- ours: ``FlowEngine.observe`` and ``FlowEngine.run_due_claims`` on SQLite (1 worker) and on
  PostgreSQL (2 worker processes claiming concurrently; a barrier keeps their clocks in step);
- baseline: a loop writing the same rows with bare SQLAlchemy Core (insert run and timer on
  entry; per due timer the same claim, then the run update, the timer update or delete and the
  outbox insert), one statement per row, in the same batches and transactions, on the same two
  set-ups, in the same run of the script;
- batched: the strict baseline, the same writes as one parameterised executemany per kind and
  batch — the database work the engine's batches do, with none of its logic.

Reported per set-up: steps/s (5 × runs ÷ wall time of the whole simulation), the engine's time
as a multiple of each baseline's, and peak RSS; medians over ``--repeat`` repetitions. Afterwards
each store is checked: every run done, two outbox rows per run with distinct idempotency keys, and
no timer advanced twice (by one worker or by both).

Timer lag is measured in real time (a simulated clock has none): on the system clock, runs of a
flow with two 1 s waits enter for ``--lag-seconds`` at the set-up's target rate (1,000 steps/s on
SQLite, 2,000 on PostgreSQL); workers sleep until the next timer or event (at most 50 ms), and
each advance's lag is its commit time minus its timer's due time (p50, p99, max).
PostgreSQL comes from Debian's package, started in a temporary folder as the tests do
(``tests/postgres_server.py``).

    python bench/flows.py --quick                 # 5,000 runs, once: while developing
    python bench/flows.py --runs 100000 --repeat 1
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing as mp
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import yaml
from sqlalchemy import Engine, and_, bindparam, delete, func, or_, select, update

from journeykit.flows import state
from journeykit.flows.clock import SimulatedClock, SystemClock
from journeykit.flows.engine import FlowEngine, FlowEvent, next_local_time
from journeykit.flows.model import Flow
from journeykit.flows.scenarios import Scenario, scenario_text
from journeykit.store.operational import CORE_MIGRATIONS, engine_for_url, migrate_operational

ROOT = Path(__file__).resolve().parent.parent
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday; entries 08:00-18:00 UTC
SPREAD = timedelta(hours=10)
TICK = timedelta(minutes=1)
BATCH = 500
STEPS_PER_RUN = 5
UTC_ZONE = __import__("zoneinfo").ZoneInfo("UTC")


def cart_flow() -> Flow:
    data = yaml.safe_load(scenario_text(Scenario("abandoned-cart"), "en"))
    data["holdout"] = 0
    return Flow.model_validate(data)


def make_events(runs: int) -> list[FlowEvent]:
    step = SPREAD / runs
    return [
        FlowEvent(f"e{i}", START + i * step, f"c{i}", "checkout_started", {"email": f"c{i}@x.org"})
        for i in range(runs)
    ]


# --- the two workers ---------------------------------------------------------------------------


class Worker(Protocol):
    advances_per_run: int

    def observe(self, events: Sequence[FlowEvent], now: datetime) -> None: ...

    def advance(self, now: datetime) -> list[int]:
        """Advance up to BATCH due runs in one batch; the run ids advanced."""
        ...


class Ours:
    """The engine: ``observe`` for entries, ``run_due_claims`` for due timers."""

    advances_per_run = 4  # the entry's first step is a timer due at once

    def __init__(self, db: Engine, clock: SimulatedClock, name: str) -> None:
        self.engine = FlowEngine(db, [cart_flow()], clock, zone=UTC_ZONE, owner=name)
        self.clock = clock

    def observe(self, events: Sequence[FlowEvent], now: datetime) -> None:
        self.clock.advance_to(now)
        self.engine.observe(events, batch=BATCH)

    def advance(self, now: datetime) -> list[int]:
        self.clock.advance_to(now)
        return [claim.run_id for claim in self.engine.run_due_claims(limit=BATCH)]


class Bare:
    """The same rows written with bare SQLAlchemy Core, one statement per row, batched commits."""

    advances_per_run = 3  # the entry writes the waiting run at once

    def __init__(self, db: Engine, name: str) -> None:
        self.db = db
        self.name = name
        self.lease = timedelta(minutes=5)

    def observe(self, events: Sequence[FlowEvent], now: datetime) -> None:
        for start in range(0, len(events), BATCH):
            with self.db.begin() as connection:
                for item in events[start : start + BATCH]:
                    result = connection.execute(
                        state.runs.insert().values(
                            flow_id="abandoned-cart",
                            customer_id=item.customer_id,
                            step_index=0,
                            step_id="wait-1h",
                            phase="waiting",
                            step_started_at=item.ts,
                            status="active",
                            run_group="treated",
                            assignments="{}",
                            context=state.dump_json({"event": dict(item.properties)}),
                            trigger_event_id=item.event_id,
                            entered_at=item.ts,
                        )
                    )
                    key = result.inserted_primary_key
                    assert key is not None
                    connection.execute(
                        state.timers.insert().values(
                            run_id=key[0], due_at=item.ts + timedelta(hours=1), attempts=0
                        )
                    )

    def advance(self, now: datetime) -> list[int]:
        claimed = self._claim(now)
        if not claimed:
            return []
        with self.db.begin() as connection:
            steps = dict(
                connection.execute(
                    select(state.runs.c.id, state.runs.c.step_index).where(
                        state.runs.c.id.in_(claimed)
                    )
                ).all()
            )
            for run_id in claimed:
                self._step(connection, run_id, steps[run_id], now)
        return claimed

    def _claim(self, now: datetime) -> list[int]:
        free = or_(state.timers.c.lease_until.is_(None), state.timers.c.lease_until < now)
        query = (
            select(state.timers.c.run_id)
            .where(and_(state.timers.c.due_at <= now, free))
            .order_by(state.timers.c.due_at, state.timers.c.run_id)
            .limit(BATCH)
        )
        with self.db.begin() as connection:
            if connection.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            ids = list(connection.execute(query).scalars())
            if ids:
                connection.execute(
                    update(state.timers)
                    .where(state.timers.c.run_id.in_(ids))
                    .values(lease_owner=self.name, lease_until=now + self.lease)
                )
        return ids

    def _step(self, connection: Any, run_id: int, index: int, now: datetime) -> None:
        runs, timers = state.runs, state.timers
        if index == 0:  # wait 1h over: send the reminder, wait for a click
            self._outbox(connection, run_id, "reminder", now)
            values: dict[str, Any] = {"step_index": 2, "step_id": "clicked"}
            due = now + timedelta(days=1)
        elif index == 2:  # no click: wait until 10:00
            values = {"step_index": 3, "step_id": "next-morning"}
            due = next_local_time(now, datetime.min.time().replace(hour=10), UTC_ZONE)
        else:  # last call, then done
            self._outbox(connection, run_id, "last-call", now)
            connection.execute(
                update(runs)
                .where(runs.c.id == run_id)
                .values(status="done", step_index=5, step_id=None, ended_at=now)
            )
            connection.execute(delete(timers).where(timers.c.run_id == run_id))
            return
        connection.execute(
            update(runs).where(runs.c.id == run_id).values(step_started_at=now, **values)
        )
        connection.execute(
            update(timers)
            .where(timers.c.run_id == run_id)
            .values(due_at=due, lease_owner=None, lease_until=None)
        )

    @staticmethod
    def _outbox(connection: Any, run_id: int, step: str, now: datetime) -> None:
        connection.execute(
            state.outbox.insert().values(
                run_id=run_id,
                step_id=step,
                idempotency_key=f"abandoned-cart.{run_id}.{step}",
                channel="email",
                payload="{}",
                status="pending",
                created_at=now,
                attempts=0,
            )
        )


class Batched(Bare):
    """The strict baseline: the same rows, each kind of write one parameterised executemany per
    batch (what the engine's batch does, without any of its logic)."""

    def advance(self, now: datetime) -> list[int]:
        claimed = self._claim(now)
        if not claimed:
            return []
        runs, timers = state.runs, state.timers
        with self.db.begin() as connection:
            steps = dict(
                connection.execute(
                    select(runs.c.id, runs.c.step_index).where(runs.c.id.in_(claimed))
                ).all()
            )
            outbox, moves, moved, ended = [], [], [], []
            ten = next_local_time(now, datetime.min.time().replace(hour=10), UTC_ZONE)
            for run_id in claimed:
                index = steps[run_id]
                if index in (0, 3):
                    step = "reminder" if index == 0 else "last-call"
                    key = f"abandoned-cart.{run_id}.{step}"
                    outbox.append(
                        {
                            "run_id": run_id,
                            "step_id": step,
                            "idempotency_key": key,
                            "channel": "email",
                            "payload": "{}",
                            "status": "pending",
                            "created_at": now,
                            "attempts": 0,
                        }
                    )
                if index == 3:
                    ended.append({"b_id": run_id, "b_now": now})
                    continue
                target = (
                    (2, "clicked", now + timedelta(days=1))
                    if index == 0
                    else (3, "next-morning", ten)
                )
                moves.append(
                    {"b_id": run_id, "b_index": target[0], "b_step": target[1], "b_now": now}
                )
                moved.append({"b_id": run_id, "b_due": target[2]})
            if outbox:
                connection.execute(state.outbox.insert(), outbox)
            if moves:
                connection.execute(
                    update(runs)
                    .where(runs.c.id == bindparam("b_id"))
                    .values(
                        step_index=bindparam("b_index"),
                        step_id=bindparam("b_step"),
                        step_started_at=bindparam("b_now"),
                    ),
                    moves,
                )
                connection.execute(
                    update(timers)
                    .where(timers.c.run_id == bindparam("b_id"))
                    .values(due_at=bindparam("b_due"), lease_owner=None, lease_until=None),
                    moved,
                )
            if ended:
                connection.execute(
                    update(runs)
                    .where(runs.c.id == bindparam("b_id"))
                    .values(status="done", step_index=5, step_id=None, ended_at=bindparam("b_now")),
                    ended,
                )
                ids = [row["b_id"] for row in ended]
                connection.execute(delete(timers).where(timers.c.run_id.in_(ids)))
        return claimed


# --- the simulation loop -----------------------------------------------------------------------


@dataclass
class Outcome:
    seconds: float = 0.0
    lags: list[float] = field(default_factory=list)
    advanced: list[int] = field(default_factory=list)
    rss_mib: float = 0.0


def simulate(
    db: Engine,
    worker: Worker,
    events: Sequence[FlowEvent],
    mine: Callable[[int], bool],
    barrier: Any = None,
) -> Outcome:
    """Tick the clock until no timer is left; this worker observes the events ``mine`` picks."""
    outcome = Outcome()
    now, index = START, 0
    began = time.perf_counter()
    while True:
        upto = index
        while upto < len(events) and events[upto].ts <= now:
            upto += 1
        worker.observe([events[i] for i in range(index, upto) if mine(i)], now)
        index = upto
        while advanced := worker.advance(now):
            outcome.advanced.extend(advanced)
        if barrier is not None:
            barrier.wait()
        with db.connect() as connection:
            due = connection.execute(select(func.min(state.timers.c.due_at))).scalar()
        if barrier is not None:
            barrier.wait()  # everyone has read the same next instant before anyone writes
        following = [t for t in (due, events[index].ts if index < len(events) else None) if t]
        if not following:
            break
        now = max(now + TICK, min(following))
    outcome.seconds = time.perf_counter() - began
    outcome.rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return outcome


def fresh_store(url: str, folder: Path) -> Engine:
    db = engine_for_url(url, folder)
    state.metadata.drop_all(db)
    with db.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS schema_version")
    migrate_operational(db, CORE_MIGRATIONS, state.FLOW_MIGRATIONS)
    return db


def _process(
    kind: str, url: str, folder: Path, runs: int, me: int, of: int, barrier: Any, results: Any
) -> None:
    db = engine_for_url(url, folder)
    events = make_events(runs)
    name = f"w{me}"
    workers: dict[str, Callable[[], Worker]] = {
        "ours": lambda: Ours(db, SimulatedClock(START), name),
        "baseline": lambda: Bare(db, name),
        "batched": lambda: Batched(db, name),
    }
    worker = workers[kind]()
    outcome = simulate(db, worker, events, lambda i: i % of == me, barrier)
    results.put((me, outcome, worker.advances_per_run))
    db.dispose()


def measure(kind: str, url: str, folder: Path, runs: int, workers: int) -> dict[str, Any]:
    """One simulation of ``runs`` runs by ``kind`` with ``workers`` processes; figures + checks."""
    db = fresh_store(url, folder)
    db.dispose()
    context = mp.get_context("fork")
    barrier = context.Barrier(workers) if workers > 1 else None
    results = context.Queue()
    processes = [
        context.Process(
            target=_process, args=(kind, url, folder, runs, me, workers, barrier, results)
        )
        for me in range(workers)
    ]
    for process in processes:
        process.start()
    answers = [results.get() for _ in processes]
    outcomes = [answer[1] for answer in answers]
    for process in processes:
        process.join()
        assert process.exitcode == 0, f"{kind} worker failed"
    check(engine_for_url(url, folder), runs, outcomes, answers[0][2])
    seconds = max(o.seconds for o in outcomes)
    return {
        "seconds": seconds,
        "steps_per_s": runs * STEPS_PER_RUN / seconds,
        "rss_mib": max(o.rss_mib for o in outcomes),
        "per_worker": [len(o.advanced) for o in outcomes],
    }


def check(db: Engine, runs: int, outcomes: Sequence[Outcome], expected: int) -> None:
    """Every run done, two messages each with distinct keys, no advance done twice."""
    with db.connect() as connection:
        statuses: dict[str, int] = dict(
            connection.execute(
                select(state.runs.c.status, func.count()).group_by(state.runs.c.status)
            ).all()
        )
        keys = connection.execute(
            select(func.count(), func.count(state.outbox.c.idempotency_key.distinct()))
        ).one()
        timers = connection.execute(select(func.count()).select_from(state.timers)).scalar()
    db.dispose()
    assert statuses == {"done": runs}, statuses
    assert tuple(keys) == (2 * runs, 2 * runs), keys
    assert timers == 0
    advances = [run for o in outcomes for run in o.advanced]
    # each run is advanced the same number of times (1h, 1d timeout, 10:00, and for the engine
    # the entry's step): a timer advanced by both workers would show up as one more
    per_run: dict[int, int] = {}
    for run in advances:
        per_run[run] = per_run.get(run, 0) + 1
    assert len(per_run) == runs and set(per_run.values()) == {expected}, "a timer advanced twice"


# --- timer lag in real time ---------------------------------------------------------------------


def lag_flow() -> Flow:
    """Waits of a second between two webhooks: timers fall due all the time, in real time."""
    steps = [
        {"id": "w1", "type": "wait", "duration": "1s"},
        {"id": "h1", "type": "webhook", "url": "https://example.org/a"},
        {"id": "w2", "type": "wait", "duration": "1s"},
        {"id": "h2", "type": "webhook", "url": "https://example.org/b"},
    ]
    trigger = {"type": "event", "event": "go"}
    body = {"id": "lag", "name": "Lag", "stage": "s", "locales": ["en"], "steps": steps}
    return Flow.model_validate({**body, "trigger": trigger})


def _lag_process(
    url: str, folder: Path, rate: int, seconds: float, me: int, of: int, results: Any
) -> None:
    """A worker on the system clock: observe due events, advance due runs, then sleep until the
    next timer or event (at most 50 ms); the lag of each advance is commit time − due time."""
    db = engine_for_url(url, folder)
    engine = FlowEngine(db, [lag_flow()], SystemClock(), zone=UTC_ZONE, owner=f"lag{me}")
    began = datetime.now(UTC) + timedelta(seconds=0.5)
    count = int(rate * seconds)
    events = [
        FlowEvent(f"g{i}", began + timedelta(seconds=i / rate), f"c{i}", "go", {})
        for i in range(count)
        if i % of == me
    ]
    lags: list[float] = []
    index = 0
    give_up = began + timedelta(seconds=seconds + 120)  # a backlog shows as lag, up to here
    while (now := datetime.now(UTC)) < give_up:
        upto = index
        while upto < len(events) and events[upto].ts <= now:
            upto += 1
        if upto > index:
            engine.observe(events[index:upto], batch=BATCH)
            index = upto
        while claims := engine.run_due_claims(limit=BATCH):
            done = datetime.now(UTC)
            lags.extend((done - claim.due_at).total_seconds() for claim in claims)
        with db.connect() as connection:
            due = state.next_due(connection)
        if due is None and index == len(events) and now > began + timedelta(seconds=seconds):
            break  # everything entered and no timer left (the other worker's too)
        following = [t for t in (due, events[index].ts if index < len(events) else None) if t]
        pause = (min(following) - datetime.now(UTC)).total_seconds() if following else 0.05
        time.sleep(min(max(pause, 0.0), 0.05))
    results.put(lags)
    db.dispose()


def measure_lag(url: str, folder: Path, rate: int, seconds: float, workers: int) -> dict[str, Any]:
    """Runs entering at ``rate`` per second for ``seconds``, each two 1 s waits: lag p50/p99."""
    fresh_store(url, folder).dispose()
    context = mp.get_context("fork")
    results = context.Queue()
    processes = [
        context.Process(
            target=_lag_process, args=(url, folder, rate, seconds, me, workers, results)
        )
        for me in range(workers)
    ]
    for process in processes:
        process.start()
    lags = sorted(lag for _ in processes for lag in results.get())
    for process in processes:
        process.join()
    expected = int(rate * seconds) * 3  # the entry's first step and two waits
    if len(lags) != expected:
        print(f"  lag phase: {len(lags):,} of {expected:,} advances done before giving up")
    return {
        "rate": rate,
        "p50": lags[len(lags) // 2],
        "p99": lags[min(len(lags) - 1, int(len(lags) * 0.99))],
        "max": lags[-1],
        "steps_per_s": rate * 4,
    }


# --- PostgreSQL from Debian's package ----------------------------------------------------------


def _postgres_helpers() -> Any:
    spec = importlib.util.spec_from_file_location(
        "postgres_server", ROOT / "tests" / "postgres_server.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def postgres(wanted: bool = True) -> Iterator[str | None]:
    """A throwaway PostgreSQL (fsync off, like the tests'); None when not wanted or installed."""
    pg = _postgres_helpers()
    if not wanted or not (pg.PG_BIN / "initdb").exists():
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="jk-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    data, port = folder / "data", pg._free_port()
    init = [str(pg.PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "jk", "--no-sync"]
    subprocess.run(pg._as_server_user(init), check=True, capture_output=True)
    ctl = [str(pg.PG_BIN / "pg_ctl"), "-D", str(data), "-w", "-l", str(folder / "log")]
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        pg._as_server_user([*ctl, "-o", options, "start"]), check=True, capture_output=True
    )
    try:
        createdb = [str(pg.PG_BIN / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "jk"]
        subprocess.run([*createdb, "bench"], check=True, capture_output=True)
        yield f"postgresql://jk@127.0.0.1:{port}/bench"
    finally:
        subprocess.run(pg._as_server_user([*ctl, "stop", "-m", "fast"]), check=False)
        shutil.rmtree(folder, ignore_errors=True)


# --- report ------------------------------------------------------------------------------------


def median_of(rows: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("seconds", "steps_per_s", "rss_mib")
    return {key: statistics.median(row[key] for row in rows) for key in keys} | {
        "per_worker": rows[0]["per_worker"]
    }


def line(label: str, figures: dict[str, Any]) -> str:
    return (
        f"  {label:<9} {figures['steps_per_s']:>9,.0f} steps/s  {figures['seconds']:>7.1f} s  "
        f"RSS {figures['rss_mib']:.0f} MiB  advances per worker {figures['per_worker']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000, help="Runs (customers) to simulate.")
    parser.add_argument("--repeat", type=int, default=3, help="Repetitions; medians are shown.")
    parser.add_argument("--quick", action="store_true", help="5,000 runs, one repetition.")
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only.")
    parser.add_argument("--lag-seconds", type=float, default=20.0, help="Lag phase (0: none).")
    parser.add_argument(
        "--kinds",
        nargs="*",
        default=["baseline", "batched", "ours"],
        choices=["baseline", "batched", "ours"],
        help="What to run: the per-row baseline, the executemany baseline, the engine.",
    )
    args = parser.parse_args()
    runs, repeat = (5_000, 1) if args.quick else (args.runs, args.repeat)
    print(
        f"flows bench: {runs:,} runs × {STEPS_PER_RUN} steps, {repeat} repetition(s), "
        f"load average {os.getloadavg()[0]:.1f}, Python {sys.version.split()[0]}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="jk-bench-flows-") as tmp,
        postgres(not args.no_postgres) as pg_url,
    ):
        folder = Path(tmp)
        setups = [("SQLite", f"sqlite:///{folder / 'ops.sqlite'}", 1, 1000)]
        if pg_url:
            setups.append(("PostgreSQL", pg_url, 2, 2000))
        for title, url, workers, target in setups:
            figures = {
                kind: median_of([measure(kind, url, folder, runs, workers) for _ in range(repeat)])
                for kind in args.kinds
            }
            print(f"{title}, {workers} worker(s) (target ≥ {target:,} steps/s):")
            for kind, row in figures.items():
                print(line(kind, row))
            if "ours" in figures:
                for kind in set(figures) - {"ours"}:
                    ratio = figures[kind]["steps_per_s"] / figures["ours"]["steps_per_s"]
                    print(f"  ours takes {ratio:.2f}× the time of '{kind}'")
            if args.lag_seconds <= 0:
                continue
            rate = target // len(lag_flow().steps)  # runs/s that make the target's steps/s
            lag = measure_lag(url, folder, rate, args.lag_seconds, workers)
            print(
                f"  timer lag (real clock, {lag['rate']} runs/s entering = {lag['steps_per_s']} "
                f"steps/s for {args.lag_seconds:.0f} s): p50 {lag['p50'] * 1000:.0f} ms, "
                f"p99 {lag['p99'] * 1000:.0f} ms, max {lag['max'] * 1000:.0f} ms"
            )
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
