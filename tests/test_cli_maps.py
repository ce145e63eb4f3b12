"""The CLI contract for maps: exit codes, messages on stderr, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.maps.io import load_map
from journeykit.workspace import Workspace

MAPS = Path(__file__).parent / "fixtures" / "maps"
runner = CliRunner()


def jk(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "journeykit", *args], capture_output=True, text=True, check=False
    )


def test_validate_reports_all_problems_and_exits_1() -> None:
    result = jk("map", "validate", str(MAPS / "ten_mistakes.yaml"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    located = [line for line in result.stderr.splitlines() if "ten_mistakes.yaml:" in line]
    assert len(located) == 10
    assert result.stderr.rstrip().endswith("10 problem(s) in 1 of 1 map file(s)")


def test_validate_json(workspace: Workspace) -> None:
    bad = runner.invoke(app, ["map", "validate", "--json", str(MAPS / "ten_mistakes.yaml")])
    assert bad.exit_code == 1
    document = json.loads(bad.stdout)
    assert document["valid"] is False
    assert {p["field"] for p in document["problems"]} >= {"type", "touchpoints[0].channel"}
    good = runner.invoke(app, ["-w", str(workspace.root), "map", "validate", "--json"])
    assert good.exit_code == 0
    assert json.loads(good.stdout) == {"files": 1, "valid": True, "problems": []}


def test_loading_commands_refuse_invalid_maps_with_the_same_messages(tmp_path: Path) -> None:
    result = jk("map", "diff", str(MAPS / "ten_mistakes.yaml"), str(MAPS / "valid_commented.yaml"))
    assert result.returncode == 1
    assert "the map has 10 problems" in result.stderr
    assert "touchpoints[0].channel: 'emial' is not a valid channel" in result.stderr


def test_user_errors_exit_1_usage_errors_exit_2(tmp_path: Path) -> None:
    missing = jk("map", "validate", str(tmp_path / "nope.yaml"))
    assert missing.returncode == 1
    assert "nope.yaml: no such file — check the path" in missing.stderr
    assert jk("map", "validat").returncode == 2
    no_workspace = subprocess.run(
        [sys.executable, "-m", "journeykit", "map", "validate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert no_workspace.returncode == 1
    assert "run `journeykit init DIR`" in no_workspace.stderr


def test_init_new_diff_fmt(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    assert (
        runner.invoke(app, ["init", str(root), "--preset", "five-stage", "--lang", "en"]).exit_code
        == 0
    )
    result = runner.invoke(
        app,
        [
            "-w",
            str(root),
            "map",
            "new",
            "Tag von Markus",
            "--type",
            "day-in-the-life",
            "--persona",
            "Markus",
        ],
    )
    assert result.exit_code == 0, result.output
    created = load_map(root / "maps" / "tag-von-markus.yaml")
    assert created.type == "day-in-the-life"
    assert all(stage.slot for stage in created.stages)
    again = runner.invoke(app, ["-w", str(root), "map", "new", "Tag von Markus"])
    assert again.exit_code == 1
    example = root / "maps" / "example-five-stage.yaml"
    diff = runner.invoke(
        app, ["map", "diff", "--json", str(example), str(root / "maps" / "tag-von-markus.yaml")]
    )
    assert diff.exit_code == 0
    changes = json.loads(diff.stdout)["changes"]
    assert {
        "stage": "awareness",
        "lane": "goals",
        "kind": "removed",
        "item": "Find inspiration",
        "before": None,
        "after": None,
    } in changes
    assert runner.invoke(app, ["-w", str(root), "map", "fmt", "--check"]).exit_code == 0


def test_fmt_keeps_comments_and_reports_changes(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text(
        "format: 1\nid: m  # keep me\ntitle: M\npersona:\n    name: P\n"
        "stages:\n- id: s\n  name: S\n"
    )
    check = runner.invoke(app, ["map", "fmt", "--check", str(path)])
    assert check.exit_code == 1
    assert "would change" in check.stdout
    assert runner.invoke(app, ["map", "fmt", str(path)]).exit_code == 0
    assert "id: m  # keep me\n" in path.read_text()
    assert "  - id: s\n    name: S\n" in path.read_text()


@pytest.mark.parametrize("lang", ["de", "en"])
def test_kpis_lists_the_catalog(lang: str) -> None:
    result = runner.invoke(app, ["map", "kpis", "--json", "--lang", lang])
    assert result.exit_code == 0
    ids = [metric["id"] for metric in json.loads(result.stdout)]
    assert "nps" in ids and "cart_abandonment_rate" in ids and len(ids) == 17
    table = runner.invoke(app, ["map", "kpis", "--lang", lang], env={"COLUMNS": "200"})
    assert ("Warenkorbabbruchrate" if lang == "de" else "Cart abandonment rate") in table.stdout
