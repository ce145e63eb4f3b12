"""Durations ("2h", "1d12h") and times of day ("09:00") as flow files write them.

Flow authors write waits, timeouts and windows as short strings; the models hold ``timedelta`` and
``time`` and write them back in the same short form, so a saved flow reads like the one typed.
"""

from __future__ import annotations

import re
from datetime import time, timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

DURATION_PATTERN = r"^\s*(\d+\s*[wdhms]\s*)+$"
TIME_OF_DAY_PATTERN = r"^([01]?\d|2[0-3]):[0-5]\d$"
_PART = re.compile(r"(\d+)\s*([wdhms])")
_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
_DURATION_HINT = "write 2h, 30m, 3d (units w, d, h, m, s; combine as 1d12h)"


def parse_duration(value: Any) -> timedelta:
    """``"1d12h"`` → ``timedelta(days=1, hours=12)``; anything else is a located user error."""
    if isinstance(value, timedelta):
        return value
    text = str(value).strip().lower() if isinstance(value, str | int | float) else ""
    if isinstance(value, str) and re.fullmatch(DURATION_PATTERN, text):
        seconds = sum(int(n) * _SECONDS[unit] for n, unit in _PART.findall(text))
        if seconds > 0:
            return timedelta(seconds=seconds)
        raise PydanticCustomError(
            "duration", "'{value}' is zero — a duration must be longer than that", {"value": value}
        )
    raise PydanticCustomError(
        "duration",
        "'{value}' is not a duration — " + _DURATION_HINT,
        {"value": value if isinstance(value, str) else repr(value)},
    )


def format_duration(value: timedelta) -> str:
    """The short form of a duration: ``timedelta(hours=36)`` → ``"1d12h"``."""
    seconds = int(value.total_seconds())
    parts = []
    for unit in ("d", "h", "m", "s"):
        count, seconds = divmod(seconds, _SECONDS[unit])
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"


def parse_time_of_day(value: Any) -> time:
    """``"09:00"`` → ``time(9, 0)``, read as wall-clock time in the recipient's time zone."""
    if isinstance(value, time):
        return value
    if isinstance(value, str) and re.fullmatch(TIME_OF_DAY_PATTERN, value.strip()):
        hours, minutes = value.strip().split(":")
        return time(int(hours), int(minutes))
    raise PydanticCustomError(
        "time_of_day",
        "'{value}' is not a time of day — write HH:MM on a 24-hour clock, e.g. '09:00' or '21:30'",
        {"value": value if isinstance(value, str) else repr(value)},
    )


def format_time_of_day(value: time) -> str:
    """``time(9, 0)`` → ``"09:00"``."""
    return value.strftime("%H:%M")


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": DURATION_PATTERN,
            "description": "A duration such as 2h, 30m, 3d or 1d12h.",
        }
    ),
]
TimeOfDay = Annotated[
    time,
    BeforeValidator(parse_time_of_day),
    PlainSerializer(format_time_of_day, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": TIME_OF_DAY_PATTERN,
            "description": "Wall-clock time HH:MM in the recipient's time zone.",
        }
    ),
]
