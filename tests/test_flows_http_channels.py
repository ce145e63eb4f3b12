"""SMS, push and webhooks delivered over HTTP to a real local provider, with retries and backoff."""

from __future__ import annotations

import base64
import itertools
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from events_support import ingest
from flows_support import START, event, outbox_rows, sqlite_db
from http_provider_support import Answer, LocalProvider, message_flow, write_templates
from journeykit.errors import JourneykitError
from journeykit.flows import state
from journeykit.flows.channels.configured import http_channels
from journeykit.flows.channels.email import Shop
from journeykit.flows.channels.http_provider import retry_after
from journeykit.flows.channels.webhook import (
    WebhookVerificationError,
    new_secret,
    signed_headers,
    verify,
)
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.dispatch import Channel, dispatch
from journeykit.flows.engine import FlowEngine
from journeykit.flows.retry import RetryPolicy
from journeykit.flows.settings import FlowsSection
from journeykit.workspace import init_workspace

SECRET = "whsec_" + base64.b64encode(b"journeykit-test-signing-key!").decode()
FAST = {"first_delay": "10s", "multiplier": 2, "max_delay": "1h", "jitter": 0, "max_attempts": 3}


@pytest.fixture
def provider() -> Iterator[LocalProvider]:
    with LocalProvider() as running:
        yield running


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    write_templates(tmp_path / "templates")
    return tmp_path / "templates"


def channels(
    provider: LocalProvider, templates: Path, sms: str = "generic", push: str = "generic"
) -> dict[str, Channel]:
    """The channels ``journeykit worker`` would build, all pointing at ``provider``."""
    base = {"base_url": provider.url}
    twilio = {"provider": "twilio", "account_sid": "AC42", "sender": "+4930111", **base}
    fcm = {"provider": "fcm", "project_id": "shop-app", **base}
    flows = FlowsSection.model_validate(
        {
            "retry": FAST,
            "sms": twilio if sms == "twilio" else {"url": f"{provider.url}/sms", "sender": "Shop"},
            "push": fcm if push == "fcm" else {"url": f"{provider.url}/push"},
            "webhook": {},
        }
    )
    env = {"JOURNEYKIT_SMS_TOKEN": "sms-token", "JOURNEYKIT_PUSH_TOKEN": "push-token"}
    env["JOURNEYKIT_WEBHOOK_SECRET"] = SECRET
    return http_channels(flows, templates, Shop("Leinenhaus", "https://shop.example"), None, env)


def run_flow(db: Engine, clock: SimulatedClock, url: str) -> None:
    """One customer through SMS → 1s → webhook → push; every row written, none sent."""
    engine = FlowEngine(db, [message_flow(f"{url}/hooks")], clock)
    engine.observe(
        [event("c1", "signup", START, phone="+4917000", first_name="Ada", push_token="tok")]
    )
    engine.run_until(START + timedelta(seconds=5))


def deliveries(db: Engine) -> list[Any]:
    with db.connect() as connection:
        return list(connection.execute(select(state.deliveries).order_by(state.deliveries.c.id)))


def test_generic_sms_push_and_signed_webhook_arrive_with_their_key(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    result = dispatch(db, channels(provider, templates), clock, "w1")
    assert (result.sent, result.failed, result.retry) == (3, 0, 0)
    rows = {row.step_id: row for row in outbox_rows(db)}
    got = {r.path: r for r in provider.received}
    sms, hook, push = got["/sms"], got["/hooks"], got["/push"]
    assert sms.key == rows["text"].idempotency_key and sms.json()["key"] == sms.key
    assert sms.json() | {"key": None} == {
        "to": "+4917000",
        "text": "Hi Ada, from Leinenhaus",
        "from": "Shop",
        "key": None,
        "flow_id": "http",
        "customer_id": "c1",
    }
    assert sms.headers["authorization"] == "Bearer sms-token"
    assert push.json()["title"] == "Hello Ada" and push.json()["to"] == "tok"
    assert push.headers["authorization"] == "Bearer push-token"
    assert hook.headers["webhook-id"] == hook.key == rows["hook"].idempotency_key
    verify(SECRET, hook.headers, hook.body)  # raises when the signature is wrong
    document = hook.json()
    assert (document["customer_id"], document["data"], document["event"]["first_name"]) == (
        "c1",
        {"action": "add"},
        "Ada",
    )
    assert {d.idempotency_key: d.provider_id for d in deliveries(db)} == {
        sms.key: "p1",
        hook.key: "p2",
        push.key: "p3",
    }


def test_twilio_and_fcm_request_shapes(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    found = channels(provider, templates, sms="twilio", push="fcm")
    assert dispatch(db, found, clock, "w1").sent == 3
    got = {r.path: r for r in provider.received}
    twilio = got["/2010-04-01/Accounts/AC42/Messages.json"]
    assert twilio.headers["content-type"] == "application/x-www-form-urlencoded"
    assert twilio.body.decode() == "To=%2B4917000&From=%2B4930111&Body=Hi+Ada%2C+from+Leinenhaus"
    assert (
        twilio.headers["authorization"] == "Basic " + base64.b64encode(b"AC42:sms-token").decode()
    )
    assert twilio.key.startswith("http.") and twilio.key.endswith(".text")
    fcm = got["/v1/projects/shop-app/messages:send"]
    assert fcm.json() == {
        "message": {
            "token": "tok",
            "notification": {"title": "Hello Ada", "body": "Hi Ada, from Leinenhaus"},
            "data": {"idempotency_key": fcm.key},
        }
    }
    providers = {d.channel: d.provider_id for d in deliveries(db)}
    assert providers["sms"].startswith("SM") and providers["push"].startswith("projects/x/")


def test_server_error_then_success_is_one_delivery_after_two_attempts(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    sms = next(row for row in outbox_rows(db) if row.step_id == "text")
    provider.answer(sms.idempotency_key, Answer(500, body="database on fire"))
    found = channels(provider, templates)
    first = dispatch(db, found, clock, "w1")
    assert (first.sent, first.retry) == (2, 1)
    row = next(row for row in outbox_rows(db) if row.step_id == "text")
    assert (
        row.status == "pending" and "500" in row.last_error and "database on fire" in row.last_error
    )
    assert row.lease_until == START + timedelta(seconds=15)  # run_until left the clock at +5s
    clock.advance(timedelta(seconds=9))
    assert dispatch(db, found, clock, "w1").sent == 0  # the backoff of 10 s is not over
    clock.advance(timedelta(seconds=2))
    assert dispatch(db, found, clock, "w2").sent == 1
    row = next(row for row in outbox_rows(db) if row.step_id == "text")
    assert (row.status, row.attempts) == ("sent", 2)
    assert [r.status for r in provider.received if r.key == sms.idempotency_key] == [500, 201]
    assert sum(d.idempotency_key == sms.idempotency_key for d in deliveries(db)) == 1


def test_client_error_fails_the_row_naming_status_and_body(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    hook = next(row for row in outbox_rows(db) if row.step_id == "hook")
    provider.answer(hook.idempotency_key, Answer(400, body='{"error": "unknown audience"}'))
    result = dispatch(db, channels(provider, templates), clock, "w1")
    assert (result.sent, result.failed) == (2, 1)
    row = next(row for row in outbox_rows(db) if row.step_id == "hook")
    assert row.status == "failed"
    assert row.last_error.startswith("webhook answered 400 Bad Request")
    assert "unknown audience" in row.last_error
    clock.advance(timedelta(days=1))
    assert dispatch(db, channels(provider, templates), clock, "w1").sent == 0  # not retried


def test_max_attempts_reached_fails_with_the_last_error(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    push = next(row for row in outbox_rows(db) if row.step_id == "note")
    provider.answer(push.idempotency_key, *[Answer(503, body="maintenance")] * 5)
    found = channels(provider, templates)
    outcomes = []
    for _ in range(3):
        result = dispatch(db, found, clock, "w1")
        outcomes.append((result.retry, result.failed))
        clock.advance(timedelta(hours=1))
    assert outcomes == [(1, 0), (1, 0), (0, 1)]
    row = next(row for row in outbox_rows(db) if row.step_id == "note")
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("gave up after 3 attempts — last error: push provider ")
    assert "503" in row.last_error and "maintenance" in row.last_error
    assert sum(r.key == push.idempotency_key for r in provider.received) == 3


def test_retry_after_is_honoured(tmp_path: Path, provider: LocalProvider, templates: Path) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    sms = next(row for row in outbox_rows(db) if row.step_id == "text")
    provider.answer(sms.idempotency_key, Answer(429, {"Retry-After": "120"}, "slow down"))
    found = channels(provider, templates)
    assert dispatch(db, found, clock, "w1").retry == 1
    clock.advance(timedelta(seconds=119))
    assert dispatch(db, found, clock, "w1").sent == 0  # backoff says 10 s, the provider 120 s
    clock.advance(timedelta(seconds=2))
    assert dispatch(db, found, clock, "w1").sent == 1


def test_unreachable_provider_is_retried(tmp_path: Path, templates: Path) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    with LocalProvider() as gone:
        url = gone.url
    run_flow(db, clock, url)
    result = dispatch(db, channels(gone, templates), clock, "w1")
    assert result.retry == 3
    assert all("ConnectError" in row.last_error for row in outbox_rows(db))


def test_missing_phone_fails_naming_the_trait(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    engine = FlowEngine(db, [message_flow(f"{provider.url}/hooks")], clock)
    engine.observe([event("c2", "signup", START, first_name="Bo")])
    engine.run_until(START + timedelta(seconds=5))
    assert dispatch(db, channels(provider, templates), clock, "w1").failed == 2
    errors = {row.step_id: row.last_error for row in outbox_rows(db)}
    assert "set the profile trait 'phone'" in errors["text"]
    assert "set the profile trait 'push_token'" in errors["note"]


# --- the retry state machine against the real provider ----------------------------------------

_flow_ids = itertools.count()
STATUSES = [200, 201, 400, 404, 408, 429, 500, 503]


@pytest.fixture(scope="module")
def shared() -> Iterator[tuple[LocalProvider, Path]]:
    """One provider and template folder for every hypothesis example (each has its own store)."""
    with LocalProvider() as running, tempfile.TemporaryDirectory() as folder:
        write_templates(Path(folder))
        yield running, Path(folder)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(STATUSES), max_size=6), st.integers(1, 5))
def test_a_row_ends_as_its_answers_and_max_attempts_say(
    shared: tuple[LocalProvider, Path], answers: list[int], max_attempts: int
) -> None:
    provider, templates = shared
    # walk the scripted answers as the dispatcher will; past the script the provider says 201
    expected_status, expected_attempts = "sent", len(answers) + 1
    for attempt, status in enumerate(answers[:max_attempts], start=1):
        permanent = 400 <= status < 500 and status not in (408, 429)
        if status < 300 or permanent or attempt == max_attempts:
            expected_status = "sent" if status < 300 else "failed"
            expected_attempts = attempt
            break
    with tempfile.TemporaryDirectory() as folder:
        db, clock = sqlite_db(Path(folder)), SimulatedClock(START)
        flow = message_flow(f"{provider.url}/hooks", f"p{next(_flow_ids)}")
        engine = FlowEngine(db, [flow], clock)
        engine.observe([event("c1", "signup", START, phone="+4917000", first_name="Ada")])
        engine.run_until(START + timedelta(seconds=5))
        key = f"{flow.id}.1.text"
        provider.answer(key, *(Answer(status, body="scripted") for status in answers))
        retry = FAST | {"max_attempts": max_attempts}
        found = {
            "sms": http_channels(
                FlowsSection.model_validate(
                    {"retry": retry, "sms": {"url": f"{provider.url}/sms"}}
                ),
                templates,
                Shop("S", "https://s.example"),
                None,
                {},
            )["sms"]
        }
        for _ in range(max_attempts + 1):
            dispatch(db, found, clock, "w1")
            clock.advance(timedelta(hours=2))
        (row,) = [row for row in outbox_rows(db) if row.idempotency_key == key]
        assert (row.status, row.attempts) == (expected_status, expected_attempts)
        assert sum(d.idempotency_key == key for d in deliveries(db)) == (row.status == "sent")
        db.dispose()
    assert sum(r.key == key for r in provider.received) == expected_attempts
    provider.script.pop(key, None)


# --- webhook signatures -------------------------------------------------------------------------


def test_signature_verifies_and_tampering_fails() -> None:
    body = b'{"key": "f.1.s"}'
    headers = signed_headers(SECRET, "f.1.s", body, now=1_800_000_000)
    verify(SECRET, headers, body, now=1_800_000_100)
    upper = {name.upper(): value for name, value in headers.items()}
    verify(SECRET, upper, body, now=1_800_000_000)  # header names are case-insensitive
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify(SECRET, headers, b'{"key": "f.1.t"}', now=1_800_000_000)
    with pytest.raises(WebhookVerificationError, match="no webhook-signature matches"):
        verify(new_secret(), headers, body, now=1_800_000_000)
    with pytest.raises(WebhookVerificationError, match="outside the tolerance"):
        verify(SECRET, headers, body, now=1_800_000_301)
    with pytest.raises(WebhookVerificationError, match="missing"):
        verify(SECRET, {"webhook-id": "x"}, body)


def test_signature_is_hmac_sha256_over_id_timestamp_body() -> None:
    import hashlib
    import hmac

    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    headers = signed_headers(SECRET, "msg_1", b"{}", now=1_700_000_000)
    digest = hmac.new(key, b"msg_1.1700000000.{}", hashlib.sha256).digest()
    assert headers == {
        "webhook-id": "msg_1",
        "webhook-timestamp": "1700000000",
        "webhook-signature": "v1," + base64.b64encode(digest).decode(),
    }


def test_missing_webhook_secret_is_retried_naming_the_variable(
    tmp_path: Path, provider: LocalProvider, templates: Path
) -> None:
    db, clock = sqlite_db(tmp_path), SimulatedClock(START)
    run_flow(db, clock, provider.url)
    flows = FlowsSection.model_validate({"webhook": {"secret_env": "ADS_SECRET"}})
    found = http_channels(flows, templates, Shop("S", "https://s.example"), None, {})
    assert dispatch(db, found, clock, "w1").retry == 1
    (row,) = [row for row in outbox_rows(db) if row.step_id == "hook"]
    assert "$ADS_SECRET is not set" in row.last_error and provider.received == []


# --- settings -----------------------------------------------------------------------------------


def test_settings_name_what_is_missing() -> None:
    with pytest.raises(ValueError, match="twilio needs account_sid and sender"):
        FlowsSection.model_validate({"sms": {"provider": "twilio"}})
    with pytest.raises(ValueError, match="generic SMS provider needs url"):
        FlowsSection.model_validate({"sms": {}})
    with pytest.raises(ValueError, match="extra"):
        FlowsSection.model_validate({"webhook": {"secret": "whsec_x"}})
    twilio = FlowsSection.model_validate(
        {"sms": {"provider": "twilio", "account_sid": "AC1", "sender": "+1"}}
    )
    with pytest.raises(JourneykitError, match=r"\$JOURNEYKIT_SMS_TOKEN is empty"):
        http_channels(twilio, Path("."), Shop("S", ""), None, {})


# --- the backoff schedule -----------------------------------------------------------------------


policies = st.builds(
    RetryPolicy,
    max_attempts=st.integers(1, 20),
    first_delay=st.integers(1, 600).map(lambda s: timedelta(seconds=s)),
    multiplier=st.floats(1, 10),
    max_delay=st.integers(600, 86400).map(lambda s: timedelta(seconds=s)),
    jitter=st.floats(0, 0.99),
)


@given(policies, st.integers(1, 200), st.integers(0, 2**32))
def test_backoff_grows_stays_capped_and_jitters_downwards(
    policy: RetryPolicy, attempt: int, seed: int
) -> None:
    import random

    nominal = policy.nominal(attempt)
    assert policy.first_delay <= nominal <= policy.max_delay
    assert policy.nominal(attempt + 1) >= nominal
    wait = policy.delay(attempt, rng=random.Random(seed))
    assert nominal * (1 - policy.jitter) - timedelta(milliseconds=1) <= wait <= nominal


@given(policies, st.integers(1, 50), st.floats(0, 200_000))
def test_retry_after_is_a_lower_bound_up_to_a_day(
    policy: RetryPolicy, attempt: int, seconds: float
) -> None:
    wait = policy.delay(attempt, retry_after=seconds)
    assert wait >= min(timedelta(seconds=seconds), timedelta(days=1)) - timedelta(microseconds=1)
    assert wait <= max(policy.nominal(attempt), timedelta(days=1))


def test_default_schedule() -> None:
    policy = RetryPolicy()
    minutes = [policy.nominal(n).total_seconds() / 60 for n in range(1, 8)]
    assert minutes == [0.5, 1.5, 4.5, 13.5, 40.5, 121.5, 360]
    assert policy.max_attempts == 8 and policy.gives_up(8) and not policy.gives_up(7)


def test_retry_after_header_forms() -> None:
    now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    assert retry_after("30") == 30.0
    assert retry_after("Mon, 02 Mar 2026 09:01:30 GMT", now) == 90.0
    assert retry_after("Mon, 02 Mar 2026 08:00:00 GMT", now) == 0.0
    assert retry_after("soon") is None and retry_after(None) is None


# --- journeykit worker --------------------------------------------------------------------------

WELCOME = """\
format: 1
id: welcome-sms
name: Welcome SMS
stage: purchase
locales: [en]
trigger: {type: event, event: signup}
steps:
  - {id: hello, type: send, channel: sms, template: hello, transactional: true}
  - {id: tell-crm, type: webhook, url: "URL/crm", secret_env: CRM_SECRET}
"""


def test_worker_sends_sms_and_webhook_from_the_toml_sections(
    tmp_path: Path, provider: LocalProvider
) -> None:
    root = tmp_path / "ws"
    workspace = init_workspace(root, language="en")
    (root / "flows" / "welcome-sms.yaml").write_text(WELCOME.replace("URL", provider.url))
    write_templates(root / "templates")
    toml = root / "journeykit.toml"
    toml.write_text(
        toml.read_text() + f'\n[flows.sms]\nurl = "{provider.url}/sms"\n\n[flows.webhook]\n'
    )
    now = datetime.now(UTC).isoformat()
    props = {"phone": "+4917111", "first_name": "Cy"}
    log = root / "signup.jsonl"
    log.write_text(json.dumps({"ts": now, "user_id": "u9", "name": "signup", "properties": props}))
    ingest(workspace, log)
    env = {"CRM_SECRET": SECRET, "JOURNEYKIT_SMS_TOKEN": "t0k", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "journeykit", "worker", "--interval", "0.2"],
        cwd=root,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(provider.accepted()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr
    got = {r.path: r for r in provider.accepted()}
    assert got["/sms"].json()["text"] == "Hi Cy, from ws"
    assert got["/sms"].headers["authorization"] == "Bearer t0k"
    verify(SECRET, got["/crm"].headers, got["/crm"].body)
    assert got["/crm"].key.startswith("welcome-sms.") and got["/crm"].key.endswith(".tell-crm")


# --- the docs -----------------------------------------------------------------------------------


def test_docs_settings_parse_and_the_stdlib_receiver_accepts_our_signature() -> None:
    import re
    import tomllib

    text = (Path(__file__).parents[1] / "docs" / "flows.md").read_text(encoding="utf-8")
    section = text[text.index("## SMS, push and webhooks") : text.index("## Lift and status")]
    blocks = re.findall(r"^```(\w*).*?\n(.*?)^```$", section, flags=re.DOTALL | re.MULTILINE)
    (toml,) = [body for kind, body in blocks if kind == "toml"]
    flows = FlowsSection.model_validate(tomllib.loads(toml)["flows"])
    assert flows.retry == RetryPolicy() and flows.webhook is not None
    assert flows.sms is not None and flows.sms.provider == "generic"
    receiver: dict[str, Any] = {}
    exec([body for kind, body in blocks if kind == "python"][-1], receiver)
    body = b'{"key": "f.1.s"}'
    headers = signed_headers(SECRET, "f.1.s", body)
    assert receiver["valid"](SECRET, headers, body)
    assert not receiver["valid"](SECRET, headers, body + b" ")
