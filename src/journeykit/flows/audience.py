"""Segment and date triggers: who enters a flow for what they are, not for what they just did.

Both are checked on the worker's tick, at most every ``every`` of the trigger; the time of the last
check is kept per flow (``flow_trigger_checks``), so several workers and restarts share it.

- **segment**: the customers whose traits and event history meet the segment's conditions now,
  compared with the members recorded at the previous check (``flow_segment_members``). Who is in
  now and was not enters the flow (re-entry policy permitting); who left is removed, so a later
  return is a new entry. The first check of a flow only records who is in: a flow started today
  welcomes the customers who reach the segment from now on, not everyone already there.
- **date**: a date trait (``YYYY-MM-DD``, or the date part of an ISO timestamp) plus
  ``offset_days``, at the local time ``at`` in the customer's time zone (trait ``timezone``, else
  the workspace's). A date whose instant falls after the previous check and not after this one
  starts a run, dated at that instant; with ``yearly`` the same every year after the date's own
  year, once per year and customer. A 29 February falls on 28 February in other years.

The customers considered are those with stored traits, those with events that a segment's
history conditions count, and a segment's current members.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, and_, delete, select, update

from journeykit.flows import state
from journeykit.flows.model import DateTrigger


def occurrence_id(kind: str, customer_id: str, when: str) -> str:
    """The trigger id of a segment entry or a date occasion (``kind:customer:when``), unique per
    flow; a customer id too long for the column is replaced by its hash."""
    if len(customer_id) > 200:
        customer_id = "#" + hashlib.sha256(customer_id.encode()).hexdigest()
    return f"{kind}:{customer_id}:{when}"


def parse_date(value: Any) -> date | None:
    """The date in a trait value (``2026-03-01`` or ``2026-03-01T10:00:00+01:00``); None if none."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) < 10:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def anniversary(original: date, year: int) -> date:
    """``original`` in ``year``; 29 February becomes 28 February in a year that has none."""
    try:
        return original.replace(year=year)
    except ValueError:  # 29 February in a common year
        return date(year, 2, 28)


def local_instant(day: date, trigger: DateTrigger, zone: ZoneInfo) -> datetime:
    """``trigger.at`` on ``day`` in ``zone``, as UTC (a time the clocks skip reads as the offset
    before the change, i.e. the moment the clock jumps past it)."""
    naive = datetime.combine(day, trigger.at)
    return naive.replace(tzinfo=zone).astimezone(UTC)


def date_occurrences(
    trigger: DateTrigger,
    customer_id: str,
    value: Any,
    zone: ZoneInfo,
    after: datetime,
    upto: datetime,
) -> Iterator[tuple[str, datetime, date]]:
    """(occurrence id, instant, day) of each occurrence with ``after < instant <= upto``."""
    original = parse_date(value)
    if original is None:
        return
    shift = timedelta(days=trigger.offset_days)
    if not trigger.yearly:
        day = original + shift
        instant = local_instant(day, trigger, zone)
        if after < instant <= upto:
            yield occurrence_id("date", customer_id, day.isoformat()), instant, day
        return
    first = max(original.year + 1, (after - shift).year - 1)
    for year in range(first, (upto - shift).year + 2):
        day = anniversary(original, year) + shift
        instant = local_instant(day, trigger, zone)
        if after < instant <= upto:
            yield occurrence_id("date", customer_id, str(year)), instant, day


def date_properties(trigger: DateTrigger, value: Any, day: date) -> Mapping[str, Any]:
    """What a date run's templates see as ``event``: the trait, its value and the day."""
    return {"property": trigger.property, "value": value, "date": day.isoformat()}


# --- the store's side ---------------------------------------------------------------------------


def all_traits(connection: Connection) -> dict[str, dict[str, Any]]:
    """Every customer's stored traits."""
    rows = connection.execute(select(state.traits.c.customer_id, state.traits.c.traits))
    return {row.customer_id: dict(state.load_json(row.traits)) for row in rows}


def last_check(connection: Connection, flow_id: str) -> datetime | None:
    """When ``flow_id``'s trigger was last checked (its row locked on PostgreSQL)."""
    checks = state.trigger_checks
    query = select(checks.c.checked_at).where(checks.c.flow_id == flow_id)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    found = connection.execute(query).first()
    return None if found is None else found.checked_at


def record_check(connection: Connection, flow_id: str, now: datetime, first: bool) -> None:
    checks = state.trigger_checks
    if first:
        connection.execute(checks.insert().values(flow_id=flow_id, checked_at=now))
    else:
        connection.execute(update(checks).where(checks.c.flow_id == flow_id).values(checked_at=now))


def update_members(
    connection: Connection, flow_id: str, inside: set[str], now: datetime
) -> list[str]:
    """Record who is in ``flow_id``'s segment now; the customers who entered since the last
    check, in id order (those who left are removed)."""
    members = state.segment_members
    query = select(members.c.customer_id).where(members.c.flow_id == flow_id)
    before = set(connection.execute(query).scalars())
    left = sorted(before - inside)
    entered = sorted(inside - before)
    if left:
        connection.execute(
            delete(members).where(
                and_(members.c.flow_id == flow_id, members.c.customer_id.in_(left))
            )
        )
    if entered:
        connection.execute(
            members.insert(),
            [{"flow_id": flow_id, "customer_id": c, "since": now} for c in entered],
        )
    return entered
