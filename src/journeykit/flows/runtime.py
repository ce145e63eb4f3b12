"""What a worker needs from a workspace: its valid flows, a flow engine and the delivery channels.

``journeykit worker`` and ``journeykit serve`` (which runs a worker in-process for the demo)
build the same parts here, so both send through the same channels with the same settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from journeykit.errors import JourneykitError, Problem
from journeykit.flows.clock import Clock, SystemClock
from journeykit.flows.dispatch import Channel
from journeykit.flows.engine import FlowEngine
from journeykit.flows.feed import AnalyticHistory
from journeykit.flows.model import Flow
from journeykit.flows.state import flows_engine
from journeykit.flows.validate import flow_files, validate_flow_file, workspace_context
from journeykit.workspace import Workspace

if TYPE_CHECKING:
    from journeykit.flows.tracking import Tracker
    from journeykit.flows.unsubscribe import UnsubscribeLinks

ENV_SMTP = "JOURNEYKIT_SMTP"
ENV_SMTP_FROM = "JOURNEYKIT_SMTP_FROM"
ENV_PUBLIC_URL = "JOURNEYKIT_PUBLIC_URL"


@dataclass(frozen=True)
class EmailTarget:
    """Where email goes: an SMTP ``host:port`` and the From address; both may come from the env."""

    server: str | None = None
    sender: str | None = None
    shop_url: str = ""
    public_url: str | None = None  # where this server is reached: tracking links (else env)


def workspace_flows(workspace: Workspace) -> list[Flow]:
    """Every flow of the workspace; any invalid flow stops with all problems named."""
    context = workspace_context(workspace.maps_dir, workspace.templates_dir)
    problems: list[Problem] = []
    flows: list[Flow] = []
    for path in flow_files(workspace.flows_dir):
        try:
            flows.append(validate_flow_file(path, context).flow)
        except JourneykitError as error:
            problems.extend(error.problems or [Problem(str(path), None, None, "", str(error))])
    if problems:
        raise JourneykitError(
            f"{len(problems)} problem(s) in the workspace's flows — fix them first "
            "(journeykit flows validate shows them)",
            problems,
        )
    return flows


def workspace_engine(
    workspace: Workspace, flows: list[Flow], clock: Clock | None = None
) -> FlowEngine:
    """The engine over the workspace's operational store, zone, defaults and event history."""
    settings = workspace.settings
    return FlowEngine(
        flows_engine(workspace),
        flows,
        clock or SystemClock(),
        zone=ZoneInfo(settings.workspace.timezone),
        defaults=settings.flows,
        history=AnalyticHistory(workspace),
    )


def workspace_channels(workspace: Workspace, email: EmailTarget) -> dict[str, Channel]:
    """The channels that can deliver: email once an SMTP server is named (flag or env); SMS,
    push and webhooks for each of ``[flows.sms]``, ``[flows.push]``, ``[flows.webhook]``."""
    from journeykit.flows.channels.configured import WithRetry, http_channels
    from journeykit.flows.channels.email import EmailChannel, Shop, SmtpSettings

    channels: dict[str, Channel] = {}
    name, flows = workspace.settings.workspace.name, workspace.settings.flows
    server = email.server or os.environ.get(ENV_SMTP)
    tracker = None
    if server or flows.sms or flows.push:  # only messages with templates have tracking links
        tracker = _tracker(workspace, email.public_url or os.environ.get(ENV_PUBLIC_URL))
    if server:
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit():
            raise JourneykitError(
                f"'{server}' is not an SMTP server — give it as HOST:PORT, e.g. localhost:25"
            )
        sender = email.sender or os.environ.get(ENV_SMTP_FROM) or f"{name}@localhost"
        mail = EmailChannel(
            SmtpSettings(host, int(port), sender),
            workspace.templates_dir,
            Shop(name, email.shop_url),
            tracker,
            _unsubscribe_links(workspace, tracker),
        )
        channels["email"] = WithRetry(mail, flows.retry)
    shop = Shop(name, email.shop_url)
    channels.update(http_channels(flows, workspace.templates_dir, shop, tracker))
    return channels


def _unsubscribe_links(workspace: Workspace, tracker: Tracker | None) -> UnsubscribeLinks | None:
    """One-click unsubscribe links under the same public address as the tracking links."""
    from journeykit.flows.unsubscribe import UnsubscribeLinks

    return UnsubscribeLinks(tracker.base_url, workspace) if tracker else None


def _tracker(workspace: Workspace, public_url: str | None) -> Tracker | None:
    """Tracking links under ``public_url`` (none without one: links stay plain, no pixel)."""
    from journeykit.flows.tracking import Tracker, workspace_signer

    return Tracker(public_url, workspace_signer(workspace)) if public_url else None
