"""``journeykit consent …``: the consent ledger — grant, withdraw, opt-in, import, show.

Each command appends one row (the ledger is never edited); ``show`` prints the current state
per channel and topic and the full history (``--json``: one document).
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from journeykit.cli.output import console, print_json, workspace_from
from journeykit.flows.consent_terms import ConsentState, LegalBasis
from journeykit.flows.model import MessageChannel

if TYPE_CHECKING:
    from journeykit.flows.consent import ConsentEntry

consent_app = typer.Typer(help="The consent ledger: grant, withdraw, double opt-in, import, show.")

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


Customer = Annotated[str, typer.Argument(help="The customer (profile) id.")]
ChannelOpt = Annotated[MessageChannel, typer.Option("--channel", help="Channel of the consent.")]
Topic = Annotated[str, typer.Option("--topic", help="Topic, e.g. marketing or newsletter.")]
BasisOpt = Annotated[LegalBasis, typer.Option("--basis", help="Legal basis of the processing.")]
Source = Annotated[str, typer.Option("--source", help="Where the change came from.")]
TextVersion = Annotated[
    str | None, typer.Option("--text-version", help="Version of the consent text shown.")
]


@consent_app.command("grant")
def grant(
    ctx: typer.Context,
    customer: Customer,
    channel: ChannelOpt = MessageChannel.EMAIL,
    topic: Topic = "marketing",
    basis: BasisOpt = LegalBasis.CONSENT,
    source: Source = "cli",
    text_version: TextVersion = None,
) -> None:
    """Record that CUSTOMER consented (marketing messages of CHANNEL and TOPIC may be sent)."""
    _append(ctx, customer, channel, ConsentState.GRANTED, topic, basis, source, text_version)


@consent_app.command("withdraw")
def withdraw(
    ctx: typer.Context,
    customer: Customer,
    channel: ChannelOpt = MessageChannel.EMAIL,
    topic: Topic = "marketing",
    basis: BasisOpt = LegalBasis.CONSENT,
    source: Source = "cli",
    text_version: TextVersion = None,
) -> None:
    """Record that CUSTOMER withdrew consent (no more marketing messages of CHANNEL and TOPIC)."""
    _append(ctx, customer, channel, ConsentState.WITHDRAWN, topic, basis, source, text_version)


@consent_app.command("opt-in")
def opt_in(
    ctx: typer.Context,
    customer: Customer,
    topic: Topic = "marketing",
    source: Source = "cli",
    text_version: TextVersion = None,
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url", help="The server's public address (else $JOURNEYKIT_PUBLIC_URL)."
        ),
    ] = None,
) -> None:
    """Start an email double opt-in: record it pending and print the confirmation link to mail."""
    from journeykit.flows.consent import request_opt_in
    from journeykit.flows.unsubscribe import consent_db

    workspace = workspace_from(ctx)
    db = consent_db(workspace)
    try:
        with db.begin() as connection:
            token = request_opt_in(
                workspace,
                connection,
                customer,
                topic=topic,
                source=source,
                text_version=text_version,
            )
    finally:
        db.dispose()
    base = public_url or os.environ.get("JOURNEYKIT_PUBLIC_URL") or DEFAULT_PUBLIC_URL
    typer.echo(f"{base.rstrip('/')}/consent/confirm/{token}")


@consent_app.command("import")
def import_(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV with customer_id, state, channel, topic, …")],
) -> None:
    """Append the consent rows of a CSV file (all checked first; nothing on any problem)."""
    from journeykit.flows.consent_import import import_consent, read_consent_csv
    from journeykit.flows.unsubscribe import consent_db

    rows = read_consent_csv(file)
    db = consent_db(workspace_from(ctx))
    try:
        count = import_consent(db, rows)
    finally:
        db.dispose()
    console.print(f"Imported {count} consent rows from {file}.", highlight=False)


@consent_app.command("show")
def show(
    ctx: typer.Context,
    customer: Customer,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show CUSTOMER's current consent per channel and topic, and every change."""
    from journeykit.flows.consent import history
    from journeykit.flows.unsubscribe import consent_db

    db = consent_db(workspace_from(ctx))
    try:
        with db.connect() as connection:
            entries = history(connection, customer)
    finally:
        db.dispose()
    latest = {(entry.channel, entry.topic): entry for entry in entries}
    if json_:
        print_json(
            {
                "customer_id": customer,
                "current": [entry.as_json() for entry in latest.values()],
                "history": [entry.as_json() for entry in entries],
            }
        )
        return
    if not entries:
        console.print(
            f"No consent recorded for '{customer}' — record it with "
            f"journeykit consent grant {customer} --channel email --topic marketing",
            highlight=False,
            soft_wrap=True,
        )
        return
    console.print(_table("Current", latest.values()))
    console.print(_table("History", entries))


def _append(
    ctx: typer.Context,
    customer: str,
    channel: MessageChannel,
    state: ConsentState,
    topic: str,
    basis: LegalBasis,
    source: str,
    text_version: str | None,
) -> None:
    from journeykit.flows.consent import record
    from journeykit.flows.unsubscribe import consent_db

    db = consent_db(workspace_from(ctx))
    try:
        with db.begin() as connection:
            record(
                connection,
                customer,
                channel.value,
                state,
                topic=topic,
                legal_basis=basis.value,
                source=source,
                text_version=text_version,
            )
    finally:
        db.dispose()
    console.print(
        f"{customer}: {channel.value} / {topic} → {state.value} ({basis.value}, {source})",
        highlight=False,
    )


def _table(title: str, entries: Iterable[ConsentEntry]) -> Table:
    table = Table("channel", "topic", "state", "basis", "source", "text", "at", title=title)
    for entry in entries:
        table.add_row(
            entry.channel,
            entry.topic,
            entry.state.value,
            entry.legal_basis,
            entry.source,
            entry.text_version or "",
            f"{entry.recorded_at:%Y-%m-%d %H:%M:%S}",
        )
    return table
