"""``journeykit flows …``: create flows from scenarios, check them, list them, show the schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from journeykit.cli.output import console, error_console, print_json, workspace_from
from journeykit.errors import JourneykitError, Problem
from journeykit.flows.scenarios import Scenario, create_flow
from journeykit.flows.schema import flow_json_schema
from journeykit.flows.validate import (
    FlowContext,
    flow_files,
    validate_flow_file,
    workspace_context,
)
from journeykit.workspace import Workspace, WorkspaceNotFound

flows_app = typer.Typer(help="Flows (automations per journey stage): new, validate, list, schema.")


def _context(workspace: Workspace) -> FlowContext:
    return workspace_context(workspace.maps_dir, workspace.templates_dir)


@flows_app.command("new")
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the flow; id and file name derive from it.")],
    scenario: Annotated[Scenario, typer.Option(help="The ready-made flow to start from.")],
    lang: Annotated[
        str | None, typer.Option(help="de or en (default: the workspace's language).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing flow file.")] = False,
) -> None:
    """Create a flow in flows/ from a scenario, with its message templates in templates/."""
    workspace = workspace_from(ctx)
    language = lang or workspace.language
    if language not in ("de", "en"):
        raise typer.BadParameter(
            f"'{language}' is not a language — use de or en", param_hint="--lang"
        )
    made = create_flow(
        name, scenario, language, workspace.flows_dir, _context(workspace), force=force
    )
    console.print(f"Created {made.path} (stage: {made.flow.stage})", markup=False, soft_wrap=True)
    console.print(
        f"Templates: {len(made.written)} file(s) written, {len(made.kept)} kept as they were",
        markup=False,
        soft_wrap=True,
    )


def _checked(
    ctx: typer.Context, paths: list[Path] | None
) -> tuple[list[Path], FlowContext, list[Problem], list[Problem], dict[Path, Any]]:
    """Validate the named flows (or all of the workspace): files, context, problems, warnings."""
    try:
        workspace: Workspace | None = workspace_from(ctx)
    except WorkspaceNotFound:
        if not paths:
            raise
        workspace = None  # files named outside a workspace: check them on their own
    context = _context(workspace) if workspace else FlowContext()
    files = paths or (flow_files(workspace.flows_dir) if workspace else [])
    problems: list[Problem] = []
    warnings: list[Problem] = []
    flows: dict[Path, Any] = {}
    for path in files:
        try:
            checked = validate_flow_file(path, context)
        except JourneykitError as error:
            problems.extend(error.problems or [Problem(str(path), None, None, "", str(error))])
            continue
        flows[path] = checked.flow
        warnings.extend(checked.warnings)
    return files, context, problems, warnings, flows


@flows_app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Flow files (default: all flows of the workspace).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check flow files (and their templates and stage) and report every problem, located."""
    files, _, problems, warnings, _ = _checked(ctx, paths)
    if as_json:
        print_json(
            {
                "files": len(files),
                "valid": not problems,
                "problems": [_as_dict(p) for p in problems],
                "warnings": [_as_dict(w) for w in warnings],
            }
        )
    else:
        for problem in problems:
            error_console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        for warning in warnings:
            error_console.print(
                f"warning: {warning}", markup=False, highlight=False, soft_wrap=True
            )
        if problems:
            bad = len({problem.file for problem in problems})
            error_console.print(f"{len(problems)} problem(s) in {bad} of {len(files)} flow file(s)")
        else:
            console.print(f"{len(files)} flow(s) valid")
    if problems:
        raise typer.Exit(1)


@flows_app.command("list")
def list_flows(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the workspace's flows: id, name, stage, trigger, steps; invalid ones are marked."""
    files, _, problems, _, flows = _checked(ctx, None)
    rows = [_row(path, flows.get(path), problems) for path in files]
    if as_json:
        print_json({"flows": rows})
        return
    table = Table(title="Flows")
    for column in ("id", "name", "stage", "trigger", "steps", "valid", "file"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"] or "",
            row["name"] or "",
            row["stage"] or "",
            row["trigger"] or "",
            str(row["steps"] if row["steps"] is not None else ""),
            "yes" if row["valid"] else f"no ({row['problems']} problem(s))",
            row["file"],
        )
    console.print(table)


def _row(path: Path, flow: Any, problems: list[Problem]) -> dict[str, Any]:
    if flow is None:
        count = sum(1 for problem in problems if problem.file == str(path))
        return {
            "file": str(path),
            "id": None,
            "name": None,
            "stage": None,
            "trigger": None,
            "steps": None,
            "valid": False,
            "problems": count,
        }
    trigger = flow.trigger
    what = getattr(trigger, "event", None) or getattr(trigger, "property", None) or ""
    return {
        "file": str(path),
        "id": flow.id,
        "name": flow.name,
        "stage": flow.stage,
        "trigger": f"{trigger.type}: {what}" if what else trigger.type,
        "steps": len(flow.steps),
        "valid": True,
        "problems": 0,
    }


def _as_dict(problem: Problem) -> dict[str, object]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }


@flows_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the flow format (docs/schema/flow.schema.json is this output)."""
    typer.echo(json.dumps(flow_json_schema(), ensure_ascii=False, indent=2))


# --- engine: simulate and worker --------------------------------------------------------------


@flows_app.command("simulate")
def simulate(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="First day of events (YYYY-MM-DD, workspace zone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Day after the last one (YYYY-MM-DD, exclusive).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Run the flows over past events with a simulated clock: entered, converted, messages."""
    from journeykit.analytics.timespans import parse_day
    from journeykit.flows.runtime import workspace_flows
    from journeykit.flows.simulate import simulate_workspace

    workspace = workspace_from(ctx)
    zone = workspace.settings.workspace.timezone
    start = parse_day(since, zone, flag="--since") if since else None
    end = parse_day(until, zone, flag="--until") if until else None
    report = simulate_workspace(workspace, workspace_flows(workspace), start, end)
    if as_json:
        print_json(report)
        return
    console.print(
        f"{report['events']} event(s) from {report['since']} to {report['until']}",
        markup=False,
        soft_wrap=True,
    )
    table = Table(title="Simulated flows")
    for column in ("flow", "entered", "converted", "holdout", "holdout converted", "messages"):
        table.add_column(column, overflow="fold")
    for row in report["flows"]:
        messages = ", ".join(f"{m['step']}: {m['sent']}" for m in row["messages"])
        table.add_row(
            row["id"],
            str(row["treated"]["entered"]),
            str(row["treated"]["converted"]),
            str(row["holdout"]["entered"]),
            str(row["holdout"]["converted"]),
            messages or "—",
        )
    console.print(table)


def worker_command(
    ctx: typer.Context,
    interval: Annotated[float, typer.Option(help="Seconds between rounds.")] = 2.0,
    smtp: Annotated[
        str | None,
        typer.Option(
            help="SMTP server HOST:PORT for email (else $JOURNEYKIT_SMTP; none: no sends)."
        ),
    ] = None,
    sender: Annotated[
        str | None, typer.Option("--from", help="From address (else $JOURNEYKIT_SMTP_FROM).")
    ] = None,
    shop_url: Annotated[str, typer.Option(help="The shop's URL as templates show it.")] = "",
) -> None:
    """Run due flow steps and send their messages until stopped (SIGTERM ends after the step)."""
    from journeykit.flows.runtime import (
        EmailTarget,
        workspace_channels,
        workspace_engine,
        workspace_flows,
    )
    from journeykit.flows.worker import TickResult, run_worker

    workspace = workspace_from(ctx)
    engine = workspace_engine(workspace, workspace_flows(workspace))
    if smtp is not None and not smtp.rpartition(":")[2].isdigit():
        raise typer.BadParameter(f"'{smtp}' is not HOST:PORT", param_hint="--smtp")
    channels = workspace_channels(workspace, EmailTarget(smtp, sender, shop_url))

    def report(result: TickResult) -> None:
        if result.events or result.advanced or result.sent or result.failed:
            error_console.print(
                f"events {result.events} · entered {result.entered} · steps {result.advanced} · "
                f"sent {result.sent} · failed {result.failed}",
                markup=False,
                highlight=False,
            )

    error_console.print(f"worker {engine.owner} started; stop with Ctrl-C or SIGTERM")
    run_worker(workspace, engine, channels, interval=interval, on_tick=report)
    error_console.print("worker stopped")


# --- lift and status --------------------------------------------------------------------------


@flows_app.command("status")
def status(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Per flow: runs by status, messages by outbox status, active runs at each step."""
    from journeykit.flows.state import flows_engine
    from journeykit.flows.status import flow_status

    workspace = workspace_from(ctx)
    _, _, _, _, flows = _checked(ctx, None)
    db = flows_engine(workspace)
    try:
        with db.connect() as connection:
            rows = flow_status(connection, [flow.id for flow in flows.values()])
    finally:
        db.dispose()
    if as_json:
        print_json({"flows": rows})
        return
    table = Table(title="Flow status")
    for column in ("flow", "runs", "messages", "active runs at step"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(
            row["id"], _tally(row["runs"]), _tally(row["messages"]), _tally(row["steps"]) or "—"
        )
    console.print(table)


def _tally(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count)


@flows_app.command("lift")
def lift(
    ctx: typer.Context,
    flow_id: Annotated[str, typer.Argument(metavar="FLOW", help="Id of the flow.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Treated against holdout: conversion rates, lift and revenue per run with 95 % CIs."""
    from journeykit.errors import suggestion
    from journeykit.flows.lift import compute_lift
    from journeykit.flows.state import flows_engine
    from journeykit.flows.status import flow_runs, run_outcomes

    workspace = workspace_from(ctx)
    _, _, _, _, flows = _checked(ctx, None)
    known = {flow.id: flow for flow in flows.values()}
    if flow_id not in known:
        hint = suggestion(flow_id, sorted(known))
        raise JourneykitError(
            f"no flow '{flow_id}' in {workspace.flows_dir}",
            [Problem(str(workspace.flows_dir), None, None, "FLOW", f"no flow '{flow_id}'", hint)],
        )
    db = flows_engine(workspace)
    try:
        with db.connect() as connection:
            runs = flow_runs(connection, flow_id)
    finally:
        db.dispose()
    result = compute_lift(flow_id, run_outcomes(workspace, known[flow_id], runs))
    if as_json:
        print_json(result.to_json())
        return
    _print_lift(result.to_json())


def _print_lift(data: dict[str, Any]) -> None:
    table = Table(title=f"Lift of {data['flow']}")
    for column in ("group", "runs", "converted", "rate", "revenue per run"):
        table.add_column(column)
    for group in ("treated", "holdout"):
        row = data[group]
        table.add_row(
            group,
            str(row["runs"]),
            str(row["converted"]),
            _number(row["rate"], unit="%"),
            _number(row["revenue_per_run"]),
        )
    console.print(table)
    for label, key, unit in (
        ("absolute lift", "absolute_lift", "pp"),
        ("relative lift", "relative_lift", "%"),
        ("revenue per run, difference", "revenue_difference", ""),
    ):
        interval = data[f"{key}_ci"]
        ci = (
            f" (95 % CI {_number(interval[0], unit=unit)} to {_number(interval[1], unit=unit)})"
            if interval
            else ""
        )
        console.print(f"{label}: {_number(data[key], unit=unit)}{ci}", markup=False)
    console.print(f"verdict: {data['verdict']} — {data['rule']}", markup=False, soft_wrap=True)


def _number(value: float | None, *, unit: str = "") -> str:
    """A fraction as percent (``%``) or percentage points (``pp``); other numbers as they are."""
    if value is None:
        return "—"
    return f"{value * 100:.1f} {unit}" if unit else f"{value:.2f}"


__all__ = ["flows_app", "worker_command"]
