"""SMS through an HTTP provider: a generic JSON endpoint or Twilio's Messages API.

Generic: ``POST {url}`` with JSON ``{"to", "text", "from", "key", "flow_id", "customer_id"}``,
``Authorization: Bearer <token>`` when a token is set; the provider's id is the body's ``id``.
Twilio: ``POST {base_url}/2010-04-01/Accounts/{sid}/Messages.json`` form-encoded ``To``, ``From``,
``Body`` with HTTP Basic auth (account SID, auth token); the id is the answer's ``sid``.
Both carry the row's key in ``Idempotency-Key`` (see ``http_provider``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from journeykit.flows.channel_settings import SmsSection
from journeykit.flows.channels.http_provider import ProviderRequest
from journeykit.flows.channels.messages import ProviderChannel, recipient, render
from journeykit.flows.model import MessageChannel


class SmsChannel(ProviderChannel[SmsSection]):
    """Renders ``<locale>.txt.j2`` and hands it to the SMS provider."""

    def id_fields(self) -> tuple[str, ...]:
        return ("sid",) if self.settings.provider == "twilio" else ("id", "message_id")

    def request(self, key: str, payload: Mapping[str, Any]) -> ProviderRequest:
        to = recipient(payload, self.settings.recipient_trait, "phone number")
        parts = render(
            self.templates_dir, MessageChannel.SMS, key, payload, self.shop, self.tracker
        )
        if self.settings.provider == "twilio":
            return self._twilio(key, to, parts["txt"])
        body = {
            "to": to,
            "text": parts["txt"],
            "from": self.settings.sender,
            "key": key,
            "flow_id": payload.get("flow_id"),
            "customer_id": payload.get("customer_id"),
        }
        return ProviderRequest(
            "sms provider", str(self.settings.url), key, json=body, bearer=self.token
        )

    def _twilio(self, key: str, to: str, text: str) -> ProviderRequest:
        sid = str(self.settings.account_sid)
        url = f"{self.settings.base_url.rstrip('/')}/2010-04-01/Accounts/{quote(sid)}/Messages.json"
        form = {"To": to, "From": str(self.settings.sender), "Body": text}
        # Twilio's Messages API has no idempotency support of its own: the Idempotency-Key header
        # (which ``post`` adds) is ignored there, but a proxy or a recording test server sees it,
        # and our outbox still guarantees one key per (run, step).
        return ProviderRequest("twilio", url, key, form=form, basic=(sid, self.token or ""))
