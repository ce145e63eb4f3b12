"""Webhook steps: a JSON POST signed per the Standard Webhooks scheme (standardwebhooks.com).

Headers: ``webhook-id`` (the row's idempotency key, the same on every attempt, so receivers can
drop repeats), ``webhook-timestamp`` (unix seconds of this attempt) and ``webhook-signature``
``v1,<base64 HMAC-SHA256 over "{id}.{timestamp}.{body}">``. The key is the base64 part of a
``whsec_…`` secret read from the environment variable the step names (``secret_env``), else the
one ``[flows.webhook]`` names (``JOURNEYKIT_WEBHOOK_SECRET``). ``verify`` is the receiver's side.

The body: ``{"type": "journeykit.flow.webhook", "key", "flow_id", "customer_id", "profile",
"event", "data"}`` where ``data`` holds the step's fixed ``body`` fields.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Mapping
from typing import Any

from journeykit.flows.channel_settings import WebhookSection
from journeykit.flows.channels.http_provider import ProviderRequest, post, provider_id
from journeykit.flows.retry import RetryPolicy, TransientFailure

PREFIX = "whsec_"
TOLERANCE = 300  # seconds a receiver accepts between the timestamp and its clock
EVENT_TYPE = "journeykit.flow.webhook"


class WebhookVerificationError(ValueError):
    """A webhook whose headers, timestamp or signature do not check out."""


def new_secret() -> str:
    """A fresh ``whsec_…`` secret (24 random bytes) for a sender and its receiver to share."""
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_…`` secret (the prefix is optional); ValueError when not base64."""
    text = secret.strip().removeprefix(PREFIX)
    try:
        key = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a webhook secret is 'whsec_' followed by base64") from None
    if not key:
        raise ValueError("a webhook secret is 'whsec_' followed by base64")
    return key


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(
    secret: str, message_id: str, body: bytes, now: float | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for ``body``, stamped ``now`` (default: the time)."""
    timestamp = int(time.time() if now is None else now)
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    tolerance: int = TOLERANCE,
    now: float | None = None,
) -> None:
    """Check a received webhook; raises ``WebhookVerificationError`` saying what is wrong.

    ``headers`` are matched without regard to case; the timestamp must be within ``tolerance``
    seconds of ``now`` (replays of old messages fail) and one of the space-separated ``v1``
    signatures must match (compared in constant time).
    """
    lower = {name.lower(): value for name, value in headers.items()}
    message_id, stamp = lower.get("webhook-id"), lower.get("webhook-timestamp")
    given = lower.get("webhook-signature")
    if not (message_id and stamp and given):
        raise WebhookVerificationError("webhook-id, webhook-timestamp or webhook-signature missing")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError(f"webhook-timestamp '{stamp}' is not unix seconds") from None
    if abs((time.time() if now is None else now) - timestamp) > tolerance:
        raise WebhookVerificationError(f"webhook-timestamp {timestamp} is outside the tolerance")
    expected = signature(secret, message_id, timestamp, body)
    if not any(hmac.compare_digest(expected, part) for part in given.split()):
        raise WebhookVerificationError("no webhook-signature matches the body")


def webhook_body(key: str, payload: Mapping[str, Any]) -> bytes:
    """The JSON body of a webhook row (the same bytes on every attempt)."""
    context = payload.get("context") or {}
    document = {
        "type": EVENT_TYPE,
        "key": key,
        "flow_id": payload.get("flow_id"),
        "customer_id": payload.get("customer_id"),
        "profile": context.get("profile", {}),
        "event": context.get("event", {}),
        "data": payload.get("body") or {},
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, default=str).encode()


class WebhookChannel:
    """POSTs webhook rows to their step's URL, signed with the step's (or default) secret."""

    def __init__(
        self,
        settings: WebhookSection | None = None,
        retry: RetryPolicy | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.settings = settings or WebhookSection()
        self.retry = retry or RetryPolicy()
        self.environ = os.environ if environ is None else environ

    def deliver(self, key: str, payload: Mapping[str, Any]) -> str:
        response = post(self.request(key, payload), self.settings.timeout)
        return provider_id(response, ("id",), key)

    def request(self, key: str, payload: Mapping[str, Any]) -> ProviderRequest:
        body = webhook_body(key, payload)
        headers = {
            "Content-Type": "application/json",
            **signed_headers(self._secret(payload), key, body),
        }
        return ProviderRequest("webhook", str(payload["url"]), key, content=body, headers=headers)

    def _secret(self, payload: Mapping[str, Any]) -> str:
        """The step's signing secret; missing or malformed is retried (fix the env, restart)."""
        name = str(payload.get("secret_env") or self.settings.secret_env)
        secret = self.environ.get(name, "")
        if not secret:
            raise TransientFailure(
                f"webhook secret ${name} is not set — set it to a whsec_… secret "
                "(python -c 'from journeykit.flows.channels.webhook import new_secret; "
                "print(new_secret())') and restart the worker"
            )
        try:
            secret_key(secret)
        except ValueError as error:
            raise TransientFailure(f"${name}: {error} — fix it and restart the worker") from None
        return secret
