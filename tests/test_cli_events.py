"""The CLI contract for events: JSON documents on stdout, located messages on stderr, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from events_support import german_row, new_workspace, write_csv
from journeykit.cli import app
from journeykit.workspace import Workspace

runner = CliRunner()


def jk(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The console script as a user runs it."""
    environment = {k: v for k, v in os.environ.items() if k != "JOURNEYKIT_STORE"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "journeykit", *args],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )


@pytest.fixture(autouse=True)
def _no_store_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JOURNEYKIT_STORE", raising=False)


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path)


def invoke(workspace: Workspace, *args: str) -> dict[str, object]:
    result = runner.invoke(app, ["-w", str(workspace.root), *args])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads(result.stdout)
    return document


def test_ingest_and_stats_json(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(12)]
    rows[5]["Kanal"] = "Hologramm"
    path = write_csv(tmp_path / "shop.csv", rows)
    assert invoke(workspace, "ingest", str(path), "--json") == {
        "read": 12,
        "kept": 11,
        "duplicates": 0,
        "quarantined": 1,
    }
    stats = invoke(workspace, "events", "stats", "--json")
    assert list(stats) == ["events", "customers", "first_ts", "last_ts", "quarantined"]
    assert stats["events"] == 11
    assert stats["quarantined"] == 1
    assert stats["first_ts"] == "2024-02-29T23:00:00Z"  # 01.03.2024 00:00 in Berlin
    listed = invoke(workspace, "quarantine", "list", "--json")
    [entry] = listed["entries"]  # type: ignore[misc]
    shown = invoke(workspace, "quarantine", "show", entry["quarantine_id"], "--json")
    assert shown["reason"] == entry["reason"]
    assert json.loads(shown["raw"])["Kanal"] == "Hologramm"  # type: ignore[arg-type]


def test_user_errors_exit_1_with_a_located_message(workspace: Workspace, tmp_path: Path) -> None:
    missing = tmp_path / "fehlt.csv"
    result = jk("-w", str(workspace.root), "ingest", str(missing), "--json")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"{missing}: no such file — check the path" in result.stderr
    unknown = jk("-w", str(workspace.root), "ingest", str(missing), "--format", "csvv")
    assert unknown.returncode == 1
    assert "unknown format 'csvv' — did you mean 'csv'?" in unknown.stderr
    nobody = jk("-w", str(workspace.root), "identity", "show", "niemand")
    assert nobody.returncode == 1
    assert "no event has the user id or anonymous id 'niemand'" in nobody.stderr
    quarantine = jk("-w", str(workspace.root), "quarantine", "show", "abc:1")
    assert quarantine.returncode == 1
    assert "no quarantined record 'abc:1' — list the ids with `journeykit quarantine list`" in (
        quarantine.stderr
    )


def test_good_files_are_kept_when_one_fails(workspace: Workspace, tmp_path: Path) -> None:
    good = write_csv(tmp_path / "gut.csv", [german_row(i) for i in range(3)])
    result = jk("-w", str(workspace.root), "ingest", str(good), str(tmp_path / "nix.csv"), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"read": 3, "kept": 3, "duplicates": 0, "quarantined": 0}
    assert "nix.csv: no such file" in result.stderr


def test_a_folder_stands_for_the_files_inside_it(workspace: Workspace, tmp_path: Path) -> None:
    """Sharded exports: every file at any depth, in name order; hidden files and Spark's
    markers skipped; a folder without files fails as a whole, the others are kept."""
    export = tmp_path / "export"
    (export / "tag_2").mkdir(parents=True)
    write_csv(export / "tag_2" / "teil_1.csv", [german_row(i) for i in range(3, 5)])
    write_csv(export / "tag_1.csv", [german_row(i) for i in range(3)])
    (export / "_SUCCESS").write_text("")
    (export / ".DS_Store").write_bytes(b"\x00\x01")
    (export / "_temporary").mkdir()
    (export / "_temporary" / "teil_0.csv").write_text("kaputt;;")
    (tmp_path / "leer" / ".versteckt").mkdir(parents=True)
    folders = (str(export), str(tmp_path / "leer"))
    result = jk("-w", str(workspace.root), "ingest", *folders, env={"COLUMNS": "1000"})
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [
        str(export / "tag_1.csv"),
        str(export / "tag_2" / "teil_1.csv"),
    ]
    assert "read 3, kept 3" in lines[0] and "read 2, kept 2" in lines[1]
    assert f"{tmp_path / 'leer'}: is a folder without files — name the files" in result.stderr


def test_store_override(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", [german_row(i) for i in range(4)])
    other = tmp_path / "anderswo.duckdb"
    url = f"duckdb:///{other}"
    ingested = jk("-w", str(workspace.root), "--store", url, "ingest", str(path), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert other.is_file()
    by_env = jk(
        "-w", str(workspace.root), "events", "stats", "--json", env={"JOURNEYKIT_STORE": url}
    )
    assert json.loads(by_env.stdout)["events"] == 4
    default = jk("-w", str(workspace.root), "events", "stats", "--json")
    assert json.loads(default.stdout)["events"] == 0


def test_quarantine_retry_and_identity_show(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(6)]
    rows[2]["Kanal"] = "Litfaßsäule"
    path = write_csv(tmp_path / "shop.csv", rows)
    invoke(workspace, "ingest", str(path), "--json")
    mapping = tmp_path / "fix.yaml"
    mapping.write_text("values:\n  channel:\n    Litfaßsäule: print\n", encoding="utf-8")
    retried = invoke(workspace, "quarantine", "retry", "--mapping", str(mapping), "--json")
    assert retried == {
        "read": 1,
        "kept": 1,
        "duplicates": 0,
        "quarantined": 0,
        "not_retryable": 0,
    }
    assert invoke(workspace, "events", "stats", "--json")["quarantined"] == 0
    shown = invoke(workspace, "identity", "show", "K1001", "--json")
    assert shown["customer_id"] == "K1001"
    assert "v1" in shown["anonymous_ids"]  # type: ignore[operator]
    text = runner.invoke(app, ["-w", str(workspace.root), "identity", "show", "v1"])
    assert text.exit_code == 0
    assert "linked v1 ↔ K1001 by Produktansicht" in text.stdout
