"""Quiet hours in the recipient's time zone: when may a message that is due go out?

Quiet hours are wall-clock times ("21:00" to "08:00", possibly across midnight) in the recipient's
zone. A due instant inside them is postponed to the first later instant whose local wall-clock time
is outside them. Around daylight-saving changes the wall clock jumps: the end time may not exist
(spring forward) or occur twice (fall back). We therefore look at every candidate exit — each real
occurrence of the end time and each offset change — and take the earliest, so the answer is exact
rather than an hour off twice a year.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from journeykit.flows.model import QuietHours

_SEARCH = timedelta(days=3)  # quiet hours last under a day; 3 days cover any jump around them


def is_quiet(local: time, quiet: QuietHours) -> bool:
    """Whether a local wall-clock time lies in quiet hours (start included, end excluded)."""
    if not quiet.enabled:
        return False
    start, end = quiet.start, quiet.end
    if start < end:
        return start <= local < end
    return local >= start or local < end


def wall_time(instant: datetime, zone: ZoneInfo) -> time:
    """The recipient's wall-clock time at ``instant`` (an aware datetime)."""
    return instant.astimezone(zone).time().replace(tzinfo=None)


def next_allowed(due: datetime, quiet: QuietHours, zone: ZoneInfo) -> datetime:
    """The earliest instant at or after ``due`` outside quiet hours, in UTC.

    ``due`` must be timezone-aware; the result equals ``due`` when it is not in quiet hours.
    """
    if due.tzinfo is None:
        raise ValueError("due must be timezone-aware (UTC)")
    due = due.astimezone(UTC)
    if not is_quiet(wall_time(due, zone), quiet):
        return due
    candidates = [*_occurrences(due, quiet.end, zone), *offset_changes(due, due + _SEARCH, zone)]
    exits = [c for c in candidates if c > due and not is_quiet(wall_time(c, zone), quiet)]
    return min(exits)


def _occurrences(due: datetime, at: time, zone: ZoneInfo) -> list[datetime]:
    """Every real instant near ``due`` whose local wall-clock time is ``at`` (both folds)."""
    first_day = due.astimezone(zone).date() - timedelta(days=1)
    found = []
    for offset in range(4):
        naive = datetime.combine(first_day + timedelta(days=offset), at)
        for fold in (0, 1):
            instant = naive.replace(tzinfo=zone, fold=fold).astimezone(UTC)
            if instant.astimezone(zone).replace(tzinfo=None) == naive:  # not in a gap
                found.append(instant)
    return found


def offset_changes(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """The instants in [start, end) where the zone's UTC offset changes (to the second)."""
    changes = []
    step = timedelta(hours=1)
    current = start
    while current < end:
        following = min(current + step, end)
        if current.astimezone(zone).utcoffset() != following.astimezone(zone).utcoffset():
            changes.append(_bisect(current, following, zone))
        current = following
    return changes


def _bisect(low: datetime, high: datetime, zone: ZoneInfo) -> datetime:
    """The first whole second in (low, high] with ``high``'s offset (zones change on seconds)."""
    target = high.astimezone(zone).utcoffset()
    low_s, high_s = math.floor(low.timestamp()), math.ceil(high.timestamp())
    while high_s - low_s > 1:
        middle = (low_s + high_s) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == target:
            high_s = middle
        else:
            low_s = middle
    return datetime.fromtimestamp(high_s, UTC)
