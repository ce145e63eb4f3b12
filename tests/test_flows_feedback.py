"""Feedback events: deliveries, opens, clicks, survey answers and bounces land once each in the
analytic ``events`` table, through the collector's durable log — over a real HTTP server, a real
SMTP server (aiosmtpd) and a real DuckDB file."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zlib
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import select, update

from flows_support import write_hello_template
from flows_web_support import drain, events
from journeykit.events.collector import collector_engine, create_key
from journeykit.flows import state
from journeykit.flows.channels.email import EmailChannel, Shop, SmtpSettings
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.delivery_events import progress, record_delivery_events
from journeykit.flows.dispatch import PermanentFailure, dispatch
from journeykit.flows.engine import FlowEngine, FlowEvent
from journeykit.flows.feedback import feedback_event_id, record_feedback
from journeykit.flows.runtime import workspace_flows
from journeykit.flows.tracking import (
    CLICK,
    BadToken,
    TokenSigner,
    Tracker,
    read_token,
    workspace_signer,
)
from journeykit.web import create_app
from journeykit.workspace import Workspace, init_workspace
from smtp_server import Inbox, free_port
from smtp_server import smtp as smtp
from web_server import running

SENDER = "Leinenhaus <shop@leinenhaus.example>"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TARGET = "https://leinenhaus.example/cart?step=2"
FLOW = """\
format: 1
id: welcome-now
name: Welcome now
stage: purchase
locales: [en]
trigger: {type: event, event: signup}
steps:
  - {id: hello, type: send, channel: email, template: hello, transactional: true}
"""
HTML = (
    "<html><body><p>Hi</p>"
    '<a href="{{ track_click("' + TARGET + '") }}">cart</a>'
    '<a href="{{ survey_url(9) }}">9</a>'
    "</body></html>"
)


def _workspace(root: Path) -> Workspace:
    workspace = init_workspace(root, language="en")
    (root / "flows" / "welcome-now.yaml").write_text(FLOW, encoding="utf-8")
    write_hello_template(root / "templates")
    (root / "templates" / "hello" / "en.html.j2").write_text(HTML, encoding="utf-8")
    return workspace


def _send(workspace: Workspace, port: int, base_url: str, customers: list[str]) -> None:
    """Run the flow for ``customers`` and deliver the mails with tracking under ``base_url``."""
    db = state.flows_engine(workspace)
    try:
        engine = FlowEngine(db, workspace_flows(workspace), SimulatedClock(START))
        engine.observe(
            [
                FlowEvent(f"s-{c}", START, c, "signup", {"email": f"{c}@example.org"})
                for c in customers
            ]
        )
        engine.run_until(START)
        channel = EmailChannel(
            SmtpSettings("127.0.0.1", port, SENDER, timeout=5),
            workspace.templates_dir,
            Shop("Leinenhaus", "https://leinenhaus.example"),
            Tracker(base_url, workspace_signer(workspace)),
        )
        assert dispatch(db, {"email": channel}, engine.clock, "w1").sent == len(customers)
    finally:
        db.dispose()


def _html(message: Message) -> str:
    part = message.get_payload()[1]
    return str(part.get_payload(decode=True).decode())


def _links(message: Message) -> dict[str, str]:
    html = _html(message)
    pixel = re.search(r'<img src="([^"]+/t/o/[^"]+\.gif)"', html)
    click = re.search(r'href="([^"]+/t/c/[^"]+)"', html)
    survey = re.search(r'href="([^"]+/t/s/[^"]+)"', html)
    assert pixel and click and survey, html
    return {"open": pixel[1], "click": click[1], "survey": survey[1].replace("&amp;", "&")}


def test_feedback_is_recorded_once_per_key(tmp_path: Path) -> None:
    workspace = init_workspace(tmp_path / "ws", language="en")
    first = record_feedback(
        workspace, "email_unsubscribed", "c1", channel="email", key="k1", properties={"a": 1}
    )
    again = record_feedback(workspace, "email_unsubscribed", "c1", channel="email", key="k1")
    other = record_feedback(workspace, "email_unsubscribed", "c1", channel="email", key="k2")
    assert first == again == feedback_event_id("email_unsubscribed", "k1") != other
    assert drain(workspace) == 2
    rows = events(workspace, "email_unsubscribed")
    assert sorted(row["event_id"] for row in rows) == sorted([first, other])
    row = next(row for row in rows if row["event_id"] == first)
    assert row["user_id"] == "c1"
    assert row["properties"]["channel"] == "email"
    assert row["properties"]["a"] == 1
    assert row["properties"]["feedback_key"] == "k1"
    # recorded again after the log was flushed: the ingest pipeline still stores it once
    record_feedback(workspace, "email_unsubscribed", "c1", channel="email", key="k1")
    drain(workspace)
    assert len(events(workspace, "email_unsubscribed")) == 2


def test_open_click_survey_and_bounce_each_make_one_event_even_when_repeated(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    workspace = _workspace(tmp_path / "ws")
    key = create_key(collector_engine(workspace), "mailer")
    with running(create_app(workspace, collector=False)) as base, httpx.Client() as client:
        _send(workspace, port, base, ["c1"])
        (message,) = inbox.messages
        links = _links(message)
        for _ in range(2):
            pixel = client.get(links["open"])
            assert pixel.status_code == 200
            assert pixel.headers["content-type"] == "image/gif"
            assert "no-cache" in pixel.headers["cache-control"]
            assert pixel.content.startswith(b"GIF89a")
            clicked = client.get(links["click"], follow_redirects=False)
            assert clicked.status_code == 302
            assert clicked.headers["location"] == TARGET
            answered = client.get(links["survey"])
            assert answered.status_code == 200
            assert "9" in answered.text
            bounced = client.post(
                f"{base}/api/flows/bounces",
                json={"message_id": message["Message-ID"], "type": "hard", "reason": "550"},
                auth=(key, ""),
            )
            assert bounced.status_code == 200, bounced.text
            assert bounced.json()["customer_id"] == "c1"
        refused = client.post(f"{base}/api/flows/bounces", json={"key": "x.1.y", "type": "soft"})
        assert refused.status_code == 401
        unknown = client.post(
            f"{base}/api/flows/bounces", json={"key": "x.1.y", "type": "soft"}, auth=(key, "")
        )
        assert unknown.status_code == 404
    drain(workspace)
    message_key = message["Message-ID"].strip("<>").rpartition("@")[0]
    for name in ("email_opened", "email_clicked", "nps_answered", "email_bounced"):
        (row,) = events(workspace, name)
        assert row["user_id"] == "c1"
        assert row["properties"]["flow"] == "welcome-now"
        assert row["properties"]["step"] == "hello"
        assert row["properties"]["message_key"] == message_key
    assert events(workspace, "email_clicked")[0]["properties"]["url"] == TARGET
    assert events(workspace, "nps_answered")[0]["properties"]["score"] == 9
    assert events(workspace, "email_bounced")[0]["properties"]["bounce_type"] == "hard"


def _tampered(token: str) -> str:
    """The token with its payload's URL replaced, the signature kept."""
    payload, _, signature = token.rpartition(".")
    raw = base64_decode(payload.removeprefix("."))
    data = json.loads(zlib.decompress(raw) if payload.startswith(".") else raw)  # "." = zlib
    data["u"] = "https://evil.example/"
    forged = base64_encode(json.dumps(data, separators=(",", ":")).encode()).decode()
    return f"{forged}.{signature}"


def test_a_tampered_or_foreign_token_neither_redirects_nor_records(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    workspace = _workspace(tmp_path / "ws")
    with running(create_app(workspace, collector=False)) as base, httpx.Client() as client:
        _send(workspace, port, base, ["c1"])
        links = _links(inbox.messages[0])
        token = links["click"].rpartition("/t/c/")[2]
        open_token = links["open"].rpartition("/t/o/")[2].removesuffix(".gif")
        other = Tracker(base, workspace_signer(init_workspace(tmp_path / "other")))
        foreign = other.click_url("welcome-now.1.hello", "c1", "https://evil.example/")
        attempts = [
            f"{base}/t/c/{_tampered(token)}",
            f"{base}/t/c/{token[:-2]}xx",
            f"{base}/t/c/{open_token}",  # an open token is no click token
            foreign,
            f"{base}/t/c/not-a-token",
        ]
        for url in attempts:
            answer = client.get(url, follow_redirects=False)
            assert answer.status_code == 400, url
            assert "location" not in answer.headers
        survey = links["survey"].replace("score=9", "score=11")
        assert client.get(survey).status_code == 400
        assert client.get(f"{base}/t/o/forged.gif").status_code == 400
    drain(workspace)
    assert events(workspace, "email_clicked") == []
    assert events(workspace, "nps_answered") == []
    assert events(workspace, "email_opened") == []


URL_PATH = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789/-_?=&%", max_size=40)
TEXT = st.text(min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(key=TEXT, customer=TEXT, path=URL_PATH, position=st.integers(min_value=0), data=st.data())
def test_click_tokens_round_trip_and_any_changed_payload_is_refused(
    key: str, customer: str, path: str, position: int, data: st.DataObject
) -> None:
    serializer = URLSafeSerializer(b"s" * 32, salt="journeykit.tracking")
    tracker = Tracker("https://t.example", TokenSigner(serializer.dumps, serializer.loads))
    url = f"https://shop.example/{path}"
    token = tracker.click_url(key, customer, url).rpartition("/t/c/")[2]
    tracked = read_token(tracker.signer, token, CLICK)
    assert (tracked.key, tracked.customer_id, tracked.url) == (key, customer, url)
    payload_length = token.rindex(".")
    index = position % payload_length
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    other = data.draw(st.sampled_from([c for c in alphabet if c != token[index]]))
    changed = token[:index] + other + token[index + 1 :]
    with pytest.raises(BadToken):
        read_token(tracker.signer, changed, CLICK)


def test_each_delivery_becomes_exactly_one_message_sent_event(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    _, port = smtp
    workspace = _workspace(tmp_path / "ws")
    _send(workspace, port, "http://127.0.0.1:9", ["c1", "c2", "c3"])
    db = state.flows_engine(workspace)
    try:
        assert record_delivery_events(workspace, db) == 3
        assert record_delivery_events(workspace, db) == 0  # already turned into events
        with db.begin() as connection:  # a crash before the progress was saved
            connection.execute(update(progress).values(last_id=0))
        assert record_delivery_events(workspace, db) == 3
        with db.connect() as connection:
            deliveries = list(connection.execute(select(state.deliveries)))
    finally:
        db.dispose()
    drain(workspace)
    rows = events(workspace, "message_sent")
    assert len(rows) == len(deliveries) == 3
    assert sorted(row["user_id"] for row in rows) == ["c1", "c2", "c3"]
    assert {row["properties"]["message_key"] for row in rows} == {
        d.idempotency_key for d in deliveries
    }
    assert {row["properties"]["step"] for row in rows} == {"hello"}
    assert all(row["ts"] == START for row in rows)


def test_serve_with_worker_runs_a_flow_for_an_event_sent_to_the_collector(
    tmp_path: Path, smtp: tuple[Inbox, int]
) -> None:
    inbox, smtp_port = smtp
    root = tmp_path / "ws"
    workspace = _workspace(root)
    key = create_key(collector_engine(workspace), "site")
    port = free_port()
    environment = {**os.environ, "JOURNEYKIT_SMTP": f"127.0.0.1:{smtp_port}"}
    process = subprocess.Popen(
        [sys.executable, "-m", "journeykit", "serve", "--worker", "--port", str(port)],
        cwd=root,
        env=environment,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(lambda: _up(base))
        sent = httpx.post(
            f"{base}/v1/track",
            json={"userId": "u9", "event": "signup", "properties": {"email": "u9@example.org"}},
            auth=(key, ""),
        )
        assert sent.status_code == 200
        _wait_for(lambda: _runs(base)["done"] == 1)
        _wait_for(lambda: len(inbox.messages) == 1)
        assert inbox.messages[0]["To"] == "u9@example.org"
        assert f"{base}/t/o/" in _html(inbox.messages[0])  # tracked under the server's URL
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    # uvicorn shuts down cleanly on SIGTERM, then re-raises it: -SIGTERM is a clean end
    assert process.returncode in (0, -signal.SIGTERM), stderr
    assert "Traceback" not in stderr
    assert "flow worker" in stderr and "started: 1 flow(s), sending email" in stderr
    assert "flow worker stopped" in stderr
    (sent_event,) = events(workspace, "message_sent")  # drained by the server's shutdown
    assert sent_event["user_id"] == "u9"


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/api/flows", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _runs(base: str) -> dict[str, int]:
    answer = httpx.get(f"{base}/api/flows/welcome-now", timeout=5).json()
    return dict(answer["flow"]["runs"])


def _wait_for(condition: Any, timeout: float = 45.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


@pytest.mark.parametrize(
    ("html", "reason"),
    [
        ("<a href=\"{{ track_click('javascript:alert(1)') }}\">x</a>", "http"),
        ('<a href="{{ survey_url(11) }}">x</a>', "0–10"),
        ("<a href=\"{{ survey_url(3, 'ces') }}\">x</a>", "surveys"),
    ],
)
def test_a_bad_tracking_link_in_a_template_fails_the_message_for_good(
    tmp_path: Path, html: str, reason: str
) -> None:
    workspace = _workspace(tmp_path / "ws")
    (workspace.templates_dir / "hello" / "en.html.j2").write_text(html, encoding="utf-8")
    channel = EmailChannel(
        SmtpSettings("127.0.0.1", 9, SENDER),
        workspace.templates_dir,
        Shop("Leinenhaus", "https://leinenhaus.example"),
        Tracker("http://127.0.0.1:9", workspace_signer(workspace)),
    )
    payload = {"to": "a@example.org", "customer_id": "c1", "template": "hello", "locale": "en"}
    with pytest.raises(PermanentFailure, match=reason):
        channel.build("welcome-now.1.hello", {**payload, "context": {"event": {"email": "x"}}})
