"""One condition language, two evaluators: the Ibis predicate (map rules, segments over events)
and the Python one (the flow engine, one customer at a time) must agree on every input."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import ibis
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.analytics.rules import condition_predicate
from journeykit.flows.predicates import holds
from journeykit.maps.model import Condition, Operator
from journeykit.store.engines import quiet_upstream

SCALARS = st.sampled_from(
    ["a", "ab", "B", "1", "2.5", "true", "", 0, 1, 2, -1, 2.5, 0.5, True, False]
)
NUMBERS = st.sampled_from([0, 1, 2, -1, 2.5, 0.5])
PATTERNS = st.sampled_from(["a", "^a", "b$", "\\d", "^$", "[AB]", "2\\.5"])
PATHS = ("a", "b", "n.x")


@st.composite
def properties(draw: st.DrawFn) -> dict[str, Any]:
    """Event properties / traits: scalars at ``a`` and ``b``, one nested ``n.x``; any may be
    absent or null."""
    found: dict[str, Any] = {}
    for key in ("a", "b"):
        if draw(st.booleans()):
            found[key] = draw(st.one_of(SCALARS, st.none()))
    if draw(st.booleans()):
        found["n"] = {"x": draw(st.one_of(SCALARS, st.none()))}
    return found


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    op = draw(st.sampled_from(list(Operator)))
    path = draw(st.sampled_from(PATHS))
    value: Any
    if op is Operator.EXISTS:
        value = None
    elif op in (Operator.IN, Operator.NOT_IN):
        value = draw(st.lists(SCALARS, min_size=1, max_size=3))
    elif op in (Operator.GT, Operator.GTE, Operator.LT, Operator.LTE):
        value = draw(NUMBERS)
    elif op is Operator.REGEX:
        value = draw(PATTERNS)
    else:
        value = draw(SCALARS)
    return Condition(property=path, op=op, value=value)


@pytest.fixture(scope="module")
def duck() -> Iterator[Any]:
    with quiet_upstream():
        con = ibis.duckdb.connect()
    yield con
    con.disconnect()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(properties(), min_size=1, max_size=6), condition=conditions())
def test_ibis_and_python_conditions_agree(
    duck: Any, rows: list[dict[str, Any]], condition: Condition
) -> None:
    texts = [json.dumps(row) if row else None for row in rows]
    data = pa.table({"i": list(range(len(rows))), "properties": pa.array(texts, pa.string())})
    with quiet_upstream():
        table = duck.create_table("t", data, overwrite=True)
        picked = table.filter(condition_predicate(table["properties"], condition))
        found = sorted(picked.select("i").to_pyarrow()["i"].to_pylist())
    expected = [i for i, row in enumerate(rows) if holds(condition, row)]
    assert found == expected, (condition, [rows[i] for i in set(found) ^ set(expected)])
