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
def map_page(request: Request, map_id: MapId, catalog: Catalog, lang: Lang) -> HTMLResponse:
    """One map drawn inline, with print and download; its problems when it does not load."""
    try:
        entry = catalog.find(map_id)
    except MapNotFound as error:
        missing = {"map_id": map_id, "hint": error.hint}
        return page(request, "not_found.html", lang, missing, status_code=404)
    summary = map_summary(entry, catalog)
    svg = render_svg(entry.journey_map, lang) if entry.journey_map and entry.valid else None
    context: dict[str, object] = {
        "entry": summary,
        "svg": svg,
        "downloads": [(kind, f"{_href(entry)}.{kind}?lang={lang}") for kind in DOWNLOADS],
    }
    return page(request, "map.html", lang, context)


def _href(entry: MapEntry) -> str:
    return f"/maps/{entry.id}"
