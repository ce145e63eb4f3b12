"""User-facing errors: classes with fields from which the message is built.

Every error a user can cause says *what* is wrong, *where* (file, line, column, field) and *how to
fix it*. The CLI prints them without a traceback and exits 1.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    file: str | None
    line: int | None
    column: int | None
    field: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = ":".join(
            str(part) for part in (self.file, self.line, self.column) if part is not None
        )
        text = f"{self.field}: {self.message}" if self.field else self.message
        if self.hint:
            text = f"{text} — {self.hint}"
        return f"{where}: {text}" if where else text


class JourneykitError(Exception):
    """Base class of errors caused by user input (exit code 1 in the CLI)."""

    def __init__(self, message: str, problems: Iterable[Problem] = ()) -> None:
        self.problems = sorted(problems, key=_problem_sort_key)
        super().__init__(message)

    def report(self) -> str:
        """The full text for the user: the headline, then one line per problem."""
        lines = [str(self)]
        lines.extend(f"  {problem}" for problem in self.problems)
        return "\n".join(lines)


class FileProblem(JourneykitError):
    """A file that cannot be read at all (missing, not UTF-8, a folder)."""

    def __init__(self, path: Path, reason: str, hint: str) -> None:
        self.path = path
        super().__init__(f"{path}: {reason} — {hint}")


def _problem_sort_key(problem: Problem) -> tuple[str, int, int, str]:
    return (problem.file or "", problem.line or 0, problem.column or 0, problem.field)


def did_you_mean(word: str, choices: Iterable[str]) -> str | None:
    """The closest known word to a misspelt one, or None when nothing is close."""
    options = list(choices)
    lowered = {choice.casefold(): choice for choice in options}
    match = difflib.get_close_matches(str(word).casefold(), list(lowered), n=1, cutoff=0.6)
    return lowered[match[0]] if match else None


def suggestion(word: str, choices: Iterable[str], *, list_all: bool = True) -> str:
    """A fix hint: "did you mean 'x'?" when something is close, else the allowed values."""
    options = list(choices)
    close = did_you_mean(word, options)
    if close is not None:
        return f"did you mean '{close}'?"
    if list_all and len(options) <= 24:
        return "use one of: " + ", ".join(f"'{option}'" for option in options)
    return "check the spelling"
