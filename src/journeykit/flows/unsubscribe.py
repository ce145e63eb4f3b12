"""Signed one-click unsubscribe links (RFC 8058) and double opt-in confirmations.

A marketing email carries ``List-Unsubscribe: <https://…/u/TOKEN>, <mailto:…>`` and
``List-Unsubscribe-Post: List-Unsubscribe=One-Click``. The token is signed with the workspace
secret (``signing.signer``, purpose ``unsubscribe``) and names the customer, channel, topic and
the message, so the server trusts it without a lookup. It does not expire: a link in an old mail
must still unsubscribe (a timed token would turn a withdrawal into a silent no-op).

Withdrawing appends a ``withdrawn`` row to the consent ledger (source ``unsubscribe link``) and
then records ``email_unsubscribed`` through ``flows.feedback`` — both committed before the page
answers. Confirming a double opt-in appends ``granted`` and records ``email_opt_in_confirmed``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from itsdangerous import BadSignature
from sqlalchemy import Engine

from journeykit.flows import consent
from journeykit.flows.feedback import record_feedback
from journeykit.flows.signing import signer
from journeykit.flows.state import flows_engine

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

PURPOSE = "unsubscribe"
SOURCE = "unsubscribe link"


@dataclass(frozen=True)
class Unsubscribe:
    """What a verified unsubscribe token says."""

    customer_id: str
    channel: str
    topic: str
    key: str  # the message's idempotency key (<flow>.<run>.<step>), "" for a link made elsewhere


def unsubscribe_token(
    workspace: Workspace, customer_id: str, topic: str, key: str = "", channel: str = "email"
) -> str:
    """The token of the link that withdraws ``customer_id``'s consent to ``channel``/``topic``."""
    payload = {"c": customer_id, "ch": channel, "t": topic, "k": key}
    return str(signer(workspace, PURPOSE).dumps(payload))


def read_unsubscribe(workspace: Workspace, token: str) -> Unsubscribe:
    """The verified token; ``consent.BadConsentLink`` when it was changed or is not ours."""
    try:
        data = signer(workspace, PURPOSE).loads(token)
        return Unsubscribe(str(data["c"]), str(data["ch"]), str(data["t"]), str(data["k"]))
    except (BadSignature, KeyError, TypeError):
        raise consent.BadConsentLink(
            "this unsubscribe link is not valid — it was changed or cut off; "
            "open the complete link from the email"
        ) from None


class UnsubscribeLinks:
    """Builds the signed unsubscribe URL of a message under ``base_url`` (the public address)."""

    def __init__(self, base_url: str, workspace: Workspace) -> None:
        self.base_url = base_url.rstrip("/")
        self.workspace = workspace

    def url(self, customer_id: str, topic: str, key: str, channel: str = "email") -> str:
        token = unsubscribe_token(self.workspace, customer_id, topic, key, channel)
        return f"{self.base_url}/u/{token}"


def consent_db(workspace: Workspace) -> Engine:
    """The operational store with the flow tables and the consent ledger in place."""
    return flows_engine(workspace)


def withdraw(workspace: Workspace, request: Unsubscribe) -> consent.ConsentEntry:
    """Append ``withdrawn`` for the link's customer, channel and topic and record the event."""
    db = consent_db(workspace)
    try:
        with db.begin() as connection:
            entry = consent.record(
                connection,
                request.customer_id,
                request.channel,
                consent.ConsentState.WITHDRAWN,
                topic=request.topic,
                source=SOURCE,
            )
    finally:
        db.dispose()
    properties: dict[str, Any] = {"topic": request.topic, "message_key": request.key}
    if request.key:
        properties |= {"flow": request.key.split(".")[0], "step": request.key.rsplit(".", 1)[-1]}
    record_feedback(
        workspace,
        f"{request.channel}_unsubscribed",
        request.customer_id,
        channel=request.channel,
        key=f"unsubscribe.{request.channel}.{request.topic}.{request.customer_id}.{request.key}",
        properties=properties,
        at=entry.recorded_at,
    )
    return entry


def confirm(workspace: Workspace, token: str) -> consent.ConsentEntry:
    """Confirm a double opt-in from its link: ``granted`` in the ledger plus the event."""
    db = consent_db(workspace)
    try:
        with db.begin() as connection:
            entry = consent.confirm_opt_in(workspace, connection, token)
    finally:
        db.dispose()
    record_feedback(
        workspace,
        "email_opt_in_confirmed",
        entry.customer_id,
        channel="email",
        key="opt-in." + hashlib.sha256(token.encode()).hexdigest()[:32],
        properties={"topic": entry.topic, "text_version": entry.text_version},
        at=entry.recorded_at,
    )
    return entry
