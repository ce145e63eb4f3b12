"""Outbox rows delivered as email to a real SMTP server (aiosmtpd), exactly one key per send."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from events_support import ingest
from flows_support import (
    DAY,
    START,
    cart_flow,
    event,
    kill_flow,
    outbox_rows,
    sqlite_db,
    write_hello_template,
)
from journeykit.flows import state
from journeykit.flows.channels.email import EmailChannel, Shop, SmtpSettings
from journeykit.flows.clock import SimulatedClock, SystemClock
from journeykit.flows.dispatch import dispatch
from journeykit.flows.engine import FlowEngine
from journeykit.flows.scenarios import template_files
from journeykit.workspace import init_workspace
from smtp_server import Inbox, free_port
from smtp_server import smtp as smtp

JK = [sys.executable, "-m", "journeykit"]
SENDER = "Leinenhaus <shop@leinenhaus.example>"


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    for template in ("cart-reminder", "cart-last-call"):
        for name, text in template_files(template, "en").items():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def channel(templates: Path, port: int) -> EmailChannel:
    settings = SmtpSettings("127.0.0.1", port, SENDER, timeout=5)
    return EmailChannel(settings, templates, Shop("Leinenhaus", "https://leinenhaus.example"))


def run_cart(db: Engine, clock: SimulatedClock, **properties: Any) -> None:
    engine = FlowEngine(db, [cart_flow()], clock)
    engine.run_until(START)
    with db.begin() as connection:
        state.save_traits(connection, "c1", {"first_name": "Anna"}, START)
    engine.observe([event("c1", "checkout_started", START, **properties)])
    engine.run_until(START + 5 * DAY)


def test_both_cart_emails_arrive_multipart_with_key_as_message_id(
    tmp_path: Path, smtp: tuple[Inbox, int], templates: Path
) -> None:
    inbox, port = smtp
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_cart(db, clock, email="anna@example.org")
    result = dispatch(db, {"email": channel(templates, port)}, clock, "w1")
    assert (result.sent, result.failed, result.retry) == (2, 0, 0)
    keys = [row.idempotency_key for row in outbox_rows(db)]
    assert [m["Message-ID"] for m in inbox.messages] == [f"<{k}@leinenhaus.example>" for k in keys]
    first = inbox.messages[0]
    assert first["To"] == "anna@example.org"
    assert first["Subject"] == "Anna, your cart is waiting"
    assert first.is_multipart()
    kinds = [part.get_content_type() for part in first.walk() if not part.is_multipart()]
    assert kinds == ["text/plain", "text/html"]
    assert "Leinenhaus" in first.get_payload()[1].get_payload(decode=True).decode()
    assert first["List-Unsubscribe"] == "<mailto:shop@leinenhaus.example?subject=unsubscribe>"
    with db.connect() as connection:
        delivered = list(connection.execute(select(state.deliveries)))
    assert sorted(row.idempotency_key for row in delivered) == sorted(keys)
    again = dispatch(db, {"email": channel(templates, port)}, clock, "w2")
    assert again.sent == 0 and len(inbox.messages) == 2  # sent rows are not sent again


def test_server_down_leaves_rows_pending_until_it_is_back(
    tmp_path: Path, smtp: tuple[Inbox, int], templates: Path
) -> None:
    inbox, port = smtp
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_cart(db, clock, email="anna@example.org")
    down = dispatch(db, {"email": channel(templates, free_port())}, clock, "w1")
    assert (down.sent, down.retry) == (0, 2)
    assert {row.status for row in outbox_rows(db)} == {"pending"}
    assert dispatch(db, {"email": channel(templates, port)}, clock, "w2").sent == 0  # leased
    clock.advance(timedelta(minutes=6))
    assert dispatch(db, {"email": channel(templates, port)}, clock, "w2").sent == 2
    assert len(inbox.messages) == 2
    assert [row.attempts for row in outbox_rows(db)] == [2, 2]


def test_missing_address_fails_the_row_with_the_reason(
    tmp_path: Path, smtp: tuple[Inbox, int], templates: Path
) -> None:
    inbox, port = smtp
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_cart(db, clock)  # no email anywhere
    assert dispatch(db, {"email": channel(templates, port)}, clock, "w1").failed == 2
    rows = outbox_rows(db)
    assert {row.status for row in rows} == {"failed"}
    assert "set the profile trait 'email'" in rows[0].last_error
    assert inbox.messages == []


def test_template_error_names_the_template(
    tmp_path: Path, smtp: tuple[Inbox, int], templates: Path
) -> None:
    _, port = smtp
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_cart(db, clock, email="anna@example.org")
    with db.begin() as connection:
        state.save_traits(connection, "c1", {}, START)  # first_name gone before delivery
    broken = channel(templates, port)
    row = outbox_rows(db)[0]
    with pytest.raises(Exception, match=r"template .cart-reminder.*first_name"):
        broken.build(row.idempotency_key, {**state.load_json(row.payload), "context": {}})


WELCOME = """\
format: 1
id: welcome-now
name: Welcome now
stage: purchase
locales: [en]
trigger: {type: event, event: signup}
steps:
  - {id: hello, type: send, channel: email, template: hello, transactional: true}
"""


def test_worker_sends_due_mail_and_stops_on_sigterm(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    root = tmp_path / "ws"
    workspace = init_workspace(root, language="en")
    (root / "flows" / "welcome-now.yaml").write_text(WELCOME, encoding="utf-8")
    write_hello_template(root / "templates")
    now = datetime.now(UTC).isoformat()
    log = root / "signup.jsonl"
    props = {"email": "ben@example.org"}
    log.write_text(json.dumps({"ts": now, "user_id": "u9", "name": "signup", "properties": props}))
    ingest(workspace, log)
    process = subprocess.Popen(
        [*JK, "worker", "--interval", "0.2", "--smtp", f"127.0.0.1:{port}", "--from", SENDER],
        cwd=root,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    assert "worker stopped" in stderr
    (message,) = inbox.messages
    assert message["To"] == "ben@example.org"
    assert message["Message-ID"].startswith("<welcome-now.")
    assert message["Subject"] == "Hello from ws"


def test_sigkill_at_random_points_loses_no_mail_and_repeats_only_the_same_key(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    db = sqlite_db(tmp_path)
    url = f"sqlite:///{tmp_path / 'ops.sqlite'}"
    templates = tmp_path / "templates"
    write_hello_template(templates)
    people = 20
    feeder = FlowEngine(db, [kill_flow()], SystemClock())
    feeder.observe(
        event(f"k{i}", "signup", datetime.now(UTC), email=f"k{i}@example.org")
        for i in range(people)
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent)}
    command = [sys.executable, str(Path(__file__).parent / "flows_kill_worker.py")]
    command += [url, str(port), str(templates)]
    rng, kills = random.Random(20261126), 0
    deadline = time.monotonic() + 40
    while not _all_sent(db, 2 * people) and time.monotonic() < deadline:
        process = subprocess.Popen(command, env=env)
        time.sleep(rng.uniform(0.4, 1.6))  # start-up is ~0.5 s: some die before any work
        process.kill()  # SIGKILL: no clean-up, mid-transaction or mid-SMTP
        process.wait()
        kills += 1
        if kills >= 12:
            break
    process = subprocess.Popen(command, env=env)  # a last worker that is left to finish
    try:
        while not _all_sent(db, 2 * people) and time.monotonic() < deadline + 20:
            time.sleep(0.2)
    finally:
        process.kill()
        process.wait()
    rows = outbox_rows(db)
    keys = {row.idempotency_key for row in rows}
    assert len(rows) == len(keys) == 2 * people  # one key per (run, step), none lost
    assert len({(row.run_id, row.step_id) for row in rows}) == 2 * people
    received = Counter(str(m["Message-ID"]) for m in inbox.messages)
    assert set(received) == {f"<{key}@kill.example>" for key in keys}  # every due mail arrived
    repeats = sum(count - 1 for count in received.values())
    assert repeats <= kills  # a repeat needs a kill between the server's accept and our commit
    print(f"SIGKILL test: {kills} kills, {repeats} repeated Message-ID(s)")  # shown with -s


def _all_sent(db: Engine, expected: int) -> bool:
    rows = outbox_rows(db)
    return len(rows) == expected and all(row.status == "sent" for row in rows)
