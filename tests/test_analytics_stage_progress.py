"""Stage progress (the live map's drop-off): brute-force agreement, same on DuckDB and PySpark."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_support import SPARK_WARNINGS, event, events_arrow, events_store
from analytics_support import engine as engine
from journeykit.analytics.journeys import label_events
from journeykit.analytics.stage_progress import StageStep, stage_progress
from journeykit.maps.model import JourneyMap
from journeykit.store.engines import quiet_upstream

pytestmark = SPARK_WARNINGS

STAGES = ("see", "buy", "keep")
MAP = JourneyMap.model_validate(
    {
        "id": "m",
        "title": "M",
        "persona": {"name": "P"},
        "stages": [{"id": s, "name": s.title()} for s in STAGES],
        "touchpoints": [
            {"id": f"t-{s}", "stage": s, "name": s, "channel": "web", "match": {"event": s}}
            for s in STAGES
        ],
    }
)


def reference(rows: list[dict[str, Any]]) -> list[StageStep]:
    """Per stage: customers with an event of it; on = a next-stage event at or after the first."""
    firsts: dict[tuple[str, str], Any] = {}
    lasts: dict[tuple[str, str], Any] = {}
    for row in rows:
        if row["name"] not in STAGES:
            continue
        key = (row["customer_id"], row["name"])
        firsts[key] = min(firsts.get(key, row["ts"]), row["ts"])
        lasts[key] = max(lasts.get(key, row["ts"]), row["ts"])
    steps = []
    for i, stage in enumerate(STAGES):
        here = [c for (c, s) in firsts if s == stage]
        if i == len(STAGES) - 1:
            steps.append(StageStep(stage, len(here), None))
            continue
        after = STAGES[i + 1]
        onward = [c for c in here if (c, after) in lasts and lasts[c, after] >= firsts[c, stage]]
        steps.append(StageStep(stage, len(here), len(onward)))
    return steps


@pytest.fixture(scope="module")
def duck() -> Iterator[Any]:
    with quiet_upstream():
        con = ibis.duckdb.connect()
    yield con
    con.disconnect()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log=st.lists(
        st.tuples(
            st.sampled_from(("c1", "c2", "c3")),
            st.sampled_from((0, 1, 5, 60)),
            st.sampled_from((*STAGES, "other")),
        ),
        max_size=18,
    )
)
def test_agrees_with_brute_force(duck: Any, log: list[tuple[str, int, str]]) -> None:
    rows = [event(c, minute, name, event_id=f"e{i}") for i, (c, minute, name) in enumerate(log)]
    with quiet_upstream():
        table = duck.create_table("events", events_arrow(rows), overwrite=True)
    assert stage_progress(label_events(table, MAP), MAP) == reference(rows)


def test_same_on_every_engine(engine: str, tmp_path: Path) -> None:
    rows = [
        event("c1", 0, "see"),
        event("c1", 5, "buy"),
        event("c1", 9, "keep"),
        event("c2", 5, "buy"),  # enters at buy: no drop-off of "see"
        event("c2", 0, "keep"),  # kept before buying: not onward
        event("c3", 0, "see"),
        event("c3", 0, "buy"),  # the same instant counts as onward
    ]
    with events_store(tmp_path, engine, rows) as store:
        found = stage_progress(label_events(store.table("events"), MAP), MAP)
    assert found == [StageStep("see", 2, 2), StageStep("buy", 3, 1), StageStep("keep", 2, None)]
    assert [s.onward_share for s in found] == [1.0, pytest.approx(1 / 3), None]
    assert found == reference(rows)
