"""Finding, loading and creating a workspace: a folder with ``journeykit.toml``, maps, flows, data.

The workspace is found from an explicit folder, else ``JOURNEYKIT_WORKSPACE``, else the nearest
folder upward that holds ``journeykit.toml`` (the contract in ARCHITECTURE.md).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from journeykit.errors import FileProblem, JourneykitError, Problem, suggestion
from journeykit.flows.settings import FlowsSection
from journeykit.maps.presets import Preset

SETTINGS_FILE = "journeykit.toml"
ENV_WORKSPACE = "JOURNEYKIT_WORKSPACE"
ENV_STORE = "JOURNEYKIT_STORE"
FOLDERS = ("maps", "flows", "templates", "data")


class WorkspaceSection(BaseModel):
    """``[workspace]``: who the workspace is for and how it speaks."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(default="journeykit", min_length=1, description="Shown in the web app.")
    language: Literal["de", "en"] = Field(default="de", description="Default UI language.")
    timezone: str = Field(default="Europe/Berlin", description="IANA zone for naive timestamps.")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="ISO 4217 code.")
    preset: Preset = Field(default=Preset.ECOMMERCE, description="Stage preset of new maps.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone '{value}' — use an IANA name such as 'Europe/Berlin'"
            ) from None
        return value


class StoreSection(BaseModel):
    """``[store]``: where events (analytic) and profiles/flow state (operational) live."""

    model_config = ConfigDict(extra="forbid")

    analytic: str = Field(default="duckdb:///data/events.duckdb", description="Ibis backend URL.")
    operational: str = Field(default="sqlite:///data/ops.sqlite", description="SQLAlchemy URL.")


class Settings(BaseModel):
    """The whole of ``journeykit.toml``; unknown keys are errors with a "did you mean" hint."""

    model_config = ConfigDict(extra="forbid")

    workspace: WorkspaceSection = Field(default_factory=WorkspaceSection)
    store: StoreSection = Field(default_factory=StoreSection)
    flows: FlowsSection = Field(default_factory=FlowsSection)


class SettingsInvalid(JourneykitError):
    """``journeykit.toml`` has problems; every one is listed."""


@dataclass(frozen=True)
class Workspace:
    """A loaded workspace: its folder and settings, and where its parts live."""

    root: Path
    settings: Settings

    @property
    def maps_dir(self) -> Path:
        return self.root / "maps"

    @property
    def flows_dir(self) -> Path:
        return self.root / "flows"

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def language(self) -> str:
        return self.settings.workspace.language

    def analytic_url(self) -> str:
        """The analytic store URL: ``JOURNEYKIT_STORE`` overrides the settings."""
        return os.environ.get(ENV_STORE) or self.settings.store.analytic

    def map_files(self) -> list[Path]:
        """The map files of the workspace, sorted by name."""
        if not self.maps_dir.is_dir():
            return []
        return sorted([*self.maps_dir.glob("*.yaml"), *self.maps_dir.glob("*.yml")])


class WorkspaceNotFound(JourneykitError):
    """No workspace where one was looked for."""


def find_workspace(explicit: Path | str | None = None, start: Path | None = None) -> Workspace:
    """The workspace named, else by ``JOURNEYKIT_WORKSPACE``, else found upward from ``start``."""
    named = explicit or os.environ.get(ENV_WORKSPACE)
    if named:
        root = Path(named)
        if not (root / SETTINGS_FILE).is_file():
            raise WorkspaceNotFound(
                f"{root}: no {SETTINGS_FILE} here — "
                f"create a workspace with `journeykit init {root}`"
            )
        return load_workspace(root)
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return load_workspace(folder)
    raise WorkspaceNotFound(
        f"no {SETTINGS_FILE} in {here} or any folder above it — run `journeykit init DIR`, "
        f"pass --workspace DIR, or set {ENV_WORKSPACE}"
    )


def load_workspace(root: Path) -> Workspace:
    """The workspace in ``root`` with validated settings."""
    path = root / SETTINGS_FILE
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as error:
        raise FileProblem(path, f"cannot be read ({error.strerror})", "check permissions") from None
    return Workspace(root.resolve(), parse_settings(text, str(path)))


def parse_settings(text: str, file: str) -> Settings:
    """Settings from TOML text; raises ``SettingsInvalid`` naming every problem."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        line = _int_from(r"line (\d+)", str(error))
        column = _int_from(r"column (\d+)", str(error))
        problem = Problem(
            file, line, column, "", f"TOML syntax error: {error}", "check quotes and '='"
        )
        raise SettingsInvalid(f"{file}: not valid TOML", [problem]) from None
    try:
        return Settings.model_validate(data)
    except ValidationError as error:
        problems = [_settings_problem(text, file, dict(detail)) for detail in error.errors()]
        raise SettingsInvalid(f"{file}: the settings have problems", problems) from None


def _settings_problem(text: str, file: str, detail: dict[str, Any]) -> Problem:
    loc = [str(part) for part in detail["loc"]]
    field = ".".join(loc)
    line = _line_of_key(text, loc)
    if detail["type"] == "extra_forbidden":
        section: type[BaseModel] = Settings
        if len(loc) > 1:
            sub = Settings.model_fields.get(loc[0])
            section = sub.annotation if sub and isinstance(sub.annotation, type) else Settings
        hint = suggestion(loc[-1], section.model_fields)
        return Problem(file, line, 1, field, f"unknown setting '{loc[-1]}'", hint)
    if detail["type"] in ("enum", "literal_error"):
        expected = re.findall(r"'([^']*)'", str(detail.get("ctx", {}).get("expected", "")))
        value = detail.get("input")
        return Problem(
            file,
            line,
            1,
            field,
            f"'{value}' is not a valid {loc[-1]}",
            suggestion(str(value), expected),
        )
    if detail["type"] == "string_pattern_mismatch" and loc[-1] == "currency":
        value = detail.get("input")
        return Problem(
            file,
            line,
            1,
            field,
            f"'{value}' is not a currency code",
            "write an ISO 4217 code such as 'EUR'",
        )
    message = str(detail["msg"]).removeprefix("Value error, ")
    what, _, fix = message.partition(" — ")
    return Problem(file, line, 1, field, what, fix or "see docs/workspace.md")


def _line_of_key(text: str, loc: list[str]) -> int | None:
    section = loc[0] if len(loc) > 1 else None
    key = loc[-1]
    current: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[") and line.endswith("]"):
            current = line.strip("[]").strip()
            if section is None and current == key:
                return number
        elif re.match(rf"{re.escape(key)}\s*=", line) and current == section:
            return number
    return None


def _int_from(pattern: str, text: str) -> int | None:
    found = re.search(pattern, text)
    return int(found.group(1)) if found else None


def settings_toml(name: str, language: str, preset: Preset, timezone: str = "Europe/Berlin") -> str:
    """The ``journeykit.toml`` text a new workspace starts with, commented for its owner."""
    return f"""# journeykit workspace settings — see docs/workspace.md

[workspace]
name = "{name}"
language = "{language}"        # de | en: language of the web app and of rendered maps
timezone = "{timezone}"  # naive timestamps in imported files are read in this zone
currency = "EUR"
preset = "{preset.value}"       # five-stage | six-stage | ecommerce: stages of new maps

[store]
analytic = "duckdb:///data/events.duckdb"    # or pyspark://local, or any Ibis backend URL
operational = "sqlite:///data/ops.sqlite"    # PostgreSQL for several workers
"""


def init_workspace(
    root: Path | str,
    preset: Preset = Preset.ECOMMERCE,
    language: Literal["de", "en"] = "de",
    *,
    force: bool = False,
) -> Workspace:
    """Create a workspace with its folders, settings and an example map for the preset."""
    from journeykit.maps.examples import example_map
    from journeykit.maps.io import save_map

    root = Path(root)
    settings_path = root / SETTINGS_FILE
    if settings_path.exists() and not force:
        raise JourneykitError(
            f"{root}: already a workspace ({SETTINGS_FILE} exists) — "
            "choose another folder or pass --force"
        )
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    settings_path.write_text(settings_toml(root.resolve().name, language, preset), encoding="utf-8")
    journey_map = example_map(preset, language)
    save_map(journey_map, root / "maps" / f"{journey_map.id}.yaml", header=_map_header(language))
    return load_workspace(root)


def _map_header(language: str) -> str:
    if language == "de":
        return "Beispiel-Journey-Map — Format: docs/map-format.md\nPrüfen: journeykit map validate"
    return "Example journey map — format: docs/map-format.md\nCheck it: journeykit map validate"
