"""The demo data's planted effects are found by the analyses, checked against the generator's truth.

The events come straight from the generator (``simulate``, the batches every demo file is written
from, with the perfect identity resolution the truth counts by), 2,000 customers like
``journeykit demo``, into a real DuckDB store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest

from journeykit.analytics.funnel import funnel
from journeykit.datasets.generator import GeneratorConfig
from journeykit.datasets.generator.run import simulate
from journeykit.datasets.generator.truth import DemoTruth
from journeykit.store import open_analytic
from journeykit.store.analytic import AnalyticStore
from journeykit.workspace import init_workspace

SHOP_STEPS = [
    "page_viewed",
    "product_viewed",
    "product_added",
    "checkout_started",
    "order_completed",
]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[AnalyticStore, DemoTruth]]:
    run = simulate(GeneratorConfig(customers=2000))
    events = pa.Table.from_batches(list(run))
    workspace = init_workspace(tmp_path_factory.mktemp("demo") / "ws")
    with open_analytic(workspace) as store:
        store.insert("events", events)
        yield store, run.truth


def test_checkout_funnel_by_device_equals_the_truth(demo: tuple[AnalyticStore, DemoTruth]) -> None:
    store, truth = demo
    realised: dict[str, Any] = truth.effects["mobile_checkout_dropoff"].realised
    result = funnel(store.table("events"), ["checkout_started", "order_completed"], by="device")
    found = {
        group.value: {"customers": group.entered, "converted": group.steps[1].customers}
        for group in result.groups or []
    }
    expected = {
        device: {"customers": numbers["customers"], "converted": numbers["converted"]}
        for device, numbers in realised["funnel_7d"].items()
    }
    assert found == expected
    rates = {group.value: group.steps[1].conversion_from_previous for group in result.groups or []}
    assert min(rates, key=lambda device: rates[device]) == "mobile"
    gap = (rates["desktop"] - rates["mobile"]) * 100
    assert gap == pytest.approx(realised["funnel_7d_gap_points"], abs=1e-4)


def test_mobile_falls_behind_most_at_checkout(demo: tuple[AnalyticStore, DemoTruth]) -> None:
    store, _ = demo
    result = funnel(store.table("events"), SHOP_STEPS, by="device")
    mobile, desktop = result.group("mobile"), result.group("desktop")
    behind = {
        m.step: d.conversion_from_previous - m.conversion_from_previous
        for m, d in zip(mobile.steps[1:], desktop.steps[1:], strict=True)
    }
    assert max(behind, key=lambda step: behind[step]) == "order_completed", behind
