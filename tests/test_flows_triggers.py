"""Segment and date triggers with a simulated clock: entering a segment, birthdays in local time
(across DST and on 29 February), re-entry, and the problems of a wrong trigger."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine

from flows_support import DAY, HOUR, START, event, fresh_postgres, outbox_rows, run_rows, sqlite_db
from journeykit.flows import state
from journeykit.flows.audience import anniversary, date_occurrences
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.engine import FlowEngine
from journeykit.flows.model import DateTrigger, Flow, SegmentTrigger
from journeykit.flows.validate import FlowInvalid, validate_flow_text

BERLIN = ZoneInfo("Europe/Berlin")
MINUTE = timedelta(minutes=1)


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        engine = sqlite_db(tmp_path)
    else:
        engine = fresh_postgres(request.getfixturevalue("postgres_url"), tmp_path)
    yield engine
    engine.dispose()


def flow(trigger: dict[str, Any], policy: str = "always", **reentry: Any) -> Flow:
    """A one-step flow (a webhook: one outbox row per run, the run ends at once)."""
    return Flow.model_validate(
        {
            "id": "triggered",
            "name": "Triggered",
            "stage": "retention",
            "locales": ["en"],
            "trigger": trigger,
            "reentry": {"policy": policy, **reentry},
            "steps": [{"id": "hook", "type": "webhook", "url": "https://example.org/hook"}],
        }
    )


def set_traits(db: Engine, customer: str, at: datetime, **traits: Any) -> None:
    with db.begin() as connection:
        state.save_traits(connection, customer, traits, at)


def engine_for(db: Engine, the_flow: Flow, start: datetime) -> FlowEngine:
    return FlowEngine(db, [the_flow], SimulatedClock(start), zone=BERLIN)


def tick_until(engine: FlowEngine, until: datetime, step: timedelta = 5 * MINUTE) -> None:
    """Move the clock in worker ticks of ``step``, firing due timers and checking triggers."""
    now = engine.clock.now()
    while now < until:
        now = min(now + step, until)
        engine.run_until(now)


# --- segments -----------------------------------------------------------------------------------

BROWSERS = {  # viewed at least 3 products in 7 days and bought nothing in those 7 days
    "type": "segment",
    "every": "15m",
    "segment": {
        "events": [
            {"event": "product_viewed", "min_count": 3, "within": "7d"},
            {"event": "order_completed", "min_count": 0, "max_count": 0, "within": "7d"},
        ]
    },
}


def test_entering_a_behaviour_segment_starts_one_run(db: Engine) -> None:
    engine = engine_for(db, flow(BROWSERS), START)
    engine.run_until(START)  # the first check: nobody is in yet
    views = [
        event("c1", "product_viewed", START + at) for at in (HOUR, 2 * HOUR, 3 * HOUR + 5 * MINUTE)
    ]
    views += [event("c2", "product_viewed", START + HOUR)]  # one view: not in the segment
    engine.observe(views)
    tick_until(engine, START + 3 * HOUR + 10 * MINUTE)
    assert run_rows(db) == []  # the third view came after the 3:00 check; the next is at 3:15
    tick_until(engine, START + 4 * HOUR)
    runs = run_rows(db)
    assert [(row.customer_id, row.entered_at) for row in runs] == [
        ("c1", START + 3 * HOUR + 15 * MINUTE)
    ]
    tick_until(engine, START + 2 * DAY, HOUR)  # still in the segment: no second run
    assert len(run_rows(db)) == 1 and len(outbox_rows(db)) == 1
    assert runs[0].trigger_event_id.startswith("segment:c1:")


@pytest.mark.parametrize(("policy", "extra", "runs"), [("always", {}, 2), ("never", {}, 1)])
def test_leaving_and_re_entering_starts_again_only_if_re_entry_allows(
    db: Engine, policy: str, extra: dict[str, Any], runs: int
) -> None:
    gold = {
        "type": "segment",
        "every": "1h",
        "segment": {"traits": [{"property": "tier", "value": "gold"}]},
    }
    engine = engine_for(db, flow(gold, policy, **extra), START)
    engine.run_until(START)
    set_traits(db, "c1", START, tier="gold")
    tick_until(engine, START + 2 * HOUR)
    assert len(run_rows(db)) == 1
    set_traits(db, "c1", START + 3 * HOUR, tier="silver")  # leaves
    tick_until(engine, START + 5 * HOUR)
    assert len(run_rows(db)) == 1
    set_traits(db, "c1", START + 6 * HOUR, tier="gold")  # comes back
    tick_until(engine, START + 9 * HOUR)
    assert len(run_rows(db)) == runs


def test_customers_already_in_the_segment_at_the_first_check_do_not_enter(db: Engine) -> None:
    gold = {"type": "segment", "segment": {"traits": [{"property": "tier", "value": "gold"}]}}
    set_traits(db, "old", START, tier="gold")
    engine = engine_for(db, flow(gold), START)
    tick_until(engine, START + DAY, HOUR)
    assert run_rows(db) == []
    set_traits(db, "new", START + DAY, tier="gold")
    tick_until(engine, START + 2 * DAY, HOUR)
    assert [row.customer_id for row in run_rows(db)] == ["new"]


def test_two_workers_checking_the_same_segment_enter_a_customer_once(db: Engine) -> None:
    gold = {
        "type": "segment",
        "every": "1h",
        "segment": {"traits": [{"property": "tier", "value": "gold"}]},
    }
    first, second = engine_for(db, flow(gold), START), engine_for(db, flow(gold), START)
    first.check_triggers()
    set_traits(db, "c1", START, tier="gold")
    for worker in (first, second):
        assert isinstance(worker.clock, SimulatedClock)
        worker.clock.advance_to(START + HOUR)
    assert first.check_triggers() + second.check_triggers() == 1
    assert len(run_rows(db)) == 1


# --- dates --------------------------------------------------------------------------------------


def birthday_flow(**extra: Any) -> Flow:
    return flow({"type": "date", "property": "birthday", "at": "09:00", "every": "1h", **extra})


@pytest.mark.parametrize(
    ("birthday", "day", "expected_utc"),
    [
        ("1990-05-10", date(2027, 5, 10), datetime(2027, 5, 10, 7, 0, tzinfo=UTC)),  # CEST
        ("1990-01-15", date(2027, 1, 15), datetime(2027, 1, 15, 8, 0, tzinfo=UTC)),  # CET
        ("1985-03-28", date(2027, 3, 28), datetime(2027, 3, 28, 7, 0, tzinfo=UTC)),  # spring fwd
        ("1985-10-31", date(2027, 10, 31), datetime(2027, 10, 31, 8, 0, tzinfo=UTC)),  # fall back
        ("2000-02-29", date(2027, 2, 28), datetime(2027, 2, 28, 8, 0, tzinfo=UTC)),  # no 29 Feb
        ("2000-02-29", date(2028, 2, 29), datetime(2028, 2, 29, 8, 0, tzinfo=UTC)),  # leap year
    ],
)
def test_birthday_fires_at_nine_berlin_time_on_the_day(
    tmp_path: Path, birthday: str, day: date, expected_utc: datetime
) -> None:
    db = sqlite_db(tmp_path)
    start = datetime.combine(day - timedelta(days=2), datetime.min.time(), UTC)
    set_traits(db, "c1", start, birthday=birthday, timezone="Europe/Berlin")
    engine = engine_for(db, birthday_flow(), start)
    tick_until(engine, start + 4 * DAY, HOUR)
    runs = run_rows(db)
    assert [(row.entered_at, row.trigger_event_id) for row in runs] == [
        (expected_utc, f"date:c1:{day.year}")
    ]
    assert expected_utc.astimezone(BERLIN).strftime("%H:%M") == "09:00"
    assert [row.created_at for row in outbox_rows(db)] == [expected_utc]  # hourly checks hit it


def test_birthday_once_a_year_in_the_customers_zone_and_days_before(tmp_path: Path) -> None:
    db = sqlite_db(tmp_path)
    start = datetime(2026, 12, 30, tzinfo=UTC)
    set_traits(db, "ber", start, birthday="1990-01-10", timezone="Europe/Berlin")
    set_traits(db, "nyc", start, birthday="1990-01-10", timezone="America/New_York")
    set_traits(db, "bad", start, birthday="not a date")
    the_flow = birthday_flow(offset_days=-3, every="1d")
    engine = engine_for(db, the_flow, start)
    tick_until(engine, datetime(2029, 1, 1, tzinfo=UTC), DAY)
    entered = sorted((row.customer_id, row.entered_at) for row in run_rows(db))
    assert entered == [
        ("ber", datetime(2027, 1, 7, 8, 0, tzinfo=UTC)),
        ("ber", datetime(2028, 1, 7, 8, 0, tzinfo=UTC)),
        ("nyc", datetime(2027, 1, 7, 14, 0, tzinfo=UTC)),
        ("nyc", datetime(2028, 1, 7, 14, 0, tzinfo=UTC)),
    ]
    again = engine_for(db, the_flow, datetime(2029, 1, 1, tzinfo=UTC))  # a second worker
    with db.begin() as connection:  # ... that finds the check window reopened a year back
        connection.execute(
            state.trigger_checks.update().values(checked_at=datetime(2027, 1, 1, tzinfo=UTC))
        )
    again.check_triggers()
    assert len(run_rows(db)) == 4  # once per year and customer


def test_a_date_trigger_that_is_not_yearly_fires_once(tmp_path: Path) -> None:
    db = sqlite_db(tmp_path)
    start = datetime(2027, 1, 1, tzinfo=UTC)
    set_traits(db, "c1", start, last_order_date="2026-11-20")
    the_flow = flow(
        {
            "type": "date",
            "property": "last_order_date",
            "offset_days": 45,
            "yearly": False,
            "at": "10:00",
            "every": "1d",
        }
    )
    engine = engine_for(db, the_flow, start)
    tick_until(engine, start + 400 * DAY, DAY)
    assert [row.entered_at for row in run_rows(db)] == [datetime(2027, 1, 4, 9, 0, tzinfo=UTC)]


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)), st.integers(1901, 2200))
def test_an_anniversary_is_the_same_day_or_28_february(original: date, year: int) -> None:
    day = anniversary(original, year)
    assert day.year == year
    if (original.month, original.day) == (2, 29) and day.day != 29:
        assert (day.month, day.day) == (2, 28)
    else:
        assert (day.month, day.day) == (original.month, original.day)


@given(
    st.integers(-365, 365),
    st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)),
)
def test_a_yearly_date_occurs_exactly_once_in_any_year_long_window(
    offset: int, after: datetime
) -> None:
    trigger = DateTrigger.model_validate({"type": "date", "property": "d", "offset_days": offset})
    start = after.replace(tzinfo=UTC)
    found = list(date_occurrences(trigger, "c", "1960-07-14", BERLIN, start, start + 365 * DAY))
    assert len(found) == 1


# --- invalid triggers ---------------------------------------------------------------------------

HEAD = "format: 1\nid: f\nname: F\nstage: retention\nlocales: [en]\n"
TAIL = "steps:\n  - {id: s, type: wait, duration: 1h}\n"


@pytest.mark.parametrize(
    ("trigger", "field", "words"),
    [
        ("trigger:\n  type: date\n", "trigger.property", "missing"),
        (
            "trigger:\n  type: segment\n  segment: {}\n",
            "trigger.segment",
            "needs 'traits' or 'events'",
        ),
        (
            "trigger:\n  type: segment\n  every: 10s\n"
            "  segment:\n    traits: [{property: t, value: x}]\n",
            "trigger.every",
            "at most every minute",
        ),
        (
            "trigger:\n  type: date\n  property: birthday\n  at: '25:00'\n",
            "trigger.at",
            "not a time of day",
        ),
        (
            "trigger:\n  type: segment\n"
            "  segment:\n    events: [{event: v, min_count: 3, max_count: 1}]\n",
            "trigger.segment.events[0]",
            "below min_count",
        ),
        ("trigger:\n  type: birthday\n", "trigger", "'birthday' is not a trigger type"),
        (
            "trigger:\n  type: date\n  property: birthday\n  offset_days: 400\n",
            "trigger.offset_days",
            "more than a year from the date",
        ),
        (
            "trigger:\n  type: date\n  property: birthday\n  yearly: maybe\n",
            "trigger.yearly",
            "'maybe' is not true or false",
        ),
    ],
)
def test_a_wrong_trigger_is_named_with_its_field(trigger: str, field: str, words: str) -> None:
    with pytest.raises(FlowInvalid) as raised:
        validate_flow_text(HEAD + trigger + TAIL, "f.yaml")
    problems = raised.value.problems
    assert any(p.field == field and words in p.message for p in problems), [
        (p.field, p.message) for p in problems
    ]


def test_the_trigger_examples_in_the_docs_are_valid() -> None:
    text = (Path(__file__).parents[1] / "docs" / "flows.md").read_text(encoding="utf-8")
    segment, birthday = re.findall(r"^```yml\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)
    trigger = flow(yaml.safe_load(segment)["trigger"]).trigger
    assert isinstance(trigger, SegmentTrigger) and trigger.every == timedelta(minutes=15)
    assert [(e.event, e.min_count, e.max_count, e.within) for e in trigger.segment.events] == [
        ("product_viewed", 3, None, 7 * DAY),
        ("order_completed", 0, 0, 7 * DAY),
    ]
    checked = validate_flow_text(birthday, "docs/flows.md").flow
    assert isinstance(checked.trigger, DateTrigger) and checked.trigger.property == "birthday"
