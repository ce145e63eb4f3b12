"""The demo workspace: valid, house-styled maps that together show every preset and map type."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from journeykit.cli import app
from journeykit.datasets.demo import (
    DEMO_MAPS,
    DEMO_NAME,
    DemoWorkspaceExists,
    create_demo_workspace,
)
from journeykit.errors import JourneykitError
from journeykit.maps.diff import diff_maps
from journeykit.maps.io import load_map
from journeykit.maps.model import Friction, JourneyMap, MapType
from journeykit.maps.presets import PRESETS, Preset
from journeykit.maps.schema import map_json_schema
from journeykit.workspace import FOLDERS, SETTINGS_FILE, Workspace


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One demo workspace shared by the read-only tests of this module."""
    return create_demo_workspace(tmp_path_factory.mktemp("demo") / "ws")


@pytest.fixture(scope="module")
def maps(demo: Workspace) -> dict[str, JourneyMap]:
    return {path.stem: load_map(path) for path in demo.map_files()}


def preset_of(journey_map: JourneyMap) -> Preset:
    """The preset whose stage ids all appear in the map (day-in-the-life maps add their own)."""
    ids = {stage.id for stage in journey_map.stages}
    found = [preset for preset, stages in PRESETS.items() if {s.id for s in stages} <= ids]
    assert len(found) == 1, f"{journey_map.id}: stage ids {sorted(ids)} match presets {found}"
    return found[0]


def test_workspace_layout_and_settings(demo: Workspace) -> None:
    assert (demo.root / SETTINGS_FILE).is_file()
    for folder in FOLDERS:
        assert (demo.root / folder).is_dir()
    assert demo.settings.workspace.name == DEMO_NAME
    assert demo.language == "de"
    assert [path.name for path in demo.map_files()] == sorted(DEMO_MAPS)


def test_package_data_holds_exactly_the_demo_maps() -> None:
    folder = resources.files("journeykit.datasets").joinpath("demo_maps")
    shipped = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".yaml"))
    assert shipped == sorted(DEMO_MAPS)


def test_every_map_validates(demo: Workspace) -> None:
    result = CliRunner().invoke(app, ["--workspace", str(demo.root), "map", "validate"])
    assert result.exit_code == 0, result.output
    assert f"{len(DEMO_MAPS)} map(s) valid" in result.output


def test_map_ids_match_file_names(maps: dict[str, JourneyMap]) -> None:
    assert {stem: m.id for stem, m in maps.items()} == {stem: stem for stem in maps}


def test_maps_cover_every_preset_and_type(maps: dict[str, JourneyMap]) -> None:
    assert {preset_of(m) for m in maps.values()} == set(Preset)
    assert {m.type for m in maps.values()} == set(MapType)


def test_maps_use_a_preset_s_stages_in_order(maps: dict[str, JourneyMap]) -> None:
    for journey_map in maps.values():
        preset_ids = [stage.id for stage in PRESETS[preset_of(journey_map)]]
        map_ids = [stage.id for stage in journey_map.ordered_stages()]
        assert [i for i in map_ids if i in preset_ids] == preset_ids, journey_map.id
        if journey_map.type is not MapType.DAY_IN_THE_LIFE:
            assert map_ids == preset_ids, journey_map.id


def test_day_in_the_life_has_ordered_slots(maps: dict[str, JourneyMap]) -> None:
    day = maps["markus-tagesablauf"]
    assert day.type is MapType.DAY_IN_THE_LIFE
    slots = [stage.slot for stage in day.ordered_stages()]
    assert 6 <= len(slots) <= 8
    assert all(slot is not None for slot in slots)
    assert slots == sorted(slots, key=str)


def test_blueprint_fills_the_blueprint_lanes(maps: dict[str, JourneyMap]) -> None:
    blueprint = maps["retoure-blueprint"]
    assert blueprint.type is MapType.SERVICE_BLUEPRINT
    for stage in blueprint.stages:
        assert stage.frontstage and stage.backstage and stage.support, stage.id


def test_maps_are_filled_in(maps: dict[str, JourneyMap]) -> None:
    """Rendered maps look empty without content: every stage has its lanes and 2–4 touchpoints."""
    for journey_map in maps.values():
        assert journey_map.language == "de"
        for stage in journey_map.stages:
            where = f"{journey_map.id}/{stage.id}"
            assert stage.description and stage.goals and stage.actions and stage.thoughts, where
            assert stage.emotion is not None, where
            assert stage.pain_points or journey_map.type is MapType.FUTURE_STATE, where
            assert stage.opportunities, where
            assert 2 <= len(journey_map.touchpoints_of(stage.id)) <= 4, where
        without_rule = [t.id for t in journey_map.touchpoints if t.match is None]
        assert len(without_rule) <= 1, journey_map.id
        assert all(t.device is not None for t in journey_map.touchpoints), journey_map.id


def test_current_state_map_is_complete(maps: dict[str, JourneyMap]) -> None:
    current = maps["anna-ist"]
    pain_points = [p for stage in current.stages for p in stage.pain_points]
    assert {p.friction for p in pain_points} == set(Friction)
    assert {p.severity for p in pain_points} >= {2, 3, 4, 5}
    assert all(p.evidence for p in pain_points)
    opportunities = [o for stage in current.stages for o in stage.opportunities]
    assert all(o.addresses and o.owner for o in opportunities)
    assert all(stage.kpis for stage in current.stages)
    assert any(stage.emotion and stage.emotion.measured is not None for stage in current.stages)
    persona = current.persona
    assert persona.segment and persona.segment.traits and persona.segment.events
    assert persona.quote and persona.demographics and persona.goals and persona.frustrations
    assert persona.preferred_channels


def test_fmt_leaves_every_file_unchanged(demo: Workspace) -> None:
    result = CliRunner().invoke(app, ["--workspace", str(demo.root), "map", "fmt", "--check"])
    assert result.exit_code == 0, result.output


def test_editors_with_the_json_schema_accept_every_map(demo: Workspace) -> None:
    """The demo writes canonical ids, not aliases, so an editor using the schema shows no errors."""
    validator = jsonschema.Draft202012Validator(map_json_schema())
    for path in demo.map_files():
        data = json.loads(json.dumps(YAML(typ="safe").load(path.read_text(encoding="utf-8"))))
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(data)]
        assert not errors, f"{path.name}: {errors}"


def test_every_file_starts_with_a_comment_block(demo: Workspace) -> None:
    for path in demo.map_files():
        head = path.read_text(encoding="utf-8").splitlines()[:3]
        assert all(line.startswith("#") for line in head), path.name


def test_future_state_is_based_on_the_current_state(maps: dict[str, JourneyMap]) -> None:
    assert maps["anna-soll"].type is MapType.FUTURE_STATE
    assert maps["anna-soll"].based_on == "anna-ist"
    assert maps["anna-soll"].persona.name == maps["anna-ist"].persona.name


def test_diff_from_current_to_future_state_spans_the_stages(maps: dict[str, JourneyMap]) -> None:
    result = diff_maps(maps["anna-ist"], maps["anna-soll"])
    stages = {change.stage for change in result.changes if change.stage}
    assert stages == {stage.id for stage in maps["anna-ist"].stages}
    lanes = {change.lane for change in result.changes}
    assert {"pain_points", "opportunities", "kpis", "emotion", "touchpoints"} <= lanes
    removed = [c for c in result.changes if c.lane == "pain_points" and c.kind == "removed"]
    eased = [c for c in result.changes if c.item.endswith(".severity") and c.after < c.before]
    done = [c for c in result.changes if c.item.endswith(".status") and c.after == "done"]
    assert len(removed) >= 3 and len(eased) >= 3 and len(done) >= 3


def test_diff_command_on_the_demo(demo: Workspace) -> None:
    ist, soll = demo.maps_dir / "anna-ist.yaml", demo.maps_dir / "anna-soll.yaml"
    result = CliRunner().invoke(app, ["map", "diff", str(ist), str(soll)])
    assert result.exit_code == 0, result.output
    for stage in ("awareness", "consideration", "purchase", "retention", "advocacy"):
        assert f"[{stage}]" in result.output


def test_existing_workspace_needs_force(tmp_path: Path) -> None:
    create_demo_workspace(tmp_path)
    with pytest.raises(DemoWorkspaceExists, match=r"journeykit\.toml exists already .* --force"):
        create_demo_workspace(tmp_path)


def test_demo_map_in_the_way_needs_force(tmp_path: Path) -> None:
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "anna-ist.yaml").write_text("# meine eigene Karte\n", encoding="utf-8")
    with pytest.raises(DemoWorkspaceExists, match=r"anna-ist\.yaml exists already"):
        create_demo_workspace(tmp_path)
    own = (tmp_path / "maps" / "anna-ist.yaml").read_text(encoding="utf-8")
    assert own == "# meine eigene Karte\n"
    assert not (tmp_path / SETTINGS_FILE).exists()


def test_file_instead_of_folder_is_an_error(tmp_path: Path) -> None:
    target = tmp_path / "demo"
    target.write_text("", encoding="utf-8")
    with pytest.raises(JourneykitError, match="is a file"):
        create_demo_workspace(target)


def test_force_replaces_demo_maps_and_keeps_user_files(tmp_path: Path) -> None:
    workspace = create_demo_workspace(tmp_path)
    ist = workspace.maps_dir / "anna-ist.yaml"
    original = ist.read_text(encoding="utf-8")
    ist.write_text(original.replace("Köln-Ehrenfeld", "Bonn"), encoding="utf-8")
    own_map = workspace.maps_dir / "meine-karte.yaml"
    own_map.write_text("# eigene Karte\n", encoding="utf-8")
    own_flow = workspace.flows_dir / "willkommen.yaml"
    own_flow.write_text("name: willkommen\n", encoding="utf-8")

    create_demo_workspace(tmp_path, force=True)

    assert ist.read_text(encoding="utf-8") == original
    assert own_map.read_text(encoding="utf-8") == "# eigene Karte\n"
    assert own_flow.read_text(encoding="utf-8") == "name: willkommen\n"


def test_cli_demo_command(tmp_path: Path) -> None:
    target = tmp_path / "demo-workspace"
    runner = CliRunner()
    # maps only: the events step has its own tests (test_demo_data.py) at a small size
    result = runner.invoke(app, ["demo", str(target), "--customers", "0"])
    assert result.exit_code == 0, result.output
    assert "Demo workspace ready" in result.output
    for name in DEMO_MAPS:
        assert name in result.output
        assert (target / "maps" / name).is_file()

    again = runner.invoke(app, ["demo", str(target), "--customers", "0"])
    assert again.exit_code != 0
    assert isinstance(again.exception, DemoWorkspaceExists)

    forced = runner.invoke(app, ["demo", str(target), "--force", "--customers", "0"])
    assert forced.exit_code == 0, forced.output
