"""Durable flow state in the operational store: runs, timers, outbox, deliveries, traits.

- ``flow_runs``: one row per customer going through a flow — where it stands (step index and
  phase), its group (treated or holdout), split assignments, and how it ended.
- ``flow_timers``: at most one per run, the instant its next step is due. A worker *claims* due
  timers by writing a lease (owner, expiry); a lease that expired belongs to a dead or stuck
  worker and is taken over, so a timer fires late rather than never. Claiming runs in a write
  transaction: on SQLite ``BEGIN IMMEDIATE`` serialises claimers; on PostgreSQL the due rows are
  locked with ``FOR UPDATE SKIP LOCKED`` so concurrent workers take disjoint sets.
- ``flow_outbox``: every effect (send, webhook) is a row written in the same transaction as the
  run's advance, keyed by an idempotency key derived from (run, step) and unique per (run, step);
  dispatchers deliver rows afterwards and record ``flow_deliveries``.
- ``flow_traits``: traits written by ``update_profile`` steps (until profiles have a store).
- ``flow_watermarks``: how far the engine has read the analytic ``events`` table.
- ``flow_consent``: the append-only consent ledger (``flows.consent``).

Created by the ``flows`` migration set (a later change is a new numbered step).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    BigInteger,
    Column,
    Connection,
    DateTime,
    Dialect,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    and_,
    delete,
    or_,
    select,
    update,
)

from journeykit.store import Migration, MigrationSet, operational_engine

if TYPE_CHECKING:
    from journeykit.workspace import Workspace


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC instant on every backend (SQLite keeps no zone, so it is stored as UTC)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("flow state stores timezone-aware instants only")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


RowId = BigInteger().with_variant(Integer, "sqlite")
metadata = MetaData()

runs = Table(
    "flow_runs",
    metadata,
    Column("id", RowId, primary_key=True),
    Column("flow_id", String(64), nullable=False),
    Column("customer_id", String(255), nullable=False),
    Column("step_index", Integer, nullable=False),  # position in the flow's step list
    Column("step_id", String(64)),  # id of that step (None once the run ended)
    Column("phase", String(16), nullable=False),  # enter | waiting
    Column("step_started_at", UtcDateTime),  # when the current step began waiting
    Column("woken_by", String(16)),  # 'event' when a wait_for_event saw its event
    Column("status", String(16), nullable=False),  # active | done | exited | converted
    Column("run_group", String(16), nullable=False),  # treated | holdout
    Column("assignments", Text, nullable=False),  # JSON {step id: variant or group}
    Column("context", Text, nullable=False),  # JSON {"event": trigger properties}
    Column("trigger_event_id", String(255)),
    Column("entered_at", UtcDateTime, nullable=False),
    Column("converted_at", UtcDateTime),
    Column("ended_at", UtcDateTime),
)
Index("ix_flow_runs_customer", runs.c.customer_id, runs.c.flow_id)
# Two workers reading the same events must not both enter a customer: one run per trigger event,
# one running run per flow and customer (the loser's transaction fails and is retried).
Index("uq_flow_runs_trigger", runs.c.flow_id, runs.c.trigger_event_id, unique=True)
Index(
    "uq_flow_runs_active",
    runs.c.flow_id,
    runs.c.customer_id,
    unique=True,
    sqlite_where=runs.c.status == "active",
    postgresql_where=runs.c.status == "active",
)

timers = Table(
    "flow_timers",
    metadata,
    Column("run_id", RowId, ForeignKey("flow_runs.id"), primary_key=True),
    Column("due_at", UtcDateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0),
)
Index("ix_flow_timers_due", timers.c.due_at)

outbox = Table(
    "flow_outbox",
    metadata,
    Column("id", RowId, primary_key=True),
    Column("run_id", RowId, ForeignKey("flow_runs.id"), nullable=False),
    Column("step_id", String(64), nullable=False),
    Column("idempotency_key", String(128), nullable=False, unique=True),
    Column("channel", String(16), nullable=False),  # email | sms | push | webhook
    Column("payload", Text, nullable=False),  # JSON: template, locale, recipient, context
    Column("status", String(16), nullable=False),  # pending | sent | failed | held
    Column("created_at", UtcDateTime, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_until", UtcDateTime),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    Column("sent_at", UtcDateTime),
    UniqueConstraint("run_id", "step_id", name="uq_flow_outbox_run_step"),
)
Index("ix_flow_outbox_status", outbox.c.status)

deliveries = Table(
    "flow_deliveries",
    metadata,
    Column("id", RowId, primary_key=True),
    Column("outbox_id", RowId, ForeignKey("flow_outbox.id"), nullable=False),
    Column("idempotency_key", String(128), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("provider_id", String(255)),  # what the provider answered (Message-ID, request id)
    Column("delivered_at", UtcDateTime, nullable=False),
)

traits = Table(
    "flow_traits",
    metadata,
    Column("customer_id", String(255), primary_key=True),
    Column("traits", Text, nullable=False),  # JSON object
    Column("updated_at", UtcDateTime, nullable=False),
)

watermarks = Table(
    "flow_watermarks",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("ts", UtcDateTime, nullable=False),
)


def _create_v1(connection: Connection) -> None:
    metadata.create_all(connection)


# Segment and date triggers (version 2): who is in each segment-triggered flow's segment now, and
# when each segment or date trigger was last checked (the window a date occurrence must fall in).
segment_members = Table(
    "flow_segment_members",
    metadata,
    Column("flow_id", String(64), primary_key=True),
    Column("customer_id", String(255), primary_key=True),
    Column("since", UtcDateTime, nullable=False),
)

trigger_checks = Table(
    "flow_trigger_checks",
    metadata,
    Column("flow_id", String(64), primary_key=True),
    Column("checked_at", UtcDateTime, nullable=False),
)


def _create_v2(connection: Connection) -> None:
    segment_members.create(connection, checkfirst=True)
    trigger_checks.create(connection, checkfirst=True)


# Consent (version 3): the append-only ledger of ``flows.consent`` — one row per change of a
# customer's consent to a channel and topic; never updated or deleted.
consent_ledger = Table(
    "flow_consent",
    metadata,
    Column("id", RowId, primary_key=True),
    Column("customer_id", String(255), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # granted | withdrawn | pending
    Column("legal_basis", String(32), nullable=False),
    Column("source", String(64), nullable=False),
    Column("text_version", String(64)),
    Column("note", Text),
    Column("recorded_at", UtcDateTime, nullable=False),
)
Index(
    "ix_flow_consent_subject",
    consent_ledger.c.customer_id,
    consent_ledger.c.channel,
    consent_ledger.c.topic,
    consent_ledger.c.id,
)


def _create_v3(connection: Connection) -> None:
    consent_ledger.create(connection, checkfirst=True)


FLOW_MIGRATIONS: MigrationSet[Connection] = MigrationSet(
    "flows",
    [
        Migration(1, "runs, timers, outbox, deliveries, traits, watermarks", _create_v1),
        Migration(2, "segment members and trigger checks", _create_v2),
        Migration(3, "append-only consent ledger", _create_v3),
    ],
)


def flows_engine(workspace: Workspace, url: str | None = None) -> Engine:
    """The workspace's operational store with the flow tables in place."""
    return operational_engine(workspace, FLOW_MIGRATIONS, url=url)


# --- timers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """A due timer a worker holds until ``lease_until``."""

    run_id: int
    due_at: datetime
    owner: str


def set_timer(connection: Connection, run_id: int, due_at: datetime) -> None:
    """Make the run due at ``due_at`` (replacing its timer and any lease on it)."""
    connection.execute(delete(timers).where(timers.c.run_id == run_id))
    connection.execute(timers.insert().values(run_id=run_id, due_at=due_at, attempts=0))


def drop_timer(connection: Connection, run_id: int) -> None:
    connection.execute(delete(timers).where(timers.c.run_id == run_id))


def claim_due(
    engine: Engine, owner: str, now: datetime, lease: timedelta, limit: int = 100
) -> list[Claim]:
    """Lease up to ``limit`` timers due at ``now`` that nobody holds (or whose lease expired)."""
    free = or_(timers.c.lease_until.is_(None), timers.c.lease_until < now)
    query = (
        select(timers.c.run_id, timers.c.due_at)
        .where(and_(timers.c.due_at <= now, free))
        .order_by(timers.c.due_at, timers.c.run_id)
        .limit(limit)
    )
    with engine.begin() as connection:  # SQLite: BEGIN IMMEDIATE (see store.operational)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = connection.execute(query).all()
        if not rows:
            return []
        ids = [row.run_id for row in rows]
        connection.execute(
            update(timers)
            .where(timers.c.run_id.in_(ids))
            .values(lease_owner=owner, lease_until=now + lease, attempts=timers.c.attempts + 1)
        )
    return [Claim(row.run_id, row.due_at, owner) for row in rows]


def holds_lease(connection: Connection, claim: Claim) -> bool:
    """Whether ``claim`` is still this worker's (locks the timer row on PostgreSQL)."""
    query = select(timers.c.run_id).where(
        and_(timers.c.run_id == claim.run_id, timers.c.lease_owner == claim.owner)
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return connection.execute(query).first() is not None


def next_due(connection: Connection) -> datetime | None:
    """The earliest due instant of any timer (None when no run waits)."""
    found = connection.execute(select(timers.c.due_at).order_by(timers.c.due_at).limit(1)).first()
    return None if found is None else found.due_at


# --- runs, traits, watermarks -----------------------------------------------------------------


def load_json(text: str | None) -> Any:
    return json.loads(text) if text else {}


def dump_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def customer_traits(connection: Connection, customer_id: str) -> dict[str, Any]:
    row = connection.execute(
        select(traits.c.traits).where(traits.c.customer_id == customer_id)
    ).first()
    return dict(load_json(row.traits)) if row else {}


def save_traits(
    connection: Connection, customer_id: str, values: dict[str, Any], now: datetime
) -> None:
    """Replace the stored traits of a customer (callers merge first)."""
    connection.execute(delete(traits).where(traits.c.customer_id == customer_id))
    connection.execute(
        traits.insert().values(customer_id=customer_id, traits=dump_json(values), updated_at=now)
    )


def watermark(connection: Connection, name: str) -> datetime | None:
    row = connection.execute(select(watermarks.c.ts).where(watermarks.c.name == name)).first()
    return None if row is None else row.ts


def set_watermark(connection: Connection, name: str, ts: datetime) -> None:
    connection.execute(delete(watermarks).where(watermarks.c.name == name))
    connection.execute(watermarks.insert().values(name=name, ts=ts))


def run_counts(connection: Connection, flow_ids: Sequence[str] | None = None) -> dict[str, Any]:
    """Per flow: runs by group and status (what ``simulate`` and ``status`` report)."""
    query = select(runs.c.flow_id, runs.c.run_group, runs.c.status, runs.c.converted_at)
    if flow_ids is not None:
        query = query.where(runs.c.flow_id.in_(list(flow_ids)))
    counts: dict[str, Any] = {}
    for row in connection.execute(query):
        flow = counts.setdefault(row.flow_id, {"treated": _empty(), "holdout": _empty()})
        group = flow[row.run_group]
        group["entered"] += 1
        group["converted"] += row.converted_at is not None
        if row.status == "active":
            group["active"] += 1
    return counts


def _empty() -> dict[str, int]:
    return {"entered": 0, "converted": 0, "active": 0}
