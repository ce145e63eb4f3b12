"""Brute-force pure-Python references for transitions, paths and retention, and random event logs.

Each reference follows the definition in the module docstring of the analysis, one customer at a
time, in the plainest way; the set-based Ibis versions are checked against them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from analytics_support import T0, event, events_arrow
from journeykit.store import open_analytic
from journeykit.store.analytic import AnalyticStore

Row = dict[str, Any]
NAMES = ("page_viewed", "product_viewed", "product_added", "order_completed")
DAY = 24 * 60


def journeys(rows: Sequence[Row], key: str = "name") -> dict[str, list[Row]]:
    """Each customer's rows with a value in ``key``, ordered by ``(ts, event_id)``."""
    found: dict[str, list[Row]] = {}
    for row in rows:
        if row["customer_id"] is not None and row.get(key) is not None:
            found.setdefault(row["customer_id"], []).append(row)
    for events in found.values():
        events.sort(key=lambda r: (r["ts"], r["event_id"]))
    return found


def collapse(nodes: list[str]) -> list[str]:
    return [n for i, n in enumerate(nodes) if i == 0 or nodes[i - 1] != n]


def ref_transitions(
    rows: Sequence[Row], key: str = "name", *, collapse_repeats: bool = False
) -> Counter[tuple[str, str]]:
    """Counts of consecutive pairs per customer journey."""
    pairs: Counter[tuple[str, str]] = Counter()
    for events in journeys(rows, key).values():
        nodes = [e[key] for e in events]
        if collapse_repeats:
            nodes = collapse(nodes)
        pairs.update(pairwise(nodes))
    return pairs


def ref_session_transitions(rows: Sequence[Row], gap: timedelta) -> Counter[tuple[str, str]]:
    """Consecutive pairs less than ``gap`` apart (a pause of ``gap`` or more ends a session)."""
    pairs: Counter[tuple[str, str]] = Counter()
    for events in journeys(rows).values():
        for a, b in pairwise(events):
            if b["ts"] - a["ts"] < gap:
                pairs[a["name"], b["name"]] += 1
    return pairs


def ref_paths(
    rows: Sequence[Row],
    anchor: str,
    steps: int,
    direction: str = "from",
    since: datetime | None = None,
) -> tuple[Counter[tuple[str, ...]], Counter[int]]:
    """Complete paths and the lengths of the short ("left") ones, per customer."""
    full: Counter[tuple[str, ...]] = Counter()
    short: Counter[int] = Counter()
    for events in journeys(rows).values():
        nodes = [e["name"] for e in events]
        starts = [
            i
            for i, e in enumerate(events)
            if e["name"] == anchor and (since is None or e["ts"] >= since)
        ]
        if not starts:
            continue
        i = starts[0]
        path = nodes[i : i + steps] if direction == "from" else nodes[max(0, i - steps + 1) : i + 1]
        if len(path) == steps:
            full[tuple(path)] += 1
        else:
            short[len(path)] += 1
    return full, short


def ref_visits(rows: Sequence[Row], period: str | None, gap: timedelta) -> dict[int, Row]:
    """Period of the visit's start (0 without a period) → visits, bounces, engaged, median dwell.

    A session ends after ``gap`` without events; a visit is a session with a page or product
    view; a bounce is a visit of one single page view; engaged has 2+ page or 1+ product views.
    """
    index = {"month": month_index, "week": week_index}.get(period or "", lambda _day: 0)
    found: dict[int, Row] = {}
    for events in journeys(rows).values():
        sessions: list[list[Row]] = []
        for e in events:
            if not sessions or e["ts"] - sessions[-1][-1]["ts"] >= gap:
                sessions.append([])
            sessions[-1].append(e)
        for session in sessions:
            names = [e["name"] for e in session]
            pages, products = names.count("page_viewed"), names.count("product_viewed")
            if pages + products == 0:
                continue
            start, end = session[0]["ts"], session[-1]["ts"]
            totals = found.setdefault(
                index(start.date()), {"visits": 0, "bounces": 0, "engaged": 0, "dwell": []}
            )
            totals["visits"] += 1
            totals["bounces"] += names == ["page_viewed"]
            totals["engaged"] += pages >= 2 or products >= 1
            totals["dwell"].append(int(end.timestamp()) - int(start.timestamp()))
    return found


def month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def week_index(day: date) -> int:
    return (day - date(1969, 12, 29)).days // 7


def ref_cohorts(
    rows: Sequence[Row], period: str, periods: int, purchase: str = "order_completed"
) -> dict[int, list[int | None]]:
    """Cohort period number → [size, retained at k = 1 … periods] (None: not observable)."""
    index = month_index if period == "month" else week_index
    if not rows:
        return {}
    last = max(index(r["ts"].date()) for r in rows)
    bought: dict[str, set[int]] = {}
    for row in rows:
        if row["name"] == purchase and row["customer_id"] is not None:
            bought.setdefault(row["customer_id"], set()).add(index(row["ts"].date()))
    table: dict[int, list[int | None]] = {}
    for found in bought.values():
        cohort = min(found)
        counts = table.setdefault(
            cohort, [0 if cohort + k <= last else None for k in range(periods + 1)]
        )
        for k in range(periods + 1):
            if cohort + k in found and counts[k] is not None:
                counts[k] = (counts[k] or 0) + 1
    return table


def ref_repeat_curve(
    rows: Sequence[Row], max_purchases: int, days: Sequence[int]
) -> dict[int, list[int]]:
    """n → customers whose n-th purchase came within each of ``days`` of their first."""
    curves = {n: [0] * len(days) for n in range(2, max_purchases + 1)}
    for events in journeys([r for r in rows if r["name"] == "order_completed"]).values():
        first = events[0]["ts"]
        for n, e in enumerate(events[1:max_purchases], start=2):
            elapsed = int((e["ts"] - first).total_seconds()) // 86400
            for j, d in enumerate(days):
                curves[n][j] += elapsed <= d
    return curves


def ref_stage_counts(rows: Sequence[Row], period: str) -> dict[int, Counter[str]]:
    """Period number → customers per latest stage (stage = the event name here)."""
    index = month_index if period == "month" else week_index
    latest: dict[tuple[str, int], Row] = {}
    for customer, events in journeys(rows).items():
        for e in events:
            latest[customer, index(e["ts"].date())] = e
    counts: dict[int, Counter[str]] = {}
    for (_, p), e in latest.items():
        counts.setdefault(p, Counter())[e["name"]] += 1
    return counts


def ref_stage_flows(
    rows: Sequence[Row], period: str
) -> Counter[tuple[int, str | None, str | None]]:
    """(period p, stage in p or None, stage in p + 1 or None) → customers."""
    index = month_index if period == "month" else week_index
    periods = {index(r["ts"].date()) for r in rows if r["customer_id"] is not None}
    if not periods:
        return Counter()
    first, last = min(periods), max(periods)
    latest: dict[str, dict[int, str]] = {}
    for customer, events in journeys(rows).items():
        for e in events:
            latest.setdefault(customer, {})[index(e["ts"].date())] = e["name"]
    flows: Counter[tuple[int, str | None, str | None]] = Counter()
    for by_period in latest.values():
        for p in range(first, last):
            a, b = by_period.get(p), by_period.get(p + 1)
            if a is not None or b is not None:
                flows[p, a, b] += 1
    return flows


@st.composite
def event_logs(draw: st.DrawFn, *, days: int = 3, names: Sequence[str] = NAMES) -> list[Row]:
    """Random logs with loops, repeats, equal timestamps, gaps and shuffled arrival order."""
    count = draw(st.integers(0, 40))
    minutes = st.one_of(st.integers(0, days * DAY), st.sampled_from([0, 5, 60, DAY]))
    ids = draw(st.lists(st.integers(0, 10**6), min_size=count, max_size=count, unique=True))
    rows = [
        event(
            draw(st.sampled_from(["c1", "c2", "c3", "c4"])),
            draw(minutes),
            draw(st.sampled_from(list(names))),
            event_id=f"e{ident:07d}",
        )
        for ident in ids
    ]
    return draw(st.permutations(rows))


@contextmanager
def reusable_store(directory: Path) -> Iterator[AnalyticStore]:
    """One DuckDB file store for many examples; ``replace_events`` swaps its contents."""
    with open_analytic(f"duckdb:///{directory}/events.duckdb", root=directory) as store:
        yield store


def replace_events(store: AnalyticStore, rows: Sequence[Row]) -> None:
    """Make ``rows`` the whole ``events`` table."""
    store.backend.raw_sql("DELETE FROM events")
    store.insert("events", events_arrow(rows))


__all__ = ["DAY", "T0"]
