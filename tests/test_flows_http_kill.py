"""SIGKILL a worker at random points while it delivers SMS, webhooks and push to a real local
HTTP provider (which also fails some requests with 503): every due message arrives, each
(run, step) has one key, and a key repeats only across a kill that fell between the provider's
accept and our commit."""

from __future__ import annotations

import base64
import itertools
import os
import random
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, select

from flows_kill_http_worker import FLOW
from flows_support import event, outbox_rows, sqlite_db
from http_provider_support import LocalProvider, Received, message_flow, write_templates
from journeykit.flows import state
from journeykit.flows.channels.webhook import verify
from journeykit.flows.clock import SystemClock
from journeykit.flows.engine import FlowEngine

SECRET = "whsec_" + base64.b64encode(b"kill-test-signing-key").decode()
PATHS = {"sms": "/sms", "webhook": "/hooks", "push": "/push"}
SLACK = 0.5  # s: a request sent just before a kill may be answered just after it


def test_sigkill_at_random_points_loses_nothing_and_repeats_only_across_kills(
    tmp_path: Path,
) -> None:
    with LocalProvider(fail_rate=0.15, seed=7, accept_delay=0.1) as provider:
        db = sqlite_db(tmp_path)
        people, kills = 15, _kill_repeatedly(tmp_path, db, provider)
        rows = outbox_rows(db)
        received = provider.received
    keys = {row.idempotency_key: row for row in rows}
    assert len(rows) == len(keys) == 3 * people  # SMS, webhook, push per run; none lost
    assert len({(row.run_id, row.step_id) for row in rows}) == 3 * people  # one key each
    assert all(row.status == "sent" for row in rows), [r.last_error for r in rows]
    accepted = [r for r in received if r.accepted]
    assert {r.key for r in accepted} == set(keys)  # every due message arrived, no other key
    for request in accepted:
        row = keys[request.key]
        assert request.key == f"{FLOW}.{row.run_id}.{row.step_id}"
        assert request.path == PATHS[row.channel]
        assert request.json()["key"] == request.key
        if row.channel == "webhook":
            verify(SECRET, request.headers, request.body, tolerance=600)
    with db.connect() as connection:
        delivered = Counter(r.idempotency_key for r in connection.execute(select(state.deliveries)))
    assert set(delivered.values()) == {1}  # one delivery recorded per row
    repeats = _repeats_explained_by_kills(accepted, kills)
    retried = sum(not r.accepted for r in received)
    print(
        f"HTTP SIGKILL test: {len(kills)} kills, {len(accepted)} accepted requests for "
        f"{len(keys)} keys, {repeats} repeated key(s), {retried} answered 503 and retried"
    )


def _kill_repeatedly(tmp_path: Path, db: Engine, provider: LocalProvider) -> list[float]:
    """Feed 15 signups, kill 10 workers at random moments, then let one finish; the kill times.

    Each worker is killed 0–0.8 s after it is ready (its imports take 1–3 s on a busy machine),
    so the kills fall into real work; the provider's ``accept_delay`` of 0.1 s per message makes
    the accept-to-commit window wide enough that some kills land in it."""
    templates = tmp_path / "templates"
    write_templates(templates)
    flow = message_flow(f"{provider.url}/hooks", FLOW)
    now = datetime.now(UTC)
    FlowEngine(db, [flow], SystemClock()).observe(
        event(
            f"k{i}", "signup", now, phone=f"+49170{i:04d}", first_name=f"K{i}", push_token=f"t{i}"
        )
        for i in range(15)
    )
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(__file__).parent),
        "JOURNEYKIT_WEBHOOK_SECRET": SECRET,
    }
    command = [sys.executable, str(Path(__file__).parent / "flows_kill_http_worker.py")]
    command += [f"sqlite:///{tmp_path / 'ops.sqlite'}", provider.url, str(templates)]
    rng, kills = random.Random(20261126), list[float]()
    deadline = time.monotonic() + 90  # generous: CI shares two cores
    while not _all_sent(db, 45) and len(kills) < 10 and time.monotonic() < deadline:
        with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as process:
            assert process.stdout is not None and process.stdout.readline() == "ready\n"
            time.sleep(rng.uniform(0.0, 0.8))  # a random point in its work
            process.kill()  # SIGKILL: no clean-up, mid-transaction or mid-request
            kills.append(time.monotonic())
    # a last worker that is left to finish
    last = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    try:
        while not _all_sent(db, 45) and time.monotonic() < deadline + 90:
            time.sleep(0.2)
    finally:
        last.kill()
        last.wait()
    return kills


def _repeats_explained_by_kills(accepted: list[Received], kills: list[float]) -> int:
    """How many accepts repeat a key; each must have a kill between it and the accept before."""
    times: dict[str, list[float]] = defaultdict(list)
    for request in accepted:
        times[request.key].append(request.at)
    repeats = 0
    for key, seen in times.items():
        for before, after in itertools.pairwise(seen):
            assert any(before - SLACK < kill < after for kill in kills), key
            repeats += 1
    assert repeats <= len(kills)
    return repeats


def _all_sent(db: Engine, expected: int) -> bool:
    rows = outbox_rows(db)
    return len(rows) == expected and all(row.status == "sent" for row in rows)
