"""The HTTP channels a workspace's ``[flows]`` settings turn on, with their secrets from the env.

``runtime.workspace_channels`` (``journeykit worker``, ``serve``) and the tests build them here.
A provider that needs a token (Twilio, FCM) stops the worker at start when its environment
variable is empty, naming the variable, rather than failing every message later.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from journeykit.errors import JourneykitError
from journeykit.flows.channels.email import Shop
from journeykit.flows.channels.push import PushChannel
from journeykit.flows.channels.sms import SmsChannel
from journeykit.flows.channels.webhook import WebhookChannel
from journeykit.flows.dispatch import Channel
from journeykit.flows.retry import RetryPolicy
from journeykit.flows.settings import FlowsSection
from journeykit.flows.tracking import Tracker

NEEDS_TOKEN = {"twilio", "fcm"}


class WithRetry:
    """A channel with the workspace's retry policy (for channels built without one, e.g. email)."""

    def __init__(self, channel: Channel, retry: RetryPolicy) -> None:
        self.channel = channel
        self.retry = retry

    def deliver(self, key: str, payload: Mapping[str, Any]) -> str:
        return self.channel.deliver(key, payload)


def http_channels(
    settings: FlowsSection,
    templates_dir: Path,
    shop: Shop,
    tracker: Tracker | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, Channel]:
    """``sms``, ``push`` and ``webhook`` for each section present in ``settings``."""
    env = os.environ if environ is None else environ
    channels: dict[str, Channel] = {}
    if settings.sms is not None:
        token = _token(env, settings.sms.token_env, settings.sms.provider, "sms")
        channels["sms"] = SmsChannel(
            settings.sms, token, templates_dir, shop, settings.retry, tracker
        )
    if settings.push is not None:
        token = _token(env, settings.push.token_env, settings.push.provider, "push")
        channels["push"] = PushChannel(
            settings.push, token, templates_dir, shop, settings.retry, tracker
        )
    if settings.webhook is not None:
        channels["webhook"] = WebhookChannel(settings.webhook, settings.retry, env)
    return channels


def _token(env: Mapping[str, str], name: str, provider: str, section: str) -> str | None:
    token = env.get(name) or None
    if token is None and provider in NEEDS_TOKEN:
        raise JourneykitError(
            f"[flows.{section}] uses {provider}, but ${name} is empty — export the "
            f"{'auth' if provider == 'twilio' else 'access'} token as {name} before starting"
        )
    return token
