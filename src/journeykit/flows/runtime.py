"""What a worker needs from a workspace: its valid flows, a flow engine and the delivery channels.

``journeykit worker`` and ``journeykit serve`` (which runs a worker in-process for the demo)
build the same parts here, so both send through the same channels with the same settings.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
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

ENV_SMTP = "JOURNEYKIT_SMTP"
ENV_SMTP_FROM = "JOURNEYKIT_SMTP_FROM"


@dataclass(frozen=True)
class EmailTarget:
    """Where email goes: an SMTP ``host:port`` and the From address; both may come from the env."""

    server: str | None = None
    sender: str | None = None
    shop_url: str = ""


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
    """The channels that can deliver: email once an SMTP server is named (flag or env)."""
    from journeykit.flows.channels.email import EmailChannel, Shop, SmtpSettings

    channels: dict[str, Channel] = {}
    server = email.server or os.environ.get(ENV_SMTP)
    if server:
        host, _, port = server.rpartition(":")
        if not host or not port.isdigit():
            raise JourneykitError(
                f"'{server}' is not an SMTP server — give it as HOST:PORT, e.g. localhost:25"
            )
        name = workspace.settings.workspace.name
        sender = email.sender or os.environ.get(ENV_SMTP_FROM) or f"{name}@localhost"
        channels["email"] = EmailChannel(
            SmtpSettings(host, int(port), sender),
            workspace.templates_dir,
            Shop(name, email.shop_url),
        )
    return channels
