"""A rich progress bar for generator runs — only on a terminal, and only where the caller asks.

Library functions take an optional callback and never print; the CLI, ``make demo`` and the
benchmark wrap a run in :func:`terminal_progress` to get a bar with customers, events and
events per second on stderr.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from journeykit.datasets.generator.run import ProgressCallback


@contextmanager
def terminal_progress(
    description: str, total_customers: int, console: Console | None = None
) -> Iterator[ProgressCallback | None]:
    """A progress callback drawing a bar on stderr, or None when stderr is not a terminal."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("customers · {task.fields[events]} events · {task.fields[rate]}/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    started = time.perf_counter()
    with Progress(*columns, console=console) as bar:
        task = bar.add_task(description, total=total_customers, events="0", rate="–")

        def update(events: int, done: int, total: int) -> None:
            elapsed = max(time.perf_counter() - started, 1e-9)
            bar.update(
                task,
                completed=done,
                total=total,
                events=f"{events:,}",
                rate=f"{events / elapsed:,.0f}",
            )

        yield update
