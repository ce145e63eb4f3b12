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
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Connection, Engine, and_, select, update
from sqlalchemy.exc import IntegrityError

from journeykit.flows import audience, state
from journeykit.flows.assignment import choose_variant, in_holdout
from journeykit.flows.batch import Batch, held_leases
from journeykit.flows.caps import Action, plan_send
from journeykit.flows.clock import Clock, SimulatedClock
from journeykit.flows.history import FlowEvent as FlowEvent  # re-exported: callers' name
from journeykit.flows.history import History
from journeykit.flows.history import MemoryHistory as MemoryHistory
from journeykit.flows.model import (
    EXIT,
    ConditionStep,
    DateTrigger,
    EventTrigger,
    Flow,
    HistoryCondition,
    HoldoutStep,
    ReentryPolicy,
    SegmentTrigger,
    SendStep,
    SplitStep,
    UpdateProfileStep,
    WaitForEventStep,
    WaitStep,
    WebhookStep,
)
from journeykit.flows.predicates import all_hold, holds
from journeykit.flows.settings import FlowsSection, effective_policy
from journeykit.maps.model import Condition

ACTIVE = "active"
DONE = "done"
EXITED = "exited"
CONVERTED = "converted"
TREATED = "treated"
HOLDOUT = "holdout"
DATE_REFRESH = timedelta(hours=1)  # a date trigger re-reads the traits at least this often


@dataclass(frozen=True)
class Entry:
    """A reason to enter a customer: a trigger event, a segment entry, a date occurrence.

    ``occurrence_id`` is unique per reason (an event id, ``date:…:2027-03-01``): the same one
    seen twice enters once.
    """

    occurrence_id: str
    ts: datetime
    customer_id: str
    properties: dict[str, Any]


_KNOWN_COLUMNS = (
    "id",
    "flow_id",
    "customer_id",
    "status",
    "phase",
    "woken_by",
    "step_index",
    "step_started_at",
    "entered_at",
    "converted_at",
    "trigger_event_id",
)


def may_enter(flow: Flow, runs: Sequence[Mapping[str, Any]], entry: Entry) -> bool:
    """The re-entry policy: may ``entry`` start a run, given the customer's ``runs`` of ``flow``?"""
    if any(row["trigger_event_id"] == entry.occurrence_id for row in runs):
        return False  # the same event (segment entry, date) read twice
    if any(row["status"] == ACTIVE for row in runs):
        return False  # one run of a flow per customer at a time
    policy = flow.reentry.policy
    if policy is ReentryPolicy.NEVER:
        return not runs
    if policy is ReentryPolicy.COOLDOWN and flow.reentry.cooldown is not None:
        since = entry.ts - flow.reentry.cooldown
        return not any(row["entered_at"] > since for row in runs)
    return True


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
        self._next_check: dict[str, datetime] = {}

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
                    known = self._known_runs(connection, {e.customer_id for e in events})
                    entered = 0
                    for event in events:
                        mine = known.setdefault(event.customer_id, [])
                        self._convert(connection, mine, event)
                        self._wake(connection, mine, event)
                        entered += self._trigger(connection, mine, event)
                    return entered
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        return 0

    def _known_runs(
        self, connection: Connection, customers: Iterable[str]
    ) -> dict[str, list[dict[str, Any]]]:
        """The runs of ``customers`` in this engine's flows, read once per batch; the batch keeps
        them up to date as it changes them."""
        wanted = sorted(set(customers))
        known: dict[str, list[dict[str, Any]]] = {customer: [] for customer in wanted}
        if not wanted:
            return known
        columns = [getattr(state.runs.c, name) for name in _KNOWN_COLUMNS]
        query = select(*columns).where(
            and_(
                state.runs.c.customer_id.in_(wanted),
                state.runs.c.flow_id.in_(list(self.flows)),
            )
        )
        for row in connection.execute(query):
            known[row.customer_id].append(dict(row._mapping))
        return known

    def _convert(
        self, connection: Connection, runs: list[dict[str, Any]], event: FlowEvent
    ) -> None:
        for row in runs:
            if row["converted_at"] is not None or event.ts < row["entered_at"]:
                continue
            goals = self.flows[row["flow_id"]].goals
            if not any(
                goal.event == event.name
                and event.ts <= row["entered_at"] + goal.within
                and all_hold(goal.where, event.properties)
                for goal in goals
            ):
                continue
            values: dict[str, Any] = {"converted_at": event.ts}
            if row["status"] == ACTIVE:
                values.update(status=CONVERTED, ended_at=event.ts, step_id=None)
                state.drop_timer(connection, row["id"])
            connection.execute(
                update(state.runs).where(state.runs.c.id == row["id"]).values(**values)
            )
            row.update(values)

    def _wake(self, connection: Connection, runs: list[dict[str, Any]], event: FlowEvent) -> None:
        for row in runs:
            if row["status"] != ACTIVE or row["phase"] != "waiting" or row["woken_by"] is not None:
                continue
            step = self._step_at(row["flow_id"], row["step_index"])
            if not isinstance(step, WaitForEventStep) or step.event != event.name:
                continue
            if event.ts < row["step_started_at"] or not all_hold(step.where, event.properties):
                continue
            connection.execute(
                update(state.runs).where(state.runs.c.id == row["id"]).values(woken_by="event")
            )
            row["woken_by"] = "event"
            state.set_timer(connection, row["id"], self.clock.now())

    def _trigger(self, connection: Connection, runs: list[dict[str, Any]], event: FlowEvent) -> int:
        entered = 0
        for flow in self.flows.values():
            trigger = flow.trigger
            if not isinstance(trigger, EventTrigger) or trigger.event != event.name:
                continue
            if not all_hold(trigger.where, event.properties):
                continue
            entry = Entry(event.event_id, event.ts, event.customer_id, dict(event.properties))
            entered += self._start(connection, runs, flow, entry)
        return entered

    def _start(
        self, connection: Connection, runs: list[dict[str, Any]], flow: Flow, entry: Entry
    ) -> bool:
        """Enter ``entry``'s customer into ``flow`` if the re-entry policy lets them in."""
        mine = [row for row in runs if row["flow_id"] == flow.id]
        if not may_enter(flow, mine, entry):
            return False
        runs.append(self._enter(connection, flow, entry))
        return True

    def _enter(self, connection: Connection, flow: Flow, entry: Entry) -> dict[str, Any]:
        held = in_holdout(flow.id, "flow", entry.customer_id, float(flow.holdout))
        start = max(entry.ts, self.clock.now()) if not held else entry.ts
        values: dict[str, Any] = {
            "flow_id": flow.id,
            "customer_id": entry.customer_id,
            "step_index": len(flow.steps) if held else 0,
            "step_id": None if held else flow.steps[0].id,
            "phase": "enter",
            "status": ACTIVE,
            "run_group": HOLDOUT if held else TREATED,
            "assignments": state.dump_json({}),
            "context": state.dump_json({"event": entry.properties}),
            "trigger_event_id": entry.occurrence_id,
            "entered_at": entry.ts,
        }
        result = connection.execute(state.runs.insert(), values)  # parameters: compiled once
        key = result.inserted_primary_key
        assert key is not None
        run_id = int(key[0])
        window = max((goal.within for goal in flow.goals), default=timedelta(0))
        due = entry.ts + window if held else start
        connection.execute(state.timers.insert(), {"run_id": run_id, "due_at": due, "attempts": 0})
        known = {name: values.get(name) for name in _KNOWN_COLUMNS}
        return {**known, "id": run_id}

    # --- segment and date triggers (see ``audience``) ---------------------------------------

    def _checked_flows(self) -> list[Flow]:
        return [
            f for f in self.flows.values() if isinstance(f.trigger, SegmentTrigger | DateTrigger)
        ]

    def check_triggers(self) -> int:
        """Check the segment and date triggers whose interval has passed; runs entered."""
        now = self.clock.now()
        return sum(
            self._check_trigger(flow, now)
            for flow in self._checked_flows()
            if self._next_check.get(flow.id, now) <= now
        )

    def _check_trigger(self, flow: Flow, now: datetime, attempts: int = 3) -> int:
        trigger = flow.trigger
        assert isinstance(trigger, SegmentTrigger | DateTrigger)
        for attempt in range(attempts):
            try:
                with self.db.begin() as connection:
                    last = audience.last_check(connection, flow.id)
                    if last is not None and last + trigger.every > now:
                        self._next_check[flow.id] = last + trigger.every  # another worker did
                        return 0
                    audience.record_check(connection, flow.id, now, first=last is None)
                    following = now + trigger.every
                    if isinstance(trigger, SegmentTrigger):
                        entries = self._segment_entries(connection, flow, trigger, now, last)
                    else:
                        entries, upcoming = self._date_entries(connection, trigger, now, last)
                        following = max(following, upcoming)
                    known = self._known_runs(connection, {e.customer_id for e in entries})
                    entered = sum(
                        self._start(connection, known[e.customer_id], flow, e) for e in entries
                    )
                self._next_check[flow.id] = following
                return entered
            except IntegrityError:
                if attempt == attempts - 1:
                    raise
        return 0

    def _segment_entries(
        self,
        connection: Connection,
        flow: Flow,
        trigger: SegmentTrigger,
        now: datetime,
        last: datetime | None,
    ) -> list[Entry]:
        segment = trigger.segment
        traits = audience.all_traits(connection)
        counts = [
            self.history.counts(wanted, now - wanted.within if wanted.within else None, now)
            for wanted in segment.events
        ]
        members = connection.execute(
            select(state.segment_members.c.customer_id).where(
                state.segment_members.c.flow_id == flow.id
            )
        ).scalars()
        universe = set(traits).union(*counts, members)
        position = {id(wanted): i for i, wanted in enumerate(segment.events)}

        def inside(customer: str) -> bool:
            return segment_holds(
                segment.combine,
                segment.traits,
                segment.events,
                traits.get(customer, {}),
                lambda wanted, _since: counts[position[id(wanted)]].get(customer, 0),
                now,
            )

        entered = audience.update_members(
            connection, flow.id, {c for c in universe if inside(c)}, now
        )
        if last is None:
            return []  # the first check records who is in; entering starts after it
        when = now.isoformat()
        return [Entry(audience.occurrence_id("segment", c, when), now, c, {}) for c in entered]

    def _date_entries(
        self, connection: Connection, trigger: DateTrigger, now: datetime, last: datetime | None
    ) -> tuple[list[Entry], datetime]:
        """The occasions in (``last``, ``now``], and when this process should look next: at the
        earliest occasion of the traits read now, and within ``DATE_REFRESH`` at the latest (for
        dates that other workers write meanwhile; this engine's own writes look at once)."""
        entries = []
        upcoming = now + DATE_REFRESH
        for customer, traits in audience.all_traits(connection).items():
            value = traits.get(trigger.property)
            if value is None:
                continue
            zone = zone_of(traits, self.zone)
            for key, instant, day in audience.date_occurrences(
                trigger, customer, value, zone, last or now, upcoming
            ):
                if instant > now:
                    upcoming = min(upcoming, instant)
                    continue
                properties = dict(audience.date_properties(trigger, value, day))
                entries.append(Entry(key, instant, customer, properties))
        return sorted(entries, key=lambda e: (e.ts, e.occurrence_id)), upcoming

    # --- timers -----------------------------------------------------------------------------

    def run_due(self, limit: int = 100) -> int:
        """Claim due timers and advance their runs, all in one transaction (one commit per
        batch); returns how many runs were advanced."""
        return len(self.run_due_claims(limit))

    def run_due_claims(self, limit: int = 100) -> list[state.Claim]:
        """``run_due``, answering with the claims whose runs were advanced (segment and date
        triggers whose check is due are checked first)."""
        self.check_triggers()
        claims = state.claim_due(self.db, self.owner, self.clock.now(), self.lease, limit)
        if not claims:
            return []
        with self.db.begin() as connection:
            return self._advance_batch(connection, claims)

    def run_until(self, instant: datetime) -> int:
        """With a simulated clock: fire every timer due up to ``instant``, in due order.

        Segment and date triggers are checked at the instants visited (each due timer and
        ``instant``) when their ``every`` has passed, as a worker ticking then would: to check
        them at a finer grain, call this in steps."""
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
        self.check_triggers()
        return advanced

    def advance(self, claim: state.Claim) -> bool:
        """Take every step the run can take now, in one transaction; False if the lease is lost."""
        with self.db.begin() as connection:
            return bool(self._advance_batch(connection, [claim]))

    def _advance_batch(
        self, connection: Connection, claims: Sequence[state.Claim]
    ) -> list[state.Claim]:
        """Advance the runs of the ``claims`` still held, reading and writing them in bulk."""
        held = held_leases(connection, claims)
        mine = [claim for claim in claims if claim.run_id in held]
        if not mine:
            return []
        rows = connection.execute(
            select(state.runs).where(state.runs.c.id.in_([claim.run_id for claim in mine]))
        ).all()
        batch = Batch(connection, (row.customer_id for row in rows))
        order = {claim.run_id: i for i, claim in enumerate(mine)}  # due order, as claimed
        with self._history_session():
            for row in sorted(rows, key=lambda r: order[r.id]):
                self._advance(batch, _run_of(row))
        batch.flush()
        return mine

    def _history_session(self) -> AbstractContextManager[object]:
        session = getattr(self.history, "session", None)
        return session() if callable(session) else nullcontext()

    def _advance(self, batch: Batch, run: _Run) -> None:
        flow = self.flows.get(run.flow_id)
        now = self.clock.now()
        while run.status == ACTIVE:
            if flow is None or run.step_index >= len(flow.steps):
                self._end(batch, run, DONE if flow else EXITED, now)
                return
            outcome = self._take(batch, flow, run, flow.steps[run.step_index], now)
            if isinstance(outcome, _Wait):
                batch.save_run(_row_values(run, flow.steps[run.step_index].id, None))
                batch.set_timer(run.id, outcome.due)
                return
            self._go(flow, run, outcome.target)
        self._end(batch, run, run.status, now)

    def _go(self, flow: Flow, run: _Run, target: str | None) -> None:
        run.phase, run.woken_by, run.step_started_at = "enter", None, None
        if target == EXIT:
            run.status = EXITED
        elif target is None:
            run.step_index += 1
        else:
            run.step_index = next(i for i, s in enumerate(flow.steps) if s.id == target)

    @staticmethod
    def _end(batch: Batch, run: _Run, status: str, now: datetime) -> None:
        run.status, run.phase = status, "enter"
        batch.save_run(_row_values(run, None, now))
        batch.drop_timer(run.id)

    # --- steps ------------------------------------------------------------------------------

    def _take(self, batch: Batch, flow: Flow, run: _Run, step: Any, now: datetime) -> _Wait | _Go:
        if isinstance(step, WaitStep | WaitForEventStep) and run.phase == "waiting":
            if isinstance(step, WaitStep):
                return _Go(step.next)
            return _Go(step.on_event if run.woken_by == "event" else step.on_timeout)
        if isinstance(step, WaitStep):
            due = now + (step.duration or timedelta(0))
            if step.until is not None:
                due = next_local_time(due, step.until, self._zone(batch, run))
            return self._wait(run, now, due)
        if isinstance(step, WaitForEventStep):
            return self._wait(run, now, now + step.timeout)
        if isinstance(step, ConditionStep):
            passed = self._condition(batch, run, step, now)
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
            return self._send(batch, flow, run, step, now)
        if isinstance(step, WebhookStep):
            payload = {
                "url": step.url,
                "secret_env": step.secret_env,
                "body": step.body,
                "flow_id": flow.id,
                "customer_id": run.customer_id,
                "context": {
                    "profile": batch.traits(run.customer_id),
                    "event": run.context.get("event", {}),
                },
            }
            batch.add_outbox(
                run.customer_id, outbox_values(flow, run.id, step.id, "webhook", payload, now)
            )
            return _Go(step.next)
        if isinstance(step, UpdateProfileStep):
            values = dict(batch.traits(run.customer_id))
            values.update(step.set)
            for name in step.unset:
                values.pop(name, None)
            batch.save_traits(run.customer_id, values, now)
            for other in self._checked_flows():  # a date written here is looked at next tick
                if isinstance(other.trigger, DateTrigger):
                    self._next_check.pop(other.id, None)
            return _Go(step.next)
        raise TypeError(f"unknown step type {type(step).__name__}")

    @staticmethod
    def _wait(run: _Run, now: datetime, due: datetime) -> _Wait:
        run.phase, run.step_started_at, run.woken_by = "waiting", now, None
        return _Wait(due)

    def _condition(self, batch: Batch, run: _Run, step: ConditionStep, now: datetime) -> bool:
        return segment_holds(
            step.combine,
            step.traits,
            step.events,
            batch.traits(run.customer_id),
            lambda wanted, since: self.history.count(run.customer_id, wanted, since, now),
            now,
        )

    def _send(
        self, batch: Batch, flow: Flow, run: _Run, step: SendStep, now: datetime
    ) -> _Wait | _Go:
        traits = batch.traits(run.customer_id)
        zone = self._zone(batch, run)
        policy = self.policies[flow.id]
        decision = plan_send(
            now,
            step.channel,
            batch.sent_times(run.customer_id, step.channel.value),
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
        batch.add_outbox(
            run.customer_id,
            outbox_values(
                flow,
                run.id,
                step.id,
                step.channel.value,
                payload,
                now,
                status=status,
                reason=None if status == "pending" else decision.reason,
            ),
        )
        return _Go(step.next)

    def _zone(self, batch: Batch, run: _Run) -> ZoneInfo:
        return zone_of(batch.traits(run.customer_id), self.zone)

    def _step_at(self, flow_id: str, index: int) -> Any:
        steps = self.flows[flow_id].steps
        return steps[index] if index < len(steps) else None


def zone_of(traits: Mapping[str, Any], default: ZoneInfo) -> ZoneInfo:
    """The customer's time zone (trait ``timezone``), else ``default``."""
    name = traits.get("timezone")
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return default


def segment_holds(
    combine: str,
    trait_conditions: Sequence[Condition],
    history: Sequence[HistoryCondition],
    traits: Mapping[str, Any],
    count: Callable[[HistoryCondition, datetime | None], int],
    now: datetime,
) -> bool:
    """Whether traits and event history meet the conditions (a condition step, a segment);
    ``count(condition, since)`` counts the customer's matching events up to ``now``."""
    results = [holds(condition, traits) for condition in trait_conditions]
    for wanted in history:
        since = now - wanted.within if wanted.within else None
        found = count(wanted, since)
        top = wanted.max_count if wanted.max_count is not None else found
        results.append(wanted.min_count <= found <= top)
    return all(results) if combine == "all" else any(results)


def _run_of(row: Any) -> _Run:
    return _Run(
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


def _row_values(run: _Run, step_id: str | None, ended_at: datetime | None) -> dict[str, Any]:
    """Every column an advance writes (one shape, so a batch updates with one executemany)."""
    return {
        "id": run.id,
        "status": run.status,
        "step_index": run.step_index,
        "step_id": step_id,
        "phase": run.phase,
        "step_started_at": run.step_started_at,
        "woken_by": run.woken_by,
        "ended_at": ended_at,
        "assignments": state.dump_json(run.assignments),
        "context": state.dump_json(run.context),
    }


def idempotency_key(flow_id: str, run_id: int, step_id: str) -> str:
    """The key of the effect of ``step_id`` in run ``run_id``: the same on every retry."""
    return f"{flow_id}.{run_id}.{step_id}"


def outbox_values(
    flow: Flow,
    run_id: int,
    step_id: str,
    channel: str,
    payload: Mapping[str, Any],
    now: datetime,
    *,
    status: str = "pending",
    reason: str | None = None,
) -> dict[str, Any]:
    """The outbox row of an effect, written in the run's advance.

    A message the caps skip is recorded too (status ``skipped``, the reason in ``last_error``),
    so no message disappears without a trace.
    """
    return {
        "run_id": run_id,
        "step_id": step_id,
        "idempotency_key": idempotency_key(flow.id, run_id, step_id),
        "channel": channel,
        "payload": state.dump_json(payload),
        "status": status,
        "created_at": now,
        "attempts": 0,
        "last_error": reason,
        "lease_owner": None,
        "lease_until": None,
        "sent_at": None,
    }


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
