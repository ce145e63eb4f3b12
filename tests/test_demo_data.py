"""Demo events go through the real ingest path exactly once and match the generator's truth."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from journeykit.datasets.demo import create_demo_workspace
from journeykit.datasets.demo_data import load_demo_data
from journeykit.datasets.generator import GeneratorConfig

SMALL = GeneratorConfig(customers=60, start=date(2024, 11, 1), end=date(2024, 11, 30))


def test_demo_events_land_exactly_once(tmp_path: Path) -> None:
    workspace = create_demo_workspace(tmp_path / "demo")
    first = load_demo_data(workspace, SMALL)
    totals = first.as_json()
    assert totals["read"] == totals["kept"] + totals["duplicates"] + totals["quarantined"]
    assert totals["quarantined"] == 0
    assert totals["kept"] == first.truth.counts["events"]
    again = load_demo_data(workspace, SMALL).as_json()
    assert again["kept"] == 0
    assert again["duplicates"] == totals["kept"]
