"""Windows and days as users write them: ``7d``, ``24h``, ``30m``, ``1w``; ``2024-03-01``.

Used by the CLI (and web forms) to turn text into the ``timedelta``/``datetime`` the analyses take,
with errors that name the flag and show how to write it.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from journeykit.errors import JourneykitError, Problem

WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_WINDOW = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$", re.IGNORECASE)


class TimespanInvalid(JourneykitError):
    """A window or day given on the command line (or a web form) cannot be read."""

    def __init__(self, flag: str, value: str, hint: str) -> None:
        problem = Problem(None, None, None, flag, f"cannot read '{value}'", hint)
        super().__init__(f"{flag}: cannot read '{value}' — {hint}", [problem])


def parse_window(text: str, *, flag: str = "--window") -> timedelta:
    """``"7d"`` → 7 days; units s, m, h, d, w; the number must be a positive whole number."""
    found = _WINDOW.match(text)
    if found is None or int(found.group(1)) == 0:
        raise TimespanInvalid(
            flag, text, "write a positive whole number and a unit: 30m, 24h, 7d or 2w"
        )
    return timedelta(seconds=int(found.group(1)) * WINDOW_UNITS[found.group(2).lower()])


def parse_day(text: str, zone: str, *, flag: str) -> datetime:
    """A date ``YYYY-MM-DD`` (midnight in ``zone``) or an ISO timestamp, returned zone-aware."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimespanInvalid(
            flag, text, "write a date as YYYY-MM-DD (e.g. 2024-03-01) or an ISO timestamp"
        ) from None
    if len(text.strip()) == 10:
        value = datetime.combine(value.date(), time())
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo(zone))
