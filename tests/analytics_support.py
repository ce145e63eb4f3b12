"""Helpers of the analytics tests: event logs written to a real store on DuckDB or local PySpark.

Use in a test module::

    from analytics_support import engine as engine, event, events_store

    def test_x(engine: str, tmp_path: Path) -> None:
        with events_store(tmp_path, engine, [event("c1", 0, "page_viewed")]) as store:
            table = store.table("events")

``engine`` is a fixture parametrized over ``duckdb`` and ``pyspark`` (the Spark case is marked
``spark`` and skipped without pyspark). ``reference_funnel`` is the brute-force pure-Python funnel
the set-based one is checked against.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest

from journeykit.events.schema import EVENT_SCHEMA
from journeykit.store import open_analytic
from journeykit.store.analytic import AnalyticStore
from journeykit.workspace import SETTINGS_FILE, init_workspace, load_workspace

T0 = datetime(2024, 3, 1, tzinfo=UTC)
"""Time zero of the test logs: ``event(..., minute)`` counts minutes from here."""

SPARK = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pip install 'journeykit[spark]'"
)
SPARK_WARNINGS = [
    # pyspark's Arrow transfer leaves py4j sockets for the garbage collector (upstream)
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]
STORE_URLS = {"duckdb": "duckdb:///data/events.duckdb", "pyspark": "pyspark://local"}


@pytest.fixture(params=["duckdb", pytest.param("pyspark", marks=[pytest.mark.spark, SPARK])])
def engine(request: pytest.FixtureRequest) -> str:
    """The analytic engine a test runs on: ``duckdb`` (a file) or ``pyspark`` (local)."""
    return str(request.param)


def event(
    customer: str,
    minute: float,
    name: str,
    *,
    event_id: str | None = None,
    channel: str | None = "web",
    device: str | None = "desktop",
    revenue: float | None = None,
    **properties: Any,
) -> dict[str, Any]:
    """One event row in the store's schema, ``minute`` minutes after ``T0``."""
    ts = T0 + timedelta(minutes=minute)
    return {
        "event_id": event_id or f"{customer}-{name}-{minute}",
        "ts": ts,
        "user_id": customer,
        "anonymous_id": None,
        "customer_id": customer,
        "name": name,
        "channel": channel,
        "device": device,
        "source": None,
        "medium": None,
        "campaign": None,
        "revenue": revenue,
        "currency": "EUR" if revenue is not None else None,
        "cost": None,
        "properties": json.dumps(properties) if properties else None,
    }


def events_arrow(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """Event dicts as an Arrow table of ``EVENT_SCHEMA``."""
    return pa.Table.from_pylist(list(rows), schema=EVENT_SCHEMA)


@contextmanager
def events_store(
    tmp_path: Path, engine: str, rows: Sequence[dict[str, Any]], *, name: str = "ws"
) -> Iterator[AnalyticStore]:
    """A workspace (``tmp_path / name``, created unless it exists) whose ``events`` table on
    ``engine`` holds ``rows``, open for the block."""
    root = tmp_path / name
    workspace = load_workspace(root) if (root / SETTINGS_FILE).exists() else init_workspace(root)
    previous = os.environ.get("JOURNEYKIT_STORE")
    os.environ["JOURNEYKIT_STORE"] = STORE_URLS[engine]
    try:
        with open_analytic(workspace) as store:
            store.insert("events", events_arrow(rows))
            yield store
    finally:
        if previous is None:
            os.environ.pop("JOURNEYKIT_STORE", None)
        else:
            os.environ["JOURNEYKIT_STORE"] = previous


@dataclass(frozen=True)
class RefStep:
    """One step of the reference funnel: customers at depth ≥ k and their times from k−1."""

    customers: int
    seconds: list[float]


def reference_funnel(
    rows: Sequence[dict[str, Any]],
    steps: Sequence[str],
    window: timedelta,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    attempts_where: Callable[[dict[str, Any]], bool] | None = None,
) -> list[RefStep]:
    """The funnel by brute force, straight from ARCHITECTURE.md "Funnel semantics".

    Events are ordered per customer by ``(ts, event_id)``; every step-1 event in the period is an
    attempt; each next step is the earliest later event (in that order) of the step's name, no
    later than the attempt's start + window. A customer's depth is the best over all attempts;
    times come from the customer's earliest attempt among those of best depth.
    ``attempts_where`` keeps only attempts whose step-1 event passes (a breakdown group).
    """
    by_customer: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        if row["customer_id"] is not None:
            by_customer.setdefault(row["customer_id"], []).append(row)
    reached = [0] * len(steps)
    seconds: list[list[float]] = [[] for _ in steps]
    for events in by_customer.values():
        events.sort(key=lambda r: (r["ts"], r["event_id"]))
        best: tuple[int, list[float]] | None = None
        for start, first in enumerate(events):
            if first["name"] != steps[0] or not _in_period(first["ts"], since, until):
                continue
            if attempts_where is not None and not attempts_where(first):
                continue
            depth, times = _walk(events, start, steps, first["ts"] + window)
            if best is None or depth > best[0]:
                best = (depth, times)
        if best is None:
            continue
        for k in range(best[0]):
            reached[k] += 1
            if k:
                seconds[k].append(best[1][k - 1])
    return [RefStep(reached[k], sorted(seconds[k])) for k in range(len(steps))]


def _walk(
    events: list[dict[str, Any]], start: int, steps: Sequence[str], deadline: datetime
) -> tuple[int, list[float]]:
    depth, times, position = 1, [], start
    for step in steps[1:]:
        found = next(
            (i for i in range(position + 1, len(events)) if events[i]["name"] == step), None
        )
        if found is None or events[found]["ts"] > deadline:
            break
        times.append((events[found]["ts"] - events[position]["ts"]).total_seconds())
        depth, position = depth + 1, found
    return depth, times


def _in_period(ts: datetime, since: datetime | None, until: datetime | None) -> bool:
    return (since is None or ts >= since) and (until is None or ts < until)


def quantile(values: Sequence[float], q: float) -> float | None:
    """Linear interpolation between the closest ranks (SQL ``percentile_cont``)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])
