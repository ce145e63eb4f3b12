"""A progress bar with rows per second on stderr — only when stderr is a terminal."""

from __future__ import annotations

import sys
from types import TracebackType

from rich.console import Console
from rich.progress import (
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class RowsPerSecond(ProgressColumn):
    """Rows so far and their average rate."""

    def render(self, task: Task) -> Text:
        elapsed = task.elapsed or 0.0
        rate = task.completed / elapsed if elapsed > 0 else 0.0
        return Text(f"{int(task.completed):>12,} rows  {rate:>10,.0f} rows/s")


class IngestProgress:
    """One line per input; ``advance`` after each batch. Silent when ``enabled`` is false."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self._progress: Progress | None = None
        self._task: int | None = None

    def __enter__(self) -> IngestProgress:
        if self.enabled:
            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                RowsPerSecond(),
                TimeElapsedColumn(),
                console=Console(stderr=True),
            )
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def start(self, description: str) -> None:
        if self._progress is not None:
            self._task = self._progress.add_task(description, total=None)

    def advance(self, rows: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, rows)  # type: ignore[arg-type]
