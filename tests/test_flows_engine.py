"""The flow engine end to end on a small event log with a simulated clock (SQLite, PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from flows_support import (
    DAY,
    HOUR,
    START,
    cart_flow,
    customers,
    event,
    fresh_postgres,
    outbox_rows,
    run_rows,
    sqlite_db,
)
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.engine import FlowEngine, next_local_time
from journeykit.flows.model import Flow

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sqlite_db(tmp_path)
    else:
        engine = fresh_postgres(request.getfixturevalue("postgres_url"), tmp_path)
    yield engine
    engine.dispose()


def make_engine(db: Engine, flow: Flow) -> FlowEngine:
    clock = SimulatedClock(START - HOUR)
    return FlowEngine(db, [flow], clock, zone=BERLIN)  # default [flows]: quiet 21-08, caps


def play(engine: FlowEngine, events: list, until: datetime) -> None:  # type: ignore[type-arg]
    """Feed events at their time, firing the timers due in between, then run to ``until``."""
    for item in sorted(events, key=lambda e: e.ts):
        engine.run_until(item.ts)
        engine.observe([item])
    engine.run_until(until)


def test_cart_without_order_gets_both_emails_at_the_right_times(db: Engine) -> None:
    engine = make_engine(db, cart_flow())
    play(engine, [event("c1", "checkout_started", START, email="a@example.org")], START + 5 * DAY)
    sent = outbox_rows(db)
    assert [(row.step_id, row.created_at) for row in sent] == [
        ("reminder", START + HOUR),  # 1h after the cart
        # the click wait times out Tuesday 10:00 UTC (11:00 Berlin): next 10:00 Berlin is Wed 09:00
        ("last-call", datetime(2026, 3, 4, 9, 0, tzinfo=UTC)),
    ]
    assert json.loads(sent[0].payload)["to"] == "a@example.org"
    assert [row.idempotency_key for row in sent] == [
        f"abandoned-cart.{sent[0].run_id}.reminder",
        f"abandoned-cart.{sent[0].run_id}.last-call",
    ]
    (run,) = run_rows(db)
    assert (run.status, run.run_group, run.converted_at) == ("done", "treated", None)


def test_cart_followed_by_order_converts_without_email(db: Engine) -> None:
    engine = make_engine(db, cart_flow())
    events = [
        event("c1", "checkout_started", START),
        event("c1", "order_completed", START + timedelta(minutes=30)),
    ]
    play(engine, events, START + 5 * DAY)
    assert outbox_rows(db) == []
    (run,) = run_rows(db)
    assert run.status == "converted"
    assert run.converted_at == START + timedelta(minutes=30)


def test_order_after_the_first_email_stops_the_second(db: Engine) -> None:
    engine = make_engine(db, cart_flow())
    events = [
        event("c1", "checkout_started", START),
        event("c1", "order_completed", START + 5 * HOUR),
    ]
    play(engine, events, START + 5 * DAY)
    assert [row.step_id for row in outbox_rows(db)] == ["reminder"]
    assert run_rows(db)[0].status == "converted"


def test_click_takes_the_event_branch_and_exits(db: Engine) -> None:
    engine = make_engine(db, cart_flow())
    events = [
        event("c1", "checkout_started", START),
        event("c1", "email_clicked", START + 2 * HOUR),
    ]
    play(engine, events, START + 5 * DAY)
    assert [row.step_id for row in outbox_rows(db)] == ["reminder"]
    assert run_rows(db)[0].status == "exited"


def test_holdout_records_entry_and_conversion_but_sends_nothing(db: Engine) -> None:
    flow = cart_flow(holdout=50)
    held = customers(flow.id, 50, held=True, count=3)
    treated = customers(flow.id, 50, held=False, count=3)
    engine = make_engine(db, flow)
    events = [event(c, "checkout_started", START) for c in held + treated]
    events.append(event(held[0], "order_completed", START + DAY))
    play(engine, events, START + 5 * DAY)
    runs = {row.customer_id: row for row in run_rows(db)}
    assert {c for c, r in runs.items() if r.run_group == "holdout"} == set(held)
    sent_to = {json.loads(row.payload)["customer_id"] for row in outbox_rows(db)}
    assert sent_to == set(treated)
    assert runs[held[0]].converted_at == START + DAY
    assert all(runs[c].status == "done" for c in held[1:])  # closed after the goal window


def test_reentry_cooldown_keeps_a_second_cart_out_for_seven_days(db: Engine) -> None:
    engine = make_engine(db, cart_flow())
    events = [
        event("c1", "checkout_started", START),
        event("c1", "checkout_started", START + 4 * DAY),  # run ended, but within the cooldown
        event("c1", "checkout_started", START + 8 * DAY),
    ]
    play(engine, events, START + 12 * DAY)
    assert [row.entered_at for row in run_rows(db)] == [START, START + 8 * DAY]


def test_same_event_twice_enters_once(db: Engine) -> None:
    engine = make_engine(db, cart_flow())
    once = event("c1", "checkout_started", START)
    engine.run_until(START)
    assert engine.observe([once]) == 1
    assert engine.observe([once]) == 0
    assert len(run_rows(db)) == 1


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        # a normal day: 10:00 Berlin is 09:00 UTC in winter
        (datetime(2026, 3, 2, 8, 0, tzinfo=UTC), datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        # across the spring change (Sunday 29 March 2026): 10:00 CEST is 08:00 UTC
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 8, 0, tzinfo=UTC)),
        # across the autumn change (Sunday 25 October 2026): 10:00 CET is 09:00 UTC
        (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 25, 9, 0, tzinfo=UTC)),
    ],
)
def test_wait_until_local_time_is_right_across_dst(after: datetime, expected: datetime) -> None:
    assert next_local_time(after, time(10, 0), BERLIN) == expected


def test_simulate_cli_counts_entries_conversions_and_messages(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from events_support import ingest
    from journeykit.cli import app
    from journeykit.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws", language="en")
    runner = CliRunner()
    where = ["--workspace", str(workspace.root)]
    made = runner.invoke(app, [*where, "flows", "new", "Cart", "--scenario", "abandoned-cart"])
    assert made.exit_code == 0, made.output
    rows = [
        {"ts": "2026-03-02T09:00:00Z", "user_id": "u1", "name": "checkout_started"},
        {"ts": "2026-03-02T09:00:00Z", "user_id": "u2", "name": "checkout_started"},
        {"ts": "2026-03-02T09:30:00Z", "user_id": "u2", "name": "order_completed"},
        {"ts": "2026-03-20T09:00:00Z", "user_id": "u3", "name": "checkout_started"},
    ]
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    ingest(workspace, log)
    args = [*where, "flows", "simulate", "--since", "2026-03-01", "--until", "2026-03-10"]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["events"] == 3  # u3's cart is after --until
    (cart,) = report["flows"]
    entered = cart["treated"]["entered"] + cart["holdout"]["entered"]
    converted = cart["treated"]["converted"] + cart["holdout"]["converted"]
    assert (entered, converted) == (2, 1)
    treated_open = cart["treated"]["entered"] - cart["treated"]["converted"]
    assert cart["messages"] == [
        {"step": "reminder", "sent": treated_open, "skipped": 0},
        {"step": "last-call", "sent": treated_open, "skipped": 0},
    ]


def test_condition_history_counts_agree_in_memory_and_in_the_analytic_store(
    tmp_path: Path,
) -> None:
    from events_support import ingest
    from journeykit.flows.engine import MemoryHistory
    from journeykit.flows.feed import AnalyticHistory, read_events
    from journeykit.flows.model import HistoryCondition
    from journeykit.workspace import init_workspace

    workspace = init_workspace(tmp_path / "ws", language="en")
    rows = [
        {"ts": f"2026-03-0{day}T10:00:00Z", "user_id": "u1", "name": "order_completed"}
        | ({"properties": {"total": 80}} if day % 2 else {})
        for day in range(1, 8)
    ]
    rows.append({"ts": "2026-03-03T10:00:00Z", "user_id": "u2", "name": "order_completed"})
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    ingest(workspace, log)
    memory = MemoryHistory()
    for item in read_events(workspace):
        memory.add(item)
    stored = AnalyticHistory(workspace)
    until = datetime(2026, 3, 6, 12, tzinfo=UTC)
    big = {"property": "total", "op": "gte", "value": 50}
    cases = [
        (HistoryCondition(event="order_completed"), None, 6),
        (HistoryCondition(event="order_completed"), until - 2 * DAY, 2),
        (HistoryCondition.model_validate({"event": "order_completed", "where": [big]}), None, 3),
        (HistoryCondition(event="checkout_started"), None, 0),
    ]
    for condition, since, expected in cases:
        assert memory.count("u1", condition, since, until) == expected
        assert stored.count("u1", condition, since, until) == expected


def branching_flow() -> Flow:
    """Every other step type: profile update, condition on traits and history, split, holdout
    step, webhook, and a send that quiet hours postpone."""
    return Flow.model_validate(
        {
            "id": "branching",
            "name": "Branching",
            "stage": "retention",
            "locales": ["en"],
            "trigger": {
                "type": "event",
                "event": "signup",
                "where": [{"property": "plan", "op": "in", "value": ["pro", "team"]}],
            },
            "steps": [
                {"id": "mark", "type": "update_profile", "set": {"tier": "gold"}},
                {
                    "id": "is-gold",
                    "type": "condition",
                    "traits": [{"property": "tier", "value": "gold"}],
                    "events": [{"event": "order_completed", "min_count": 0, "max_count": 0}],
                    "else": "exit",
                },
                {
                    "id": "ab",
                    "type": "split",
                    "variants": [{"id": "a", "next": "hold"}, {"id": "b", "next": "hook"}],
                },
                {"id": "hold", "type": "holdout", "percent": 50},
                {"id": "hook", "type": "webhook", "url": "https://hooks.example/x"},
                {"id": "mail", "type": "send", "channel": "email", "template": "hi"},
            ],
        }
    )


def test_every_step_type_and_quiet_hours(db: Engine) -> None:
    flow = branching_flow()
    engine = make_engine(db, flow)
    late = datetime(2026, 3, 2, 22, 30, tzinfo=UTC)  # 23:30 in Berlin: quiet
    people = [f"p{i}" for i in range(40)]
    events = [event(p, "signup", late, plan="pro") for p in people]
    events.append(event("free", "signup", late, plan="free"))  # the trigger's where excludes it
    events.append(event("buyer", "order_completed", late - DAY))
    events.append(event("buyer", "signup", late, plan="team"))  # history says no: exit
    play(engine, events, late + 2 * DAY)
    runs = {row.customer_id: row for row in run_rows(db)}
    assert "free" not in runs
    assert runs["buyer"].status == "exited"
    sent = outbox_rows(db)
    hooks = {row.run_id for row in sent if row.channel == "webhook"}
    mails = [row for row in sent if row.channel == "email"]
    for person in people:
        run = runs[person]
        choice = json.loads(run.assignments)
        took_hook = run.id in hooks
        assert took_hook == (choice["ab"] == "b" or choice.get("hold") == "treated")
        assert run.status == ("exited" if choice.get("hold") == "holdout" else "done")
    assert {json.loads(r.assignments)["ab"] for r in runs.values() if r.customer_id != "buyer"} == {
        "a",
        "b",
    }
    assert len(mails) == len(hooks) > 0
    # 23:30 Berlin is in quiet hours (21:00-08:00): the mails wait for 08:00 Berlin (07:00 UTC)
    assert {row.created_at for row in mails} == {datetime(2026, 3, 3, 7, 0, tzinfo=UTC)}


def one_mail_flow(flow_id: str, on_cap: str = "postpone") -> Flow:
    return Flow.model_validate(
        {
            "id": flow_id,
            "name": flow_id,
            "stage": "retention",
            "locales": ["en"],
            "trigger": {"type": "event", "event": "signup"},
            "on_cap": on_cap,
            "steps": [{"id": "mail", "type": "send", "channel": "email", "template": "hi"}],
        }
    )


@pytest.mark.parametrize("on_cap", ["postpone", "skip"])
def test_email_cap_of_one_a_day_postpones_or_skips_and_records_why(db: Engine, on_cap: str) -> None:
    flows = [one_mail_flow("first"), one_mail_flow("second", on_cap)]
    engine = FlowEngine(db, flows, SimulatedClock(START - HOUR), zone=BERLIN)
    play(engine, [event("c1", "signup", START)], START + 3 * DAY)
    rows = {row.idempotency_key.split(".")[0]: row for row in outbox_rows(db)}
    assert rows["first"].status == "pending" and rows["first"].created_at == START
    second = rows["second"]
    runs = {row.flow_id: row for row in run_rows(db)}
    (decision,) = json.loads(runs["second"].context)["decisions"]
    assert "cap of 1 email per day reached" in decision["reason"]
    if on_cap == "postpone":
        # the next local day in Berlin starts at 23:00 UTC, inside quiet hours: 08:00 Berlin
        assert (second.status, second.created_at) == (
            "pending",
            datetime(2026, 3, 3, 7, 0, tzinfo=UTC),
        )
        assert decision["action"] == "postpone"
    else:
        assert second.status == "skipped"
        assert "skipped" in second.last_error
        assert decision["action"] == "skip"
