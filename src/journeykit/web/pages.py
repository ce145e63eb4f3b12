"""The HTML pages: the index of maps and one page per map, in German or English.

Pages never answer 500 for a broken map file: its problems are the page's content.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from journeykit.i18n import Language
from journeykit.maps.render import render_svg
from journeykit.web.analytics_runs import NoEvents, live_overlay_of
from journeykit.web.catalog import MapEntry, MapNotFound
from journeykit.web.language import request_language
from journeykit.web.lookup import Catalog, MapId
from journeykit.web.schemas import MapSummary, map_summary
from journeykit.web.templating import page

router = APIRouter(include_in_schema=False)

Lang = Annotated[Language, Depends(request_language)]
DOWNLOADS = ("svg", "png", "pdf", "html", "yaml")


@dataclass(frozen=True)
class IndexRow:
    """A map in the index; ``href`` is None for a file whose id another file already owns."""

    summary: MapSummary
    href: str | None


@router.get("/", response_class=HTMLResponse)
def index(request: Request, catalog: Catalog, lang: Lang) -> HTMLResponse:
    """All maps of the workspace, broken ones with their problems."""
    entries = catalog.entries()
    owners = {entry.id: entry for entry in reversed(entries)}  # the first file owns its id
    rows = [
        IndexRow(map_summary(entry, catalog), _href(entry) if owners[entry.id] is entry else None)
        for entry in entries
    ]
    return page(request, "index.html", lang, {"rows": rows})


@router.get("/maps/{map_id}", response_class=HTMLResponse)
def map_page(
    request: Request, map_id: MapId, catalog: Catalog, lang: Lang, live: bool = False
) -> HTMLResponse:
    """One map drawn inline, with print and download; its problems when it does not load.

    ``?live=1`` draws the live map: KPI actuals, customers per touchpoint and stage, the share
    going on to the next stage, measured emotions — from all events of the workspace."""
    try:
        entry = catalog.find(map_id)
    except MapNotFound as error:
        missing = {"map_id": map_id, "hint": error.hint}
        return page(request, "not_found.html", lang, missing, status_code=404)
    summary = map_summary(entry, catalog)
    valid = entry.journey_map if entry.journey_map and entry.valid else None
    overlay, no_events = None, False
    if valid is not None and live:
        try:
            overlay = live_overlay_of(catalog.workspace, valid)
        except NoEvents:
            no_events = True
    svg = render_svg(valid, lang, overlay=overlay) if valid is not None else None
    context: dict[str, object] = {
        "entry": summary,
        "svg": svg,
        "live": overlay is not None,
        "no_events": no_events,
        "downloads": [(kind, f"{_href(entry)}.{kind}?lang={lang}") for kind in DOWNLOADS],
    }
    return page(request, "map.html", lang, context)


def _href(entry: MapEntry) -> str:
    return f"/maps/{entry.id}"
