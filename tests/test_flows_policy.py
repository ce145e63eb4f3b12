"""Quiet hours and frequency caps in the recipient's zone and calendar, across DST changes."""

from __future__ import annotations

import heapq
from collections import Counter
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journeykit.flows.assignment import choose_variant, in_holdout, unit_interval
from journeykit.flows.caps import (
    Action,
    check_caps,
    local_midnight,
    period_start,
    plan_send,
    sent_in_period,
)
from journeykit.flows.model import Cap, MessageChannel, OnCap, Period, QuietHours
from journeykit.flows.quiet_hours import is_quiet, next_allowed, wall_time

BERLIN = ZoneInfo("Europe/Berlin")
ZONES = [BERLIN, ZoneInfo("America/New_York"), ZoneInfo("Australia/Lord_Howe"), ZoneInfo("UTC")]
EMAIL = MessageChannel.EMAIL
NIGHT = QuietHours(start=time(21), end=time(8))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)  # type: ignore[misc]


def berlin(*parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=BERLIN, fold=fold)  # type: ignore[misc]


# --- quiet hours: the last Sundays of March and October 2026 in Berlin ---------------------


@pytest.mark.parametrize(
    ("quiet", "due", "expected"),
    [
        # spring forward, 2026-03-29 02:00 CET → 03:00 CEST
        (NIGHT, berlin(2026, 3, 29, 1, 30), berlin(2026, 3, 29, 8, 0)),
        (NIGHT, berlin(2026, 3, 28, 22, 0), utc(2026, 3, 29, 6, 0)),
        # the end time 02:30 does not exist that night: quiet hours end when the clock jumps
        (
            QuietHours(start=time(22), end=time(2, 30)),
            berlin(2026, 3, 28, 23, 0),
            utc(2026, 3, 29, 1, 0),
        ),
        # fall back, 2026-10-25 03:00 CEST → 02:00 CET: the night is an hour longer
        (NIGHT, berlin(2026, 10, 24, 22, 0), utc(2026, 10, 25, 7, 0)),
        # 02:30 happens twice: the first one ends quiet hours ...
        (
            QuietHours(start=time(1), end=time(2, 30)),
            berlin(2026, 10, 25, 1, 30),
            utc(2026, 10, 25, 0, 30),
        ),
        # ... and in the repeated hour, the second one does
        (
            QuietHours(start=time(1), end=time(2, 30)),
            berlin(2026, 10, 25, 2, 10, fold=1),
            utc(2026, 10, 25, 1, 30),
        ),
        # quiet 02:30-03:00: at 03:00 CEST the clock shows 02:00 CET, outside again
        (
            QuietHours(start=time(2, 30), end=time(3)),
            berlin(2026, 10, 25, 2, 45),
            utc(2026, 10, 25, 1, 0),
        ),
        # outside quiet hours: due stays due
        (NIGHT, berlin(2026, 10, 25, 12, 0), utc(2026, 10, 25, 11, 0)),
    ],
)
def test_quiet_hours_across_dst(quiet: QuietHours, due: datetime, expected: datetime) -> None:
    assert next_allowed(due, quiet, BERLIN) == expected


def test_disabled_quiet_hours_never_postpone() -> None:
    off = QuietHours(enabled=False)
    assert next_allowed(berlin(2026, 3, 29, 23, 0), off, BERLIN) == berlin(2026, 3, 29, 23, 0)


def test_naive_due_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed(datetime(2026, 1, 1), NIGHT, BERLIN)


times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
dues = st.datetimes(
    min_value=datetime(2026, 3, 26), max_value=datetime(2026, 11, 2), timezones=st.just(UTC)
).map(lambda d: d.replace(second=0, microsecond=0))


@settings(max_examples=150, deadline=None)
@given(dues, times, times, st.sampled_from(ZONES))
def test_next_allowed_is_outside_not_early_and_minimal(
    due: datetime, start: time, end: time, zone: ZoneInfo
) -> None:
    if start == end:
        return
    quiet = QuietHours(start=start, end=end)
    result = next_allowed(due, quiet, zone)
    assert result >= due
    assert not is_quiet(wall_time(result, zone), quiet)
    # minimal: no whole minute between due and the result is outside quiet hours
    probe = due
    while probe < result:
        assert is_quiet(wall_time(probe, zone), quiet), probe
        probe += timedelta(minutes=1)


# --- caps: counted in the local calendar -------------------------------------------------


def test_a_day_is_the_recipients_day() -> None:
    sent = [utc(2026, 3, 10, 23, 30)]  # 00:30 on 11 March in Berlin, 10 March in UTC
    caps = [Cap(channel=EMAIL, period=Period.DAY, limit=1)]
    decision = check_caps(utc(2026, 3, 11, 10), EMAIL, sent, caps, BERLIN)
    assert decision.action is Action.POSTPONE
    assert decision.at == berlin(2026, 3, 12, 0, 0)
    assert "cap of 1 email per day reached (from 2026-03-11)" in decision.reason
    other = check_caps(utc(2026, 3, 11, 10), MessageChannel.SMS, sent, caps, BERLIN)
    assert other.action is Action.SEND


def test_weeks_start_on_monday_and_span_the_dst_change() -> None:
    sent = [berlin(2026, 3, 23, 9), berlin(2026, 3, 28, 9)]  # Monday and Saturday
    caps = [Cap(channel=EMAIL, period=Period.WEEK, limit=2)]
    decision = check_caps(berlin(2026, 3, 29, 9), EMAIL, sent, caps, BERLIN)  # Sunday, CEST
    assert decision.at == berlin(2026, 3, 30, 0, 0) == utc(2026, 3, 29, 22, 0)


def test_postponed_until_every_cap_has_room() -> None:
    sent = [berlin(2026, 10, 1, 9), berlin(2026, 10, 20, 9), berlin(2026, 10, 30, 9)]
    caps = [
        Cap(channel=EMAIL, period=Period.DAY, limit=1),
        Cap(channel=EMAIL, period=Period.MONTH, limit=3),
    ]
    decision = check_caps(berlin(2026, 10, 30, 12), EMAIL, sent, caps, BERLIN)
    assert decision.at == berlin(2026, 11, 1, 0, 0)  # next day is still October: next month


def test_skip_and_zero_limits_record_why() -> None:
    sent = [berlin(2026, 5, 4, 9)]
    caps = [Cap(channel=EMAIL, period=Period.DAY, limit=1)]
    skipped = check_caps(berlin(2026, 5, 4, 10), EMAIL, sent, caps, BERLIN, OnCap.SKIP)
    assert (skipped.action, skipped.at) == (Action.SKIP, None)
    assert skipped.reason.endswith("skipped (on_cap: skip)")
    closed = check_caps(
        berlin(2026, 5, 4, 10), EMAIL, [], [Cap(channel=EMAIL, period=Period.WEEK, limit=0)], BERLIN
    )
    assert closed.action is Action.SKIP


def test_local_midnight_in_a_zone_that_skips_it() -> None:
    # Santiago moved clocks forward at 00:00 on 2026-09-06: the day starts at 01:00
    santiago = ZoneInfo("America/Santiago")
    start = local_midnight(datetime(2026, 9, 6).date(), santiago)
    assert start.astimezone(santiago).date().isoformat() == "2026-09-06"
    assert start.astimezone(santiago).hour in (0, 1)
    assert start - timedelta(seconds=1) < start
    assert (start - timedelta(seconds=1)).astimezone(santiago).date().isoformat() == "2026-09-05"


caps_strategy = st.lists(
    st.builds(
        Cap,
        channel=st.just(EMAIL),
        period=st.sampled_from(list(Period)),
        limit=st.integers(1, 4),
    ),
    min_size=1,
    max_size=3,
)
due_lists = st.lists(
    st.datetimes(
        min_value=datetime(2026, 3, 20), max_value=datetime(2026, 4, 10), timezones=st.just(UTC)
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=100, deadline=None)
@given(due_lists, caps_strategy, st.sampled_from(ZONES))
def test_caps_are_never_exceeded_and_postponement_is_minimal(
    dues: list[datetime], caps: list[Cap], zone: ZoneInfo
) -> None:
    sent: list[datetime] = []
    pending = list(dues)
    heapq.heapify(pending)
    while pending:
        due = heapq.heappop(pending)
        decision = check_caps(due, EMAIL, sent, caps, zone)
        assert decision.action is not Action.SKIP
        assert decision.at is not None and decision.at >= due
        if decision.action is Action.POSTPONE:
            before = decision.at - timedelta(seconds=1)
            assert before < due or any(
                sent_in_period(sent, before, cap.period, zone) >= cap.limit for cap in caps
            )
        sent.append(decision.at)
    for cap in caps:
        per_period = Counter(period_start(s.astimezone(zone).date(), cap.period) for s in sent)
        assert max(per_period.values()) <= cap.limit


@settings(max_examples=100, deadline=None)
@given(due_lists, caps_strategy, times, times)
def test_plan_send_respects_quiet_hours_and_caps_together(
    dues: list[datetime], caps: list[Cap], start: time, end: time
) -> None:
    if start == end:
        return
    quiet = QuietHours(start=start, end=end)
    sent: list[datetime] = []
    for due in sorted(dues):
        decision = plan_send(due, EMAIL, sent, caps, quiet, BERLIN)
        assert decision.at is not None and decision.at >= due
        assert not is_quiet(wall_time(decision.at, BERLIN), quiet)
        assert all(sent_in_period(sent, decision.at, c.period, BERLIN) < c.limit for c in caps)
        sent.append(decision.at)


def test_plan_send_explains_and_lets_transactional_through() -> None:
    caps = [Cap(channel=EMAIL, period=Period.DAY, limit=1)]
    sent = [berlin(2026, 3, 28, 12)]
    decision = plan_send(berlin(2026, 3, 28, 23), EMAIL, sent, caps, NIGHT, BERLIN)
    assert decision.action is Action.POSTPONE
    assert decision.at == berlin(2026, 3, 29, 8, 0)
    assert decision.reason == "quiet hours 21:00–08:00 (Europe/Berlin)"
    receipt = plan_send(
        berlin(2026, 3, 28, 23), EMAIL, sent, caps, NIGHT, BERLIN, transactional=True
    )
    assert (receipt.action, receipt.at) == (Action.SEND, berlin(2026, 3, 28, 23))


# --- stable assignment -------------------------------------------------------------------


def test_assignment_is_stable_and_follows_the_weights() -> None:
    customers = [f"c-{n}" for n in range(20_000)]
    held = [c for c in customers if in_holdout("cart", "flow", c, 10)]
    assert held == [c for c in customers if in_holdout("cart", "flow", c, 10)]
    assert 0.09 < len(held) / len(customers) < 0.11
    variants = Counter(choose_variant("cart", "ab", c, [("a", 3), ("b", 1)]) for c in customers)
    assert 0.73 < variants["a"] / len(customers) < 0.77
    assert in_holdout("cart", "flow", "c-1", 10) == in_holdout("cart", "flow", "c-1", 10)


@given(st.text(max_size=20), st.text(max_size=20))
def test_unit_interval_is_in_range(a: str, b: str) -> None:
    assert 0 <= unit_interval(a, b) < 1
