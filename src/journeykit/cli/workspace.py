"""Workspace commands: ``init``, ``demo`` and ``serve``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from journeykit.cli.output import console, error_console, workspace_from
from journeykit.maps.presets import Preset
from journeykit.workspace import Workspace, init_workspace

if TYPE_CHECKING:
    from journeykit.flows.background import BackgroundWorker


def register_workspace_commands(app: typer.Typer) -> None:
    """Add the workspace commands to the top-level app."""
    app.command("init")(init)
    app.command("demo")(demo)
    app.command("serve")(serve)


def init(
    directory: Annotated[Path, typer.Argument(help="Folder of the new workspace.")],
    preset: Annotated[Preset, typer.Option(help="Stages of the example map.")] = Preset.ECOMMERCE,
    lang: Annotated[str, typer.Option(help="Language: de or en.")] = "de",
    force: Annotated[
        bool, typer.Option(help="Overwrite an existing workspace's settings.")
    ] = False,
) -> None:
    """Create a workspace: journeykit.toml, maps/, flows/, templates/, data/ and an example map."""
    workspace = init_workspace(directory, preset, _language(lang), force=force)
    console.print(f"Created workspace [bold]{workspace.root}[/bold]")
    for path in workspace.map_files():
        console.print(f"  example map: {path.relative_to(workspace.root)}")
    console.print("Next: journeykit map validate, journeykit map render, journeykit serve")


def demo(
    directory: Annotated[Path, typer.Argument(help="Folder of the demo workspace.")] = Path(
        "demo-workspace"
    ),
    force: Annotated[bool, typer.Option(help="Replace an existing demo workspace.")] = False,
    customers: Annotated[
        int, typer.Option(min=0, help="Simulated customers for the demo events (0: maps only).")
    ] = 2_000,
    seed: Annotated[int, typer.Option(min=0, help="Seed of the generator.")] = 42,
    real: Annotated[
        bool,
        typer.Option(
            help="Also ingest The Complete Journey and CDNOW (extra 'datasets'), each into its "
            "own workspace under DIR/public-data/ so the shop's numbers stay the shop's."
        ),
    ] = False,
) -> None:
    """Create the demo workspace: German maps for all presets and map types, and shop events."""
    from journeykit.datasets.demo import create_demo_workspace

    workspace = create_demo_workspace(directory, force=force)
    console.print(f"Demo workspace ready: [bold]{workspace.root}[/bold]")
    for path in workspace.map_files():
        console.print(f"  {path.relative_to(workspace.root)}")
    if customers:
        from journeykit.datasets.demo_data import load_demo_data
        from journeykit.datasets.generator import GeneratorConfig

        data = load_demo_data(workspace, GeneratorConfig(customers=customers, seed=seed))
        totals = data.as_json()
        console.print(
            f"Demo events from {data.files.relative_to(workspace.root)}: read {totals['read']:,}, "
            f"kept {totals['kept']:,}, duplicates {totals['duplicates']:,}, "
            f"quarantined {totals['quarantined']:,}"
        )
    if real:
        _load_real_data(workspace.root)


def _load_real_data(root: Path) -> None:
    from journeykit.datasets.demo_public import load_public_data

    for load in load_public_data(root):
        result = load.result
        console.print(
            f"{load.data_set.title}: [bold]{load.workspace.root}[/bold] — read {result.read:,}, "
            f"kept {result.kept:,}, duplicates {result.duplicates:,}, "
            f"quarantined {result.quarantined:,}"
        )
        console.print(f"  look at it: journeykit --workspace {load.workspace.root} events stats")


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    worker: Annotated[
        bool | None,
        typer.Option(
            "--worker/--no-worker",
            help="Run a flow worker in the server (default: on for the demo workspace only).",
        ),
    ] = None,
) -> None:
    """Serve the web pages, the JSON API and the collector of the workspace."""
    import uvicorn

    from journeykit.web.app import create_app

    workspace = workspace_from(ctx)
    url = f"http://{host}:{port}"
    console.print(f"Serving {workspace.root} at {url}  (Ctrl+C stops)")
    flow_worker = _flow_worker(workspace, url) if _wants_worker(workspace, worker) else None
    app = create_app(workspace, worker=flow_worker)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _wants_worker(workspace: Workspace, flag: bool | None) -> bool:
    """``--worker``/``--no-worker`` as given, else on for the workspace ``journeykit demo`` made."""
    if flag is not None:
        return flag
    from journeykit.datasets.demo import DEMO_NAME

    return workspace.settings.workspace.name == DEMO_NAME


def _flow_worker(workspace: Workspace, url: str) -> BackgroundWorker:
    from journeykit.flows.background import BackgroundWorker
    from journeykit.flows.runtime import EmailTarget

    def announce(line: str) -> None:
        error_console.print(line, markup=False, highlight=False, soft_wrap=True)

    return BackgroundWorker(workspace, EmailTarget(public_url=url), announce=announce)


def _language(value: str) -> Literal["de", "en"]:
    if value == "de":
        return "de"
    if value == "en":
        return "en"
    raise typer.BadParameter(f"'{value}' is not a language — use 'de' or 'en'", param_hint="--lang")
