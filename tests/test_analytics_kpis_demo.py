"""Stage KPIs on generated demo data equal what the generator recorded in its truth file.

Its own module: generating and ingesting the demo events takes most of a minute on a busy machine.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from journeykit.analytics.stage_kpis import stage_kpis
from journeykit.datasets.demo import create_demo_workspace
from journeykit.datasets.demo_data import load_demo_data
from journeykit.datasets.generator import GeneratorConfig
from journeykit.maps.io import load_map
from journeykit.store import open_analytic


def test_demo_truth_is_found(tmp_path: Path) -> None:
    """On generated demo data, the KPIs equal what the generator recorded in its truth."""
    workspace = create_demo_workspace(tmp_path / "demo")
    config = GeneratorConfig(customers=60, start=date(2024, 11, 1), end=date(2024, 11, 30))
    truth = load_demo_data(workspace, config).truth
    with open_analytic(workspace) as store:
        result = stage_kpis(store.table("events"), load_map(workspace.maps_dir / "anna-ist.yaml"))
    found = {r.metric: r.value for r in result.results}
    counts = truth.counts
    assert found["revenue"] == pytest.approx(counts["revenue"] - counts["refunds"], abs=0.01)
    assert found["impressions"] == counts["events_by_name"]["ad_impression"]
    carts = truth.effects["shipping_cost_abandonment"].realised
    abandoned = carts["viewed"]["abandoned"] + carts["not_viewed"]["abandoned"]
    all_carts = carts["viewed"]["carts"] + carts["not_viewed"]["carts"]
    assert found["cart_abandonment_rate"] == pytest.approx(abandoned / all_carts)
