"""Where the engine gets "now" from: the system clock in production, a simulated one in tests.

Every wait, timeout, lease and goal window is computed from ``Clock.now()``; nothing in the engine
calls ``datetime.now`` itself, so ``journeykit flows simulate`` and the tests run weeks of waits in
seconds by moving a ``SimulatedClock`` forward instead of sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """A source of the current instant (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class SimulatedClock:
    """A clock that only moves when told to; it never goes backwards."""

    def __init__(self, start: datetime) -> None:
        self._now = _aware(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, by: timedelta) -> datetime:
        """Move forward by ``by`` (a negative step is refused)."""
        if by < timedelta(0):
            raise ValueError("a simulated clock does not go backwards")
        self._now += by
        return self._now

    def advance_to(self, instant: datetime) -> datetime:
        """Move forward to ``instant``; an instant in the past leaves the clock where it is."""
        self._now = max(self._now, _aware(instant))
        return self._now


def _aware(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("the clock works with timezone-aware instants (UTC)")
    return instant.astimezone(UTC)
