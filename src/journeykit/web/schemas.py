"""Response bodies of the JSON API as pydantic models, so ``/openapi.json`` documents them."""

from __future__ import annotations

from pydantic import BaseModel, Field

from journeykit.errors import Problem
from journeykit.web.catalog import MapCatalog, MapEntry


class ProblemOut(BaseModel):
    """One located problem of a map file, as the validator reported it."""

    file: str | None = Field(description="File relative to the workspace.")
    line: int | None
    column: int | None
    field: str = Field(description="Dotted path of the field, e.g. 'stages[0].name'; may be empty.")
    message: str = Field(description="What is wrong.")
    hint: str | None = Field(description="How to fix it.")
    text: str = Field(description="The problem on one line: file:line: field: message — hint.")


class MapSummary(BaseModel):
    """A line of the map list: enough to pick a map, and whether it loads."""

    id: str = Field(description="The map's id (the file name for a file without a readable id).")
    title: str | None
    type: str | None = Field(description="current-state, future-state, day-in-the-life, …")
    language: str | None
    persona: str | None
    stages: int
    touchpoints: int
    file: str = Field(description="Map file relative to the workspace.")
    valid: bool
    problems: list[ProblemOut]


class ErrorDetail(BaseModel):
    """What went wrong and how to fix it."""

    error: str
    hint: str | None = None


class ErrorResponse(BaseModel):
    """Body of a 404 (unknown map) or 503 (no browser for PNG/PDF)."""

    detail: ErrorDetail


class InvalidMapDetail(ErrorDetail):
    """An invalid map: every problem, located."""

    problems: list[ProblemOut]


class InvalidMapResponse(BaseModel):
    """Body of a 422 for a map file with problems."""

    detail: InvalidMapDetail


def problem_out(problem: Problem, catalog: MapCatalog) -> ProblemOut:
    """A problem with its file shown relative to the workspace."""
    file = catalog.relative(problem.file) if problem.file else None
    return ProblemOut(
        file=file,
        line=problem.line,
        column=problem.column,
        field=problem.field,
        message=problem.message,
        hint=problem.hint,
        text=problem_text(problem, file),
    )


def problem_text(problem: Problem, file: str | None) -> str:
    """``file:line: field: message — hint``, leaving out the parts that are unknown."""
    where = ":".join(str(part) for part in (file, problem.line) if part is not None)
    body = f"{problem.field}: {problem.message}" if problem.field else problem.message
    if problem.hint:
        body = f"{body} — {problem.hint}"
    return f"{where}: {body}" if where else body


def map_summary(entry: MapEntry, catalog: MapCatalog) -> MapSummary:
    """The list line of one entry; a broken file gives its id, file and problems only."""
    journey_map = entry.journey_map
    return MapSummary(
        id=entry.id,
        title=journey_map.title if journey_map else None,
        type=journey_map.type.value if journey_map else None,
        language=journey_map.language if journey_map else None,
        persona=journey_map.persona.name if journey_map else None,
        stages=len(journey_map.stages) if journey_map else 0,
        touchpoints=len(journey_map.touchpoints) if journey_map else 0,
        file=catalog.relative(entry.path),
        valid=entry.valid,
        problems=[problem_out(problem, catalog) for problem in entry.problems],
    )


def invalid_map_detail(entry: MapEntry, catalog: MapCatalog) -> InvalidMapDetail:
    """The 422 detail for an entry with problems."""
    count = len(entry.problems)
    return InvalidMapDetail(
        error=f"map '{entry.id}' ({catalog.relative(entry.path)}) has {count} "
        + ("problem" if count == 1 else "problems"),
        hint="fix them and reload; `journeykit map validate` shows the same list",
        problems=[problem_out(problem, catalog) for problem in entry.problems],
    )
