"""Email over SMTP: one multipart message (plain text + HTML) per outbox row.

The parts are rendered from the workspace templates (``flows.templates``, sandboxed Jinja2) with
the run's profile and trigger event, the shop's name and URL. The ``Message-ID`` is built from
the row's idempotency key, so a message sent twice after a crash carries the same id and the
receiving side (and our tests) can tell a repeat from a second message.

``List-Unsubscribe`` always names a ``mailto:`` to the sender; a marketing message sent with a
public address (``unsubscribe`` links) also names the signed HTTPS link of RFC 8058 and carries
``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (``flows.unsubscribe``); templates get
the same link as ``unsubscribe_url``.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from journeykit.flows.dispatch import PermanentFailure
from journeykit.flows.model import MessageChannel
from journeykit.flows.templates import render_message
from journeykit.flows.tracking import Tracker, template_helpers
from journeykit.flows.unsubscribe import UnsubscribeLinks


@dataclass(frozen=True)
class SmtpSettings:
    """Where and as whom to send."""

    host: str
    port: int
    sender: str  # the From address, e.g. "Shop <shop@example.org>"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0


@dataclass(frozen=True)
class Shop:
    """What templates know about the shop: ``shop.name`` and ``shop.url``."""

    name: str
    url: str


class EmailChannel:
    """Renders and sends outbox rows of channel ``email`` over SMTP."""

    def __init__(
        self,
        smtp: SmtpSettings,
        templates_dir: Path,
        shop: Shop,
        tracker: Tracker | None = None,
        unsubscribe: UnsubscribeLinks | None = None,
    ) -> None:
        self.smtp = smtp
        self.templates_dir = templates_dir
        self.shop = shop
        self.tracker = tracker  # tracking links and the open pixel (None: plain links, no pixel)
        self.unsubscribe = unsubscribe  # one-click links (None: the mailto link only)

    def deliver(self, key: str, payload: Mapping[str, Any]) -> str:
        message = self.build(key, payload)
        with smtplib.SMTP(self.smtp.host, self.smtp.port, timeout=self.smtp.timeout) as client:
            if self.smtp.starttls:
                client.starttls()
            if self.smtp.username:
                client.login(self.smtp.username, self.smtp.password or "")
            client.send_message(message)
        return str(message["Message-ID"])

    def build(self, key: str, payload: Mapping[str, Any]) -> EmailMessage:
        """The message for one row (a ``PermanentFailure`` when it cannot be built)."""
        to = payload.get("to")
        if not to:
            raise PermanentFailure(
                f"no email address for customer {payload.get('customer_id')!r} — "
                "set the profile trait 'email' (or an 'email' property on the trigger event)"
            )
        one_click = self._one_click_url(key, payload)
        mailto = f"mailto:{_address(self.smtp.sender)}?subject=unsubscribe"
        parts = self._render(with_tracking(self.tracker, key, payload), one_click or mailto)
        if self.tracker is not None:
            customer = str(payload.get("customer_id") or "")
            parts["html"] = self.tracker.with_pixel(parts["html"], key, customer)
        message = EmailMessage()
        message["From"] = self.smtp.sender
        message["To"] = str(to)
        message["Subject"] = parts["subject"].strip()
        message["Message-ID"] = message_id(key, self.smtp.sender)
        if one_click is None:
            message["List-Unsubscribe"] = f"<{mailto}>"
        else:  # RFC 8058: the HTTPS link first, POSTed to by the mailbox provider
            message["List-Unsubscribe"] = f"<{one_click}>, <{mailto}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(parts["txt"])
        message.add_alternative(parts["html"], subtype="html")
        # Fold headers only past SMTP's 998: the default 78 would RFC 2047-encode the long
        # one-click URL, which mailbox providers then cannot read (the body is encoded already).
        message.policy = message.policy.clone(max_line_length=998)
        return message

    def _one_click_url(self, key: str, payload: Mapping[str, Any]) -> str | None:
        """The signed unsubscribe link of a marketing message (None: transactional, no links)."""
        if self.unsubscribe is None or payload.get("transactional"):
            return None
        customer = str(payload.get("customer_id") or "")
        return self.unsubscribe.url(customer, str(payload.get("topic") or "marketing"), key)

    def _render(self, payload: Mapping[str, Any], unsubscribe_url: str) -> dict[str, str]:
        context = dict(payload.get("context") or {})
        context.setdefault("profile", {})
        context.setdefault("event", {})
        context["shop"] = {"name": self.shop.name, "url": self.shop.url}
        context["unsubscribe_url"] = unsubscribe_url
        template = str(payload["template"])
        try:
            return render_message(
                self.templates_dir,
                template,
                str(payload["locale"]),
                MessageChannel.EMAIL,
                context,
            )
        except TemplateError as error:
            line = getattr(error, "lineno", None)
            where = f"line {line}" if line else "template"
            raise PermanentFailure(
                f"template '{template}' ({getattr(error, 'name', None) or template}, {where}): "
                f"{error.message} — fix the template or give the profile that trait"
            ) from error


def with_tracking(tracker: Tracker | None, key: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    """``payload`` whose template context has ``track_click`` and ``survey_url``."""
    context = dict(payload.get("context") or {})
    context.update(template_helpers(tracker, key, str(payload.get("customer_id") or "")))
    return {**payload, "context": context}


def message_id(key: str, sender: str) -> str:
    """``<key@sender-domain>``: the same for every attempt at the same (run, step)."""
    domain = _address(sender).rpartition("@")[2] or "journeykit.invalid"
    return f"<{key}@{domain}>"


def _address(sender: str) -> str:
    """The bare address of ``"Name <a@b>"`` (or the text as given)."""
    if "<" in sender and sender.endswith(">"):
        return sender.rsplit("<", 1)[1][:-1]
    return sender
