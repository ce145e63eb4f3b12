"""Finding the map a URL names, as FastAPI dependencies that answer 404 and 422 in JSON."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path

from journeykit.maps.model import JourneyMap
from journeykit.web.catalog import MapCatalog, MapEntry, MapNotFound, catalog_from
from journeykit.web.schemas import (
    ErrorDetail,
    ErrorResponse,
    InvalidMapResponse,
    invalid_map_detail,
)

Catalog = Annotated[MapCatalog, Depends(catalog_from)]
MapId = Annotated[str, Path(description="The map's `id`.", examples=["ecommerce-journey"])]

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No map has this id; the hint says the closest."},
}
LOOKUP_ERRORS: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    422: {"model": InvalidMapResponse, "description": "The map file has problems."},
}


def map_entry(map_id: MapId, catalog: Catalog) -> MapEntry:
    """The entry with ``map_id``; 404 with a "did you mean" hint when there is none."""
    try:
        return catalog.find(map_id)
    except MapNotFound as error:
        detail = ErrorDetail(error=str(error), hint=error.hint)
        raise HTTPException(status_code=404, detail=detail.model_dump()) from None


Entry = Annotated[MapEntry, Depends(map_entry)]


def valid_map(entry: Entry, catalog: Catalog) -> JourneyMap:
    """The map of the entry; 422 listing every problem when the file does not load."""
    if entry.journey_map is None or not entry.valid:
        raise HTTPException(status_code=422, detail=invalid_map_detail(entry, catalog).model_dump())
    return entry.journey_map


ValidMap = Annotated[JourneyMap, Depends(valid_map)]
