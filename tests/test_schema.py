"""The published JSON Schema is the models' output and accepts the maps the models accept."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.maps.examples import example_map
from journeykit.maps.presets import Preset
from journeykit.maps.schema import map_json_schema

SCHEMA_FILE = Path(__file__).parents[1] / "docs" / "schema" / "map.schema.json"


def test_schema_file_is_current() -> None:
    published = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    assert published == map_json_schema(), "docs/schema/map.schema.json is stale: run `make schema`"


def test_cli_prints_the_schema() -> None:
    result = CliRunner().invoke(app, ["map", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.stdout) == map_json_schema()


def test_schema_accepts_valid_maps_and_rejects_typos() -> None:
    validator = jsonschema.Draft202012Validator(map_json_schema())
    for preset in Preset:
        data = example_map(preset, "en").to_data()
        assert not list(validator.iter_errors(data))
    data = example_map(Preset.ECOMMERCE, "de").to_data()
    data["stages"][0]["gaols"] = ["typo"]
    assert [error.validator for error in validator.iter_errors(data)] == ["additionalProperties"]
