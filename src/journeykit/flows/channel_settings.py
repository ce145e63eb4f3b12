"""``[flows.sms]``, ``[flows.push]`` and ``[flows.webhook]``: the HTTP channels of a workspace.

A section that is present turns its channel on in ``journeykit worker``; without it, rows of that
channel wait in the outbox. Secrets never live in ``journeykit.toml``: each section names the
environment variable that holds its token or signing secret (``JOURNEYKIT_SMS_TOKEN``,
``JOURNEYKIT_PUSH_TOKEN``, ``JOURNEYKIT_WEBHOOK_SECRET`` by default), so the file can be
committed.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from journeykit.flows.model import ENV_NAME_PATTERN, URL_PATTERN

ENV_SMS_TOKEN = "JOURNEYKIT_SMS_TOKEN"
ENV_PUSH_TOKEN = "JOURNEYKIT_PUSH_TOKEN"
ENV_WEBHOOK_SECRET = "JOURNEYKIT_WEBHOOK_SECRET"

Url = Annotated[str, Field(pattern=URL_PATTERN, max_length=2000)]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timeout: float = Field(default=10.0, gt=0, le=120, description="Seconds per HTTP request.")


class _ProviderSection(_Section):
    """A channel sent through a generic JSON provider (``url``) or a named provider's API."""

    url: Url | None = Field(
        default=None, description="generic: the endpoint each message is POSTed to."
    )

    def _generic_needs_url(self, provider: str, channel: str) -> None:
        if provider == "generic" and not self.url:
            raise ValueError(f"the generic {channel} provider needs url = 'https://…' — add it")


class SmsSection(_ProviderSection):
    """``[flows.sms]``: a generic JSON provider (``url``) or Twilio's Messages API."""

    provider: Literal["generic", "twilio"] = Field(
        default="generic", description="'generic' (JSON POST to url) or 'twilio'."
    )
    base_url: Url = Field(
        default="https://api.twilio.com", description="twilio: the API's base URL."
    )
    account_sid: str | None = Field(
        default=None, max_length=64, description="twilio: the account SID (AC…)."
    )
    sender: str | None = Field(
        default=None, max_length=64, description="The From number or sender id (twilio: required)."
    )
    token_env: str = Field(
        default=ENV_SMS_TOKEN,
        pattern=ENV_NAME_PATTERN,
        description="Environment variable with the bearer token (twilio: the auth token).",
    )
    recipient_trait: str = Field(
        default="phone", max_length=64, description="Profile trait (or event property) to text."
    )

    @model_validator(mode="after")
    def _complete(self) -> SmsSection:
        self._generic_needs_url(self.provider, "SMS")
        if self.provider == "twilio" and not (self.account_sid and self.sender):
            raise ValueError("twilio needs account_sid and sender (the From number) — add them")
        return self


class PushSection(_ProviderSection):
    """``[flows.push]``: a generic JSON provider (``url``) or FCM's HTTP v1 API."""

    provider: Literal["generic", "fcm"] = Field(
        default="generic", description="'generic' (JSON POST to url) or 'fcm'."
    )
    base_url: Url = Field(
        default="https://fcm.googleapis.com", description="fcm: the API's base URL."
    )
    project_id: str | None = Field(
        default=None, max_length=128, description="fcm: the Firebase project id."
    )
    token_env: str = Field(
        default=ENV_PUSH_TOKEN,
        pattern=ENV_NAME_PATTERN,
        description="Environment variable with the bearer token (fcm: an OAuth2 access token).",
    )
    recipient_trait: str = Field(
        default="push_token", max_length=64, description="Profile trait with the device token."
    )

    @model_validator(mode="after")
    def _complete(self) -> PushSection:
        self._generic_needs_url(self.provider, "push")
        if self.provider == "fcm" and not self.project_id:
            raise ValueError("fcm needs project_id (the Firebase project) — add it")
        return self


class WebhookSection(_Section):
    """``[flows.webhook]``: webhook steps are POSTed, signed per Standard Webhooks."""

    secret_env: str = Field(
        default=ENV_WEBHOOK_SECRET,
        pattern=ENV_NAME_PATTERN,
        description="Environment variable with the whsec_… secret of steps that name none.",
    )
