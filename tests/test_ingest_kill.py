"""A file is one atomic batch: SIGKILL in the middle of writing it, then the same command again,
gives exactly the expected events — no duplicates, no gaps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from events_support import german_row, new_workspace, table, write_csv

ROWS = 200_000


def start_ingest(root: Path, path: Path, *, quiet: bool = False) -> subprocess.Popen[str]:
    environment = {k: v for k, v in os.environ.items() if k != "JOURNEYKIT_STORE"}
    output = subprocess.DEVNULL if quiet else subprocess.PIPE
    return subprocess.Popen(
        [sys.executable, "-m", "journeykit", "-w", str(root), "ingest", str(path), "--json"],
        stdout=output,
        stderr=output,
        text=True,
        env=environment,
    )


def test_sigkill_during_the_commit_then_rerun(tmp_path: Path) -> None:
    workspace = new_workspace(tmp_path)
    small = write_csv(
        tmp_path / "klein.csv", [german_row(i, Bestellnummer=f"S-{i}") for i in range(5)]
    )
    first = start_ingest(workspace.root, small)
    _, err = first.communicate(timeout=120)
    assert first.returncode == 0, err
    database = workspace.data_dir / "events.duckdb"
    settled = database.stat().st_size

    big = write_csv(tmp_path / "gross.csv", [german_row(i) for i in range(ROWS)])
    victim = start_ingest(workspace.root, big, quiet=True)
    deadline = time.monotonic() + 300
    while database.stat().st_size < settled + 4 * 1024 * 1024:  # the commit is writing rows
        assert victim.poll() is None, "the ingest finished before it could be killed"
        assert time.monotonic() < deadline, "the ingest never started writing"
        time.sleep(0.01)
    victim.send_signal(signal.SIGKILL)
    assert victim.wait(timeout=60) == -signal.SIGKILL

    assert table(workspace, "events").num_rows == 5  # nothing of the killed file is visible
    assert table(workspace, "ingest_batches").num_rows == 1

    rerun = start_ingest(workspace.root, big)
    out, err = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, err
    assert json.loads(out) == {"read": ROWS, "kept": ROWS, "duplicates": 0, "quarantined": 0}
    events = table(workspace, "events")
    assert events.num_rows == ROWS + 5
    assert len(set(events["event_id"].to_pylist())) == ROWS + 5
