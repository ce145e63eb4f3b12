"""What the flow pages and ``/api/flows`` show, read from the workspace's files and stores.

Every flow file is listed, invalid ones with their problems (a broken file never makes a 500).
Counts come from the operational store (runs, outbox) and the lift from ``flows.lift`` over the
runs and the goal revenue in the analytic store.

Per step: *waiting* — active runs standing at the step now; *past* — treated runs whose position
is beyond the step (they took it, or a branch jumped over it: flows only jump forward); a run
that left the flow at a step (``exit``) or converted while there is not past it; *messages* — the
outbox rows the step wrote, by status.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import Connection, func, select

from journeykit.errors import JourneykitError, Problem
from journeykit.flows import state
from journeykit.flows.lift import compute_lift
from journeykit.flows.model import Flow
from journeykit.flows.status import OUTBOX_STATUSES, RUN_STATUSES, flow_runs, run_outcomes
from journeykit.flows.validate import flow_files, validate_flow_file, workspace_context
from journeykit.workspace import Workspace

logger = logging.getLogger(__name__)


class FlowSummary(BaseModel):
    """One flow file: what it is, whether it is valid, its runs and messages by status."""

    file: str = Field(description="Path relative to the workspace.")
    id: str | None
    name: str | None
    stage: str | None
    trigger: str | None = Field(description="'event: checkout_started', 'segment', 'date: …'.")
    steps: int | None
    holdout: float | None = Field(description="Percent of entrants held out.")
    valid: bool
    problems: list[str] = Field(description="Located problems of an invalid file.")
    runs: dict[str, int] = Field(description="Runs by status: active, converted, done, exited.")
    messages: dict[str, int] = Field(description="Outbox rows by status.")


class StepCount(BaseModel):
    """One step of a flow, in file order, with its counts."""

    id: str
    type: str
    detail: str = Field(description="What the step does, in short.")
    waiting: int = Field(description="Active runs standing at this step now.")
    past: int = Field(description="Treated runs beyond this step (took it or jumped over it).")
    messages: dict[str, int] = Field(description="Outbox rows of this step by status.")


class FlowDetail(BaseModel):
    """One flow with its steps."""

    flow: FlowSummary
    description: str
    goals: list[str]
    holdout_runs: int = Field(description="Runs in the flow's holdout group.")
    step_counts: list[StepCount]


class GroupReport(BaseModel):
    runs: int
    converted: int
    rate: float | None
    revenue_per_run: float | None


class LiftReport(BaseModel):
    """Treated against holdout (``journeykit flows lift --json``)."""

    flow: str
    treated: GroupReport
    holdout: GroupReport
    absolute_lift: float | None
    absolute_lift_ci: list[float] | None
    relative_lift: float | None
    relative_lift_ci: list[float] | None
    revenue_difference: float | None
    revenue_difference_ci: list[float] | None
    verdict: str = Field(description="'too small to conclude', 'no significant difference', …")
    rule: str


@dataclass(frozen=True)
class FlowFile:
    """A flow file as read: the flow when valid, else its problems."""

    path: Path
    flow: Flow | None
    problems: list[Problem]


def read_flow_files(workspace: Workspace) -> list[FlowFile]:
    """Every flow file of the workspace, valid or not."""
    context = workspace_context(workspace.maps_dir, workspace.templates_dir)
    found = []
    for path in flow_files(workspace.flows_dir):
        try:
            found.append(
                FlowFile(path=path, flow=validate_flow_file(path, context).flow, problems=[])
            )
        except JourneykitError as error:
            problems = error.problems or [Problem(str(path), None, None, "", str(error))]
            found.append(FlowFile(path, None, problems))
    return found


def summaries(workspace: Workspace, files: list[FlowFile]) -> list[FlowSummary]:
    """The list page: every file with its counts."""
    counts = _status(workspace)
    return [_summary(workspace, item, counts) for item in files]


def find_flow(files: list[FlowFile], flow_id: str) -> FlowFile | None:
    """The file whose (valid) flow has ``flow_id``, else a file named ``<flow_id>.yaml``."""
    for item in files:
        if item.flow is not None and item.flow.id == flow_id:
            return item
    for item in files:
        if item.path.stem == flow_id:
            return item
    return None


def detail(workspace: Workspace, item: FlowFile) -> FlowDetail:
    """One flow: its summary, steps in order with their counts."""
    counts = _status(workspace)
    summary = _summary(workspace, item, counts)
    flow = item.flow
    if flow is None:
        return FlowDetail(flow=summary, description="", goals=[], holdout_runs=0, step_counts=[])
    db = state.flows_engine(workspace)
    try:
        with db.connect() as connection:
            positions, outbox, held = _step_tallies(connection, flow.id)
    finally:
        db.dispose()
    waiting = counts.get(flow.id, {}).get("steps", {})
    steps = [
        StepCount(
            id=step.id,
            type=step.type,
            detail=step_detail(step),
            waiting=int(waiting.get(step.id, 0)),
            past=sum(count for index, count in positions.items() if index > number),
            messages={s: outbox.get((step.id, s), 0) for s in OUTBOX_STATUSES},
        )
        for number, step in enumerate(flow.steps)
    ]
    goals = [f"{goal.event} · {_duration(goal.within)}" for goal in flow.goals]
    return FlowDetail(
        flow=summary,
        description=flow.description or "",
        goals=goals,
        holdout_runs=held,
        step_counts=steps,
    )


def lift_report(workspace: Workspace, flow: Flow) -> LiftReport:
    """The lift of ``flow`` over the runs the worker wrote."""
    db = state.flows_engine(workspace)
    try:
        with db.connect() as connection:
            runs = flow_runs(connection, flow.id)
    finally:
        db.dispose()
    outcomes = run_outcomes(workspace, flow, runs)
    return LiftReport.model_validate(compute_lift(flow.id, outcomes).to_json())


def step_detail(step: Any) -> str:
    """A short description of a step (the page's second column)."""
    kind = step.type
    if kind == "wait":
        parts = [_duration(step.duration) if step.duration else ""]
        parts.append(f"→ {step.until:%H:%M}" if step.until is not None else "")
        return " ".join(part for part in parts if part) or "—"
    if kind == "wait_for_event":
        return f"{step.event} ≤ {_duration(step.timeout)}"
    if kind == "send":
        return f"{step.channel.value} · {step.template}"
    if kind == "split":
        return " / ".join(f"{v.id} {v.weight:g}" for v in step.variants)
    if kind == "holdout":
        return f"{step.percent:g} %"
    if kind == "webhook":
        return str(step.url)
    if kind == "update_profile":
        return ", ".join([*step.set, *(f"−{name}" for name in step.unset)])
    if kind == "condition":
        count = len(step.traits) + len(step.events)
        return f"{step.combine} · {count}"
    return ""


def _duration(value: Any) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _status(workspace: Workspace) -> dict[str, dict[str, Any]]:
    from journeykit.flows.status import flow_status

    db = state.flows_engine(workspace)
    try:
        with db.connect() as connection:
            return {row["id"]: row for row in flow_status(connection)}
    finally:
        db.dispose()


def _step_tallies(
    connection: Connection, flow_id: str
) -> tuple[dict[int, int], dict[tuple[str, str], int], int]:
    """Treated runs by position (where they stand or ended: a run that exits or converts keeps
    the position of that step), outbox rows by step and status, and the holdout runs."""
    runs, box = state.runs.c, state.outbox.c
    positions: dict[int, int] = defaultdict(int)
    held = 0
    rows = connection.execute(
        select(runs.run_group, runs.step_index, func.count())
        .where(runs.flow_id == flow_id)
        .group_by(runs.run_group, runs.step_index)
    ).all()
    for group, index, count in rows:
        if group == "holdout":
            held += int(count)
        else:
            positions[int(index)] += int(count)
    outbox = connection.execute(
        select(box.step_id, box.status, func.count())
        .join(state.runs, runs.id == box.run_id)
        .where(runs.flow_id == flow_id)
        .group_by(box.step_id, box.status)
    ).all()
    return positions, {(step, status): int(count) for step, status, count in outbox}, held


def _summary(
    workspace: Workspace, item: FlowFile, counts: dict[str, dict[str, Any]]
) -> FlowSummary:
    flow = item.flow
    row = counts.get(flow.id, {}) if flow else {}
    trigger = None
    if flow is not None:
        what = getattr(flow.trigger, "event", None) or getattr(flow.trigger, "property", None)
        trigger = f"{flow.trigger.type}: {what}" if what else flow.trigger.type
    return FlowSummary(
        file=_relative(item.path, workspace.root),
        id=flow.id if flow else None,
        name=flow.name if flow else None,
        stage=flow.stage if flow else None,
        trigger=trigger,
        steps=len(flow.steps) if flow else None,
        holdout=float(flow.holdout) if flow else None,
        valid=flow is not None,
        problems=[_located(problem, workspace.root) for problem in item.problems],
        runs=row.get("runs") or dict.fromkeys(RUN_STATUSES, 0),
        messages=row.get("messages") or dict.fromkeys(OUTBOX_STATUSES, 0),
    )


def _located(problem: Problem, root: Path) -> str:
    """The problem on one line, its file relative to the workspace."""
    if problem.file is None:
        return str(problem)
    return str(replace(problem, file=_relative(Path(problem.file), root)))


def _relative(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)
