"""What SMS and push share: the recipient from the profile or event, and the rendered text.

Rendering works as for email (sandboxed Jinja2, ``flows.templates``) with the same variables:
``profile``, ``event``, ``shop``, ``unsubscribe_url`` (the shop's URL: SMS and push have no
unsubscribe link of their own) and the tracking helpers. A template error is a
``PermanentFailure`` naming the template, line and message.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

from jinja2 import TemplateError

from journeykit.flows.channels.email import Shop
from journeykit.flows.channels.http_provider import ProviderRequest, post, provider_id
from journeykit.flows.dispatch import PermanentFailure
from journeykit.flows.model import MessageChannel
from journeykit.flows.retry import RetryPolicy
from journeykit.flows.templates import render_message
from journeykit.flows.tracking import Tracker, template_helpers


class _ProviderSettings(Protocol):
    @property
    def timeout(self) -> float: ...


S = TypeVar("S", bound=_ProviderSettings)


class ProviderChannel(Generic[S]):
    """What SMS and push share: a provider section, its token, the templates and the retry policy;
    ``deliver`` posts the subclass's ``request`` and reads the provider's id from the answer."""

    def __init__(
        self,
        settings: S,
        token: str | None,
        templates_dir: Path,
        shop: Shop,
        retry: RetryPolicy | None = None,
        tracker: Tracker | None = None,
    ) -> None:
        self.settings = settings
        self.token = token
        self.templates_dir = templates_dir
        self.shop = shop
        self.retry = retry or RetryPolicy()
        self.tracker = tracker

    def deliver(self, key: str, payload: Mapping[str, Any]) -> str:
        response = post(self.request(key, payload), self.settings.timeout)
        return provider_id(response, self.id_fields(), key)

    def request(self, key: str, payload: Mapping[str, Any]) -> ProviderRequest:
        """The provider request for one row (a ``PermanentFailure`` when it cannot be built)."""
        raise NotImplementedError

    def id_fields(self) -> tuple[str, ...]:
        """The answer's fields that may hold the provider's message id, in order."""
        raise NotImplementedError


def recipient(payload: Mapping[str, Any], trait: str, what: str) -> str:
    """The profile trait ``trait`` (else the trigger event's property of that name)."""
    context = payload.get("context") or {}
    for source in ("profile", "event"):
        value = (context.get(source) or {}).get(trait)
        if value not in (None, ""):
            return str(value)
    raise PermanentFailure(
        f"no {what} for customer {payload.get('customer_id')!r} — set the profile trait "
        f"'{trait}' (or a '{trait}' property on the trigger event)"
    )


def render(
    templates_dir: Path,
    channel: MessageChannel,
    key: str,
    payload: Mapping[str, Any],
    shop: Shop,
    tracker: Tracker | None = None,
) -> dict[str, str]:
    """The template parts of ``channel`` for the row, stripped of surrounding blank lines."""
    context = dict(payload.get("context") or {})
    context.setdefault("profile", {})
    context.setdefault("event", {})
    context["shop"] = {"name": shop.name, "url": shop.url}
    context.setdefault("unsubscribe_url", shop.url)
    context.update(template_helpers(tracker, key, str(payload.get("customer_id") or "")))
    template = str(payload["template"])
    try:
        parts = render_message(templates_dir, template, str(payload["locale"]), channel, context)
    except TemplateError as error:
        line = getattr(error, "lineno", None)
        where = f"line {line}" if line else "template"
        raise PermanentFailure(
            f"template '{template}' ({getattr(error, 'name', None) or template}, {where}): "
            f"{error.message} — fix the template or give the profile that trait"
        ) from error
    return {part: text.strip() for part, text in parts.items()}
