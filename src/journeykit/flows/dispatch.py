"""The outbox dispatcher: delivers pending outbox rows through their channel, then records them.

Order per row: claim it with a lease (like timers), hand it to the channel, and only after the
provider accepted mark it ``sent`` and add a ``flow_deliveries`` row. A worker killed between the
provider's accept and our commit leaves the row pending; the next attempt sends it again with the
SAME idempotency key (``Message-ID`` for email), so a repeat is recognisable, never a second key.
A ``PermanentFailure`` (no address, template error, a 4xx answer) marks the row ``failed`` with
the reason. Any other error is transient: the row stays ``pending`` and its ``lease_until``, with
no owner, becomes the earliest next attempt (``retry.RetryPolicy``: exponential backoff with
jitter, at least the provider's ``Retry-After``); after the policy's ``max_attempts`` the row is
``failed`` with the last error. The policy is the ``retry`` argument, else the channel's ``retry``
attribute (built from ``[flows.retry]``), else the defaults. A worker killed mid-delivery has
used an attempt too (``attempts`` counts claims).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import Engine, and_, or_, select, update

from journeykit.flows import consent, state
from journeykit.flows.clock import Clock
from journeykit.flows.retry import RetryPolicy, TransientFailure


class PermanentFailure(Exception):
    """A row that no retry can deliver; the message says why and what to fix."""


class Channel(Protocol):
    """Delivers one message; returns the provider's id for it (e.g. the ``Message-ID``).

    Raises ``PermanentFailure`` when no retry can help, ``TransientFailure`` (or any other error)
    when a later attempt may succeed. A channel may carry a ``retry`` attribute (``RetryPolicy``).
    """

    def deliver(self, key: str, payload: Mapping[str, Any]) -> str: ...


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retry: int = 0
    skipped: int = 0


CONSENT_CHANNELS = frozenset({"email", "sms", "push"})
"""Channels that reach a person and so need consent (webhooks reach the shop's systems)."""


def dispatch(
    db: Engine,
    channels: Mapping[str, Channel],
    clock: Clock,
    owner: str,
    lease: timedelta = timedelta(minutes=5),
    limit: int = 100,
    retry: RetryPolicy | None = None,
    require_consent: bool = False,
) -> DispatchResult:
    """Deliver up to ``limit`` pending rows of the channels given; counts what happened.

    ``require_consent``: a marketing message to a customer without consent for its channel and
    topic (``flows.consent.may_send``) is not sent; its row ends ``skipped`` with the reason.
    """
    result = DispatchResult()
    for row in _claim(db, list(channels), owner, clock, lease, limit):
        payload = json.loads(row.payload)
        refusal = _consent_refusal(db, row.channel, payload) if require_consent else None
        if refusal is not None:
            _finish(db, row.id, owner, status="skipped", last_error=refusal)
            result.skipped += 1
            continue
        try:
            provider_id = channels[row.channel].deliver(row.idempotency_key, payload)
        except PermanentFailure as failure:
            _finish(db, row.id, owner, status="failed", last_error=str(failure))
            result.failed += 1
            continue
        except Exception as error:  # transient (network, provider): try again later
            policy = retry or retry_policy(channels[row.channel])
            if _retry_later(db, row, owner, clock, policy, error):
                result.retry += 1
            else:
                result.failed += 1
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


def _consent_refusal(db: Engine, channel: str, payload: Mapping[str, Any]) -> str | None:
    """Why a message may not go out for want of consent; None when it may."""
    if channel not in CONSENT_CHANNELS or payload.get("transactional"):
        return None
    profile = (payload.get("context") or {}).get("profile") or {}
    topic = str(payload.get("topic") or consent.MARKETING)
    with db.connect() as connection:
        allowed, reason = consent.may_send(
            connection, str(payload.get("customer_id")), channel, profile, topic
        )
    return None if allowed else reason


def retry_policy(channel: Channel) -> RetryPolicy:
    """The channel's own retry policy (its ``retry`` attribute), else the defaults."""
    policy = getattr(channel, "retry", None)
    return policy if isinstance(policy, RetryPolicy) else RetryPolicy()


def _retry_later(
    db: Engine, row: Any, owner: str, clock: Clock, policy: RetryPolicy, error: Exception
) -> bool:
    """Schedule the next attempt after a transient failure; False when attempts ran out."""
    attempt = row.attempts + 1  # the claim counted this attempt; ``row`` is from before it
    reason = str(error) if isinstance(error, TransientFailure) else repr(error)
    if policy.gives_up(attempt):
        reason = f"gave up after {attempt} attempts — last error: {reason}"
        _finish(db, row.id, owner, status="failed", last_error=reason)
        return False
    retry_after = error.retry_after if isinstance(error, TransientFailure) else None
    due = clock.now() + policy.delay(attempt, retry_after)
    with db.begin() as connection:
        connection.execute(
            update(state.outbox)
            .where(and_(state.outbox.c.id == row.id, state.outbox.c.lease_owner == owner))
            .values(last_error=reason, lease_owner=None, lease_until=due)
        )
    return True


def _finish(db: Engine, row_id: int, owner: str, *, status: str, last_error: str) -> None:
    with db.begin() as connection:
        connection.execute(
            update(state.outbox)
            .where(and_(state.outbox.c.id == row_id, state.outbox.c.lease_owner == owner))
            .values(status=status, last_error=last_error)
        )
