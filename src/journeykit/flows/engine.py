"""The flow engine: events start, wake and convert runs; due timers move runs step by step.

Two entry points, both safe to call from several workers at once:

- ``observe(events)``: for each event (in time order) — exit goals first (a conversion within the
  window marks the run converted and, if it is still running, ends it), then waking runs that wait
  for this event, then triggers (re-entry policy, stable holdout assignment). Holdout runs record
  their entry and wait out the goal window without a single step, so lift can compare them.
- ``run_due()``: claims due timers (see ``state``) and advances each claimed run in ONE
  transaction (a batch of claimed runs shares it): the steps it can take now, the outbox rows of
  its sends, its next timer. A worker that dies mid-batch commits nothing; its leases expire and
  another worker redoes the same steps, writing the same idempotency keys (unique per run and
  step), so no effect is doubled.

Time comes from a ``Clock``; ``run_until`` moves a simulated one from timer to timer.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from journeykit.flows import state
from journeykit.flows.assignment import choose_variant, in_holdout
from journeykit.flows.caps import Action, plan_send
from journeykit.flows.clock import Clock, SimulatedClock
from journeykit.flows.model import (
    EXIT,
    ConditionStep,
    EventTrigger,
    Flow,
    HistoryCondition,
    HoldoutStep,
    ReentryPolicy,
    SendStep,
    SplitStep,
    UpdateProfileStep,
    WaitForEventStep,
    WaitStep,
    WebhookStep,
)
from journeykit.flows.predicates import all_hold, holds
from journeykit.flows.settings import FlowsSection, effective_policy

ACTIVE = "active"
DONE = "done"
EXITED = "exited"
CONVERTED = "converted"
TREATED = "treated"
HOLDOUT = "holdout"


@dataclass(frozen=True)
class FlowEvent:
    """One event as the engine sees it (``customer_id`` already resolved)."""

    event_id: str
    ts: datetime
    customer_id: str
    name: str
    properties: Mapping[str, Any] = field(default_factory=dict)


class History(Protocol):
    """How often a customer did an event in a time range (for condition steps)."""

    def count(
        self, customer_id: str, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> int: ...


class MemoryHistory:
    """The events the engine was shown, kept per customer (simulate, tests, a fresh worker)."""

    def __init__(self) -> None:
        self._events: dict[str, list[FlowEvent]] = {}

    def add(self, event: FlowEvent) -> None:
        self._events.setdefault(event.customer_id, []).append(event)

    def count(
        self, customer_id: str, condition: HistoryCondition, since: datetime | None, until: datetime
    ) -> int:
        return sum(
            1
            for event in self._events.get(customer_id, [])
            if event.name == condition.event
            and (since is None or event.ts >= since)
            and event.ts <= until
            and all_hold(condition.where, event.properties)
        )


@dataclass
class _Run:
    """A run row, mutable while one transaction advances it."""

    id: int
    flow_id: str
    customer_id: str
    step_index: int
    phase: str
    step_started_at: datetime | None
    woken_by: str | None
    status: str
    assignments: dict[str, str]
    context: dict[str, Any]


@dataclass(frozen=True)
class _Wait:
    due: datetime


@dataclass(frozen=True)
class _Go:
    target: str | None  # a step id, EXIT, or None for the following step


class FlowEngine:
    """Runs ``flows`` against the operational store ``db`` with time from ``clock``."""

    def __init__(
        self,
        db: Engine,
        flows: Sequence[Flow],
        clock: Clock,
        *,
        zone: ZoneInfo | None = None,
        defaults: FlowsSection | None = None,
        history: History | None = None,
        owner: str | None = None,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.db = db
        self.flows = {flow.id: flow for flow in flows}
        self.clock = clock
        self.zone = zone or ZoneInfo("UTC")
        section = defaults or FlowsSection()
        self.policies = {flow.id: effective_policy(flow, section) for flow in flows}
        self.history: History = history or MemoryHistory()
        self.owner = owner or f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self.lease = lease

    # --- events -----------------------------------------------------------------------------

    def observe(self, events: Iterable[FlowEvent], batch: int = 200) -> int:
        """Apply events (goals, wake-ups, triggers); returns how many runs were entered.

        Events go in transactions of ``batch`` (one commit, one fsync, per batch, not per event).
        """
        ordered = sorted(events, key=lambda e: (e.ts, e.event_id))
        if isinstance(self.history, MemoryHistory):
            for event in ordered:
                self.history.add(event)
        return sum(
            self._observe_batch(ordered[start : start + batch])
            for start in range(0, len(ordered), batch)
        )

    def _observe_batch(self, events: Sequence[FlowEvent], attempts: int = 3) -> int:
        """Events in one transaction; a clash with another worker's entry is retried (the
        retry sees that worker's runs and skips them)."""
        for attempt in range(attempts):
            try:
                with self.db.begin() as connection:
                    entered = 0
                    for event in events:
                        self._convert(connection, event)
                        self._wake(connection, event)
                        entered += self._trigger(connection, event)
                    return entered
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        return 0

    def _customer_runs(self, connection: Connection, customer_id: str) -> list[Any]:
        query = select(state.runs).where(
            and_(
                state.runs.c.customer_id == customer_id,
                state.runs.c.flow_id.in_(list(self.flows)),
            )
        )
        return list(connection.execute(query))

    def _convert(self, connection: Connection, event: FlowEvent) -> None:
        for row in self._customer_runs(connection, event.customer_id):
            if row.converted_at is not None or event.ts < row.entered_at:
                continue
            goals = self.flows[row.flow_id].goals
            if not any(
                goal.event == event.name
                and event.ts <= row.entered_at + goal.within
                and all_hold(goal.where, event.properties)
                for goal in goals
            ):
                continue
            values: dict[str, Any] = {"converted_at": event.ts}
            if row.status == ACTIVE:
                values.update(status=CONVERTED, ended_at=event.ts, step_id=None)
                state.drop_timer(connection, row.id)
            connection.execute(update(state.runs).where(state.runs.c.id == row.id).values(**values))

    def _wake(self, connection: Connection, event: FlowEvent) -> None:
        for row in self._customer_runs(connection, event.customer_id):
            if row.status != ACTIVE or row.phase != "waiting" or row.woken_by is not None:
                continue
            step = self._step_at(row.flow_id, row.step_index)
            if not isinstance(step, WaitForEventStep) or step.event != event.name:
                continue
            if event.ts < row.step_started_at or not all_hold(step.where, event.properties):
                continue
            connection.execute(
                update(state.runs).where(state.runs.c.id == row.id).values(woken_by="event")
            )
            state.set_timer(connection, row.id, self.clock.now())

    def _trigger(self, connection: Connection, event: FlowEvent) -> int:
        entered = 0
        for flow in self.flows.values():
            trigger = flow.trigger
            if not isinstance(trigger, EventTrigger) or trigger.event != event.name:
                continue
            if not all_hold(trigger.where, event.properties):
                continue
            if self._may_enter(connection, flow, event):
                self._enter(connection, flow, event)
                entered += 1
        return entered

    def _may_enter(self, connection: Connection, flow: Flow, event: FlowEvent) -> bool:
        rows = connection.execute(
            select(
                state.runs.c.status, state.runs.c.entered_at, state.runs.c.trigger_event_id
            ).where(
                and_(
                    state.runs.c.flow_id == flow.id,
                    state.runs.c.customer_id == event.customer_id,
                )
            )
        ).all()
        if any(row.trigger_event_id == event.event_id for row in rows):
            return False  # the same event read twice
        if any(row.status == ACTIVE for row in rows):
            return False  # one run of a flow per customer at a time
        policy = flow.reentry.policy
        if policy is ReentryPolicy.NEVER:
            return not rows
        if policy is ReentryPolicy.COOLDOWN and flow.reentry.cooldown is not None:
            since = event.ts - flow.reentry.cooldown
            return not any(row.entered_at > since for row in rows)
        return True

    def _enter(self, connection: Connection, flow: Flow, event: FlowEvent) -> None:
        held = in_holdout(flow.id, "flow", event.customer_id, float(flow.holdout))
        start = max(event.ts, self.clock.now()) if not held else event.ts
        result = connection.execute(
            state.runs.insert().values(
                flow_id=flow.id,
                customer_id=event.customer_id,
                step_index=len(flow.steps) if held else 0,
                step_id=None if held else flow.steps[0].id,
                phase="enter",
                status=ACTIVE,
                run_group=HOLDOUT if held else TREATED,
                assignments=state.dump_json({}),
                context=state.dump_json({"event": dict(event.properties)}),
                trigger_event_id=event.event_id,
                entered_at=event.ts,
            )
        )
        key = result.inserted_primary_key
        assert key is not None
        run_id = int(key[0])
        window = max((goal.within for goal in flow.goals), default=timedelta(0))
        state.set_timer(connection, run_id, event.ts + window if held else start)

    # --- timers -----------------------------------------------------------------------------

    def run_due(self, limit: int = 100) -> int:
        """Claim due timers and advance their runs, all in one transaction (one commit per
        batch); returns how many runs were advanced."""
        claims = state.claim_due(self.db, self.owner, self.clock.now(), self.lease, limit)
        if not claims:
            return 0
        with self.db.begin() as connection:
            return sum(self._advance_claimed(connection, claim) for claim in claims)

    def run_until(self, instant: datetime) -> int:
        """With a simulated clock: fire every timer due up to ``instant``, in due order."""
        if not isinstance(self.clock, SimulatedClock):
            raise TypeError("run_until needs a SimulatedClock; a worker calls run_due")
        advanced = 0
        while True:
            with self.db.connect() as connection:
                due = state.next_due(connection)
            if due is None or due > instant:
                break
            self.clock.advance_to(due)
            taken = self.run_due(limit=1000)
            if taken == 0:
                break  # due timers another worker holds: their lease decides, not this loop
            advanced += taken
        self.clock.advance_to(instant)
        return advanced

    def advance(self, claim: state.Claim) -> bool:
        """Take every step the run can take now, in one transaction; False if the lease is lost."""
        with self.db.begin() as connection:
            return self._advance_claimed(connection, claim)

    def _advance_claimed(self, connection: Connection, claim: state.Claim) -> bool:
        if not state.holds_lease(connection, claim):
            return False
        row = connection.execute(select(state.runs).where(state.runs.c.id == claim.run_id)).one()
        run = _Run(
            row.id,
            row.flow_id,
            row.customer_id,
            row.step_index,
            row.phase,
            row.step_started_at,
            row.woken_by,
            row.status,
            dict(state.load_json(row.assignments)),
            dict(state.load_json(row.context)),
        )
        self._advance(connection, run)
        return True

    def _advance(self, connection: Connection, run: _Run) -> None:
        flow = self.flows.get(run.flow_id)
        now = self.clock.now()
        while run.status == ACTIVE:
            if flow is None or run.step_index >= len(flow.steps):
                self._end(connection, run, DONE if flow else EXITED, now)
                return
            outcome = self._take(connection, flow, run, flow.steps[run.step_index], now)
            if isinstance(outcome, _Wait):
                self._save(connection, run, flow)
                state.set_timer(connection, run.id, outcome.due)
                return
            self._go(flow, run, outcome.target)
        self._end(connection, run, run.status, now)

    def _go(self, flow: Flow, run: _Run, target: str | None) -> None:
        run.phase, run.woken_by, run.step_started_at = "enter", None, None
        if target == EXIT:
            run.status = EXITED
        elif target is None:
            run.step_index += 1
        else:
            run.step_index = next(i for i, s in enumerate(flow.steps) if s.id == target)

    def _save(self, connection: Connection, run: _Run, flow: Flow) -> None:
        connection.execute(
            update(state.runs)
            .where(state.runs.c.id == run.id)
            .values(
                step_index=run.step_index,
                step_id=flow.steps[run.step_index].id,
                phase=run.phase,
                step_started_at=run.step_started_at,
                woken_by=run.woken_by,
                assignments=state.dump_json(run.assignments),
                context=state.dump_json(run.context),
            )
        )

    def _end(self, connection: Connection, run: _Run, status: str, now: datetime) -> None:
        connection.execute(
            update(state.runs)
            .where(state.runs.c.id == run.id)
            .values(
                status=status,
                step_index=run.step_index,
                step_id=None,
                phase="enter",
                ended_at=now,
                assignments=state.dump_json(run.assignments),
                context=state.dump_json(run.context),
            )
        )
        state.drop_timer(connection, run.id)

    # --- steps ------------------------------------------------------------------------------

    def _take(
        self, connection: Connection, flow: Flow, run: _Run, step: Any, now: datetime
    ) -> _Wait | _Go:
        if isinstance(step, WaitStep | WaitForEventStep) and run.phase == "waiting":
            if isinstance(step, WaitStep):
                return _Go(step.next)
            return _Go(step.on_event if run.woken_by == "event" else step.on_timeout)
        if isinstance(step, WaitStep):
            due = now + (step.duration or timedelta(0))
            if step.until is not None:
                due = next_local_time(due, step.until, self._zone(connection, run))
            return self._wait(run, now, due)
        if isinstance(step, WaitForEventStep):
            return self._wait(run, now, now + step.timeout)
        if isinstance(step, ConditionStep):
            passed = self._condition(connection, run, step, now)
            return _Go(step.then if passed else step.otherwise)
        if isinstance(step, SplitStep):
            arms = [(variant.id, variant.weight) for variant in step.variants]
            chosen = choose_variant(flow.id, step.id, run.customer_id, arms)
            run.assignments[step.id] = chosen
            return _Go(next(v.next for v in step.variants if v.id == chosen))
        if isinstance(step, HoldoutStep):
            held = in_holdout(flow.id, step.id, run.customer_id, float(step.percent))
            run.assignments[step.id] = HOLDOUT if held else TREATED
            return _Go(step.on_holdout if held else None)
        if isinstance(step, SendStep):
            return self._send(connection, flow, run, step, now)
        if isinstance(step, WebhookStep):
            payload = {"url": step.url, "secret_env": step.secret_env, "body": step.body}
            write_outbox(connection, flow, run.id, step.id, "webhook", payload, now)
            return _Go(step.next)
        if isinstance(step, UpdateProfileStep):
            values = state.customer_traits(connection, run.customer_id)
            values.update(step.set)
            for name in step.unset:
                values.pop(name, None)
            state.save_traits(connection, run.customer_id, values, now)
            return _Go(step.next)
        raise TypeError(f"unknown step type {type(step).__name__}")

    @staticmethod
    def _wait(run: _Run, now: datetime, due: datetime) -> _Wait:
        run.phase, run.step_started_at, run.woken_by = "waiting", now, None
        return _Wait(due)

    def _condition(
        self, connection: Connection, run: _Run, step: ConditionStep, now: datetime
    ) -> bool:
        traits = state.customer_traits(connection, run.customer_id)
        results = [holds(condition, traits) for condition in step.traits]
        for wanted in step.events:
            since = now - wanted.within if wanted.within else None
            count = self.history.count(run.customer_id, wanted, since, now)
            top = wanted.max_count if wanted.max_count is not None else count
            results.append(wanted.min_count <= count <= top)
        return all(results) if step.combine == "all" else any(results)

    def _send(
        self, connection: Connection, flow: Flow, run: _Run, step: SendStep, now: datetime
    ) -> _Wait | _Go:
        zone = self._zone(connection, run)
        policy = self.policies[flow.id]
        decision = plan_send(
            now,
            step.channel,
            _sent_times(connection, run.customer_id, step.channel.value),
            policy.caps,
            policy.quiet_hours,
            zone,
            policy.on_cap,
            transactional=step.transactional,
        )
        if decision.action is not Action.SEND:
            run.context.setdefault("decisions", []).append(
                {
                    "step": step.id,
                    "action": decision.action.value,
                    "at": str(decision.at),
                    "reason": decision.reason,
                    "decided_at": now.isoformat(),
                }
            )
        if decision.action is Action.POSTPONE and decision.at is not None:
            run.phase, run.step_started_at = "postponed", now
            return _Wait(decision.at)
        traits = state.customer_traits(connection, run.customer_id)
        event = run.context.get("event", {})
        locale = traits.get("locale") if traits.get("locale") in flow.locales else flow.locales[0]
        payload = {
            "flow_id": flow.id,
            "customer_id": run.customer_id,
            "template": step.template,
            "locale": locale,
            "to": traits.get("email") or event.get("email"),
            "topic": step.topic,
            "transactional": step.transactional,
            "context": {"profile": traits, "event": event},
        }
        status = "skipped" if decision.action is Action.SKIP else "pending"
        write_outbox(
            connection,
            flow,
            run.id,
            step.id,
            step.channel.value,
            payload,
            now,
            status=status,
            reason=None if status == "pending" else decision.reason,
        )
        return _Go(step.next)

    def _zone(self, connection: Connection, run: _Run) -> ZoneInfo:
        name = state.customer_traits(connection, run.customer_id).get("timezone")
        if isinstance(name, str):
            try:
                return ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                pass
        return self.zone

    def _step_at(self, flow_id: str, index: int) -> Any:
        steps = self.flows[flow_id].steps
        return steps[index] if index < len(steps) else None


def _sent_times(connection: Connection, customer_id: str, channel: str) -> list[datetime]:
    """When the customer's messages on ``channel`` went out or are due to (all flows)."""
    query = (
        select(state.outbox.c.created_at)
        .join(state.runs, state.runs.c.id == state.outbox.c.run_id)
        .where(
            and_(
                state.runs.c.customer_id == customer_id,
                state.outbox.c.channel == channel,
                state.outbox.c.status.in_(["pending", "sent"]),
            )
        )
    )
    return [row.created_at for row in connection.execute(query)]


def idempotency_key(flow_id: str, run_id: int, step_id: str) -> str:
    """The key of the effect of ``step_id`` in run ``run_id``: the same on every retry."""
    return f"{flow_id}.{run_id}.{step_id}"


def write_outbox(
    connection: Connection,
    flow: Flow,
    run_id: int,
    step_id: str,
    channel: str,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    status: str = "pending",
    reason: str | None = None,
) -> None:
    """Record an effect to deliver, in the caller's transaction (the run's advance).

    A message the caps skip is recorded too (status ``skipped``, the reason in ``last_error``),
    so no message disappears without a trace.
    """
    connection.execute(
        state.outbox.insert().values(
            run_id=run_id,
            step_id=step_id,
            idempotency_key=idempotency_key(flow.id, run_id, step_id),
            channel=channel,
            payload=state.dump_json(payload),
            status=status,
            created_at=now,
            attempts=0,
            last_error=reason,
        )
    )


def next_local_time(after: datetime, at: time, zone: ZoneInfo) -> datetime:
    """The first instant at or after ``after`` when the wall clock in ``zone`` shows ``at``.

    A time that does not exist on a spring-forward day resolves to the instant the clock jumps
    past it (``fold=0`` read with the offset before the change).
    """
    local_day = after.astimezone(zone).date()
    for days in range(3):
        naive = datetime.combine(local_day + timedelta(days=days), at)
        candidate = naive.replace(tzinfo=zone).astimezone(UTC)
        if candidate >= after:
            return candidate
    raise AssertionError("a time of day recurs within three days")
