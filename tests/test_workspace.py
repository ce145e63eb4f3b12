"""Workspaces: creation, discovery order, settings validation with "did you mean"."""

from __future__ import annotations

from pathlib import Path

import pytest

from journeykit.maps.io import load_map
from journeykit.maps.presets import Preset
from journeykit.workspace import (
    SettingsInvalid,
    WorkspaceNotFound,
    find_workspace,
    init_workspace,
    parse_settings,
)


@pytest.mark.parametrize("preset", list(Preset))
@pytest.mark.parametrize("lang", ["de", "en"])
def test_init_creates_folders_settings_and_a_valid_example(
    tmp_path: Path, preset: Preset, lang: str
) -> None:
    workspace = init_workspace(tmp_path / "ws", preset, "de" if lang == "de" else "en")
    for folder in ("maps", "flows", "templates", "data"):
        assert (workspace.root / folder).is_dir()
    assert workspace.settings.workspace.preset is preset
    [path] = workspace.map_files()
    journey_map = load_map(path)
    assert journey_map.language == lang
    assert len(journey_map.stages) == (6 if preset is Preset.SIX_STAGE else 5)
    label = journey_map.stages[0].name
    assert label in ({"de": "Bekanntheit", "en": "Awareness"}[lang], "Entdeckung", "Bewusstsein")


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    init_workspace(tmp_path)
    with pytest.raises(Exception, match=r"already a workspace .* pass --force"):
        init_workspace(tmp_path)
    init_workspace(tmp_path, force=True)


def test_discovery_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outer = init_workspace(tmp_path / "outer")
    other = init_workspace(tmp_path / "other")
    nested = outer.root / "maps" / "deep"
    nested.mkdir()
    monkeypatch.delenv("JOURNEYKIT_WORKSPACE", raising=False)
    assert find_workspace(start=nested).root == outer.root
    monkeypatch.setenv("JOURNEYKIT_WORKSPACE", str(other.root))
    assert find_workspace(start=nested).root == other.root
    assert find_workspace(outer.root, start=nested).root == outer.root
    monkeypatch.delenv("JOURNEYKIT_WORKSPACE")
    with pytest.raises(WorkspaceNotFound, match="run `journeykit init DIR`"):
        find_workspace(start=Path("/"))


def test_store_override_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = init_workspace(tmp_path)
    monkeypatch.delenv("JOURNEYKIT_STORE", raising=False)
    assert workspace.analytic_url() == "duckdb:///data/events.duckdb"
    monkeypatch.setenv("JOURNEYKIT_STORE", "pyspark://local")
    assert workspace.analytic_url() == "pyspark://local"


def test_settings_problems_are_located_with_hints() -> None:
    text = '[workspace]\nname = "x"\nlanguag = "de"\ntimezone = "Europe/Berln"\n[stor]\n'
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings(text, "journeykit.toml")
    assert [str(problem) for problem in caught.value.problems] == [
        "journeykit.toml:3:1: workspace.languag: unknown setting 'languag' — "
        "did you mean 'language'?",
        "journeykit.toml:4:1: workspace.timezone: unknown time zone 'Europe/Berln' — "
        "use an IANA name such as 'Europe/Berlin'",
        "journeykit.toml:5:1: stor: unknown setting 'stor' — did you mean 'store'?",
    ]


def test_settings_enum_and_currency_hints() -> None:
    text = '[workspace]\npreset = "ecomerce"\ncurrency = "euro"\nlanguage = "fr"\n'
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings(text, "journeykit.toml")
    assert [str(problem) for problem in caught.value.problems] == [
        "journeykit.toml:2:1: workspace.preset: 'ecomerce' is not a valid preset — "
        "did you mean 'ecommerce'?",
        "journeykit.toml:3:1: workspace.currency: 'euro' is not a currency code — "
        "write an ISO 4217 code such as 'EUR'",
        "journeykit.toml:4:1: workspace.language: 'fr' is not a valid language — "
        "use one of: 'de', 'en'",
    ]


def test_toml_syntax_error_has_a_line() -> None:
    with pytest.raises(SettingsInvalid) as caught:
        parse_settings('[workspace]\nname = "x\n', "journeykit.toml")
    [problem] = caught.value.problems
    assert problem.line == 2
