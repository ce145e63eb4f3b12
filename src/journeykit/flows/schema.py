"""The JSON Schema of the flow format, generated from the models (editors use it for completion)."""

from __future__ import annotations

from typing import Any

from journeykit.flows.model import Flow

SCHEMA_ID = "https://journeykit.dev/schema/flow.schema.json"


def flow_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a flow file."""
    schema = Flow.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
