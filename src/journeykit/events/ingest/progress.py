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
    """A line for the input being read; ``advance`` after each batch. Silent when ``enabled`` is
    false.

    With ``files`` > 1 a line counts the files, and the line of a finished file is hidden, so a
    year of daily shards does not scroll 366 lines past.
    """

    def __init__(self, enabled: bool | None = None, files: int = 1) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.files = files
        self._progress: Progress | None = None
        self._task: int | None = None
        self._files_task: int | None = None
        self._started = 0

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
            if self.files > 1:
                self._files_task = self._progress.add_task(self._files_line(0), total=None)
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
        if self._progress is None:
            return
        if self._files_task is not None:
            if self._task is not None:
                self._progress.update(self._task, visible=False)  # type: ignore[arg-type]
            self._started += 1
            self._progress.update(
                self._files_task,  # type: ignore[arg-type]
                description=self._files_line(self._started),
            )
        self._task = self._progress.add_task(description, total=None)

    def _files_line(self, started: int) -> str:
        return f"all files (file {started:,} of {self.files:,})"

    def advance(self, rows: int) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task, rows)  # type: ignore[arg-type]
            if self._files_task is not None:
                self._progress.advance(self._files_task, rows)  # type: ignore[arg-type]
