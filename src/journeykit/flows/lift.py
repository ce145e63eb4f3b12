"""Lift of a flow: its treated runs against its holdout runs, with 95 % confidence intervals.

Pure: callers read the runs and the revenue after entry from the stores and pass one
``RunOutcome`` per run. The statistics:

- conversion rate per group; absolute lift ``p_t - p_h`` with Newcombe's hybrid score interval
  (method 10: the two Wilson score intervals combined), which stays inside [-1, 1] and behaves with
  few conversions, unlike the plain normal approximation;
- relative lift ``p_t / p_h - 1`` with the Katz log interval of the risk ratio (None when a group
  has no conversion, where the ratio or its logarithm is undefined);
- revenue per run (conversion-event revenue inside the goal window) with Welch's t interval of
  the difference of means (unequal variances, Welch–Satterthwaite degrees of freedom).

Verdict: "too small to conclude" when either group has fewer than ``MIN_RUNS`` runs or fewer than
``MIN_CONVERSIONS`` conversions (the Wilson and normal approximations need a few events); else
"no significant difference" when the absolute-lift interval contains 0, else "lift" or "harm".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scipy import stats

Z95 = float(stats.norm.ppf(0.975))
MIN_RUNS = 30
MIN_CONVERSIONS = 5
TOO_SMALL = "too small to conclude"
NO_DIFFERENCE = "no significant difference"


@dataclass(frozen=True)
class RunOutcome:
    """One run: its group (``treated`` or ``holdout``), whether it converted, its revenue."""

    group: str
    converted: bool
    revenue: float = 0.0


@dataclass(frozen=True)
class Interval:
    low: float
    high: float

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high

    def to_json(self) -> list[float]:
        return [self.low, self.high]


@dataclass(frozen=True)
class GroupStats:
    runs: int
    converted: int
    rate: float | None
    revenue_per_run: float | None

    def to_json(self) -> dict[str, Any]:
        return {
            "runs": self.runs,
            "converted": self.converted,
            "rate": self.rate,
            "revenue_per_run": self.revenue_per_run,
        }


@dataclass(frozen=True)
class Lift:
    """What ``journeykit flows lift`` reports for one flow."""

    flow_id: str
    treated: GroupStats
    holdout: GroupStats
    absolute: float | None
    absolute_ci: Interval | None
    relative: float | None
    relative_ci: Interval | None
    revenue_difference: float | None
    revenue_ci: Interval | None
    verdict: str

    def to_json(self) -> dict[str, Any]:
        def ci(interval: Interval | None) -> list[float] | None:
            return None if interval is None else interval.to_json()

        return {
            "flow": self.flow_id,
            "treated": self.treated.to_json(),
            "holdout": self.holdout.to_json(),
            "absolute_lift": self.absolute,
            "absolute_lift_ci": ci(self.absolute_ci),
            "relative_lift": self.relative,
            "relative_lift_ci": ci(self.relative_ci),
            "revenue_difference": self.revenue_difference,
            "revenue_difference_ci": ci(self.revenue_ci),
            "verdict": self.verdict,
            "rule": f"at least {MIN_RUNS} runs and {MIN_CONVERSIONS} conversions per group; "
            "95 % CI of the absolute lift excludes 0",
        }


def wilson(converted: int, runs: int, z: float = Z95) -> Interval:
    """Wilson score interval of a proportion (``runs`` > 0)."""
    p = converted / runs
    denominator = 1 + z * z / runs
    centre = (p + z * z / (2 * runs)) / denominator
    half = z * math.sqrt(p * (1 - p) / runs + z * z / (4 * runs * runs)) / denominator
    return Interval(max(0.0, centre - half), min(1.0, centre + half))


def newcombe(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval:
    """Newcombe's hybrid score interval of ``x1/n1 - x2/n2``."""
    p1, p2 = x1 / n1, x2 / n2
    w1, w2 = wilson(x1, n1, z), wilson(x2, n2, z)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = difference + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    return Interval(low, high)


def katz(x1: int, n1: int, x2: int, n2: int, z: float = Z95) -> Interval | None:
    """Katz log interval of ``(x1/n1) / (x2/n2) - 1`` (None when either count is 0)."""
    if x1 == 0 or x2 == 0:
        return None
    log_ratio = math.log((x1 / n1) / (x2 / n2))
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return Interval(math.exp(log_ratio - z * se) - 1, math.exp(log_ratio + z * se) - 1)


def welch(a: Sequence[float], b: Sequence[float], level: float = 0.95) -> Interval | None:
    """Welch's t interval of ``mean(a) - mean(b)`` (None with fewer than 2 values in a group)."""
    if len(a) < 2 or len(b) < 2:
        return None
    va = stats.tvar(a) / len(a) if len(set(a)) > 1 else 0.0
    vb = stats.tvar(b) / len(b) if len(set(b)) > 1 else 0.0
    difference = math.fsum(a) / len(a) - math.fsum(b) / len(b)
    if va + vb == 0:
        return Interval(difference, difference)
    df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
    half = float(stats.t.ppf(0.5 + level / 2, df)) * math.sqrt(va + vb)
    return Interval(difference - half, difference + half)


def _group(outcomes: Sequence[RunOutcome]) -> GroupStats:
    runs = len(outcomes)
    converted = sum(1 for outcome in outcomes if outcome.converted)
    revenue = math.fsum(outcome.revenue for outcome in outcomes)
    return GroupStats(
        runs, converted, converted / runs if runs else None, revenue / runs if runs else None
    )


def verdict(treated: GroupStats, holdout: GroupStats, absolute_ci: Interval | None) -> str:
    """The plain-language reading of the numbers (rule in the module docstring)."""
    small = min(treated.runs, holdout.runs) < MIN_RUNS
    few = min(treated.converted, holdout.converted) < MIN_CONVERSIONS
    if small or few or absolute_ci is None:
        return TOO_SMALL
    if absolute_ci.contains(0.0):
        return NO_DIFFERENCE
    return "lift" if absolute_ci.low > 0 else "harm"


def compute_lift(flow_id: str, outcomes: Sequence[RunOutcome]) -> Lift:
    """Treated against holdout for the runs of one flow."""
    treated_runs = [outcome for outcome in outcomes if outcome.group == "treated"]
    holdout_runs = [outcome for outcome in outcomes if outcome.group == "holdout"]
    treated, holdout = _group(treated_runs), _group(holdout_runs)
    absolute = absolute_ci = relative = relative_ci = None
    if treated.rate is not None and holdout.rate is not None:
        x1, n1, x2, n2 = treated.converted, treated.runs, holdout.converted, holdout.runs
        absolute = treated.rate - holdout.rate
        absolute_ci = newcombe(x1, n1, x2, n2)
        relative = treated.rate / holdout.rate - 1 if holdout.rate else None
        relative_ci = katz(x1, n1, x2, n2)
    revenue_difference = None
    if treated.revenue_per_run is not None and holdout.revenue_per_run is not None:
        revenue_difference = treated.revenue_per_run - holdout.revenue_per_run
    revenue_ci = welch([o.revenue for o in treated_runs], [o.revenue for o in holdout_runs])
    return Lift(
        flow_id,
        treated,
        holdout,
        absolute,
        absolute_ci,
        relative,
        relative_ci,
        revenue_difference,
        revenue_ci,
        verdict(treated, holdout, absolute_ci),
    )
