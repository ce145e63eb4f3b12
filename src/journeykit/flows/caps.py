"""Frequency caps and the send decision: send now, postpone until X, or skip — with a reason.

Caps count a recipient's messages per channel in their *local* calendar (a "day" is their day, a
"week" starts on their Monday), so a customer in Berlin never gets a fourth email on one Berlin
day because UTC midnight fell in the middle of it. A capped message is postponed to the start of
the next period (the default) or skipped; it is never dropped without a recorded decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from journeykit.flows.model import Cap, MessageChannel, OnCap, Period, QuietHours
from journeykit.flows.quiet_hours import next_allowed, offset_changes

_MAX_ROUNDS = 1000


class Action(StrEnum):
    """What to do with a message that is due."""

    SEND = "send"
    POSTPONE = "postpone"
    SKIP = "skip"


@dataclass(frozen=True)
class Decision:
    """The decision about one due message; ``at`` is when it goes out (None when skipped)."""

    action: Action
    at: datetime | None
    reason: str


def period_start(day: date, period: Period) -> date:
    """The first local date of the period holding ``day`` (weeks start on Monday)."""
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(day: date, period: Period) -> date:
    """The first local date of the period after the one holding ``day``."""
    start = period_start(day, period)
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    return (start + timedelta(days=32)).replace(day=1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of a local date (when DST skips midnight, when the day starts)."""
    naive = datetime.combine(day, time(0))
    instant = naive.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        return instant
    changes = offset_changes(instant - timedelta(hours=3), instant + timedelta(hours=3), zone)
    return next(change for change in changes if change.astimezone(zone).date() == day)


def sent_in_period(
    sent: Sequence[datetime], instant: datetime, period: Period, zone: ZoneInfo
) -> int:
    """How many of ``sent`` fall in the recipient's local period holding ``instant``."""
    start = period_start(instant.astimezone(zone).date(), period)
    return sum(1 for s in sent if period_start(s.astimezone(zone).date(), period) == start)


def check_caps(
    due: datetime,
    channel: MessageChannel,
    sent: Sequence[datetime],
    caps: Sequence[Cap],
    zone: ZoneInfo,
    on_cap: OnCap = OnCap.POSTPONE,
) -> Decision:
    """Send at ``due`` if every cap of ``channel`` has room, else postpone (minimally) or skip.

    ``sent`` holds the recipient's messages on this channel, already sent or scheduled.
    """
    mine = [cap for cap in caps if cap.channel == channel]
    closed = next((cap for cap in mine if cap.limit == 0), None)
    if closed is not None:
        return Decision(Action.SKIP, None, f"{channel.value} is capped at 0 per {closed.period}")
    at = due
    reasons: list[str] = []
    for _ in range(_MAX_ROUNDS):
        full = [cap for cap in mine if sent_in_period(sent, at, cap.period, zone) >= cap.limit]
        if not full:
            break
        text = "; ".join(_full_text(cap, at, zone) for cap in full)
        if on_cap is OnCap.SKIP:
            return Decision(Action.SKIP, None, f"{text} — skipped (on_cap: skip)")
        reasons.append(text)
        day = at.astimezone(zone).date()
        at = max(local_midnight(next_period_start(day, cap.period), zone) for cap in full)
    if at == due:
        return Decision(Action.SEND, due, "within the frequency caps")
    return Decision(Action.POSTPONE, at, "; ".join(reasons) + " — postponed to the next period")


def _full_text(cap: Cap, at: datetime, zone: ZoneInfo) -> str:
    start = period_start(at.astimezone(zone).date(), cap.period)
    return f"cap of {cap.limit} {cap.channel.value} per {cap.period.value} reached (from {start})"


def plan_send(
    due: datetime,
    channel: MessageChannel,
    sent: Sequence[datetime],
    caps: Sequence[Cap],
    quiet: QuietHours,
    zone: ZoneInfo,
    on_cap: OnCap = OnCap.POSTPONE,
    *,
    transactional: bool = False,
) -> Decision:
    """The decision for one due message under quiet hours and caps together.

    Transactional messages (order confirmations, receipts) go out at once: neither applies.
    """
    due = due.astimezone(UTC)
    if transactional:
        return Decision(Action.SEND, due, "transactional: caps and quiet hours do not apply")
    at = due
    reasons: list[str] = []
    for _ in range(_MAX_ROUNDS):
        allowed = next_allowed(at, quiet, zone)
        if allowed != at:
            start, end = quiet.start.strftime("%H:%M"), quiet.end.strftime("%H:%M")
            reasons.append(f"quiet hours {start}–{end} ({zone.key})")
            at = allowed
        decision = check_caps(at, channel, sent, caps, zone, on_cap)
        if decision.action is Action.SKIP:
            return decision
        if decision.at == at:
            break
        reasons.append(decision.reason)
        at = decision.at or at
    if at == due:
        return Decision(Action.SEND, due, "within the caps and outside quiet hours")
    return Decision(Action.POSTPONE, at, "; ".join(reasons))
