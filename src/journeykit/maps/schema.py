"""The JSON Schema of the map format, generated from the models (editors use it for completion)."""

from __future__ import annotations

from typing import Any

from journeykit.maps.model import JourneyMap

SCHEMA_ID = "https://journeykit.dev/schema/map.schema.json"


def map_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a map file."""
    schema = JourneyMap.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
