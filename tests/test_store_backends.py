"""One test, every backend: ingest and ``events stats`` on DuckDB and on local PySpark.

The Spark case is small (local Spark takes ~20 s to start; one session serves the whole run).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from events_support import german_row, ingest, new_workspace, write_csv
from journeykit.events.stats import event_stats
from journeykit.store import open_analytic
from journeykit.workspace import Workspace

pytestmark = [
    # pyspark's Arrow transfer leaves py4j sockets for the garbage collector (upstream)
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

SPARK = pytest.mark.skipif(
    importlib.util.find_spec("pyspark") is None, reason="pip install 'journeykit[spark]'"
)


@pytest.fixture(
    params=["duckdb", pytest.param("pyspark", marks=[pytest.mark.spark, SPARK])],
)
def backend(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    """A workspace whose analytic store is on the given engine."""
    workspace = new_workspace(tmp_path)
    url = "duckdb:///data/events.duckdb" if request.param == "duckdb" else "pyspark://local"
    monkeypatch.setenv("JOURNEYKIT_STORE", url)
    return workspace


def test_ingest_and_stats(backend: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(8)]
    rows[6]["Kanal"] = "Hologramm"
    csv_file = write_csv(tmp_path / "shop.csv", rows)
    login = tmp_path / "login.jsonl"
    login.write_text(
        json.dumps(
            {
                "ts": "2024-03-20T10:00:00Z",
                "anonymous_id": "v0",
                "user_id": "K9",
                "name": "identify",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    summary = ingest(backend, csv_file, login)  # two inputs: the login links v0 afterwards
    assert [result.counts() for result in summary.results] == [
        {"read": 8, "kept": 7, "duplicates": 0, "quarantined": 1},
        {"read": 1, "kept": 1, "duplicates": 0, "quarantined": 0},
    ]
    with open_analytic(backend) as store:
        stats = event_stats(store).as_json()
        events = store.fetch(store.table("events").select("anonymous_id", "customer_id"))
    assert stats == {
        "events": 8,
        "customers": 7,  # five users with their devices, visitor v3, and v0 now K9
        "first_ts": "2024-02-29T23:00:00Z",
        "last_ts": "2024-03-20T10:00:00Z",
        "quarantined": 1,
    }
    owners = {
        (a, c)
        for a, c in zip(
            events["anonymous_id"].to_pylist(), events["customer_id"].to_pylist(), strict=True
        )
    }
    assert ("v0", "K9") in owners  # the anonymous row 0 of the CSV joined K9 retroactively
