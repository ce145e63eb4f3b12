"""``journeykit keys …``: the collector's write keys — create, list, revoke.

``create`` prints the new key alone on stdout, so a script can capture it
(``KEY=$(journeykit keys create web-shop)``); the advice to store it goes to stderr.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from journeykit.cli.output import console, error_console, print_json, workspace_from

if TYPE_CHECKING:
    from journeykit.events.collector import WriteKey

keys_app = typer.Typer(help="Write keys of the Segment-compatible collector: create, list, revoke.")


@keys_app.command("create")
def create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the source sending with this key.")],
) -> None:
    """Create a write key and print it (shown only this once; the store keeps a hash)."""
    from journeykit.events.collector import collector_engine, create_key

    key = create_key(collector_engine(workspace_from(ctx)), name)
    typer.echo(key)
    error_console.print(
        f"Write key for '{name}' created — store it now, it cannot be shown again.",
        highlight=False,
    )


@keys_app.command("list")
def list_(
    ctx: typer.Context,
    json_: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """List the write keys: name, first characters, created, revoked."""
    from journeykit.events.collector import collector_engine, list_keys

    keys = list_keys(collector_engine(workspace_from(ctx)))
    if json_:
        print_json([_key_document(key) for key in keys])
        return
    table = Table("name", "key", "created", "status")
    for key in keys:
        status = "active" if key.revoked_at is None else f"revoked {key.revoked_at:%Y-%m-%d %H:%M}"
        table.add_row(key.name, f"{key.prefix}…", f"{key.created_at:%Y-%m-%d %H:%M}", status)
    console.print(table if keys else "No write keys yet — create one: journeykit keys create NAME")


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="Name of the key to revoke.")],
) -> None:
    """Revoke a write key: its requests get 401 from then on (within 5 s in a running server)."""
    from journeykit.events.collector import collector_engine, revoke_key

    revoke_key(collector_engine(workspace_from(ctx)), name)
    console.print(f"Revoked the write key '{name}'.", highlight=False)


def _key_document(key: WriteKey) -> dict[str, object]:
    return {
        "name": key.name,
        "prefix": key.prefix,
        "created_at": key.created_at.isoformat(),
        "revoked_at": key.revoked_at.isoformat() if key.revoked_at else None,
    }
