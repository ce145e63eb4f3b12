"""The README's tutorial is run as written: every `$ journeykit …` line, and the output it shows."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
FIXTURES = Path(__file__).parent / "fixtures" / "maps"
NOT_RUN = {"serve"}  # starts a server; the web tests cover it
# Files the tutorial's commands name, as the reader would have them.
PROVIDED = {
    "maps/broken.yaml": FIXTURES / "ten_mistakes.yaml",
    "orders.csv": Path(__file__).parent / "fixtures" / "events" / "shopify" / "orders_export.csv",
}


def tutorial_steps() -> list[tuple[list[str], list[str]]]:
    """(command, expected output lines) for each `$ ` line of the tutorial's console blocks."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tutorial = readme.split("## Five-minute tutorial", 1)[1].split("\n## ", 1)[0]
    steps: list[tuple[list[str], list[str]]] = []
    for block in re.findall(r"```console\n(.*?)```", tutorial, flags=re.S):
        for line in block.splitlines():
            if line.startswith("$ "):
                steps.append((shlex.split(line[2:]), []))
            elif line.strip() and steps:
                steps[-1][1].append(line)
    return steps


def test_the_tutorial_runs_as_written(tmp_path: Path) -> None:
    steps = tutorial_steps()
    assert len(steps) >= 10
    cwd = tmp_path
    for command, expected in steps:
        if command[0] == "cd":
            cwd = cwd / command[1]
            continue
        assert command[0] == "journeykit", command
        if command[1] in NOT_RUN:
            continue
        for name, source in PROVIDED.items():
            if name in command:
                shutil.copy(source, cwd / name)
        broken = "maps/broken.yaml" in command
        result = subprocess.run(
            [sys.executable, "-m", "journeykit", *command[1:]],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
        output = result.stdout + result.stderr
        assert result.returncode == (1 if broken else 0), f"{command}: {output}"
        if broken:
            (cwd / "maps" / "broken.yaml").unlink()
        for line in expected:
            assert line in output, f"{command}: expected {line!r} in\n{output}"
    for name in ("anna.svg", "anna.html", "anna.png", "anna.pdf"):
        assert (cwd / name).stat().st_size > 1000, name


@pytest.mark.parametrize(
    "command",
    [
        "init",
        "demo",
        "serve",
        "map new",
        "map validate",
        "map fmt",
        "map diff",
        "map render",
        "map schema",
        "map kpis",
    ],
)
def test_cli_reference_lists_real_commands(command: str) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"`journeykit {command}" in readme
    result = subprocess.run(
        [sys.executable, "-m", "journeykit", *command.split(), "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
