"""The outbox dispatcher: delivers pending outbox rows through their channel, then records them.

Order per row: claim it with a lease (like timers), hand it to the channel, and only after the
provider accepted mark it ``sent`` and add a ``flow_deliveries`` row. A worker killed between the
provider's accept and our commit leaves the row pending; the next attempt sends it again with the
SAME idempotency key (``Message-ID`` for email), so a repeat is recognisable, never a second key.
A ``PermanentFailure`` (no address, template error) marks the row ``failed`` with the reason;
any other error leaves it pending for a retry once the lease runs out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, or_, select, update

from journeykit.flows import state
from journeykit.flows.clock import Clock


class PermanentFailure(Exception):
    """A row that no retry can deliver; the message says why and what to fix."""


class Channel(Protocol):
    """Delivers one message; returns the provider's id for it (e.g. the ``Message-ID``)."""

    def deliver(self, key: str, payload: Mapping[str, Any]) -> str: ...


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retry: int = 0


def dispatch(
    db: Engine,
    channels: Mapping[str, Channel],
    clock: Clock,
    owner: str,
    lease: timedelta = timedelta(minutes=5),
    limit: int = 100,
) -> DispatchResult:
    """Deliver up to ``limit`` pending rows of the channels given; counts what happened."""
    result = DispatchResult()
    for row in _claim(db, list(channels), owner, clock, lease, limit):
        try:
            provider_id = channels[row.channel].deliver(
                row.idempotency_key, json.loads(row.payload)
            )
        except PermanentFailure as failure:
            _finish(db, row.id, owner, status="failed", last_error=str(failure))
            result.failed += 1
            continue
        except Exception as error:  # transient (network, provider): retry after the lease
            _finish(db, row.id, owner, status="pending", last_error=repr(error))
            result.retry += 1
            continue
        with db.begin() as connection:
            connection.execute(
                update(state.outbox)
                .where(state.outbox.c.id == row.id)
                .values(status="sent", sent_at=clock.now(), lease_owner=None, lease_until=None)
            )
            connection.execute(
                state.deliveries.insert().values(
                    outbox_id=row.id,
                    idempotency_key=row.idempotency_key,
                    channel=row.channel,
                    provider_id=provider_id,
                    delivered_at=clock.now(),
                )
            )
        result.sent += 1
    return result


def _claim(
    db: Engine, channels: list[str], owner: str, clock: Clock, lease: timedelta, limit: int
) -> list[Any]:
    now = clock.now()
    box = state.outbox
    query = (
        select(box)
        .where(
            and_(
                box.c.status == "pending",
                box.c.channel.in_(channels),
                or_(box.c.lease_until.is_(None), box.c.lease_until < now),
            )
        )
        .order_by(box.c.id)
        .limit(limit)
    )
    with db.begin() as connection:
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows = list(connection.execute(query))
        if rows:
            connection.execute(
                update(box)
                .where(box.c.id.in_([row.id for row in rows]))
                .values(lease_owner=owner, lease_until=now + lease, attempts=box.c.attempts + 1)
            )
    return rows


def _finish(db: Engine, row_id: int, owner: str, *, status: str, last_error: str) -> None:
    with db.begin() as connection:
        connection.execute(
            update(state.outbox)
            .where(and_(state.outbox.c.id == row_id, state.outbox.c.lease_owner == owner))
            .values(status=status, last_error=last_error)
        )
