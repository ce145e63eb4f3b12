"""The CLI contract for flows: exit codes, messages on stderr, JSON on stdout."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.flows.scenarios import Scenario
from journeykit.workspace import Workspace

FLOWS = Path(__file__).parent / "fixtures" / "flows"
runner = CliRunner()


def jk(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The installed console script, as a user runs it."""
    return subprocess.run(
        [sys.executable, "-m", "journeykit", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


def test_new_all_scenarios_then_validate_and_list(workspace: Workspace) -> None:
    root = str(workspace.root)
    for scenario in Scenario:
        result = runner.invoke(
            app, ["-w", root, "flows", "new", f"{scenario.value} test", "--scenario", scenario]
        )
        assert result.exit_code == 0, result.output
        assert f"{scenario.value}-test.yaml (stage: " in result.stdout
    english = runner.invoke(
        app, ["-w", root, "flows", "new", "Cart EN", "--scenario", "abandoned-cart", "--lang", "en"]
    )
    assert english.exit_code == 0
    assert (workspace.templates_dir / "cart-reminder" / "en.html.j2").is_file()
    checked = runner.invoke(app, ["-w", root, "flows", "validate", "--json"])
    assert checked.exit_code == 0, checked.output
    assert json.loads(checked.stdout) == {
        "files": 11,
        "valid": True,
        "problems": [],
        "warnings": [],
    }
    listed = json.loads(runner.invoke(app, ["-w", root, "flows", "list", "--json"]).stdout)
    rows = {row["id"]: row for row in listed["flows"]}
    assert rows["abandoned-cart-test"] == {
        "file": str(workspace.flows_dir / "abandoned-cart-test.yaml"),
        "id": "abandoned-cart-test",
        "name": "abandoned-cart test",
        "stage": "purchase",
        "trigger": "event: checkout_started",
        "steps": 5,
        "valid": True,
        "problems": 0,
    }
    assert rows["nps-survey-test"]["stage"] == "retention"  # the ecommerce preset's stand-in
    assert rows["win-back-test"]["trigger"] == "date: last_order_date"
    assert runner.invoke(app, ["-w", root, "flows", "list"]).exit_code == 0


def test_validate_reports_every_problem_and_exits_1(workspace: Workspace) -> None:
    result = jk("-w", str(workspace.root), "flows", "validate", str(FLOWS / "mistakes.yaml"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    located = [line for line in result.stderr.splitlines() if "mistakes.yaml:" in line]
    assert len(located) == 11
    # steps with a bad channel or type are not checked for templates: one problem each, not two
    assert "template 'cart-" not in result.stderr
    assert result.stderr.rstrip().endswith("11 problem(s) in 1 of 1 flow file(s)")


def test_validate_json_and_invalid_flows_in_the_list(workspace: Workspace) -> None:
    (workspace.flows_dir / "broken.yaml").write_text(
        (FLOWS / "mistakes.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    bad = runner.invoke(app, ["-w", str(workspace.root), "flows", "validate", "--json"])
    assert bad.exit_code == 1
    document = json.loads(bad.stdout)
    assert document["valid"] is False
    assert {"steps[1].channel", "quiet_hours.end"} <= {p["field"] for p in document["problems"]}
    listed = runner.invoke(app, ["-w", str(workspace.root), "flows", "list", "--json"])
    assert listed.exit_code == 0
    [row] = json.loads(listed.stdout)["flows"]
    assert (row["valid"], row["problems"], row["id"]) == (False, 11, None)


def test_files_outside_a_workspace_are_checked_on_their_own(tmp_path: Path) -> None:
    result = jk("flows", "validate", str(FLOWS / "valid_commented.yaml"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "1 flow(s) valid" in result.stdout
    nothing = jk("flows", "validate", cwd=tmp_path)
    assert nothing.returncode == 1
    assert "run `journeykit init DIR`" in nothing.stderr


def test_warning_when_the_workspace_has_no_map(workspace: Workspace) -> None:
    for path in workspace.map_files():
        path.unlink()
    root = str(workspace.root)
    assert (
        runner.invoke(
            app, ["-w", root, "flows", "new", "Hi", "--scenario", "welcome-series"]
        ).exit_code
        == 0
    )
    result = jk("-w", root, "flows", "validate")
    assert result.returncode == 0
    assert (
        "warning: " in result.stderr and "to check stage 'consideration' against" in result.stderr
    )


def test_user_and_usage_errors(workspace: Workspace) -> None:
    root = str(workspace.root)
    assert jk("-w", root, "flows", "new", "X", "--scenario", "abandoned-cart").returncode == 0
    again = jk("-w", root, "flows", "new", "X", "--scenario", "abandoned-cart")
    assert again.returncode == 1
    assert "exists already — choose another name or pass --force" in again.stderr
    assert jk("-w", root, "flows", "new", "Y", "--scenario", "abandoned-kart").returncode == 2
    assert (
        jk("-w", root, "flows", "new", "Y", "--scenario", "win-back", "--lang", "fr").returncode
        == 2
    )
    assert jk("-w", root, "flows", "validat").returncode == 2
    missing = jk("-w", root, "flows", "validate", str(workspace.root / "nope.yaml"))
    assert missing.returncode == 1
    assert "nope.yaml: no such file — check the path" in missing.stderr
