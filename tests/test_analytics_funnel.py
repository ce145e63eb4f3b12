"""The funnel: exact agreement with a brute-force reference, same results on DuckDB and PySpark.

The property test runs on a real DuckDB (in memory, one connection for the module); the fixed cases
run on the ``engine`` fixture (a DuckDB file and local PySpark) and must agree.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import ibis
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_support import (
    SPARK_WARNINGS,
    T0,
    event,
    events_arrow,
    events_store,
    quantile,
    reference_funnel,
)
from analytics_support import engine as engine
from journeykit.analytics.funnel import Funnel, FunnelInvalid, funnel
from journeykit.maps.model import JourneyMap
from journeykit.store.engines import quiet_upstream

pytestmark = SPARK_WARNINGS

NAMES = ("a", "b", "c")
DEVICES = ("mobile", "desktop")


class Duck:
    """One in-memory DuckDB for the module; ``load`` replaces its ``events`` table."""

    def __init__(self) -> None:
        with quiet_upstream():
            self.con = ibis.duckdb.connect()

    def load(self, rows: list[dict[str, Any]]) -> Any:
        with quiet_upstream():
            return self.con.create_table("events", events_arrow(rows), overwrite=True)


@pytest.fixture(scope="module")
def duck() -> Iterator[Duck]:
    found = Duck()
    yield found
    found.con.disconnect()


@st.composite
def logs(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Event logs with loops, repeats, shared instants, gaps and arrival in any order."""
    count = draw(st.integers(0, 24))
    rows = []
    for i in range(count):
        customer = draw(st.sampled_from(("c1", "c2", "c3")))
        minute = draw(st.sampled_from((0, 1, 2, 30, 60, 61, 600, 1440, 1441, 3000)))
        name = draw(st.sampled_from(NAMES))
        device = draw(st.sampled_from(DEVICES))
        # ids are drawn, not ordered by time: ties at one instant go either way
        event_id = f"{draw(st.integers(0, 9))}-{i}"
        rows.append(event(customer, minute, name, event_id=event_id, device=device))
    return draw(st.permutations(rows))


def assert_agrees(result: Funnel, expected: list[Any], entered: int | None = None) -> None:
    assert [s.customers for s in result.steps] == [r.customers for r in expected]
    assert result.entered == expected[0].customers == (entered or expected[0].customers)
    for step, ref in zip(result.steps[1:], expected[1:], strict=True):
        for field, q in (("median", 0.5), ("p25", 0.25), ("p75", 0.75), ("p90", 0.9)):
            want = quantile(ref.seconds, q)
            got = getattr(step, f"{field}_seconds_from_previous")
            assert got == (None if want is None else pytest.approx(want, rel=1e-12)), field


@settings(max_examples=45, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log=logs(),
    steps=st.lists(st.sampled_from(NAMES), min_size=1, max_size=4),
    window_minutes=st.sampled_from((1, 60, 1440)),
    period=st.sampled_from((None, (0, 60), (1, 1441))),
)
def test_funnel_agrees_with_reference(
    duck: Duck,
    log: list[dict[str, Any]],
    steps: list[str],
    window_minutes: int,
    period: tuple[int, int] | None,
) -> None:
    window = timedelta(minutes=window_minutes)
    since, until = (None, None)
    if period is not None:
        since, until = (T0 + timedelta(minutes=m) for m in period)
    table = duck.load(log)
    result = funnel(table, steps, window=window, since=since, until=until, by="device")
    expected = reference_funnel(log, steps, window, since=since, until=until)
    assert_agrees(result, expected)
    assert result.groups is not None
    for group in result.groups:
        assert group.value is not None
        by_device = reference_funnel(
            log,
            steps,
            window,
            since=since,
            until=until,
            attempts_where=lambda first, value=group.value: first["device"] == value,
        )
        assert [s.customers for s in group.steps] == [r.customers for r in by_device]
    assert {g.value for g in result.groups} <= set(DEVICES)


def latest_personas(log: list[dict[str, Any]]) -> dict[str, str]:
    """Customer → persona of their latest event carrying one, in ``(ts, event_id)`` order."""
    found: dict[str, str] = {}
    for row in sorted(log, key=lambda r: (r["ts"], r["event_id"])):
        persona = json.loads(row["properties"] or "{}").get("traits", {}).get("persona")
        if persona is not None:
            found[row["customer_id"]] = persona
    return found


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    log=logs(),
    identifies=st.lists(
        st.tuples(
            st.sampled_from(("c1", "c2", "c3")),
            st.sampled_from((-1, 0, 1, 60, 2000)),
            st.sampled_from(("anna", "ben")),
        ),
        max_size=5,
    ),
    steps=st.lists(st.sampled_from(NAMES), min_size=1, max_size=3),
)
def test_persona_breakdown_agrees_with_reference(
    duck: Duck,
    log: list[dict[str, Any]],
    identifies: list[tuple[str, int, str]],
    steps: list[str],
) -> None:
    calls = [
        event(c, minute, "identify", event_id=f"i{i}", traits={"persona": persona})
        for i, (c, minute, persona) in enumerate(identifies)
    ]
    rows = log + calls
    window = timedelta(days=1)
    result = funnel(duck.load(rows), steps, window=window, by="persona")
    personas = latest_personas(rows)
    for group in result.groups or []:
        expected = reference_funnel(
            rows,
            steps,
            window,
            attempts_where=lambda first, value=group.value: (
                personas.get(first["customer_id"]) == value
            ),
        )
        assert [s.customers for s in group.steps] == [r.customers for r in expected]
    entered = {row["customer_id"] for row in log if row["name"] == steps[0]}
    assert {g.value for g in result.groups or []} == {personas.get(c) for c in entered}


LOOPS = [
    # c1 loops a→b→a→b→c; repeated a's add attempts, not customers
    event("c1", 0, "a"),
    event("c1", 1, "a"),
    event("c1", 2, "b"),
    event("c1", 3, "a"),
    event("c1", 4, "b"),
    event("c1", 10, "c"),
    # c2 reaches b only after the window (7 days + 1 minute)
    event("c2", 0, "a", device="mobile"),
    event("c2", 7 * 1440 + 1, "b", device="mobile"),
    # c3: b before a only; two a's at one instant
    event("c3", 0, "b", device="mobile"),
    event("c3", 5, "a", event_id="c3-x", device="mobile"),
    event("c3", 5, "a", event_id="c3-y", device="mobile"),
    # c4: step names repeat (a, b, a): needs a second, later a
    event("c4", 0, "a"),
    event("c4", 0, "b", event_id="c4-z"),  # same instant, but sorts after "c4-a-0"
    event("c4", 60, "a", properties_plan="pro"),
    # personas: c1's later identify wins; c2 carries it as a plain property; c3, c4 have none
    event("c1", -5, "identify", traits={"persona": "anna"}),
    event("c1", 20, "identify", traits={"persona": "ben"}),
    event("c2", 9000, "page_viewed", persona="anna"),
]


@pytest.fixture
def loops_store(engine: str, tmp_path: Path) -> Iterator[Any]:
    with events_store(tmp_path, engine, LOOPS) as store:
        yield store


def test_fixed_cases_agree_on_every_engine(loops_store: Any) -> None:
    events = loops_store.table("events")
    abc = funnel(events, ["a", "b", "c"])
    assert abc.to_json() == {
        "window_seconds": 604800,
        "entered": 4,
        "steps": [
            step("a", 4, 1.0, 1.0, None),
            step("b", 2, 0.5, 0.5, 60.0, p25=30.0, p75=90.0, p90=108.0),  # c1 120 s, c4 0 s
            step("c", 1, 0.25, 0.5, 480.0, p25=480.0, p75=480.0, p90=480.0),
        ],
        "breakdown": None,
    }
    aba = funnel(events, ["a", "b", "a"], window=timedelta(hours=1), by="device")
    assert [s.customers for s in aba.steps] == [4, 2, 2]
    assert aba.group("mobile").entered == 2
    assert [s.customers for s in aba.group("mobile").steps] == [2, 0, 0]
    assert [s.customers for s in aba.group("desktop").steps] == [2, 2, 2]
    later = funnel(events, ["a", "b"], since=T0 + timedelta(minutes=3))
    assert [s.customers for s in later.steps] == [3, 1]  # c1 from its third a, c3, c4
    personas = funnel(events, ["a", "b", "c"], by="persona")
    assert [(g.value, [s.customers for s in g.steps]) for g in personas.groups or []] == [
        ("anna", [1, 0, 0]),
        ("ben", [1, 1, 1]),
        (None, [2, 1, 0]),
    ]


def step(
    name: str,
    customers: int,
    start: float,
    previous: float,
    median: float | None,
    **quantiles: float,
) -> dict[str, Any]:
    return {
        "step": name,
        "customers": customers,
        "conversion_from_start": start,
        "conversion_from_previous": previous,
        "median_seconds_from_previous": median,
        "p25_seconds_from_previous": quantiles.get("p25"),
        "p75_seconds_from_previous": quantiles.get("p75"),
        "p90_seconds_from_previous": quantiles.get("p90"),
    }


def test_touchpoint_level_and_property_breakdown(duck: Duck) -> None:
    journey_map = JourneyMap.model_validate(
        {
            "id": "m",
            "title": "M",
            "persona": {"name": "P"},
            "stages": [{"id": "s1", "name": "S1"}, {"id": "s2", "name": "S2"}],
            "touchpoints": [
                {
                    "id": "t-a",
                    "stage": "s1",
                    "name": "A",
                    "channel": "web",
                    "match": {"event": "a"},
                },
                {
                    "id": "t-b",
                    "stage": "s2",
                    "name": "B",
                    "channel": "web",
                    "match": {"event": ["b", "c"]},
                },
            ],
        }
    )
    log = [
        event("c1", 0, "a", plan="pro"),
        event("c1", 1, "c"),
        event("c2", 0, "a", plan="free"),
        event("c3", 0, "b"),
    ]
    table = duck.load(log)
    by_touchpoint = funnel(table, ["t-a", "t-b"], level="touchpoint", journey_map=journey_map)
    by_stage = funnel(
        table, ["s1", "s2"], level="stage", journey_map=journey_map, by="properties.plan"
    )
    assert [s.customers for s in by_touchpoint.steps] == [2, 1]
    assert [s.customers for s in by_stage.steps] == [2, 1]
    assert [(g.value, [s.customers for s in g.steps]) for g in by_stage.groups or []] == [
        ("free", [1, 0]),
        ("pro", [1, 1]),
    ]
    with pytest.raises(FunnelInvalid, match="'t-x' is not a touchpoint of map 'm' — did you mean"):
        funnel(table, ["t-x", "t-b"], level="touchpoint", journey_map=journey_map)
    with pytest.raises(FunnelInvalid, match="need a journey map"):
        funnel(table, ["s1"], level="stage")
    with pytest.raises(FunnelInvalid, match="did you mean 'device'"):
        funnel(table, ["a"], by="devise")


def test_no_events_gives_zero_not_errors(duck: Duck) -> None:
    table = duck.load([])
    result = funnel(table, ["a", "b"], by="device")
    assert result.entered == 0
    assert [(s.customers, s.conversion_from_start) for s in result.steps] == [(0, 0.0), (0, 0.0)]
    assert result.groups == []
