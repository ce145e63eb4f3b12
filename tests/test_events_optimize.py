"""``journeykit events optimize``: the events table rewritten in journey order, nothing else."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from analytics_support import event, events_store
from journeykit.analytics.funnel import funnel
from journeykit.analytics.transitions import transitions
from journeykit.cli import app
from journeykit.store import open_analytic
from journeykit.workspace import load_workspace

runner = CliRunner()


@pytest.fixture(autouse=True)
def _no_store_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEYKIT_STORE", raising=False)


def test_rewrites_in_journey_order_and_changes_no_result(tmp_path: Path) -> None:
    shuffle = random.Random(7)
    rows = [
        event(f"c{shuffle.randrange(40)}", shuffle.randrange(5000), shuffle.choice("abc"))
        | {"event_id": f"e{i:04d}"}
        for i in range(600)
    ]
    shuffle.shuffle(rows)
    with events_store(tmp_path, "duckdb", rows) as store:
        before = store.fetch(store.table("events")).sort_by("event_id")
        funnel_before = funnel(store.table("events"), ["a", "b", "c"]).to_json()
        transitions_before = transitions(store.table("events")).to_json()
    workspace = tmp_path / "ws"
    result = runner.invoke(app, ["-w", str(workspace), "events", "optimize", "--json"])
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["events"] == 600 and done["clustered"] is True
    with open_analytic(load_workspace(workspace)) as store:
        events = store.table("events")
        assert store.fetch(events).sort_by("event_id").equals(before)
        assert funnel(events, ["a", "b", "c"]).to_json() == funnel_before
        assert transitions(events).to_json() == transitions_before
        stored = store.backend.con.sql(
            "SELECT customer_id, ts, event_id FROM events ORDER BY rowid"
        ).fetchall()
    assert stored == sorted(stored)
    again = runner.invoke(app, ["-w", str(workspace), "events", "optimize"])
    assert again.exit_code == 0 and "600 events rewritten in journey order" in again.stdout
