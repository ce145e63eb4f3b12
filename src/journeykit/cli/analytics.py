"""Analysis commands: ``funnel`` (and the other analyses as they arrive), thin calls into analytics.

Each command opens the analytic store, runs one analysis from ``journeykit.analytics`` and prints
its typed result: a rich table, or with ``--json`` the contract's JSON document. ``resolve_map``
finds the journey map an analysis needs (an id or a file, else the workspace's first map).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer
from rich.table import Table

from journeykit.cli.output import console, error_console, print_json, workspace_from
from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.maps.io import load_map
from journeykit.maps.model import JourneyMap
from journeykit.workspace import Workspace

if TYPE_CHECKING:
    from journeykit.analytics.funnel import FunnelStep

LEVELS = ("event", "touchpoint", "stage")


def register_analytics_commands(app: typer.Typer) -> None:
    """Add the analysis commands to the top-level app."""
    app.command("funnel")(funnel_command)
    register_path_commands(app)


class MapNotFound(JourneykitError):
    """The map an analysis needs is not there; says which ids exist."""

    def __init__(self, reference: str, known: list[str]) -> None:
        hint = suggestion(reference, known) if known else "create one with `journeykit map new`"
        problem = Problem(None, None, None, "--map", f"no map '{reference}'", hint)
        super().__init__(
            f"--map: no map '{reference}' in the workspace or as a file — {hint}", [problem]
        )


def resolve_map(workspace: Workspace, reference: str | None) -> JourneyMap:
    """The map named by ``reference`` (a file, or an id/file name in the workspace's maps).

    Without a reference: the workspace's only map, or its first (by file name) with a note on
    stderr saying how to choose another.
    """
    files = workspace.map_files()
    if reference is None:
        if not files:
            raise MapNotFound("(none given)", [])
        if len(files) > 1:
            error_console.print(
                f"Using map '{files[0].stem}' (the first of {len(files)}); choose with --map ID.",
                markup=False,
                highlight=False,
            )
        return load_map(files[0])
    path = Path(reference)
    if path.is_file():
        return load_map(path)
    for file in files:
        if file.stem == reference:
            return load_map(file)
    for file in files:
        found = load_map(file)
        if found.id == reference:
            return found
    raise MapNotFound(reference, [file.stem for file in files])


def funnel_command(
    ctx: typer.Context,
    steps: Annotated[
        list[str], typer.Argument(help="The steps in order: event names, touchpoint or stage ids.")
    ],
    window: Annotated[
        str, typer.Option(help="How long after step 1 later steps count: 30m, 24h, 7d, 2w.")
    ] = "7d",
    level: Annotated[
        str, typer.Option(help="What the steps name: event, touchpoint or stage.")
    ] = "event",
    map_ref: Annotated[
        str | None,
        typer.Option("--map", help="Map id or file for touchpoint/stage steps (default: first)."),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            help="Break down by an event field (device, channel …), persona or properties.NAME."
        ),
    ] = None,
    since: Annotated[
        str | None, typer.Option(help="First day of the period (YYYY-MM-DD, workspace zone).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Day after the period (YYYY-MM-DD, exclusive).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Customers who get from step 1 through each next step within the window."""
    from journeykit.analytics.funnel import FunnelInvalid, Level, funnel
    from journeykit.analytics.timespans import parse_day, parse_window
    from journeykit.store import open_analytic

    workspace = workspace_from(ctx)
    if level not in LEVELS:
        raise FunnelInvalid("--level", f"unknown level '{level}'", suggestion(level, LEVELS))
    zone = workspace.settings.workspace.timezone
    journey_map = resolve_map(workspace, map_ref) if level != "event" else None
    with open_analytic(workspace) as store:
        result = funnel(
            store.table("events"),
            steps,
            window=parse_window(window),
            level=cast("Level", level),
            journey_map=journey_map,
            by=by,
            since=parse_day(since, zone, flag="--since") if since else None,
            until=parse_day(until, zone, flag="--until") if until else None,
        )
    if as_json:
        print_json(result.to_json())
        return
    console.print(_funnel_table(f"Funnel ({window})", result.entered, result.steps))
    for group in result.groups or []:
        title = f"{by} = {group.value if group.value is not None else '(none)'}"
        console.print(_funnel_table(title, group.entered, group.steps))


def _funnel_table(title: str, entered: int, steps: list[FunnelStep]) -> Table:
    table = Table(title=f"{title}: {entered:,} entered", title_justify="left")
    table.add_column("step", no_wrap=True)
    for column in ("customers", "of start", "of previous", "median time", "p90 time"):
        table.add_column(column, justify="right")
    for step in steps:
        table.add_row(
            step.step,
            f"{step.customers:,}",
            f"{step.conversion_from_start:.1%}",
            f"{step.conversion_from_previous:.1%}",
            _duration(step.median_seconds_from_previous),
            _duration(step.p90_seconds_from_previous),
        )
    return table


def _duration(seconds: float | None) -> str:
    """Seconds as people read them: 45s, 12m, 3.5h, 2.1d."""
    if seconds is None:
        return "—"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f}{unit}"
    return f"{seconds:.0f}s"


def map_coverage(workspace: Workspace, map_ref: str, *, as_json: bool) -> None:
    """``journeykit map coverage MAP``: coverage of the map's rules and their overlaps."""
    from journeykit.analytics.journeys import coverage, overlapping_touchpoints
    from journeykit.store import open_analytic

    journey_map = resolve_map(workspace, map_ref)
    with open_analytic(workspace) as store:
        events = store.table("events")
        covered = coverage(events, journey_map)
        overlaps = overlapping_touchpoints(events, journey_map)
    if as_json:
        print_json(
            {
                "map": journey_map.id,
                **covered.as_json(),
                "overlaps": [o.as_json() for o in overlaps],
            }
        )
        return
    console.print(
        f"Map '{journey_map.id}': {covered.unmatched_events:,} of {covered.events:,} events "
        f"({_share(covered.unmatched_share)}) and {_share(covered.unmatched_revenue_share)} "
        "of revenue match no touchpoint.",
        highlight=False,
    )
    if covered.top_unmatched:
        table = Table(
            "unmatched event", "events", title="Top unmatched events", title_justify="left"
        )
        for item in covered.top_unmatched:
            table.add_row(item.name, f"{item.events:,}")
        console.print(table)
    for overlap in overlaps:
        console.print(
            f"Rules overlap: '{overlap.first}' and '{overlap.second}' both match "
            f"{overlap.events:,} events (they count for '{overlap.first}', first in the map).",
            markup=False,
            highlight=False,
        )


def _share(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


# ---------------------------------------------------------------------------------------------
# paths, transitions, kpis, retention (journey analyses; registered by register_path_commands)
# ---------------------------------------------------------------------------------------------

if TYPE_CHECKING:
    from datetime import datetime

    import ibis.expr.types as ir

    from journeykit.analytics.retention import CohortRetention, StageDistribution

MapOption = Annotated[
    str | None,
    typer.Option("--map", help="Map id or file (touchpoint/stage levels, KPI targets)."),
]
SinceOption = Annotated[
    str | None, typer.Option(help="First day of the period (YYYY-MM-DD, workspace zone).")
]
UntilOption = Annotated[
    str | None, typer.Option(help="Day after the period (YYYY-MM-DD, exclusive).")
]
LevelOption = Annotated[
    str, typer.Option(help="What a journey is read at: event, touchpoint or stage.")
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]


def register_path_commands(app: typer.Typer) -> None:
    """Add ``paths``, ``transitions``, ``kpis`` and ``retention`` to the top-level app."""
    app.command("paths")(paths_command)
    app.command("transitions")(transitions_command)
    app.command("kpis")(kpis_command)
    app.command("retention")(retention_command)


def _period_bounds(
    workspace: Workspace, since: str | None, until: str | None
) -> tuple[datetime | None, datetime | None]:
    from journeykit.analytics.timespans import parse_day

    zone = workspace.settings.workspace.timezone
    return (
        parse_day(since, zone, flag="--since") if since else None,
        parse_day(until, zone, flag="--until") if until else None,
    )


def _within(events: ir.Table, since: datetime | None, until: datetime | None) -> ir.Table:
    """The events of the period (``since <= ts < until``)."""
    import ibis

    if since is not None:
        events = events.filter(events["ts"] >= ibis.literal(since))
    if until is not None:
        events = events.filter(events["ts"] < ibis.literal(until))
    return events


def _check_level(level: str) -> None:
    if level not in LEVELS:
        raise JourneykitError(
            f"--level: unknown level '{level}'",
            [Problem(None, None, None, "--level", "not a level", suggestion(level, LEVELS))],
        )


def _journey_table(events: ir.Table, level: str, journey_map: JourneyMap | None) -> ir.Table:
    from journeykit.analytics.journeys import label_events

    return events if journey_map is None or level == "event" else label_events(events, journey_map)


def paths_command(
    ctx: typer.Context,
    start: Annotated[
        str | None, typer.Option("--from", help="Paths going on from this node.")
    ] = None,
    end: Annotated[str | None, typer.Option("--to", help="Paths arriving at this node.")] = None,
    steps: Annotated[int, typer.Option(help="Nodes per path, the anchor included.")] = 4,
    top: Annotated[int, typer.Option(help="How many paths to list (the rest is 'other').")] = 10,
    level: LevelOption = "event",
    map_ref: MapOption = None,
    collapse: Annotated[
        bool, typer.Option("--collapse", help="Merge repeats of the same node first.")
    ] = False,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """The top paths from (--from) or to (--to) a node, with 'other' and 'left' adding up."""
    from journeykit.analytics.paths import paths
    from journeykit.store import open_analytic

    if (start is None) == (end is None):
        raise JourneykitError(
            "paths: give exactly one of --from NODE or --to NODE",
            [Problem(None, None, None, "--from/--to", "one anchor needed", "e.g. --from home")],
        )
    _check_level(level)
    workspace = workspace_from(ctx)
    journey_map = resolve_map(workspace, map_ref) if level != "event" else None
    first, after = _period_bounds(workspace, since, until)
    anchor = start or end or ""
    with open_analytic(workspace) as store:
        result = paths(
            _journey_table(store.table("events"), level, journey_map),
            anchor,
            direction="from" if start else "to",
            level=level,
            steps=steps,
            top=top,
            collapse_repeats=collapse,
            since=first,
            until=after,
        )
    if as_json:
        print_json(result.to_json())
        return
    arrow = " → "
    table = Table(
        title=f"Paths {result.direction} '{anchor}' ({result.customers:,} customers)",
        title_justify="left",
    )
    for column in ("path", "customers", "share"):
        table.add_column(column, justify="left" if column == "path" else "right")
    for path in result.paths:
        table.add_row(arrow.join(path.steps), f"{path.customers:,}", _part(path.customers, result))
    table.add_row(
        f"(other: {result.other_paths:,} paths)", f"{result.other:,}", _part(result.other, result)
    )
    table.add_row(f"(left before {steps} steps)", f"{result.left:,}", _part(result.left, result))
    console.print(table)


def _part(count: int, result: object) -> str:
    total = getattr(result, "customers", 0)
    return f"{count / total:.1%}" if total else "—"


def transitions_command(
    ctx: typer.Context,
    level: LevelOption = "event",
    map_ref: MapOption = None,
    sessions: Annotated[
        bool, typer.Option("--sessions", help="Only transitions inside a session (30 min gap).")
    ] = False,
    collapse: Annotated[
        bool, typer.Option("--collapse", help="Merge repeats of the same node first.")
    ] = False,
    top: Annotated[int, typer.Option(help="Rows of the table (JSON has all).")] = 30,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """The transition matrix: counts, probabilities per from-node, loops and back-steps."""
    from journeykit.analytics.journeys import sessionize
    from journeykit.analytics.transitions import stage_ranks, transitions
    from journeykit.store import open_analytic

    _check_level(level)
    workspace = workspace_from(ctx)
    journey_map = resolve_map(workspace, map_ref) if level != "event" else None
    first, after = _period_bounds(workspace, since, until)
    with open_analytic(workspace) as store:
        events = _within(store.table("events"), first, after)
        if sessions:
            events = sessionize(events)
        result = transitions(
            _journey_table(events, level, journey_map),
            level=level,
            session="session_id" if sessions else None,
            collapse_repeats=collapse,
            stage_of=stage_ranks(journey_map, level) if journey_map else None,
        )
    if as_json:
        print_json(result.to_json())
        return
    back = "" if result.back_steps is None else f", {result.back_steps:,} back-steps"
    table = Table(
        title=f"Transitions ({level}): {result.total:,}, {result.loops:,} loops{back}",
        title_justify="left",
    )
    for column in ("from", "to", "count", "probability", "kind"):
        table.add_column(column, justify="right" if column in ("count", "probability") else "left")
    for cell in sorted(result.transitions, key=lambda t: -t.count)[:top]:
        table.add_row(
            cell.source, cell.target, f"{cell.count:,}", f"{cell.probability:.1%}", cell.kind or ""
        )
    console.print(table)


def kpis_command(
    ctx: typer.Context,
    map_ref: MapOption = None,
    period: Annotated[str | None, typer.Option(help="Also per period: week or month.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """Every catalog KPI over the events, per stage of the map, against the map's targets."""
    from journeykit.analytics.period_numbers import check_period
    from journeykit.analytics.stage_kpis import stage_kpis
    from journeykit.store import open_analytic

    if period is not None:
        check_period(period)
    workspace = workspace_from(ctx)
    journey_map = resolve_map(workspace, map_ref)
    first, after = _period_bounds(workspace, since, until)
    with open_analytic(workspace) as store:
        result = stage_kpis(
            _within(store.table("events"), first, after), journey_map, period=period
        )
    if as_json:
        print_json(result.to_json())
        return
    table = Table(title=f"KPIs of map '{journey_map.id}'", title_justify="left")
    for column in ("stage", "metric", "value", "target", "status"):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    for row in result.results:
        status = row.status if not row.needs else "needs events " + ", ".join(row.needs)
        table.add_row(
            row.stage or "(no stage)",
            row.metric,
            _metric_text(row.value, row.unit),
            _metric_text(row.target, row.unit),
            status,
        )
    console.print(table)


def _metric_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ratio":
        return f"{value:.1%}"
    if unit == "seconds":
        return _duration(value)
    return f"{value:,.2f}" if unit == "currency" else f"{value:,.4g}"


def retention_command(
    ctx: typer.Context,
    period: Annotated[str, typer.Option(help="Cohort period: week or month.")] = "month",
    periods: Annotated[int, typer.Option(help="Periods after the cohort's first.")] = 6,
    purchase_event: Annotated[
        str, typer.Option(help="The event name of a purchase.")
    ] = "order_completed",
    map_ref: MapOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    as_json: JsonOption = False,
) -> None:
    """Cohorts by first purchase, the repeat-purchase curve, and customers per stage over time."""
    from journeykit.analytics.journeys import label_events
    from journeykit.analytics.period_numbers import check_period
    from journeykit.analytics.retention import (
        cohort_retention,
        repeat_purchase_curve,
        stage_distribution,
    )
    from journeykit.store import open_analytic

    check_period(period)
    workspace = workspace_from(ctx)
    journey_map = resolve_map(workspace, map_ref) if map_ref or workspace.map_files() else None
    first, after = _period_bounds(workspace, since, until)
    with open_analytic(workspace) as store:
        events = _within(store.table("events"), first, after)
        cohorts = cohort_retention(
            events, period=period, periods=periods, purchase_event=purchase_event
        )
        curve = repeat_purchase_curve(events, purchase_event=purchase_event)
        stages = (
            stage_distribution(
                label_events(events, journey_map),
                period=period,
                stages=[s.id for s in journey_map.ordered_stages()],
            )
            if journey_map
            else None
        )
    if as_json:
        print_json(
            {
                "cohorts": cohorts.to_json(),
                "repeat_curve": curve.to_json(),
                "stage_distribution": stages.to_json() if stages else None,
            }
        )
        return
    console.print(_cohort_table(cohorts))
    if stages is not None:
        console.print(_stage_table(stages))


def _cohort_table(cohorts: CohortRetention) -> Table:
    table = Table(
        title=f"Retention by first '{cohorts.purchase_event}' ({cohorts.period})",
        title_justify="left",
    )
    table.add_column("cohort")
    table.add_column("customers", justify="right")
    for k in range(1, cohorts.periods + 1):
        table.add_column(f"+{k}", justify="right")
    for cohort in cohorts.cohorts:
        rates = cohort.rates()[1:]
        table.add_row(
            cohort.period, f"{cohort.size:,}", *("—" if r is None else f"{r:.1%}" for r in rates)
        )
    return table


def _stage_table(stages: StageDistribution) -> Table:
    table = Table(title="Customers per stage (latest stage in the period)", title_justify="left")
    table.add_column("period")
    for stage in stages.stages:
        table.add_column(stage, justify="right")
    for label in stages.periods:
        table.add_row(label, *(f"{stages.counts[label].get(s, 0):,}" for s in stages.stages))
    return table
