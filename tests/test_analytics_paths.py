"""Paths: counts add up to the customers (= the funnel's entered), agree with the reference."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics_reference import Row, event_logs, ref_paths, replace_events, reusable_store
from analytics_support import SPARK_WARNINGS, T0, event, events_store
from analytics_support import engine as engine
from journeykit.analytics.funnel import funnel
from journeykit.analytics.paths import Paths, paths
from journeykit.errors import JourneykitError
from journeykit.store.analytic import AnalyticStore

pytestmark = SPARK_WARNINGS
PROPERTY = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    with reusable_store(tmp_path_factory.mktemp("paths")) as opened:
        yield opened


def added_up(result: Paths) -> int:
    return sum(p.customers for p in result.paths) + result.other + result.left


@PROPERTY
@given(
    rows=event_logs(),
    direction=st.sampled_from(["from", "to"]),
    steps=st.integers(2, 4),
    top=st.integers(1, 3),
)
def test_paths_add_up_and_match_reference(
    store: AnalyticStore, rows: list[Row], direction: str, steps: int, top: int
) -> None:
    replace_events(store, rows)
    anchor = "product_viewed"
    full, short = ref_paths(rows, anchor, steps, direction)
    if not full and not short:
        return  # no customer has the anchor: covered by test_unknown_anchor
    result = paths(store.table("events"), anchor, direction=direction, steps=steps, top=top)
    assert added_up(result) == result.customers == sum(full.values()) + sum(short.values())
    assert result.left_by_length == dict(short)
    listed = {p.steps: p.customers for p in result.paths}
    assert all(full[steps_] == n for steps_, n in listed.items())
    assert len(listed) == min(top, len(full))
    assert sorted(listed.values(), reverse=True) == sorted(full.values(), reverse=True)[:top]
    assert result.other_paths == max(0, len(full) - top)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=event_logs(), hours=st.integers(0, 72))
def test_customers_equal_funnel_entered(store: AnalyticStore, rows: list[Row], hours: int) -> None:
    replace_events(store, rows)
    since = T0 + timedelta(hours=hours)
    anchor = "page_viewed"
    full, short = ref_paths(rows, anchor, 3, since=since)
    entered = funnel(store.table("events"), [anchor], since=since).entered
    assert entered == sum(full.values()) + sum(short.values())
    if entered:
        result = paths(store.table("events"), anchor, steps=3, since=since)
        assert added_up(result) == result.customers == entered


FIXED = [
    *(event(c, m, n) for c in ("a", "b") for m, n in enumerate(["home", "search", "product"])),
    *(event("c", m, n) for m, n in enumerate(["home", "product", "product", "cart"])),
    event("d", 0, "search"),
    event("d", 1, "home"),  # fewer than 3 nodes from home: left
    event("e", 5, "home"),
    event("e", 1, "cart"),  # arrives late but happened first
    event("e", 6, "search"),
    event("e", 7, "cart"),
]


def test_fixed_paths(engine: str, tmp_path: Path) -> None:
    with events_store(tmp_path, engine, FIXED) as opened:
        result = paths(opened.table("events"), "home", steps=3, top=1)
        back = paths(opened.table("events"), "product", direction="to", steps=2, top=5)
        collapsed = paths(opened.table("events"), "home", steps=3, top=5, collapse_repeats=True)
    assert result.to_json()["paths"] == [
        {"steps": ["home", "search", "product"], "customers": 2, "share": 0.4}
    ]
    assert (result.other, result.other_paths, result.left) == (2, 2, 1)
    assert result.left_by_length == {1: 1} and result.customers == 5  # d ends at home
    assert {p.steps: p.customers for p in back.paths} == {
        ("search", "product"): 2,
        ("home", "product"): 1,  # c, to the first product only
    }
    assert (back.left, back.other, back.customers) == (0, 0, 3)
    assert {p.steps: p.customers for p in collapsed.paths} == {
        ("home", "search", "product"): 2,
        ("home", "product", "cart"): 1,
        ("home", "search", "cart"): 1,
    }


def test_sankey_flows_out_of_the_anchor(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", FIXED) as opened:
        result = paths(opened.table("events"), "home", steps=3, top=1)
    sankey = result.sankey()
    anchor = next(n["id"] for n in sankey["nodes"] if n["label"] == "home" and n["column"] == 0)
    out_of_anchor = sum(link["value"] for link in sankey["links"] if link["source"] == anchor)
    assert out_of_anchor == result.customers


def test_unknown_anchor_and_bad_arguments(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", FIXED) as opened:
        with pytest.raises(JourneykitError) as error:
            paths(opened.table("events"), "hom")
        assert "did you mean 'home'?" in error.value.report()
        with pytest.raises(JourneykitError) as bad:
            paths(opened.table("events"), "home", direction="up", steps=1)
        assert "--steps" in bad.value.report() and "'up'" in bad.value.report()
        empty = paths(opened.table("events"), "home", since=T0 + timedelta(days=9))
    assert empty.customers == 0 and empty.paths == []


def test_cli_paths_and_transitions(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from journeykit.cli import app

    with events_store(tmp_path, "duckdb", FIXED):
        pass  # the rows stay in the workspace's DuckDB file
    runner = CliRunner()
    root = str(tmp_path / "ws")
    done = runner.invoke(app, ["-w", root, "paths", "--from", "home", "--steps", "3", "--json"])
    assert done.exit_code == 0, done.output
    document = json.loads(done.stdout)
    assert document["customers"] == 5 and document["left"]["customers"] == 1
    table = runner.invoke(app, ["-w", root, "paths", "--to", "cart", "--steps", "2"])
    assert table.exit_code == 0 and "(left before 2 steps)" in table.stdout
    matrix = runner.invoke(app, ["-w", root, "transitions", "--collapse", "--json"])
    assert matrix.exit_code == 0 and json.loads(matrix.stdout)["loops"] == 0
    both = runner.invoke(app, ["-w", root, "paths", "--from", "home", "--to", "cart"])
    assert both.exit_code == 1 and "exactly one of --from NODE or --to NODE" in str(both.exception)
    level = runner.invoke(app, ["-w", root, "transitions", "--level", "stages"])
    assert level.exit_code == 1 and "did you mean 'stage'?" in level.exception.report()  # type: ignore[union-attr]
