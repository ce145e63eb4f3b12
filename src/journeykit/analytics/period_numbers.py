"""Calendar periods (ISO weeks from Monday, calendar months, UTC) as whole numbers in the engine.

Periods are computed as integers — month ``year·12 + month − 1``, week the number of Mondays since
1969-12-29 — so "the next period" is ``+ 1`` on every engine and no engine-specific date
truncation is involved. Python turns the numbers back into dates and labels.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Literal

import ibis.expr.types as ir

from journeykit.errors import JourneykitError, Problem, suggestion

Period = Literal["week", "month"]
PERIODS: tuple[str, ...] = ("week", "month")
_MONDAY_ZERO = date(1969, 12, 29)  # the Monday before the Unix epoch (a Thursday)


def check_period(period: str) -> Period:
    """``period`` if known, else a user error naming ``--period``."""
    if period == "week":
        return "week"
    if period == "month":
        return "month"
    raise JourneykitError(
        f"unknown period '{period}'",
        [Problem(None, None, None, "--period", "not a period", suggestion(period, PERIODS))],
    )


def period_index(ts: ir.TimestampValue, period: str) -> ir.IntegerValue:
    """The period number of a UTC timestamp."""
    if check_period(period) == "month":
        month: ir.IntegerValue = ts.year() * 12 + ts.month() - 1
        return month
    days = whole_seconds(ts) // 86400
    week: ir.IntegerValue = ((days + 3) // 7).cast("int64")
    return week


def whole_seconds(ts: ir.TimestampValue) -> ir.IntegerValue:
    """Whole seconds since the epoch (DuckDB's epoch has a fraction, Spark's has none)."""
    result: ir.IntegerValue = ts.epoch_seconds().cast("float64").floor().cast("int64")
    return result


def period_start(index: int, period: str) -> date:
    """The first day of period number ``index``."""
    if check_period(period) == "month":
        return date(index // 12, index % 12 + 1, 1)
    return _MONDAY_ZERO + timedelta(days=7 * index)


def period_index_of(day: date, period: str) -> int:
    """The period number of a date (the Python twin of ``period_index``)."""
    if check_period(period) == "month":
        return day.year * 12 + day.month - 1
    return (day - _MONDAY_ZERO).days // 7


def period_label(index: int, period: str) -> str:
    """``2024-03`` for a month, the Monday's date (``2024-03-04``) for a week."""
    start = period_start(index, period)
    return start.strftime("%Y-%m") if period == "month" else start.isoformat()
