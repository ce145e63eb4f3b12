"""The reference docs never fall behind the code.

Every vocabulary value, alias, preset stage, catalog metric, setting and model field must be
documented, and the examples in the docs must behave as the docs say: complete maps validate,
and the broken example produces exactly the messages shown.
"""

from __future__ import annotations

import inspect
import json
import re
from enum import StrEnum
from pathlib import Path

import pytest
from pydantic import BaseModel
from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.maps import model
from journeykit.maps.kpis import CATALOG
from journeykit.maps.model import Comparison, Friction, MapType, Operator, OpportunityStatus
from journeykit.maps.presets import PRESETS
from journeykit.maps.validate import validate_map_text
from journeykit.maps.vocab import CHANNEL_ALIASES, DEVICE_ALIASES, Channel, Device
from journeykit.workspace import (
    ENV_STORE,
    ENV_WORKSPACE,
    FOLDERS,
    SETTINGS_FILE,
    StoreSection,
    WorkspaceSection,
)

DOCS = Path(__file__).parents[1] / "docs"
MAP_FORMAT = DOCS / "map-format.md"
KPIS = DOCS / "kpis.md"
WORKSPACE = DOCS / "workspace.md"


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def code_blocks(text: str, language: str = "") -> list[str]:
    """The contents of the fenced blocks of ``language`` ('' for blocks without one)."""
    return re.findall(rf"^```{language}\n(.*?)^```$", text, flags=re.DOTALL | re.MULTILINE)


def vocabulary() -> list[tuple[str, str]]:
    """(kind, value) of every value a map author can write from a closed list."""
    enums: list[type[StrEnum]] = [
        Channel,
        Device,
        MapType,
        Friction,
        Operator,
        OpportunityStatus,
        Comparison,
    ]
    values = [(enum.__name__, member.value) for enum in enums for member in enum]
    values += [("channel alias", alias) for alias in CHANNEL_ALIASES]
    values += [("device alias", alias) for alias in DEVICE_ALIASES]
    values += [
        (f"{preset} stage", stage.id) for preset, stages in PRESETS.items() for stage in stages
    ]
    values += [("preset", preset.value) for preset in PRESETS]
    return values


@pytest.mark.parametrize(("kind", "value"), vocabulary())
def test_vocabulary_is_documented(kind: str, value: str) -> None:
    assert f"`{value}`" in read(MAP_FORMAT), f"{kind} '{value}' is missing from {MAP_FORMAT.name}"


@pytest.mark.parametrize("canonical", [*Channel, *Device])
def test_aliases_are_listed_with_their_id(canonical: Channel | Device) -> None:
    aliases = CHANNEL_ALIASES if isinstance(canonical, Channel) else DEVICE_ALIASES
    mine = [alias for alias, target in aliases.items() if target is canonical]
    rows = [line for line in read(MAP_FORMAT).splitlines() if line.startswith(f"| `{canonical}` |")]
    assert rows, f"no table row for '{canonical}'"
    assert any(all(f"`{alias}`" in row for alias in mine) for row in rows), canonical


@pytest.mark.parametrize(
    "stage",
    [stage for stages in PRESETS.values() for stage in stages],
    ids=lambda stage: stage.id,
)
def test_preset_labels_are_documented(stage: object) -> None:
    text = read(MAP_FORMAT)
    assert f"`{stage.id}` ({stage.de} / {stage.en})" in text  # type: ignore[attr-defined]


def map_models() -> list[type[BaseModel]]:
    return [
        cls
        for _, cls in inspect.getmembers(model, inspect.isclass)
        if issubclass(cls, BaseModel) and cls.__module__ == model.__name__ and cls.model_fields
    ]


@pytest.mark.parametrize(
    ("cls", "field"),
    [(cls, field) for cls in map_models() for field in cls.model_fields],
    ids=lambda item: item if isinstance(item, str) else item.__name__,
)
def test_every_model_field_is_documented(cls: type[BaseModel], field: str) -> None:
    assert f"`{field}`" in read(MAP_FORMAT), f"{cls.__name__}.{field} is missing"


def test_all_models_are_covered() -> None:
    names = {cls.__name__ for cls in map_models()}
    assert {"JourneyMap", "Persona", "SegmentRule", "EventCondition", "Condition"} <= names
    assert {"Stage", "Emotion", "PainPoint", "Opportunity", "Kpi", "Touchpoint"} <= names
    assert "MatchRule" in names


def complete_map_examples() -> list[str]:
    return [
        block for block in code_blocks(read(MAP_FORMAT), "yaml") if block.startswith("format: 1")
    ]


def test_there_are_complete_map_examples() -> None:
    assert len(complete_map_examples()) >= 5


@pytest.mark.parametrize("index", range(len(complete_map_examples())))
def test_complete_map_examples_validate(index: int) -> None:
    validate_map_text(complete_map_examples()[index], f"docs/map-format.md example {index + 1}")


def test_validation_example_shows_the_real_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = read(MAP_FORMAT)
    [broken] = [b for b in code_blocks(text, "yaml") if b.startswith("# maps/kaputt.yaml")]
    [shown] = [b for b in code_blocks(text) if b.startswith("$ journeykit map validate maps/")]
    (tmp_path / SETTINGS_FILE).write_text("", encoding="utf-8")
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "kaputt.yaml").write_text(broken, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    result = CliRunner().invoke(app, ["map", "validate", "maps/kaputt.yaml"])

    assert result.exit_code == 1
    assert result.output == shown.split("\n", 1)[1]
    as_json = CliRunner().invoke(app, ["map", "validate", "--json", "maps/kaputt.yaml"])
    [json_example] = code_blocks(text, "json")[:1]
    documented = json.loads(json_example)
    actual = json.loads(as_json.stdout)
    assert documented["problems"][0] == actual["problems"][0]
    assert {k: v for k, v in documented.items() if k != "problems"} == {
        k: v for k, v in actual.items() if k != "problems"
    }


def test_kpi_catalog_table_matches_the_catalog() -> None:
    rows = {
        line.split(" | ")[0].removeprefix("| `").removesuffix("`"): line
        for line in read(KPIS).splitlines()
        if line.startswith("| `")
    }
    assert list(rows) == [metric.id for metric in CATALOG]
    for metric in CATALOG:
        needs = ", ".join(f"`{event}`" for event in metric.needs)
        cells = [f"`{metric.id}`", metric.de, metric.en, metric.unit.value]
        cells += [metric.direction.value, metric.stage, metric.formula, needs]
        assert rows[metric.id] == "| " + " | ".join(cells) + " |"


@pytest.mark.parametrize(
    ("key", "default"),
    [
        *((key, field.default) for key, field in WorkspaceSection.model_fields.items()),
        *((key, field.default) for key, field in StoreSection.model_fields.items()),
    ],
)
def test_every_setting_is_documented_with_its_default(key: str, default: object) -> None:
    text = read(WORKSPACE)
    assert f'| `{key}` | `"{default}"`' in text


def test_workspace_doc_names_env_vars_and_folders() -> None:
    text = read(WORKSPACE)
    assert f"`{ENV_WORKSPACE}`" in text and f"`{ENV_STORE}`" in text
    for folder in FOLDERS:
        assert f"  {folder}/" in text
    assert "[workspace]" in text and "[store]" in text
