"""Shared output helpers of the CLI: consoles, JSON documents, workspace lookup from the context."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from journeykit.workspace import Workspace, find_workspace

console = Console()
error_console = Console(stderr=True)


def print_json(document: Any) -> None:
    """One JSON document on stdout (the contract for every ``--json`` flag)."""
    typer.echo(json.dumps(document, ensure_ascii=False, indent=2))


def workspace_from(ctx: typer.Context) -> Workspace:
    """The workspace of this call: ``--workspace``, the environment, or found upward."""
    root: Path | None = (ctx.find_root().obj or {}).get("workspace")
    return find_workspace(root)
