"""Reading the stores for ``flows status`` and ``flows lift`` (the edge; ``lift`` stays pure).

Status per flow: runs by status, messages by outbox status, and where the active runs stand (runs
per current step id). Lift input: one ``RunOutcome`` per run, its revenue being the revenue of the
flow's goal events by the same customer from entry to the end of that goal's window.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, select

from journeykit.flows import state
from journeykit.flows.lift import RunOutcome
from journeykit.flows.model import Flow
from journeykit.flows.predicates import all_hold
from journeykit.store import open_analytic

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

RUN_STATUSES = ("active", "converted", "done", "exited")
OUTBOX_STATUSES = ("pending", "sent", "skipped", "failed", "held")


def flow_status(connection: Connection, flow_ids: Iterable[str] = ()) -> list[dict[str, Any]]:
    """Per flow (those with runs, plus ``flow_ids``): runs, messages, active runs per step."""
    runs = state.runs.c
    by_status = connection.execute(
        select(runs.flow_id, runs.status, func.count()).group_by(runs.flow_id, runs.status)
    ).all()
    at_step = connection.execute(
        select(runs.flow_id, runs.step_id, func.count())
        .where(runs.status == "active")
        .group_by(runs.flow_id, runs.step_id)
    ).all()
    messages = connection.execute(
        select(runs.flow_id, state.outbox.c.status, func.count())
        .join(state.runs, state.runs.c.id == state.outbox.c.run_id)
        .group_by(runs.flow_id, state.outbox.c.status)
    ).all()
    flows: dict[str, dict[str, Any]] = {}

    def entry(flow_id: str) -> dict[str, Any]:
        return flows.setdefault(
            flow_id,
            {
                "id": flow_id,
                "runs": dict.fromkeys(RUN_STATUSES, 0),
                "messages": dict.fromkeys(OUTBOX_STATUSES, 0),
                "steps": {},
            },
        )

    for flow_id in flow_ids:
        entry(flow_id)
    for flow_id, status, count in by_status:
        entry(flow_id)["runs"][status] = int(count)
    for flow_id, status, count in messages:
        entry(flow_id)["messages"][status] = int(count)
    for flow_id, step_id, count in at_step:
        entry(flow_id)["steps"][step_id or "(holdout)"] = int(count)
    return [flows[key] for key in sorted(flows)]


def flow_runs(connection: Connection, flow_id: str) -> list[Any]:
    """The runs of one flow: customer, group, entry and conversion."""
    runs = state.runs.c
    query = (
        select(runs.id, runs.customer_id, runs.run_group, runs.entered_at, runs.converted_at)
        .where(runs.flow_id == flow_id)
        .order_by(runs.id)
    )
    return list(connection.execute(query))


def run_outcomes(workspace: Workspace, flow: Flow, runs: list[Any]) -> list[RunOutcome]:
    """Runs with their goal-event revenue after entry, read from the analytic store."""
    events = _goal_events(workspace, flow, runs)
    outcomes = []
    for run in runs:
        revenue = 0.0
        for ts, name, amount, properties in events.get(run.customer_id, []):
            if any(
                goal.event == name
                and run.entered_at <= ts <= run.entered_at + goal.within
                and all_hold(goal.where, properties)
                for goal in flow.goals
            ):
                revenue += amount
        outcomes.append(RunOutcome(run.run_group, run.converted_at is not None, revenue))
    return outcomes


def _goal_events(
    workspace: Workspace, flow: Flow, runs: list[Any]
) -> dict[str, list[tuple[datetime, str, float, dict[str, Any]]]]:
    """Goal events with revenue per customer, between the first entry and the last window end."""
    found: dict[str, list[tuple[datetime, str, float, dict[str, Any]]]] = defaultdict(list)
    if not runs or not flow.goals:
        return found
    start = min(run.entered_at for run in runs)
    end = max(run.entered_at for run in runs) + max(goal.within for goal in flow.goals)
    with open_analytic(workspace, migrate=False) as store:
        table = store.table("events")
        query = table.filter(
            table.name.isin(sorted({goal.event for goal in flow.goals})),
            table.ts >= start,
            table.ts <= end,
            table.revenue.notnull(),
        ).select("ts", "name", "revenue", "properties", "customer_id", "user_id", "anonymous_id")
        rows = store.fetch(query).to_pylist()
    for row in rows:
        customer = row["customer_id"] or row["user_id"] or row["anonymous_id"]
        found[customer].append((row["ts"], row["name"], float(row["revenue"]), _props(row)))
    return found


def _props(row: dict[str, Any]) -> dict[str, Any]:
    try:
        value = json.loads(row["properties"]) if row["properties"] else {}
    except json.JSONDecodeError:
        return {}
    return value if isinstance(value, dict) else {}
