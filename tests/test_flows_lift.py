"""Lift of a flow (treated against holdout, 95 % CIs) and ``flows status`` / ``flows lift``."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from typer.testing import CliRunner

from flows_support import DAY, HOUR, START, customers, event
from journeykit.cli import app
from journeykit.events.schema import EVENT_SCHEMA
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.engine import FlowEngine
from journeykit.flows.lift import (
    NO_DIFFERENCE,
    TOO_SMALL,
    RunOutcome,
    compute_lift,
    newcombe,
    welch,
)
from journeykit.flows.state import flows_engine
from journeykit.flows.validate import validate_flow_file
from journeykit.store import open_analytic
from journeykit.workspace import Workspace

runner = CliRunner()


def outcomes(group: str, runs: int, converted: int, revenue: float = 0.0) -> list[RunOutcome]:
    return [
        RunOutcome(group, i < converted, revenue if i < converted else 0.0) for i in range(runs)
    ]


def scipy_newcombe(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float]:
    """Newcombe's interval built directly from scipy's Wilson intervals."""
    w1 = stats.binomtest(x1, n1).proportion_ci(0.95, method="wilson")
    w2 = stats.binomtest(x2, n2).proportion_ci(0.95, method="wilson")
    p1, p2 = x1 / n1, x2 / n2
    low = p1 - p2 - math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2)
    high = p1 - p2 + math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2)
    return low, high


def test_treated_200_40_against_holdout_50_5() -> None:
    result = compute_lift(
        "cart", outcomes("treated", 200, 40, 50.0) + outcomes("holdout", 50, 5, 50.0)
    )
    assert (result.treated.runs, result.treated.converted, result.treated.rate) == (200, 40, 0.2)
    assert (result.holdout.runs, result.holdout.converted, result.holdout.rate) == (50, 5, 0.1)
    assert result.absolute == pytest.approx(0.1)
    assert result.relative == pytest.approx(1.0)  # 20 % is twice 10 %
    assert result.absolute_ci is not None
    low, high = scipy_newcombe(40, 200, 5, 50)
    assert (result.absolute_ci.low, result.absolute_ci.high) == (
        pytest.approx(low, abs=1e-9),
        pytest.approx(high, abs=1e-9),
    )
    assert low < 0 < high  # the small holdout leaves the sign open
    assert result.verdict == NO_DIFFERENCE
    # Katz: exp(ln 2 ± 1.96·sqrt(1/40 - 1/200 + 1/5 - 1/50)) - 1
    se = math.sqrt(1 / 40 - 1 / 200 + 1 / 5 - 1 / 50)
    assert result.relative_ci is not None
    assert result.relative_ci.low == pytest.approx(2 * math.exp(-1.959964 * se) - 1, rel=1e-5)
    # revenue: 50 per converter → 10.0 and 5.0 per run; Welch as scipy computes it
    assert result.treated.revenue_per_run == pytest.approx(10.0)
    assert result.holdout.revenue_per_run == pytest.approx(5.0)
    assert result.revenue_difference == pytest.approx(5.0)
    treated = [o.revenue for o in outcomes("treated", 200, 40, 50.0)]
    holdout = [o.revenue for o in outcomes("holdout", 50, 5, 50.0)]
    expected = stats.ttest_ind(treated, holdout, equal_var=False).confidence_interval(0.95)
    assert result.revenue_ci is not None
    assert result.revenue_ci.low == pytest.approx(expected.low)
    assert result.revenue_ci.high == pytest.approx(expected.high)


def test_clear_lift_and_clear_harm() -> None:
    up = compute_lift("f", outcomes("treated", 1000, 300) + outcomes("holdout", 1000, 100))
    assert up.verdict == "lift"
    assert up.absolute_ci is not None and up.absolute_ci.low > 0
    down = compute_lift("f", outcomes("treated", 1000, 100) + outcomes("holdout", 1000, 300))
    assert down.verdict == "harm"


@pytest.mark.parametrize(
    ("treated", "holdout"),
    [
        ((1000, 300), (29, 10)),
        ((1000, 300), (1000, 4)),
        ((1000, 4), (1000, 300)),
        ((0, 0), (50, 5)),
    ],
)
def test_too_small_to_conclude(treated: tuple[int, int], holdout: tuple[int, int]) -> None:
    result = compute_lift("f", outcomes("treated", *treated) + outcomes("holdout", *holdout))
    assert result.verdict == TOO_SMALL
    document = result.to_json()
    assert document["verdict"] == TOO_SMALL
    assert json.loads(json.dumps(document)) == document  # plain JSON, no NaN


def test_no_runs_gives_no_numbers() -> None:
    document = compute_lift("f", []).to_json()
    assert document["absolute_lift"] is None and document["absolute_lift_ci"] is None
    assert document["treated"] == {
        "runs": 0,
        "converted": 0,
        "rate": None,
        "revenue_per_run": None,
    }


def test_constant_revenue_has_a_point_interval() -> None:
    interval = welch([2.0, 2.0, 2.0], [1.0, 1.0])
    assert interval is not None and (interval.low, interval.high) == (1.0, 1.0)
    assert welch([1.0], [1.0, 2.0]) is None


counts = st.integers(1, 400).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))


@given(counts, counts)
def test_interval_holds_the_estimate_and_swapping_negates(
    treated: tuple[int, int], holdout: tuple[int, int]
) -> None:
    (x1, n1), (x2, n2) = treated, holdout
    interval = newcombe(x1, n1, x2, n2)
    estimate = x1 / n1 - x2 / n2
    assert interval.low - 1e-12 <= estimate <= interval.high + 1e-12
    assert interval.low >= -1 - 1e-12 and interval.high <= 1 + 1e-12
    swapped = newcombe(x2, n2, x1, n1)
    assert swapped.low == pytest.approx(-interval.high, abs=1e-12)
    assert swapped.high == pytest.approx(-interval.low, abs=1e-12)
    forward = compute_lift("f", outcomes("treated", n1, x1) + outcomes("holdout", n2, x2))
    backward = compute_lift("f", outcomes("treated", n2, x2) + outcomes("holdout", n1, x1))
    assert forward.absolute == pytest.approx(-(backward.absolute or 0.0), abs=1e-12)
    if forward.relative_ci is not None and forward.relative is not None:
        assert forward.relative_ci.contains(forward.relative)


# --- the CLI over runs the real engine made ---------------------------------------------------


def _store_orders(workspace: Workspace, orders: list[tuple[str, float, float]]) -> None:
    """``order_completed`` events (customer, hours after START, revenue) in the analytic store."""
    rows = [
        {
            "event_id": f"o{i}",
            "ts": START + timedelta(hours=hours),
            "customer_id": customer,
            "name": "order_completed",
            "revenue": revenue,
            "properties": "{}",
        }
        for i, (customer, hours, revenue) in enumerate(orders)
    ]
    with open_analytic(workspace) as store:
        store.insert("events", pa.Table.from_pylist(rows, schema=EVENT_SCHEMA))


def test_status_and_lift_of_the_abandoned_cart_flow(workspace: Workspace) -> None:
    root = str(workspace.root)
    made = runner.invoke(
        app, ["-w", root, "flows", "new", "Abandoned cart", "--scenario", "abandoned-cart"]
    )
    assert made.exit_code == 0, made.output
    flow = validate_flow_file(workspace.flows_dir / "abandoned-cart.yaml").flow
    treated = customers(flow.id, 10, False, 4)
    held = customers(flow.id, 10, True, 2)
    # treated: two order (30 and 90 €), one of them after the 3-day window; holdout: one orders 20 €
    orders = [(treated[0], 2, 30.0), (treated[1], 80, 90.0), (held[0], 5, 20.0)]
    _store_orders(workspace, orders)
    db = flows_engine(workspace)
    engine = FlowEngine(db, [flow], SimulatedClock(START - HOUR), zone=ZoneInfo("Europe/Berlin"))
    carts = [event(c, "checkout_started", START, email=f"{c}@example.org") for c in treated + held]
    engine.observe(carts)

    def order_at(hours: float) -> None:
        for customer, at, _ in orders:
            if at == hours:
                engine.run_until(START + timedelta(hours=hours))
                engine.observe([event(customer, "order_completed", START + timedelta(hours=at))])

    order_at(2)
    order_at(5)
    # 5 hours in: one treated and one held customer converted; 3 treated and 1 held still run
    row = _status(root)
    assert row["runs"] == {"active": 4, "converted": 2, "done": 0, "exited": 0}
    # all 4 treated got the reminder at 1h (pending: no dispatcher ran); 3 wait for a click
    assert row["messages"] == {"pending": 4, "sent": 0, "skipped": 0, "failed": 0, "held": 0}
    assert row["steps"] == {"clicked": 3, "(holdout)": 1}
    order_at(80)
    engine.run_until(START + 5 * DAY)
    db.dispose()
    row = _status(root)
    assert row["runs"] == {"active": 0, "converted": 2, "done": 4, "exited": 0}
    assert row["messages"]["pending"] == 4 + 3  # the last call of the 3 who did not order
    assert row["steps"] == {}

    lifted = runner.invoke(app, ["-w", root, "flows", "lift", "abandoned-cart", "--json"])
    assert lifted.exit_code == 0, lifted.output
    document = json.loads(lifted.stdout)
    assert document["treated"] == {
        "runs": 4,
        "converted": 1,
        "rate": 0.25,
        "revenue_per_run": 7.5,  # 30 € within the window; the 90 € order came after 3 days
    }
    assert document["holdout"] == {"runs": 2, "converted": 1, "rate": 0.5, "revenue_per_run": 10.0}
    assert document["absolute_lift"] == pytest.approx(-0.25)
    assert document["relative_lift"] == pytest.approx(-0.5)
    assert document["verdict"] == TOO_SMALL
    assert runner.invoke(app, ["-w", root, "flows", "lift", "abandoned-cart"]).exit_code == 0
    assert runner.invoke(app, ["-w", root, "flows", "status"]).exit_code == 0


def _status(root: str) -> dict[str, Any]:
    status = runner.invoke(app, ["-w", root, "flows", "status", "--json"])
    assert status.exit_code == 0, status.output
    [row] = json.loads(status.stdout)["flows"]
    assert row["id"] == "abandoned-cart"
    return dict(row)


def test_unknown_flow_suggests_the_closest(workspace: Workspace) -> None:
    root = str(workspace.root)
    made = runner.invoke(
        app, ["-w", root, "flows", "new", "Abandoned cart", "--scenario", "abandoned-cart"]
    )
    assert made.exit_code == 0
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", "-w", root, "flows", "lift", "abandoned-kart"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "no flow 'abandoned-kart'" in result.stderr
    assert "did you mean 'abandoned-cart'?" in result.stderr
    assert "Traceback" not in result.stderr
