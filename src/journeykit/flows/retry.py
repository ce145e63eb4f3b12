"""When a failed delivery is tried again: exponential backoff with jitter, up to a maximum.

``[flows.retry]`` in ``journeykit.toml``. Attempt ``n`` (1-based) that failed transiently is tried
again after ``first_delay × multiplier^(n-1)``, at most ``max_delay``, shortened by a random
fraction of up to ``jitter`` so that rows that failed together (a provider outage) do not come
back together. A provider's ``Retry-After`` is a lower bound. After ``max_attempts`` attempts the
row is ``failed`` with the last error, never dropped.
"""

from __future__ import annotations

import random
from datetime import timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journeykit.flows.durations import Duration

MAX_RETRY_AFTER = timedelta(days=1)  # a provider's Retry-After beyond this is read as this


class TransientFailure(Exception):
    """A delivery that may succeed later (network error, 408, 429, 5xx).

    ``retry_after`` is the provider's ``Retry-After`` in seconds, when it sent one.
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetryPolicy(BaseModel):
    """``[flows.retry]``: how often and how soon a transiently failed message is tried again."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_attempts: int = Field(
        default=8, ge=1, le=100, description="Attempts before a message is marked failed."
    )
    first_delay: Duration = Field(
        default=timedelta(seconds=30), description="Wait after the first failed attempt."
    )
    multiplier: float = Field(
        default=3.0, ge=1.0, le=10.0, description="Each further wait is this many times longer."
    )
    max_delay: Duration = Field(default=timedelta(hours=6), description="The longest wait.")
    jitter: float = Field(
        default=0.2, ge=0.0, lt=1.0, description="Up to this fraction is taken off each wait."
    )

    @model_validator(mode="after")
    def _ordered(self) -> RetryPolicy:
        if self.max_delay < self.first_delay:
            raise ValueError("max_delay is shorter than first_delay — raise max_delay")
        return self

    def nominal(self, attempt: int) -> timedelta:
        """The wait after failed attempt ``attempt`` (1-based) before jitter."""
        seconds = self.first_delay.total_seconds() * self.multiplier ** min(attempt - 1, 64)
        return timedelta(seconds=min(seconds, self.max_delay.total_seconds()))

    def delay(
        self, attempt: int, retry_after: float | None = None, rng: random.Random | None = None
    ) -> timedelta:
        """The wait after failed attempt ``attempt``: jittered backoff, at least ``retry_after``."""
        share = (rng or random).random() * self.jitter
        wait = self.nominal(attempt) * (1 - share)
        if retry_after is not None and retry_after > 0:
            wait = max(wait, min(timedelta(seconds=retry_after), MAX_RETRY_AFTER))
        return wait

    def gives_up(self, attempts: int) -> bool:
        """Whether ``attempts`` attempts are all a message gets."""
        return attempts >= self.max_attempts
