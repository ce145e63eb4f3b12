"""Event commands: ``ingest``, ``events stats``, ``quarantine …``, ``identity show``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from journeykit.cli.output import console, error_console, print_json, workspace_from

FORMATS = "auto, csv, parquet, jsonl, ga4, segment, shopify-orders"

events_app = typer.Typer(help="Events in the analytic store: stats, optimize.")
quarantine_app = typer.Typer(help="Records that could not be ingested: list, show, retry.")
identity_app = typer.Typer(help="Identity resolution: which ids are one customer, and why.")


def register_event_commands(app: typer.Typer) -> None:
    """Add ``ingest`` and the ``events``, ``quarantine`` and ``identity`` groups."""
    app.command("ingest")(ingest)
    app.add_typer(events_app, name="events")
    app.add_typer(quarantine_app, name="quarantine")
    app.add_typer(identity_app, name="identity")


def ingest(
    ctx: typer.Context,
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Files to ingest, each one atomic batch; a folder stands for its files."
        ),
    ],
    format: Annotated[str, typer.Option("--format", help=f"One of: {FORMATS}.")] = "auto",
    mapping: Annotated[
        Path | None, typer.Option(help="Mapping file (YAML): columns, constants, values, zone.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Validate, normalise, dedupe and store events; bad records go to the quarantine."""
    from journeykit.events.ingest import ingest_files

    workspace = workspace_from(ctx)
    summary = ingest_files(workspace, paths, format=format, mapping=mapping)
    if as_json:
        print_json(summary.as_json())
    else:
        for result in summary.results:
            console.print(
                f"{result.source_file}: read {result.read:,}, kept {result.kept:,}, "
                f"duplicates {result.duplicates:,}, quarantined {result.quarantined:,}",
                markup=False,
                highlight=False,
            )
    for result in summary.results:
        for note in result.notes:
            error_console.print(note, markup=False, highlight=False, soft_wrap=True)
    for failure in summary.failures:
        error_console.print(failure.report(), markup=False, highlight=False, soft_wrap=True)
    if summary.failures:
        raise typer.Exit(1)


@events_app.command("stats")
def stats(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Events, customers, first and last timestamp, open quarantine."""
    from journeykit.events.stats import event_stats
    from journeykit.store import open_analytic

    with open_analytic(workspace_from(ctx)) as store:
        numbers = event_stats(store).as_json()
    if as_json:
        print_json(numbers)
        return
    for key, value in numbers.items():
        console.print(f"{key:>12}  {value if value is not None else '—'}", highlight=False)


@events_app.command("optimize")
def optimize(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Rewrite the events table in journey order (customer, time): analyses read it faster."""
    from journeykit.events.layout import optimize_events
    from journeykit.store import open_analytic

    status = error_console.status("Rewriting the events in journey order …")
    with open_analytic(workspace_from(ctx)) as store, status:
        done = optimize_events(store)
    if as_json:
        print_json(done.as_json())
    elif done.clustered:
        console.print(f"{done.events:,} events rewritten in journey order in {done.seconds:.1f} s")
    else:
        console.print("This store's engine keeps no row order of its own: nothing to do")


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Option(help="Only records of this ingest batch.")] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Also resolved records.")] = False,
    limit: Annotated[int, typer.Option(help="Show at most this many.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Quarantined records: id, where they were, the field and the reason."""
    from journeykit.events.quarantine import list_entries
    from journeykit.store import open_analytic

    with open_analytic(workspace_from(ctx)) as store:
        total, entries = list_entries(
            store, batch=batch, status=None if show_all else "open", limit=limit
        )
    if as_json:
        print_json({"total": total, "entries": [_entry_json(e) for e in entries]})
        return
    table = Table("id", "where", "field", "reason", show_lines=False)
    for entry in entries:
        table.add_row(entry.quarantine_id, entry.where, entry.field or "", entry.reason)
    console.print(table)
    console.print(f"{total:,} record(s); `journeykit quarantine show ID` shows one in full")


@quarantine_app.command("show")
def quarantine_show(
    ctx: typer.Context,
    quarantine_id: Annotated[str, typer.Argument(help="An id from `quarantine list`.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """One quarantined record: where, why, and the raw record as read."""
    from journeykit.events.quarantine import show_entry
    from journeykit.store import open_analytic

    with open_analytic(workspace_from(ctx)) as store:
        entry = show_entry(store, quarantine_id)
    if as_json:
        print_json(_entry_json(entry))
        return
    for label, value in (
        ("id", entry.quarantine_id),
        ("where", entry.where),
        ("field", entry.field or "(the whole record)"),
        ("reason", entry.reason),
        ("status", entry.status),
        ("raw", entry.raw),
    ):
        console.print(f"[bold]{label:>7}[/bold]  ", end="")
        console.print(str(value), markup=False, highlight=False, soft_wrap=True)


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    mapping: Annotated[
        Path | None, typer.Option(help="A (fixed) mapping file; default: the original one.")
    ] = None,
    batch: Annotated[str | None, typer.Option(help="Only records of this ingest batch.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Run the open quarantined records through the pipeline again."""
    from journeykit.events.quarantine import retry

    outcome = retry(workspace_from(ctx), mapping=mapping, batch=batch)
    totals = {
        key: sum(result.counts()[key] for result in outcome.results)
        for key in ("read", "kept", "duplicates", "quarantined")
    }
    if as_json:
        print_json({**totals, "not_retryable": outcome.not_retryable})
    else:
        console.print(
            f"retried {totals['read']:,}: kept {totals['kept']:,}, duplicates "
            f"{totals['duplicates']:,}, still quarantined {totals['quarantined']:,}",
            highlight=False,
        )
    if outcome.not_retryable:
        error_console.print(
            f"{outcome.not_retryable:,} record(s) are not whole records (too long, wrong number "
            "of fields) and stay in the quarantine — fix the file and ingest it again",
            highlight=False,
        )


@identity_app.command("show")
def identity_show(
    ctx: typer.Context,
    identifier: Annotated[str, typer.Argument(metavar="ID", help="A user id or anonymous id.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON document.")] = False,
) -> None:
    """Which ids are one customer with ID, and the links (events, batches) that merged them."""
    from journeykit.events.identity import explain_identity
    from journeykit.store import open_analytic

    with open_analytic(workspace_from(ctx)) as store:
        explanation = explain_identity(store, identifier)
    if as_json:
        print_json(explanation.as_json())
        return
    console.print(f"customer [bold]{explanation.customer_id}[/bold]", highlight=False)
    console.print(f"  user ids:      {', '.join(explanation.user_ids) or '—'}", highlight=False)
    console.print(
        f"  anonymous ids: {', '.join(explanation.anonymous_ids) or '—'}", highlight=False
    )
    for name, count in explanation.events.items():
        console.print(f"  {name}: {count:,} event(s)", markup=False, highlight=False)
    if not explanation.links:
        console.print("  no links: this id is a customer of its own", highlight=False)
    for link in explanation.links:
        console.print(
            f"  linked {link['anonymous_id']} ↔ {link['user_id']} by "
            f"{link['event_name']} ({link['event_id']}) at {link['event_ts']:%Y-%m-%d %H:%M:%S} "
            f"UTC — batch {link['batch_id']}, {link['source_file'] or 'unknown file'}",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )


def _entry_json(entry: object) -> dict[str, object]:
    from dataclasses import asdict

    data = asdict(entry)  # type: ignore[call-overload]
    data["ts"] = data["ts"].isoformat()
    return dict(data)
