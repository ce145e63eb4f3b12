"""The consent ledger: per profile, channel and topic, who may be sent what — append-only.

Every change is a new row of ``flow_consent`` (state, legal basis, source, text version, time);
nothing is ever updated or deleted, so the ledger is the proof a shop must keep (GDPR art. 7(1)).
The current state of (customer, channel, topic) is its latest row.

- ``granted`` allows marketing messages of that channel and topic; ``withdrawn`` forbids them;
  ``pending`` is an email address waiting for its double opt-in confirmation and allows nothing.
- Double opt-in: ``request_opt_in`` appends ``pending`` and returns a signed confirmation token;
  ``confirm_opt_in`` (the link in the confirmation mail) appends ``granted``.
- ``may_send`` is the check the dispatcher makes right before a marketing message leaves:
  the ledger first; a customer without any row falls back to the profile trait
  ``consent_<channel>`` (``true`` = consent collected elsewhere, e.g. at checkout, and imported
  with the profile). Transactional messages (``send.transactional``) need no marketing consent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Connection, and_, select

from journeykit.errors import JourneykitError
from journeykit.flows import state as flow_state
from journeykit.flows.consent_terms import ConsentState, LegalBasis

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

MARKETING = "marketing"
OPT_IN_PURPOSE = "consent-opt-in"
OPT_IN_MAX_AGE = timedelta(days=7)
"""How long a double opt-in link confirms; a later click asks the customer to sign up again."""


ledger = flow_state.consent_ledger  # created by step 3 of the flows migrations


@dataclass(frozen=True)
class ConsentEntry:
    """One row of the ledger."""

    customer_id: str
    channel: str
    topic: str
    state: ConsentState
    legal_basis: str
    source: str
    text_version: str | None
    recorded_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "customer_id": self.customer_id,
            "channel": self.channel,
            "topic": self.topic,
            "state": self.state.value,
            "legal_basis": self.legal_basis,
            "source": self.source,
            "text_version": self.text_version,
            "recorded_at": self.recorded_at.isoformat(),
        }


class BadConsentLink(JourneykitError):
    """A confirmation or unsubscribe link that was altered, truncated or is not ours."""


class ExpiredConsentLink(BadConsentLink):
    """A genuine double opt-in link older than ``OPT_IN_MAX_AGE``."""


def record(
    connection: Connection,
    customer_id: str,
    channel: str,
    state: ConsentState,
    *,
    topic: str = MARKETING,
    legal_basis: str = LegalBasis.CONSENT,
    source: str,
    text_version: str | None = None,
    at: datetime | None = None,
) -> ConsentEntry:
    """Append one change; the caller's transaction commits it."""
    entry = ConsentEntry(
        customer_id,
        channel,
        topic,
        ConsentState(state),
        str(legal_basis),
        source,
        text_version,
        at or datetime.now(UTC),
    )
    values = entry.as_json() | {"state": entry.state.value, "recorded_at": entry.recorded_at}
    connection.execute(ledger.insert().values(**values))
    return entry


def current(
    connection: Connection, customer_id: str, channel: str, topic: str = MARKETING
) -> ConsentEntry | None:
    """The latest entry of (customer, channel, topic); None when there is none."""
    row = connection.execute(
        select(ledger)
        .where(_subject(customer_id, channel, topic))
        .order_by(ledger.c.id.desc())
        .limit(1)
    ).first()
    return None if row is None else _entry(row)


def history(connection: Connection, customer_id: str) -> list[ConsentEntry]:
    """Every entry of a customer, oldest first."""
    rows = connection.execute(
        select(ledger).where(ledger.c.customer_id == customer_id).order_by(ledger.c.id)
    )
    return [_entry(row) for row in rows]


def may_send(
    connection: Connection,
    customer_id: str,
    channel: str,
    profile: Mapping[str, Any] | None = None,
    topic: str = MARKETING,
) -> tuple[bool, str]:
    """Whether a marketing message may go out, and why (the reason is recorded either way)."""
    entry = current(connection, customer_id, channel, topic)
    if entry is not None:
        allowed = entry.state is ConsentState.GRANTED
        return allowed, f"{channel} consent for {topic}: {entry.state.value} ({entry.source})"
    trait = (profile or {}).get(f"consent_{channel}")
    if trait is True or str(trait).lower() == "true":
        return True, f"{channel} consent from the profile trait consent_{channel}"
    return False, (
        f"no {channel} consent for topic {topic} — record it with `journeykit consent grant "
        f"{customer_id} --channel {channel} --topic {topic}` or import the profile trait "
        f"consent_{channel}: true"
    )


def request_opt_in(
    workspace: Workspace,
    connection: Connection,
    customer_id: str,
    *,
    topic: str = MARKETING,
    source: str,
    text_version: str | None = None,
) -> str:
    """Start a double opt-in for email: append ``pending``; the token for the confirmation link."""
    record(
        connection,
        customer_id,
        "email",
        ConsentState.PENDING,
        topic=topic,
        source=source,
        text_version=text_version,
    )
    payload = {"c": customer_id, "t": topic, "v": text_version}
    return str(_opt_in_signer(workspace).dumps(payload))


def confirm_opt_in(
    workspace: Workspace,
    connection: Connection,
    token: str,
    max_age: timedelta = OPT_IN_MAX_AGE,
) -> ConsentEntry:
    """Confirm a double opt-in from its link: append ``granted`` (again is harmless).

    ``ExpiredConsentLink`` when the link is older than ``max_age``, ``BadConsentLink`` when it
    was changed or is not ours; neither appends anything.
    """
    try:
        data = _opt_in_signer(workspace).loads(token, max_age=int(max_age.total_seconds()))
    except SignatureExpired:
        raise ExpiredConsentLink(
            f"this confirmation link expired (it was valid for {max_age}) — "
            "sign up again to get a new one"
        ) from None
    except BadSignature:
        raise BadConsentLink(
            "this confirmation link is not valid — it was changed or cut off; "
            "open the complete link from the email or sign up again"
        ) from None
    return record(
        connection,
        str(data["c"]),
        "email",
        ConsentState.GRANTED,
        topic=str(data["t"]),
        source="double opt-in link",
        text_version=data.get("v"),
    )


def _opt_in_signer(workspace: Workspace) -> URLSafeTimedSerializer:
    """Timed, unlike other links: a confirmation is only proof of consent when it is recent."""
    from journeykit.flows.signing import workspace_secret

    return URLSafeTimedSerializer(workspace_secret(workspace), salt=f"journeykit.{OPT_IN_PURPOSE}")


def _subject(customer_id: str, channel: str, topic: str) -> Any:
    return and_(
        ledger.c.customer_id == customer_id, ledger.c.channel == channel, ledger.c.topic == topic
    )


def _entry(row: Any) -> ConsentEntry:
    return ConsentEntry(
        row.customer_id,
        row.channel,
        row.topic,
        ConsentState(row.state),
        row.legal_basis,
        row.source,
        row.text_version,
        row.recorded_at,
    )


__all__ = [
    "MARKETING",
    "BadConsentLink",
    "ConsentEntry",
    "ConsentState",
    "ExpiredConsentLink",
    "LegalBasis",
    "confirm_opt_in",
    "current",
    "history",
    "may_send",
    "record",
    "request_opt_in",
]
