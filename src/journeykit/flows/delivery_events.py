"""Delivery events: each ``flow_deliveries`` row becomes one ``message_sent`` analytic event.

The worker calls ``record_delivery_events`` after dispatching. Progress (the last delivery id
turned into an event) is kept in ``flow_feedback_progress``; it is advanced only after the events
are committed to the collector's log, so a crash in between re-records a few deliveries — with
the same event ids (see ``feedback``), so each delivery still becomes exactly one event.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, Column, Connection, Engine, MetaData, String, Table, select

from journeykit.flows import state
from journeykit.flows.feedback import feedback_message, record_messages
from journeykit.store import Migration, MigrationSet
from journeykit.store.operational import migrate_operational

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

EVENT = "message_sent"
PROGRESS = "deliveries"
BATCH = 1_000

metadata = MetaData()
progress = Table(
    "flow_feedback_progress",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("last_id", BigInteger, nullable=False),
)


def _create_v1(connection: Connection) -> None:
    metadata.create_all(connection)


FEEDBACK_MIGRATIONS: MigrationSet[Connection] = MigrationSet(
    "flow-feedback", [Migration(1, "progress of delivery events", _create_v1)]
)


def record_delivery_events(workspace: Workspace, db: Engine, batch: int = BATCH) -> int:
    """Record a ``message_sent`` event for every delivery not yet recorded; returns how many."""
    migrate_operational(db, FEEDBACK_MIGRATIONS)
    total = 0
    while True:
        rows = _next_deliveries(db, batch)
        if not rows:
            return total
        record_messages(workspace, [_message(row) for row in rows])
        _advance(db, rows[-1].id)
        total += len(rows)
        if len(rows) < batch:
            return total


def _next_deliveries(db: Engine, batch: int) -> list[Any]:
    delivery, box, run = state.deliveries.c, state.outbox.c, state.runs.c
    with db.connect() as connection:
        last = connection.execute(
            select(progress.c.last_id).where(progress.c.name == PROGRESS)
        ).scalar()
        query = (
            select(
                delivery.id,
                delivery.idempotency_key,
                delivery.channel,
                delivery.provider_id,
                delivery.delivered_at,
                box.step_id,
                run.flow_id,
                run.customer_id,
                run.id.label("run_id"),
            )
            .join(state.outbox, box.id == delivery.outbox_id)
            .join(state.runs, run.id == box.run_id)
            .where(delivery.id > int(last or 0))
            .order_by(delivery.id)
            .limit(batch)
        )
        return list(connection.execute(query))


def _message(row: Any) -> Any:
    properties = {
        "flow": row.flow_id,
        "step": row.step_id,
        "run": row.run_id,
        "message_key": row.idempotency_key,
        "provider_id": row.provider_id,
    }
    return feedback_message(
        EVENT,
        row.customer_id,
        channel=row.channel,
        key=f"{row.idempotency_key}.sent",
        properties=properties,
        at=row.delivered_at,
    )


def _advance(db: Engine, last_id: int) -> None:
    with db.begin() as connection:
        current = connection.execute(
            select(progress.c.last_id).where(progress.c.name == PROGRESS)
        ).scalar()
        if current is None:
            connection.execute(progress.insert().values(name=PROGRESS, last_id=last_id))
        elif current < last_id:
            connection.execute(
                progress.update().where(progress.c.name == PROGRESS).values(last_id=last_id)
            )
