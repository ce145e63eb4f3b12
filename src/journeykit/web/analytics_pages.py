"""The analytics pages of a map — funnel, paths, retention, KPIs — with CSV and PNG downloads.

``/maps/{id}/{kind}`` is the page (plotly chart, form, table), ``/maps/{id}/{kind}.csv`` the
numbers behind the chart and ``/maps/{id}/{kind}.png`` the chart drawn by Chromium; all three take
the same query parameters. plotly.js comes from the installed plotly wheel at ``/assets/``, so
the pages work without a network. Nothing here answers 500 for user input: an unknown map is a
404 page, a broken map 422 with its problems, a bad parameter 400 naming it, an empty store a page
saying how to load events.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import HTMLResponse
from markupsafe import Markup, escape

from journeykit.analytics.period_numbers import PERIODS
from journeykit.browser import BrowserMissing
from journeykit.errors import JourneykitError, Problem
from journeykit.i18n import LANGUAGES, Language, text
from journeykit.maps.kpis import METRICS
from journeykit.maps.model import JourneyMap
from journeykit.web import numbers
from journeykit.web.analytics_params import (
    BREAKDOWNS,
    DIRECTIONS,
    LEVELS,
    node_ids,
    query_string,
)
from journeykit.web.analytics_runs import ANALYSES, Analysis, NoEvents, run
from journeykit.web.catalog import MapNotFound
from journeykit.web.chart_png import plotly_js, plotly_js_version, render_png
from journeykit.web.charts import titled
from journeykit.web.language import request_language
from journeykit.web.lookup import Catalog, MapId
from journeykit.web.schemas import map_summary
from journeykit.web.templating import page

router = APIRouter(include_in_schema=False)

Lang = Annotated[Language, Depends(request_language)]
KINDS = tuple(ANALYSES)
FORMATS = ("csv", "png")
PARAM_NAMES = {"STEP": "steps", "--from": "anchor", "--to": "anchor", "--from/--to": "anchor"}


def plotly_url() -> str:
    return f"/assets/plotly-{plotly_js_version()}.min.js"


@router.get("/assets/plotly-{version}.min.js")
def plotly_bundle(version: str) -> Response:
    """plotly.js from the wheel; the URL carries its hash, so browsers keep it for a year."""
    headers = {"Cache-Control": "public, max-age=31536000, immutable"}
    return Response(plotly_js(), media_type="text/javascript; charset=utf-8", headers=headers)


@router.get("/maps/{map_id}/{kind}.{fmt}")
def analytics_download(
    request: Request, map_id: MapId, kind: str, fmt: str, catalog: Catalog, lang: Lang
) -> Response:
    """The chart's numbers as CSV, or the chart as PNG."""
    if kind not in KINDS or fmt not in FORMATS:
        return _not_found(request, f"{map_id}/{kind}.{fmt}", lang)
    found = _analysis(request, map_id, kind, catalog, lang, download=True)
    if not isinstance(found, tuple):
        return found
    journey_map, analysis = found
    chart = analysis.chart
    filename = f"{journey_map.id}-{chart.name}.{fmt}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        return Response(chart.csv_text(), media_type="text/csv; charset=utf-8", headers=headers)
    title = f"{text(f'an.{kind}', lang)} · {journey_map.title}"
    try:
        png = render_png(titled(chart.figure, title))
    except BrowserMissing as error:
        return _error_page(request, lang, 503, str(error), [])
    return Response(png, media_type="image/png", headers=headers)


@router.get("/maps/{map_id}/{kind}", response_class=HTMLResponse)
def analytics_page(
    request: Request, map_id: MapId, kind: str, catalog: Catalog, lang: Lang
) -> Response:
    """One analysis of the map: the form, the chart, its downloads and the table of numbers."""
    if kind not in KINDS:
        return _not_found(request, f"{map_id}/{kind}", lang)
    found = _analysis(request, map_id, kind, catalog, lang, download=False)
    if not isinstance(found, tuple):
        return found
    journey_map, analysis = found
    asked = analysis.context["asked"]
    query = query_string(asked.query(), lang)
    context = {
        **_shell(journey_map, kind, lang),
        **analysis.context,
        "chart": analysis.chart,
        "figure_json": _figure_json(analysis),
        "plotly_url": plotly_url(),
        "lang_links": {code: query_string(asked.query(), code) for code in LANGUAGES},
        "csv_href": f"/maps/{journey_map.id}/{kind}.csv{query}",
        "png_href": f"/maps/{journey_map.id}/{kind}.png{query}",
    }
    return page(request, f"analytics_{kind}.html", lang, context)


def _analysis(
    request: Request, map_id: str, kind: str, catalog: Catalog, lang: Language, *, download: bool
) -> tuple[JourneyMap, Analysis] | Response:
    """The map and its analysis, or the page explaining why there is none."""
    try:
        entry = catalog.find(map_id)
    except MapNotFound as error:
        missing = {"map_id": map_id, "hint": error.hint}
        return page(request, "not_found.html", lang, missing, status_code=404)
    journey_map = entry.journey_map
    if journey_map is None or not entry.valid:
        summary = map_summary(entry, catalog)
        hint = with_code(text("an.map_invalid.hint", lang))
        context = {"entry": summary, "problems": summary.problems, "kind": kind, "hint": hint}
        return page(request, "analytics_invalid.html", lang, context, status_code=422)
    workspace = catalog.workspace
    try:
        return journey_map, run(kind, workspace, journey_map, request.query_params, lang)
    except NoEvents:
        hint = with_code(text("an.no_events.hint", lang))
        context = {**_shell(journey_map, kind, lang), "hint": hint}
        return page(
            request, "analytics_empty.html", lang, context, status_code=409 if download else 200
        )
    except JourneykitError as error:
        return _error_page(request, lang, 400, str(error), error.problems, journey_map, kind)


def _shell(journey_map: JourneyMap, kind: str, lang: Language) -> dict[str, Any]:
    """What every analytics page of a map shows: the map, the tabs, the form's choices."""
    label = partial(text, lang=lang)
    return {
        "map": journey_map,
        "kind": kind,
        "kinds": KINDS,
        "map_href": f"/maps/{journey_map.id}",
        "lang_query": f"?lang={lang}",
        "nodes": {level: node_ids(journey_map, level) for level in LEVELS},
        "level_options": [(level, label(f"an.level.{level}")) for level in LEVELS],
        "by_options": [("", label("an.none")), *((by, by) for by in BREAKDOWNS)],
        "direction_options": [(d, label(f"an.direction.{d}")) for d in DIRECTIONS],
        "period_options": [(p, label(f"an.period.{p}")) for p in PERIODS],
        "yes_no_options": [("1", label("an.yes")), ("0", label("an.no"))],
        **formatters(lang),
    }


def formatters(lang: str) -> dict[str, Callable[..., str]]:
    """Number formatting for the templates, in the page's language."""
    return {
        "fmt_count": partial(numbers.count, lang=lang),
        "fmt_percent": partial(numbers.percent, lang=lang),
        "fmt_duration": partial(numbers.duration, lang=lang),
        "fmt_metric": lambda value, unit: numbers.metric(value, unit, lang),
        "fmt_share": lambda part, whole: numbers.percent(part / whole if whole else None, lang),
        "metric_label": lambda metric: METRICS[metric].label(lang) if metric in METRICS else metric,
    }


def _error_page(
    request: Request,
    lang: Language,
    status: int,
    message: str,
    problems: list[Problem],
    journey_map: JourneyMap | None = None,
    kind: str | None = None,
) -> HTMLResponse:
    shown = [_as_param(problem) for problem in problems]
    context: dict[str, Any] = {"message": message, "param_problems": shown, "status": status}
    if journey_map is not None and kind is not None:
        context.update(_shell(journey_map, kind, lang))
    return page(request, "analytics_error.html", lang, context, status_code=status)


def _as_param(problem: Problem) -> Problem:
    """The problem with the query parameter's name where the library names a CLI flag."""
    name = PARAM_NAMES.get(problem.field, problem.field.removeprefix("--"))
    return Problem(None, None, None, name, problem.message, problem.hint)


def _not_found(request: Request, what: str, lang: Language) -> HTMLResponse:
    hint = "analyses: " + ", ".join(KINDS)
    return page(request, "not_found.html", lang, {"map_id": what, "hint": hint}, status_code=404)


def with_code(message: str) -> Markup:
    """``message`` escaped, with its `backticked` parts as ``<code>``."""
    parts = str(escape(message)).split("`")
    return Markup("".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts)))


def _figure_json(analysis: Analysis) -> str:
    """The figure as JSON that is safe inside a ``<script>`` element."""
    figure_json: str = analysis.chart.figure.to_json()
    return figure_json.replace("</", "<\\/")
