"""The consent ledger, double opt-in and the signed one-click unsubscribe (RFC 8058), with a real
SMTP server (aiosmtpd), a real uvicorn server and the workspace's own stores."""

from __future__ import annotations

import itertools
import json
import re
import time
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode
from sqlalchemy import Engine, func, select
from typer.testing import CliRunner

from flows_support import fresh_postgres, sqlite_db, write_hello_template
from flows_web_support import drain, events
from journeykit.cli import app as cli
from journeykit.errors import JourneykitError
from journeykit.flows import consent, state
from journeykit.flows.channels.email import EmailChannel, Shop, SmtpSettings
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.dispatch import dispatch
from journeykit.flows.engine import FlowEngine, FlowEvent
from journeykit.flows.runtime import workspace_flows
from journeykit.flows.signing import workspace_secret
from journeykit.flows.unsubscribe import (
    UnsubscribeLinks,
    consent_db,
    read_unsubscribe,
    unsubscribe_token,
)
from journeykit.web import create_app
from journeykit.workspace import Workspace, init_workspace
from smtp_server import Inbox
from smtp_server import smtp as smtp
from web_server import running

SENDER = "Leinenhaus <shop@leinenhaus.example>"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NEWS = """\
format: 1
id: news
name: News
stage: retention
locales: [en]
trigger: {type: event, event: signup}
reentry: {policy: always}
caps:
  - {channel: email, period: day, limit: 10}
  - {channel: email, period: week, limit: 10}
steps:
  - {id: hello, type: send, channel: email, template: hello, topic: newsletter}
"""
_events = itertools.count()


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    workspace = init_workspace(tmp_path / "ws", language="en")
    (workspace.root / "flows" / "news.yaml").write_text(NEWS, encoding="utf-8")
    write_hello_template(workspace.templates_dir)
    (workspace.templates_dir / "hello" / "en.html.j2").write_text(
        '<p>Hi</p><a href="{{ unsubscribe_url }}">unsubscribe</a>', encoding="utf-8"
    )
    return workspace


def _send(workspace: Workspace, port: int, base_url: str, customer: str) -> dict[str, int]:
    """Run the news flow for ``customer`` and dispatch with consent required."""
    db = state.flows_engine(workspace)
    try:
        engine = FlowEngine(db, workspace_flows(workspace), SimulatedClock(START))
        signup = {"email": f"{customer}@example.org"}
        engine.observe([FlowEvent(f"s{next(_events)}", START, customer, "signup", signup)])
        engine.run_until(START)
        channel = EmailChannel(
            SmtpSettings("127.0.0.1", port, SENDER, timeout=5),
            workspace.templates_dir,
            Shop("Leinenhaus", "https://leinenhaus.example"),
            unsubscribe=UnsubscribeLinks(base_url, workspace),
        )
        result = dispatch(db, {"email": channel}, engine.clock, "w1", require_consent=True)
        return {"sent": result.sent, "skipped": result.skipped}
    finally:
        db.dispose()


def _ledger(workspace: Workspace, customer: str) -> list[consent.ConsentEntry]:
    db = consent_db(workspace)
    try:
        with db.connect() as connection:
            return consent.history(connection, customer)
    finally:
        db.dispose()


def _grant(workspace: Workspace, customer: str, topic: str = "newsletter") -> None:
    db = consent_db(workspace)
    try:
        with db.begin() as connection:
            consent.record(
                connection,
                customer,
                "email",
                consent.ConsentState.GRANTED,
                topic=topic,
                source="form",
            )
    finally:
        db.dispose()


def _outbox(workspace: Workspace) -> list[Any]:
    db = state.flows_engine(workspace)
    try:
        with db.connect() as connection:
            return list(connection.execute(select(state.outbox).order_by(state.outbox.c.id)))
    finally:
        db.dispose()


@pytest.fixture(scope="module")
def ledger_db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    workspace = init_workspace(tmp_path_factory.mktemp("ledger") / "ws", language="en")
    db = consent_db(workspace)
    yield db
    db.dispose()


_customers = itertools.count()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.sampled_from(["granted", "withdrawn", "pending"]), min_size=1, max_size=12))
def test_the_ledger_only_grows_and_the_current_state_is_the_last_change(
    ledger_db: Engine, changes: list[str]
) -> None:
    customer = f"p{next(_customers)}"
    with ledger_db.connect() as connection:
        before = connection.execute(select(func.count()).select_from(consent.ledger)).scalar_one()
    for change in changes:
        with ledger_db.begin() as connection:
            consent.record(
                connection, customer, "email", consent.ConsentState(change), source="api"
            )
            consent.record(  # another topic never touches this one's state
                connection,
                customer,
                "email",
                consent.ConsentState.GRANTED,
                topic="other",
                source="api",
            )
    with ledger_db.connect() as connection:
        after = connection.execute(select(func.count()).select_from(consent.ledger)).scalar_one()
        entry = consent.current(connection, customer, "email")
        allowed, _ = consent.may_send(connection, customer, "email")
        history = consent.history(connection, customer)
    assert after - before == 2 * len(changes)
    assert entry is not None and entry.state.value == changes[-1]
    assert allowed is (changes[-1] == "granted")
    assert [e.state.value for e in history if e.topic == "marketing"] == changes


def test_a_pending_double_opt_in_never_sends_until_confirmed(
    workspace: Workspace, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    db = consent_db(workspace)
    with db.begin() as connection:
        token = consent.request_opt_in(
            workspace, connection, "c1", topic="newsletter", source="form", text_version="v3"
        )
    db.dispose()
    with running(create_app(workspace, collector=False)) as base, httpx.Client() as client:
        assert _send(workspace, port, base, "c1") == {"sent": 0, "skipped": 1}
        assert inbox.messages == []
        (row,) = _outbox(workspace)
        assert row.status == "skipped"
        assert "pending" in row.last_error
        forged = client.get(f"{base}/consent/confirm/{token[:-2]}xx")
        assert forged.status_code == 400
        assert "not valid" in forged.text
        assert [e.state.value for e in _ledger(workspace, "c1")] == ["pending"]
        confirmed = client.get(f"{base}/consent/confirm/{token}")
        assert confirmed.status_code == 200
        assert "confirmed" in confirmed.text.lower()
        entries = _ledger(workspace, "c1")
        assert [e.state.value for e in entries] == ["pending", "granted"]
        assert entries[-1].text_version == "v3" and entries[-1].topic == "newsletter"
        assert _send(workspace, port, base, "c1") == {"sent": 1, "skipped": 0}
    assert len(inbox.messages) == 1
    drain(workspace)
    (event,) = events(workspace, "email_opt_in_confirmed")
    assert event["user_id"] == "c1"
    assert event["properties"]["topic"] == "newsletter"


def test_one_click_unsubscribe_withdraws_and_the_next_send_is_suppressed(
    workspace: Workspace, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    _grant(workspace, "c1")
    with running(create_app(workspace, collector=False)) as base, httpx.Client() as client:
        assert _send(workspace, port, base, "c1") == {"sent": 1, "skipped": 0}
        (message,) = inbox.messages
        header = re.sub(r"\s+", " ", message["List-Unsubscribe"])  # unfolded
        found = re.fullmatch(
            r"<(http://[^>]+/u/[^>]+)>, <mailto:shop@leinenhaus\.example\?[^>]+>", header
        )
        assert found, header
        link = found[1]
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        html = message.get_payload()[1].get_payload(decode=True).decode()
        assert f'href="{link}"' in html  # the template's unsubscribe_url is the same signed link
        for _ in range(2):  # GET (a link scanner, a preview) changes nothing
            asked = client.get(link)
            assert asked.status_code == 200
            assert 'method="post"' in asked.text and "newsletter" in asked.text
        assert [e.state.value for e in _ledger(workspace, "c1")] == ["granted"]
        done = client.post(
            link,
            content=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert done.status_code == 200
        assert "unsubscribed" in done.text
        entries = _ledger(workspace, "c1")
        assert [(e.state.value, e.source) for e in entries][-1] == ("withdrawn", "unsubscribe link")
        assert _send(workspace, port, base, "c1") == {"sent": 0, "skipped": 1}
    assert len(inbox.messages) == 1
    last = _outbox(workspace)[-1]
    assert last.status == "skipped"
    assert "withdrawn" in last.last_error
    drain(workspace)
    (event,) = events(workspace, "email_unsubscribed")
    assert event["user_id"] == "c1"
    assert event["properties"]["topic"] == "newsletter"
    assert event["properties"]["flow"] == "news"


def _forged(token: str) -> str:
    """The token with another customer in its payload, timestamp and signature kept."""
    compressed = token.startswith(".")  # itsdangerous marks a zlib payload with a leading "."
    payload, _, rest = token.removeprefix(".").partition(".")
    raw = base64_decode(payload)
    data = json.loads(zlib.decompress(raw) if compressed else raw)
    data["c"] = "someone-else"
    return base64_encode(json.dumps(data, separators=(",", ":")).encode()).decode() + "." + rest


def test_tampered_and_foreign_unsubscribe_links_answer_400_and_change_nothing(
    workspace: Workspace, tmp_path: Path
) -> None:
    _grant(workspace, "c1")
    token = unsubscribe_token(workspace, "c1", "newsletter", "news.1.hello")
    assert read_unsubscribe(workspace, token).customer_id == "c1"
    foreign = unsubscribe_token(
        init_workspace(tmp_path / "other", language="en"), "c1", "newsletter"
    )
    bad = [_forged(token), token[:-3], foreign, "not-a-token"]
    with running(create_app(workspace, collector=False)) as base, httpx.Client() as client:
        for candidate in bad:
            for method in ("GET", "POST"):
                answer = client.request(method, f"{base}/u/{candidate}")
                assert answer.status_code == 400, (method, candidate)
                assert "not valid" in answer.text
        german = client.post(f"{base}/u/{bad[0]}?lang=de")
        assert "ungültig" in german.text
    assert [e.state.value for e in _ledger(workspace, "c1")] == ["granted"]
    assert _ledger(workspace, "someone-else") == []


class _EightDaysAgo(TimestampSigner):
    """Signs as if it were eight days ago: a genuine, old confirmation link."""

    def get_timestamp(self) -> int:
        return int(time.time()) - 8 * 86400


def test_an_expired_or_forged_opt_in_link_answers_400_and_grants_nothing(
    workspace: Workspace,
) -> None:
    secret = workspace_secret(workspace)
    payload = {"c": "c1", "t": "newsletter", "v": "v1"}
    salt = f"journeykit.{consent.OPT_IN_PURPOSE}"
    old = URLSafeTimedSerializer(secret, salt=salt, signer=_EightDaysAgo).dumps(payload)
    fresh = URLSafeTimedSerializer(secret, salt=f"journeykit.{consent.OPT_IN_PURPOSE}").dumps(
        payload
    )
    db = consent_db(workspace)
    with db.connect() as connection, pytest.raises(consent.ExpiredConsentLink):
        consent.confirm_opt_in(workspace, connection, old)
    db.dispose()
    wrong_purpose = unsubscribe_token(workspace, "c1", "newsletter")
    with running(create_app(workspace, collector=False)) as base, httpx.Client() as client:
        expired = client.get(f"{base}/consent/confirm/{old}")
        assert expired.status_code == 400
        assert "expired" in expired.text
        for bad in (_forged(fresh), wrong_purpose):
            refused = client.get(f"{base}/consent/confirm/{bad}")
            assert refused.status_code == 400
            assert "not valid" in refused.text
        assert _ledger(workspace, "c1") == []
        assert client.get(f"{base}/consent/confirm/{fresh}").status_code == 200
    assert [e.state.value for e in _ledger(workspace, "c1")] == ["granted"]


def test_transactional_mail_has_no_one_click_header(workspace: Workspace) -> None:
    channel = EmailChannel(
        SmtpSettings("127.0.0.1", 25, SENDER),
        workspace.templates_dir,
        Shop("Leinenhaus", "https://leinenhaus.example"),
        unsubscribe=UnsubscribeLinks("https://shop.example", workspace),
    )
    payload = {
        "to": "a@example.org",
        "template": "hello",
        "locale": "en",
        "customer_id": "c1",
        "context": {"event": {"email": "a@example.org"}},
    }
    marketing = channel.build("news.1.hello", {**payload, "topic": "newsletter"})
    assert marketing["List-Unsubscribe"].startswith("<https://shop.example/u/")
    receipt = channel.build("news.1.hello", {**payload, "transactional": True})
    assert receipt["List-Unsubscribe-Post"] is None
    assert receipt["List-Unsubscribe"] == "<mailto:shop@leinenhaus.example?subject=unsubscribe>"


def test_consent_cli_appends_and_shows(workspace: Workspace) -> None:
    runner, root = CliRunner(), str(workspace.root)
    granted = runner.invoke(
        cli, ["-w", root, "consent", "grant", "c7", "--topic", "newsletter", "--text-version", "v2"]
    )
    assert granted.exit_code == 0, granted.output
    withdrawn = runner.invoke(cli, ["-w", root, "consent", "withdraw", "c7", "--source", "import"])
    assert withdrawn.exit_code == 0, withdrawn.output
    link = runner.invoke(
        cli, ["-w", root, "consent", "opt-in", "c7", "--public-url", "https://shop.example"]
    )
    assert link.stdout.startswith("https://shop.example/consent/confirm/")
    shown = json.loads(runner.invoke(cli, ["-w", root, "consent", "show", "c7", "--json"]).stdout)
    assert [(e["topic"], e["state"], e["source"]) for e in shown["history"]] == [
        ("newsletter", "granted", "cli"),
        ("marketing", "withdrawn", "import"),
        ("marketing", "pending", "cli"),
    ]
    current = {e["topic"]: e["state"] for e in shown["current"]}
    assert current == {"newsletter": "granted", "marketing": "pending"}
    assert shown["history"][0]["text_version"] == "v2"
    bad = runner.invoke(cli, ["-w", root, "consent", "grant", "c7", "--basis", "whim"])
    assert bad.exit_code == 2
    empty = runner.invoke(cli, ["-w", root, "consent", "show", "nobody"])
    assert "journeykit consent grant nobody" in empty.stdout


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sqlite_db(tmp_path)
    else:
        engine = fresh_postgres(request.getfixturevalue("postgres_url"), tmp_path)
    yield engine
    engine.dispose()


def test_ledger_on_each_backend_keeps_order_time_and_the_trait_fallback(backend: Engine) -> None:
    at = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    with backend.begin() as connection:
        for minutes, change in enumerate(["pending", "granted", "withdrawn"]):
            consent.record(
                connection,
                "c1",
                "email",
                consent.ConsentState(change),
                legal_basis=consent.LegalBasis.CONSENT,
                source="form",
                text_version="v1",
                at=at + timedelta(minutes=minutes),
            )
    with backend.connect() as connection:
        history = consent.history(connection, "c1")
        refused = consent.may_send(connection, "c1", "email", {"consent_email": True})
        by_trait = consent.may_send(connection, "c2", "email", {"consent_email": True})
        nothing = consent.may_send(connection, "c2", "sms", {})
    assert [e.state.value for e in history] == ["pending", "granted", "withdrawn"]
    assert history[0].recorded_at == at and history[0].recorded_at.tzinfo is not None
    assert refused[0] is False and "withdrawn" in refused[1]  # the ledger beats the trait
    assert by_trait[0] is True
    assert nothing[0] is False
    assert "journeykit consent grant c2 --channel sms --topic marketing" in nothing[1]


def test_consent_import_checks_every_row_first_and_appends_all_or_nothing(
    workspace: Workspace,
) -> None:
    runner, root = CliRunner(), str(workspace.root)
    bad = workspace.root / "bad.csv"
    bad.write_text(
        "customer_id,state,channel,recorded_at\nc1,granted,email,\n,maybe,fax,yesterday\n",
        encoding="utf-8",
    )
    refused = runner.invoke(cli, ["-w", root, "consent", "import", str(bad)])
    assert refused.exit_code == 1
    assert isinstance(refused.exception, JourneykitError)
    fields = {(p.line, p.field) for p in refused.exception.problems}
    assert fields == {(3, "customer_id"), (3, "state"), (3, "channel"), (3, "recorded_at")}
    assert _ledger(workspace, "c1") == []  # nothing of a file with problems
    good = workspace.root / "good.csv"
    good.write_text(
        "customer_id,state,topic,legal_basis,text_version,recorded_at\n"
        "c1,granted,newsletter,consent,v4,2026-03-01T09:30:00+01:00\n"
        "c2,withdrawn,,,,\n",
        encoding="utf-8",
    )
    done = runner.invoke(cli, ["-w", root, "consent", "import", str(good)])
    assert done.exit_code == 0, done.output
    (first,) = _ledger(workspace, "c1")
    assert (first.topic, first.state.value, first.source, first.text_version) == (
        "newsletter",
        "granted",
        "import",
        "v4",
    )
    assert first.recorded_at == datetime(2026, 3, 1, 8, 30, tzinfo=UTC)
    (second,) = _ledger(workspace, "c2")
    assert (second.topic, second.state.value) == ("marketing", "withdrawn")
