"""The JSON API: the list of maps and each map as data, for scripts and other tools."""

from __future__ import annotations

from fastapi import APIRouter

from journeykit.maps.model import JourneyMap
from journeykit.web.lookup import LOOKUP_ERRORS, Catalog, ValidMap
from journeykit.web.schemas import MapSummary, map_summary

router = APIRouter(prefix="/api", tags=["maps"])


@router.get("/maps", summary="List the maps of the workspace")
def list_maps(catalog: Catalog) -> list[MapSummary]:
    """Every map file, valid or not; invalid ones carry their problems."""
    return [map_summary(entry, catalog) for entry in catalog.entries()]


@router.get("/maps/{map_id}", summary="One map as data", responses=LOOKUP_ERRORS)
def get_map(journey_map: ValidMap) -> JourneyMap:
    """The whole map in the shape of its YAML file, defaults filled in."""
    return journey_map
