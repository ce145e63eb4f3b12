"""``journeykit map …``: create, check, format, compare, render maps; show the schema and KPIs."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from journeykit.cli.output import console, error_console, print_json, workspace_from
from journeykit.errors import JourneykitError, Problem
from journeykit.maps import yamlio
from journeykit.maps.diff import diff_maps
from journeykit.maps.io import format_map_text, load_map, map_to_yaml, save_map
from journeykit.maps.kpis import CATALOG
from journeykit.maps.model import JourneyMap, MapType
from journeykit.maps.new import new_map
from journeykit.maps.presets import Preset
from journeykit.maps.schema import map_json_schema
from journeykit.maps.validate import MapInvalid, slugify

if TYPE_CHECKING:
    from journeykit.maps.render.overlay import Overlay

map_app = typer.Typer(help="Journey maps: new, validate, fmt, diff, render, schema, kpis.")


class RenderFormat(StrEnum):
    SVG = "svg"
    HTML = "html"
    PNG = "png"
    PDF = "pdf"


@map_app.command("new")
def new(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Argument(help="Title of the map; its id and file name derive from it.")
    ],
    preset: Annotated[
        Preset | None, typer.Option(help="Stages (default: the workspace's).")
    ] = None,
    map_type: Annotated[
        MapType, typer.Option("--type", help="Kind of map.")
    ] = MapType.CURRENT_STATE,
    persona: Annotated[str, typer.Option(help="Name of the persona.")] = "Persona",
    force: Annotated[bool, typer.Option(help="Overwrite an existing file.")] = False,
) -> None:
    """Create a new map in the workspace's maps/ folder."""
    workspace = workspace_from(ctx)
    chosen = preset or workspace.settings.workspace.preset
    journey_map = new_map(name, chosen, map_type, persona, workspace.language)
    path = workspace.maps_dir / f"{slugify(name)}.yaml"
    if path.exists() and not force:
        raise JourneykitError(f"{path}: exists already — choose another name or pass --force")
    save_map(journey_map, path)
    console.print(f"Created {path}")


@map_app.command("validate")
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Map files (default: all maps of the workspace).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Check map files and report every problem with file:line:column."""
    files = paths or workspace_from(ctx).map_files()
    problems: list[Problem] = []
    for path in files:
        try:
            load_map(path)
        except JourneykitError as error:
            problems.extend(error.problems or [Problem(str(path), None, None, "", str(error))])
    if as_json:
        print_json(
            {
                "files": len(files),
                "valid": not problems,
                "problems": [_as_dict(p) for p in problems],
            }
        )
    else:
        for problem in problems:
            error_console.print(str(problem), markup=False, highlight=False, soft_wrap=True)
        bad_files = len({problem.file for problem in problems})
        if problems:
            error_console.print(
                f"{len(problems)} problem(s) in {bad_files} of {len(files)} map file(s)"
            )
        else:
            console.print(f"{len(files)} map(s) valid")
    if problems:
        raise typer.Exit(1)


def _as_dict(problem: Problem) -> dict[str, object]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "field": problem.field,
        "message": problem.message,
        "hint": problem.hint,
    }


@map_app.command("fmt")
def fmt(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="Map files (default: all).")] = None,
    check: Annotated[
        bool, typer.Option(help="Only report files that would change (exit 1).")
    ] = False,
) -> None:
    """Re-indent map files in house style, keeping comments, key order and quoting."""
    files = paths or workspace_from(ctx).map_files()
    changed = []
    for path in files:
        text = yamlio.read_text(path)
        formatted = format_map_text(text, str(path))
        if formatted != text:
            changed.append(path)
            if not check:
                path.write_text(formatted, encoding="utf-8")
    verb = "would change" if check else "formatted"
    for path in changed:
        console.print(f"{verb}: {path}")
    if check and changed:
        raise typer.Exit(1)


@map_app.command("diff")
def diff(
    a: Annotated[Path, typer.Argument(help="The map before (e.g. current state).")],
    b: Annotated[Path, typer.Argument(help="The map after (e.g. future state).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show what changed between two maps, stage by stage."""
    result = diff_maps(load_map(a), load_map(b))
    if as_json:
        print_json(result.to_dict())
        return
    if result.is_empty():
        console.print("No differences.")
        return
    for line in result.lines():
        console.print(line, markup=False, highlight=False, soft_wrap=True)


@map_app.command("render")
def render(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="Map file.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="File to write.")],
    output_format: Annotated[
        RenderFormat | None,
        typer.Option("--format", help="svg, html, png or pdf (default: from -o)."),
    ] = None,
    lang: Annotated[str | None, typer.Option(help="Label language (default: the map's).")] = None,
    live: Annotated[
        bool,
        typer.Option(help="Draw numbers from the events: KPI actuals, customers, emotions."),
    ] = False,
    since: Annotated[
        str | None, typer.Option(help="With --live: first day (YYYY-MM-DD, workspace zone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="With --live: day after the period (exclusive).")
    ] = None,
) -> None:
    """Render a map as SVG, standalone HTML (print-ready), PNG or PDF."""
    from journeykit.maps.render import render_to_file

    journey_map = load_map(path)
    if (since or until) and not live:
        raise typer.BadParameter("only with --live", param_hint="--since/--until")
    chosen = output_format or _format_from_suffix(output)
    language = lang or journey_map.language
    if language not in ("de", "en"):
        raise typer.BadParameter(
            f"'{language}' is not a language — use 'de' or 'en'", param_hint="--lang"
        )
    overlay = _live_overlay(ctx, journey_map, since, until) if live else None
    render_to_file(journey_map, chosen.value, output, language, overlay=overlay)
    console.print(f"Wrote {output}")


def _live_overlay(
    ctx: typer.Context, journey_map: JourneyMap, since: str | None, until: str | None
) -> Overlay:
    """The map's overlay from the workspace's events in the period; fails on no events."""
    from zoneinfo import ZoneInfo

    from journeykit.analytics.live import in_period, live_overlay
    from journeykit.analytics.timespans import parse_day
    from journeykit.store import open_analytic

    workspace = workspace_from(ctx)
    zone = workspace.settings.workspace.timezone
    start = parse_day(since, zone, flag="--since") if since else None
    end = parse_day(until, zone, flag="--until") if until else None
    with open_analytic(workspace) as store:
        events = store.table("events")
        if not store.scalar(in_period(events, start, end).count()):
            raise NoLiveEvents(bool(since or until))
        return live_overlay(events, journey_map, since=start, until=end, zone=ZoneInfo(zone))


class NoLiveEvents(JourneykitError):
    """``--live`` found no events to measure the map on."""

    def __init__(self, period: bool) -> None:
        where = "in the period --since/--until" if period else "at all"
        hint = (
            "widen --since/--until"
            if period
            else "load events with `journeykit ingest FILE` (or try `journeykit demo`)"
        )
        message = f"the workspace's analytic store has no events {where}"
        problem = Problem(None, None, None, "--live", message, hint)
        super().__init__(f"--live: {message} — {hint}", [problem])


def _format_from_suffix(output: Path) -> RenderFormat:
    suffix = output.suffix.lstrip(".").lower()
    try:
        return RenderFormat(suffix)
    except ValueError:
        raise typer.BadParameter(
            f"cannot tell the format from '{output.name}' — pass --format svg|html|png|pdf",
            param_hint="--format",
        ) from None


@map_app.command("schema")
def schema() -> None:
    """Print the JSON Schema of the map format (docs/schema/map.schema.json is this output)."""
    typer.echo(json.dumps(map_json_schema(), ensure_ascii=False, indent=2))


@map_app.command("kpis")
def kpis(
    lang: Annotated[str, typer.Option(help="Label language: de or en.")] = "en",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Show the KPI catalog: metric ids, labels, unit, direction and formula."""
    if as_json:
        print_json(
            [
                {
                    "id": m.id,
                    "de": m.de,
                    "en": m.en,
                    "unit": m.unit.value,
                    "direction": m.direction.value,
                    "stage": m.stage,
                    "formula": m.formula,
                    "needs": list(m.needs),
                }
                for m in CATALOG
            ]
        )
        return
    table = Table(title="KPI catalog")
    for column in ("id", "label", "stage", "unit", "better", "formula"):
        table.add_column(column, overflow="fold")
    for m in CATALOG:
        better = "higher" if m.direction.value == "higher-is-better" else "lower"
        table.add_row(m.id, m.label(lang), m.stage, m.unit.value, better, m.formula)
    console.print(table)


@map_app.command("coverage")
def coverage(
    ctx: typer.Context,
    map_ref: Annotated[str, typer.Argument(metavar="MAP", help="Map id or file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Events and revenue no touchpoint matches, top unmatched events, overlapping rules."""
    from journeykit.cli.analytics import map_coverage

    map_coverage(workspace_from(ctx), map_ref, as_json=as_json)


__all__ = ["MapInvalid", "map_app", "map_to_yaml"]
