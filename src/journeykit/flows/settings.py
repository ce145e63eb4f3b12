"""``[flows]`` in ``journeykit.toml``: the workspace's quiet hours and caps, and a flow's overrides.

A flow may override single caps (by channel and period) and the quiet hours; everything it does
not name comes from the workspace, so a shop sets its limits once.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from journeykit.flows.channel_settings import PushSection, SmsSection, WebhookSection
from journeykit.flows.model import Cap, Flow, MessageChannel, OnCap, Period, QuietHours
from journeykit.flows.retry import RetryPolicy


def _default_caps() -> list[Cap]:
    return [
        Cap(channel=MessageChannel.EMAIL, period=Period.DAY, limit=1),
        Cap(channel=MessageChannel.EMAIL, period=Period.WEEK, limit=3),
        Cap(channel=MessageChannel.SMS, period=Period.WEEK, limit=2),
        Cap(channel=MessageChannel.PUSH, period=Period.DAY, limit=2),
    ]


class FlowsSection(BaseModel):
    """``[flows]``: defaults every flow starts from."""

    model_config = ConfigDict(extra="forbid")

    quiet_hours: QuietHours = Field(
        default_factory=QuietHours, description="Local times without marketing messages."
    )
    caps: list[Cap] = Field(
        default_factory=_default_caps, description="Messages per channel and local period."
    )
    on_cap: OnCap = Field(default=OnCap.POSTPONE, description="What a capped message does.")
    require_consent: bool = Field(
        default=True,
        description="Marketing email, SMS and push only with consent (ledger or consent_<channel> "
        "trait); false only for tests and imports that checked consent elsewhere.",
    )
    retry: RetryPolicy = Field(
        default_factory=RetryPolicy, description="Backoff and attempts of failed deliveries."
    )
    sms: SmsSection | None = Field(default=None, description="SMS provider (none: SMS waits).")
    push: PushSection | None = Field(default=None, description="Push provider (none: waits).")
    webhook: WebhookSection | None = Field(
        default=None, description="Present: webhook steps are sent (none: they wait)."
    )


@dataclass(frozen=True)
class SendPolicy:
    """The quiet hours, caps and cap behaviour that apply to one flow's messages."""

    quiet_hours: QuietHours
    caps: list[Cap]
    on_cap: OnCap


def effective_policy(flow: Flow, defaults: FlowsSection) -> SendPolicy:
    """The workspace's policy with the flow's overrides: its caps replace same channel+period."""
    overridden = {(cap.channel, cap.period) for cap in flow.caps}
    caps = [cap for cap in defaults.caps if (cap.channel, cap.period) not in overridden]
    on_cap = flow.on_cap if "on_cap" in flow.model_fields_set else defaults.on_cap
    return SendPolicy(flow.quiet_hours or defaults.quiet_hours, [*caps, *flow.caps], on_cap)
