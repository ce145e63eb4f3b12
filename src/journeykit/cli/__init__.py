"""The ``journeykit`` command line: one Typer app, each command a thin call into the library.

User errors (``JourneykitError``) print what, where and how to fix on stderr and exit 1; wrong usage
exits 2 (Typer's default). No traceback reaches a user for their own mistakes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from journeykit.cli.analytics import register_analytics_commands
from journeykit.cli.consent import consent_app
from journeykit.cli.events import register_event_commands
from journeykit.cli.flows import flows_app, worker_command
from journeykit.cli.keys import keys_app
from journeykit.cli.maps import map_app
from journeykit.cli.output import error_console
from journeykit.cli.workspace import register_workspace_commands
from journeykit.errors import JourneykitError

app = typer.Typer(
    name="journeykit",
    help="Map the customer journey, measure it on event data, automate it with flows.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(map_app, name="map")
app.add_typer(keys_app, name="keys")
app.add_typer(flows_app, name="flows")
app.add_typer(consent_app, name="consent")
register_workspace_commands(app)
register_event_commands(app)
register_analytics_commands(app)
app.command("worker")(worker_command)


@app.callback()
def _global_options(
    ctx: typer.Context,
    workspace: Annotated[
        Path | None,
        typer.Option(
            "--workspace",
            "-w",
            help="Workspace folder (else $JOURNEYKIT_WORKSPACE, else the nearest "
            "journeykit.toml upward).",
        ),
    ] = None,
    store: Annotated[
        str | None,
        typer.Option(
            "--store", help="Analytic store URL, e.g. pyspark://local (else $JOURNEYKIT_STORE)."
        ),
    ] = None,
) -> None:
    if store:
        os.environ["JOURNEYKIT_STORE"] = store  # Workspace.analytic_url() reads it
    ctx.obj = {"workspace": workspace}


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except JourneykitError as error:
        error_console.print(error.report(), markup=False, highlight=False, soft_wrap=True)
        sys.exit(1)
