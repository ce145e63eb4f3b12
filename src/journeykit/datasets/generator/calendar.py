"""Seasonality and local time: when German online shoppers are active, and how that maps to UTC.

Shopping follows the local clock (evenings, Sundays, Black Friday, the weeks before Christmas), but
events are stored in UTC. This module owns both: day weights for the period, hour-of-day profiles
sampled per persona, and a table of UTC offsets per local day and hour so the conversion is
vectorised and correct across daylight-saving switches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.config import GeneratorConfig

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

DAY = 86_400
HOUR = 3_600

# Monday … Sunday: Germans shop online most on Sunday evenings, least on Saturdays.
_WEEKDAY = np.array([1.0, 0.96, 0.95, 0.98, 0.9, 0.82, 1.18])
# January … December: January sale, a summer dip, the fourth quarter as the peak.
_MONTH = np.array([1.12, 0.95, 0.98, 0.95, 0.92, 0.85, 0.82, 0.85, 0.95, 1.05, 1.25, 1.3])


def black_friday(year: int) -> date:
    """The Friday after the fourth Thursday of November."""
    first = date(year, 11, 1)
    thursday = first + timedelta(days=(3 - first.weekday()) % 7 + 21)
    return thursday + timedelta(days=1)


def _event_factor(day: date) -> float:
    """Extra demand on shopping events: Black Week, Cyber Monday, Christmas, January sale."""
    friday = black_friday(day.year)
    offset = (day - friday).days
    if offset == 0:
        return 3.4
    if offset == 3:
        return 2.3
    if -4 <= offset <= 3:
        return 1.6
    if day.month == 12:
        if day.day <= 20:
            return 1.4
        if day.day <= 23:
            return 0.95
        if day.day <= 26:
            return 0.45
        return 1.05
    if day.month == 1 and 2 <= day.day <= 15:
        return 1.15
    return 1.0


@dataclass(frozen=True)
class Calendar:
    """The period's days with their demand weights and local-to-UTC offsets."""

    start: date
    zone: ZoneInfo
    day_weight: F64
    day_cdf: F64
    day_epoch: I64  # local midnight of each day as if it were UTC, in seconds since 1970
    hour_offset: I64  # (days, 24): UTC offset in seconds of each local hour

    @classmethod
    def for_config(cls, config: GeneratorConfig) -> Calendar:
        zone = ZoneInfo(config.timezone)
        days = [config.start + timedelta(days=i) for i in range(config.days)]
        weights = np.array(
            [_WEEKDAY[d.weekday()] * _MONTH[d.month - 1] * _event_factor(d) for d in days]
        )
        epoch = np.array(
            [int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()) for d in days],
            dtype=np.int64,
        )
        offsets = np.array(
            [[_offset(zone, d, hour) for hour in range(24)] for d in days], dtype=np.int64
        )
        return cls(config.start, zone, weights, np.cumsum(weights), epoch, offsets)

    @property
    def days(self) -> int:
        return len(self.day_weight)

    def sample_days(
        self, rng: np.random.Generator, first: npt.NDArray[np.int64], last: npt.NDArray[np.int64]
    ) -> I64:
        """One day per row, between ``first`` and ``last`` (inclusive), weighted by demand."""
        low = np.where(first > 0, self.day_cdf[np.maximum(first - 1, 0)], 0.0)
        high = self.day_cdf[last]
        u = low + rng.random(len(first)) * (high - low)
        days = np.searchsorted(self.day_cdf, u, side="right")
        return np.clip(days, first, last).astype(np.int64)

    def to_utc(self, day: I64, second_of_day: I64) -> I64:
        """Epoch seconds (UTC) of local (day index, second of the day)."""
        hour = np.clip(second_of_day // HOUR, 0, 23)
        return self.day_epoch[day] + second_of_day - self.hour_offset[day, hour]

    def local_day(self, ts: I64) -> I64:
        """Index of the local day of UTC epoch seconds (clipped to the period)."""
        rough = np.clip((ts - self.day_epoch[0]) // DAY, 0, self.days - 1)
        local = ts + self.hour_offset[rough, 12]
        return np.asarray(np.clip((local - self.day_epoch[0]) // DAY, 0, self.days - 1), np.int64)

    def local_datetime_utc(self, moment: datetime) -> int:
        """Epoch seconds of an aware or naive-local datetime."""
        aware = moment if moment.tzinfo else moment.replace(tzinfo=self.zone)
        return int(aware.timestamp())

    @property
    def first_second(self) -> int:
        return int(self.to_utc(np.array([0]), np.array([0]))[0])

    @property
    def last_second(self) -> int:
        return int(self.to_utc(np.array([self.days - 1]), np.array([DAY - 1]))[0])


def _offset(zone: ZoneInfo, day: date, hour: int) -> int:
    moment = datetime(day.year, day.month, day.day, hour, 30, tzinfo=zone)
    delta = moment.utcoffset()
    return int(delta.total_seconds()) if delta is not None else 0


def sample_second_of_day(
    rng: np.random.Generator, hour_cdf: F64, profile: npt.NDArray[np.int64]
) -> I64:
    """Seconds after local midnight, the hour drawn from each row's hour profile (a CDF row)."""
    u = rng.random(len(profile))
    hour = (u[:, None] > hour_cdf[profile]).sum(axis=1)
    seconds = np.minimum(hour, 23) * HOUR + rng.integers(0, HOUR, len(profile))
    return np.asarray(seconds, dtype=np.int64)


def hour_cdf(profiles: list[list[float]]) -> F64:
    """Cumulative, normalised hour-of-day profiles (one row per profile)."""
    table = np.array(profiles, dtype=np.float64)
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    return cdf
