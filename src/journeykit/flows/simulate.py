"""``journeykit flows simulate``: run the workspace's flows over its past events, in seconds.

A simulated clock starts at the first event and jumps from event to timer to event; the state goes
to a throwaway in-memory SQLite store, so the real operational store is never touched. The answer:
per flow, runs entered (treated and holdout), converted, still running at the end, and the
messages each send step would have sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from journeykit.flows import state
from journeykit.flows.clock import SimulatedClock
from journeykit.flows.engine import FlowEngine, FlowEvent
from journeykit.flows.feed import read_events
from journeykit.flows.model import Flow
from journeykit.flows.settings import FlowsSection
from journeykit.store.operational import CORE_MIGRATIONS, engine_for_url, migrate_operational

if TYPE_CHECKING:
    from journeykit.workspace import Workspace


def simulate_workspace(
    workspace: Workspace,
    flows: Sequence[Flow],
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Simulate ``flows`` over the workspace's events in [since, until)."""
    events = read_events(workspace, since, until)
    zone = ZoneInfo(workspace.settings.workspace.timezone)
    return simulate(flows, events, zone, defaults=workspace.settings.flows, until=until)


def simulate(
    flows: Sequence[Flow],
    events: Sequence[FlowEvent],
    zone: ZoneInfo,
    *,
    defaults: FlowsSection | None = None,
    until: datetime | None = None,
) -> dict[str, Any]:
    """Run ``flows`` over ``events`` with a simulated clock; counts per flow and step."""
    db = engine_for_url("sqlite://", Path("."))
    migrate_operational(db, CORE_MIGRATIONS, state.FLOW_MIGRATIONS)
    ordered = sorted(events, key=lambda e: (e.ts, e.event_id))
    if not ordered:
        return {"events": 0, "since": None, "until": None, "flows": _report(db, flows)}
    clock = SimulatedClock(ordered[0].ts)
    engine = FlowEngine(db, flows, clock, zone=zone, defaults=defaults)
    for item in ordered:
        engine.run_until(item.ts)
        engine.observe([item])
    end = until or ordered[-1].ts + _longest_window(flows)
    engine.run_until(end)
    report = {
        "events": len(ordered),
        "since": ordered[0].ts.astimezone(UTC).isoformat(),
        "until": end.astimezone(UTC).isoformat(),
        "flows": _report(db, flows),
    }
    db.dispose()
    return report


def _longest_window(flows: Sequence[Flow]) -> timedelta:
    """How long after the last event to keep the clock running so pending steps can finish."""
    longest = timedelta(days=1)
    for flow in flows:
        for goal in flow.goals:
            longest = max(longest, goal.within)
    return longest


def _report(db: Engine, flows: Sequence[Flow]) -> list[dict[str, Any]]:
    with db.connect() as connection:
        counts = state.run_counts(connection, [flow.id for flow in flows])
        sends = connection.execute(
            select(
                state.runs.c.flow_id, state.outbox.c.step_id, state.outbox.c.status, func.count()
            )
            .join(state.runs, state.runs.c.id == state.outbox.c.run_id)
            .group_by(state.runs.c.flow_id, state.outbox.c.step_id, state.outbox.c.status)
        ).all()
    per_step: dict[tuple[str, str], dict[str, int]] = {}
    for flow_id, step_id, status, count in sends:
        kind = "skipped" if status == "skipped" else "sent"
        tally = per_step.setdefault((flow_id, step_id), {"sent": 0, "skipped": 0})
        tally[kind] += int(count)
    empty = {"entered": 0, "converted": 0, "active": 0}
    rows = []
    for flow in flows:
        groups = counts.get(flow.id, {"treated": dict(empty), "holdout": dict(empty)})
        rows.append(
            {
                "id": flow.id,
                "treated": groups["treated"],
                "holdout": groups["holdout"],
                "messages": [
                    {"step": step.id, **per_step.get((flow.id, step.id), {"sent": 0, "skipped": 0})}
                    for step in flow.steps
                    if step.type in ("send", "webhook")
                ],
            }
        )
    return rows
