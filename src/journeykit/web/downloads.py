"""Downloads of a map: SVG, PNG, PDF and HTML from the renderer, and the YAML source as written.

PNG and PDF come from Chromium through the renderer, which writes a file; it goes into a temporary
folder that is removed before the response leaves, so nothing piles up while serving.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Response

from journeykit.browser import BrowserMissing
from journeykit.i18n import Language
from journeykit.maps.model import JourneyMap
from journeykit.maps.render import render_html, render_pdf, render_png, render_svg
from journeykit.web.language import request_language
from journeykit.web.lookup import LOOKUP_ERRORS, NOT_FOUND, Entry, ValidMap
from journeykit.web.schemas import ErrorDetail, ErrorResponse

router = APIRouter(tags=["downloads"])

Lang = Annotated[Language, Depends(request_language)]
FileRenderer = Callable[[JourneyMap, Path, str], Any]

MEDIA_TYPES = {
    "svg": "image/svg+xml",
    "png": "image/png",
    "pdf": "application/pdf",
    "html": "text/html; charset=utf-8",
    "yaml": "application/yaml; charset=utf-8",
}
NO_BROWSER: dict[int | str, dict[str, Any]] = {
    503: {"model": ErrorResponse, "description": "Chromium is not installed on the server."},
}


def _responses(kind: str, errors: dict[int | str, dict[str, Any]]) -> dict[int | str, Any]:
    media_type = MEDIA_TYPES[kind].split(";")[0]
    return {
        200: {"content": {media_type: {}}, "description": f"The map as {kind.upper()}."},
        **errors,
    }


def _download(map_id: str, kind: str, body: bytes) -> Response:
    headers = {"Content-Disposition": f'attachment; filename="{map_id}.{kind}"'}
    return Response(body, media_type=MEDIA_TYPES[kind], headers=headers)


def _render_file(journey_map: JourneyMap, kind: str, render: FileRenderer, lang: str) -> bytes:
    """Render through Chromium into a temporary file and return its bytes; 503 without Chromium."""
    with tempfile.TemporaryDirectory(prefix="journeykit-web-") as folder:
        path = Path(folder) / f"{journey_map.id}.{kind}"
        try:
            render(journey_map, path, lang)
        except BrowserMissing as error:
            what, _, hint = str(error).partition(" — ")
            detail = ErrorDetail(error=what, hint=hint or None)
            raise HTTPException(status_code=503, detail=detail.model_dump()) from None
        return path.read_bytes()


@router.get(
    "/maps/{map_id}.svg",
    summary="Download as SVG",
    response_class=Response,
    responses=_responses("svg", LOOKUP_ERRORS),
)
def download_svg(journey_map: ValidMap, lang: Lang) -> Response:
    """The map drawn as a scalable vector graphic."""
    return _download(journey_map.id, "svg", render_svg(journey_map, lang).encode())


@router.get(
    "/maps/{map_id}.html",
    summary="Download as HTML",
    response_class=Response,
    responses=_responses("html", LOOKUP_ERRORS),
)
def download_html(journey_map: ValidMap, lang: Lang) -> Response:
    """The map as one self-contained HTML page."""
    return _download(journey_map.id, "html", render_html(journey_map, lang).encode())


@router.get(
    "/maps/{map_id}.png",
    summary="Download as PNG",
    response_class=Response,
    responses=_responses("png", {**LOOKUP_ERRORS, **NO_BROWSER}),
)
def download_png(journey_map: ValidMap, lang: Lang) -> Response:
    """The map as a picture, rendered by Chromium."""
    return _download(journey_map.id, "png", _render_file(journey_map, "png", render_png, lang))


@router.get(
    "/maps/{map_id}.pdf",
    summary="Download as PDF",
    response_class=Response,
    responses=_responses("pdf", {**LOOKUP_ERRORS, **NO_BROWSER}),
)
def download_pdf(journey_map: ValidMap, lang: Lang) -> Response:
    """The map as a printable document, rendered by Chromium."""
    return _download(journey_map.id, "pdf", _render_file(journey_map, "pdf", render_pdf, lang))


@router.get(
    "/maps/{map_id}.yaml",
    summary="Download the YAML source",
    response_class=Response,
    responses=_responses("yaml", NOT_FOUND),
)
def download_yaml(entry: Entry) -> Response:
    """The map file exactly as written, comments included; served even when it has problems."""
    return _download(entry.id, "yaml", entry.path.read_bytes())
