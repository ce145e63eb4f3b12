"""Transitions agree exactly with the brute-force reference; loops, back-steps, sessions, Sankey."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

from analytics_reference import (
    Row,
    event_logs,
    ref_session_transitions,
    ref_transitions,
    replace_events,
    reusable_store,
)
from analytics_support import SPARK_WARNINGS, event, events_store
from analytics_support import engine as engine
from journeykit.analytics.journeys import label_events, sessionize
from journeykit.analytics.sequence import journey_nodes, node_codes
from journeykit.analytics.transitions import (
    TransitionMatrix,
    _in_stored_order,
    stage_ranks,
    transitions,
)
from journeykit.errors import JourneykitError
from journeykit.maps.model import JourneyMap
from journeykit.store.analytic import AnalyticStore

pytestmark = SPARK_WARNINGS
REF_NAMES = ("page_viewed", "product_viewed", "product_added", "page_viewed", "order_completed")
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AnalyticStore]:
    with reusable_store(tmp_path_factory.mktemp("transitions")) as opened:
        yield opened


def cells(matrix: TransitionMatrix) -> Counter[tuple[str, str]]:
    return Counter({(t.source, t.target): t.count for t in matrix.transitions})


@PROPERTY
@given(rows=event_logs())
def test_counts_match_reference(store: AnalyticStore, rows: list[Row]) -> None:
    replace_events(store, rows)
    matrix = transitions(store.table("events"))
    assert cells(matrix) == ref_transitions(rows)
    assert matrix.loops == sum(n for (a, b), n in ref_transitions(rows).items() if a == b)
    for node in matrix.nodes:  # probabilities are per from-row
        row = [t.probability for t in matrix.transitions if t.source == node.node]
        assert row == [] or sum(row) == pytest.approx(1.0)
        assert node.outgoing + node.ends == node.occurrences  # every node leaves or ends
    journeys = {r["customer_id"] for r in rows}
    assert sum(n.starts for n in matrix.nodes) == len(journeys) == matrix.customers


@PROPERTY
@given(rows=event_logs())
def test_collapsed_and_session_counts_match_reference(
    store: AnalyticStore, rows: list[Row]
) -> None:
    replace_events(store, rows)
    table = store.table("events")
    collapsed = transitions(table, collapse_repeats=True)
    assert cells(collapsed) == ref_transitions(rows, collapse_repeats=True)
    assert collapsed.loops == 0
    gap = timedelta(minutes=30)
    within = transitions(sessionize(table, gap), session="session_id")
    assert cells(within) == ref_session_transitions(rows, gap)


def read_in_stored_order(store: AnalyticStore) -> bool:
    """Whether transitions may read the store's events as stored, without sorting them."""
    nodes = journey_nodes(store.table("events"), "event")
    return _in_stored_order(nodes, node_codes(nodes)) is not None


def journey_key(row: Row) -> tuple[str, object, str]:
    return (row["customer_id"], row["ts"], row["event_id"])


@PROPERTY
@given(rows=event_logs())
def test_counts_read_in_stored_order_match_reference(store: AnalyticStore, rows: list[Row]) -> None:
    """A table stored in journey order (as ``events optimize`` leaves it) is read without a sort."""
    replace_events(store, sorted(rows, key=journey_key))
    assert read_in_stored_order(store)
    matrix = transitions(store.table("events"))
    assert cells(matrix) == ref_transitions(rows)
    assert matrix.customers == len({r["customer_id"] for r in rows})
    assert sum(n.starts for n in matrix.nodes) == matrix.customers


def test_a_row_out_of_stored_order_falls_back_to_sorting(store: AnalyticStore) -> None:
    """One late-arriving earlier event breaks the stored order: the counts stay exact."""
    ordered = [event(c, m, name) for c in ("a", "b") for m, name in enumerate(REF_NAMES)]
    late = event("a", 1.5, "order_completed", event_id="late")
    replace_events(store, [*ordered, late])
    assert not read_in_stored_order(store)
    assert cells(transitions(store.table("events"))) == ref_transitions([*ordered, late])
    replace_events(store, ordered[::-1])  # reversed: every row is out of order
    assert not read_in_stored_order(store)
    assert cells(transitions(store.table("events"))) == ref_transitions(ordered)


JOURNEY_MAP = JourneyMap.model_validate(
    {
        "id": "shop",
        "title": "Shop",
        "persona": {"name": "Anna"},
        "stages": [
            {"id": "consideration", "name": "Consideration"},
            {"id": "purchase", "name": "Purchase"},
        ],
        "touchpoints": [
            {
                "id": "browse",
                "stage": "consideration",
                "name": "Browse",
                "channel": "web",
                "match": {"event": ["page_viewed", "product_viewed"]},
            },
            {
                "id": "cart",
                "stage": "purchase",
                "name": "Cart",
                "channel": "web",
                "match": {"event": "product_added"},
            },
            {
                "id": "order",
                "stage": "purchase",
                "name": "Order",
                "channel": "web",
                "match": {"event": "order_completed"},
            },
        ],
    }
)

FIXED = [
    event("a", 0, "page_viewed"),
    event("a", 1, "product_added"),
    event("a", 2, "page_viewed"),  # back-step to consideration
    event("a", 3, "product_added"),
    event("a", 4, "order_completed"),
    event("b", 0, "product_viewed"),
    event("b", 0, "page_viewed", event_id="b-0"),  # same instant: event_id decides the order
    event("b", 90, "newsletter_subscribed"),  # no touchpoint: not part of the journey
    event("b", 91, "product_added"),
]


def test_stage_and_touchpoint_levels(engine: str, tmp_path: Path) -> None:
    with events_store(tmp_path, engine, FIXED) as opened:
        labelled = label_events(opened.table("events"), JOURNEY_MAP)
        stages = transitions(labelled, level="stage", stage_of=stage_ranks(JOURNEY_MAP, "stage"))
        points = transitions(
            labelled, level="touchpoint", stage_of=stage_ranks(JOURNEY_MAP, "touchpoint")
        )
        events_level = transitions(opened.table("events"))
    assert cells(stages) == Counter(
        {
            ("consideration", "purchase"): 3,  # a twice, b once
            ("purchase", "consideration"): 1,  # a goes back to browsing
            ("purchase", "purchase"): 1,
            ("consideration", "consideration"): 1,  # b's two browse events
        }
    )
    assert stages.back_steps == 1 and stages.loops == 2
    assert [n.node for n in stages.nodes] == ["consideration", "purchase"]
    assert cells(points) == Counter(
        {
            ("browse", "cart"): 3,
            ("cart", "browse"): 1,
            ("cart", "order"): 1,
            ("browse", "browse"): 1,
        }
    )
    kinds = {(t.source, t.target): t.kind for t in points.transitions}
    assert kinds[("cart", "browse")] == "back" and kinds[("cart", "order")] == "same-stage"
    assert points.back_steps == 1
    # "b-0" sorts before "b-product_viewed-0" at the same instant; the unmatched newsletter event
    # is part of the event-level journey only
    assert cells(events_level) == Counter(
        {
            ("page_viewed", "product_added"): 2,
            ("product_added", "page_viewed"): 1,
            ("product_added", "order_completed"): 1,
            ("page_viewed", "product_viewed"): 1,
            ("product_viewed", "newsletter_subscribed"): 1,
            ("newsletter_subscribed", "product_added"): 1,
        }
    )
    assert stages.customers == 2


def test_sankey_links_every_cell(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", FIXED) as opened:
        matrix = transitions(opened.table("events"))
    sankey = matrix.sankey()
    assert sum(link["value"] for link in sankey.links) == matrix.total
    half = len(sankey.nodes) // 2
    assert all(link["source"] < half <= link["target"] for link in sankey.links)
    names, grid = matrix.matrix()
    assert sum(map(sum, grid)) == matrix.total and len(names) == half


def test_unknown_level_and_missing_labels(tmp_path: Path) -> None:
    with events_store(tmp_path, "duckdb", FIXED) as opened:
        with pytest.raises(JourneykitError, match="unknown level 'stages'") as error:
            transitions(opened.table("events"), level="stages")
        assert "did you mean 'stage'?" in error.value.report()
        with pytest.raises(JourneykitError, match="no 'touchpoint' column"):
            transitions(opened.table("events"), level="touchpoint")
