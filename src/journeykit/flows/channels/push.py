"""Push notifications through an HTTP provider: a generic JSON endpoint or FCM's HTTP v1 API.

Generic: ``POST {url}`` with JSON ``{"to", "title", "body", "key", "flow_id", "customer_id"}``
and a bearer token; the provider's id is the body's ``id``. FCM HTTP v1:
``POST {base_url}/v1/projects/{project_id}/messages:send`` with ``{"message": {"token",
"notification": {"title", "body"}, "data": {"idempotency_key"}}}`` and an OAuth2 access token
as bearer (minting it from a service account is left to the operator); the id is ``name``.
The title is ``<locale>.subject.j2``, the body ``<locale>.txt.j2``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from journeykit.flows.channel_settings import PushSection
from journeykit.flows.channels.http_provider import ProviderRequest
from journeykit.flows.channels.messages import ProviderChannel, recipient, render
from journeykit.flows.model import MessageChannel


class PushChannel(ProviderChannel[PushSection]):
    """Renders title and body and hands them to the push provider."""

    def id_fields(self) -> tuple[str, ...]:
        return ("name",) if self.settings.provider == "fcm" else ("id", "message_id")

    def request(self, key: str, payload: Mapping[str, Any]) -> ProviderRequest:
        to = recipient(payload, self.settings.recipient_trait, "push token")
        parts = render(
            self.templates_dir, MessageChannel.PUSH, key, payload, self.shop, self.tracker
        )
        title, text = parts["subject"], parts["txt"]
        if self.settings.provider == "fcm":
            project = quote(str(self.settings.project_id))
            url = f"{self.settings.base_url.rstrip('/')}/v1/projects/{project}/messages:send"
            message = {
                "token": to,
                "notification": {"title": title, "body": text},
                "data": {"idempotency_key": key},
            }
            return ProviderRequest("fcm", url, key, json={"message": message}, bearer=self.token)
        body = {
            "to": to,
            "title": title,
            "body": text,
            "key": key,
            "flow_id": payload.get("flow_id"),
            "customer_id": payload.get("customer_id"),
        }
        return ProviderRequest(
            "push provider", str(self.settings.url), key, json=body, bearer=self.token
        )
