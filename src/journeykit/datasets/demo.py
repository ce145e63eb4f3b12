"""The demo workspace: a German online shop with hand-written maps for every preset and map type.

The maps ship as package data (``demo_maps/*.yaml``) rather than being generated, so they keep the
comments that explain them and show what a well-kept map file looks like. This module only lays out
the workspace around them; ``journeykit demo`` and ``make demo`` call :func:`create_demo_workspace`.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from journeykit.errors import JourneykitError
from journeykit.maps.presets import Preset
from journeykit.workspace import FOLDERS, SETTINGS_FILE, Workspace, load_workspace, settings_toml

DEMO_NAME = "Demo: Lumen & Linen Onlineshop"
DEMO_LANGUAGE = "de"
DEMO_PRESET = Preset.ECOMMERCE

#: The map files the demo writes into ``maps/`` (and the only ones ``force`` replaces).
DEMO_MAPS = (
    "anna-ist.yaml",
    "anna-soll.yaml",
    "markus-tagesablauf.yaml",
    "retoure-blueprint.yaml",
    "lena-erstkauf.yaml",
)


class DemoWorkspaceExists(JourneykitError):
    """The target folder already holds a workspace or demo maps, and ``force`` was not given."""

    def __init__(self, root: Path, found: Path) -> None:
        self.root = root
        self.found = found
        super().__init__(
            f"{root}: {found.relative_to(root)} exists already — choose an empty folder, or pass "
            "--force to replace the demo's settings and maps (your other files stay untouched)"
        )


def demo_map_texts() -> dict[str, str]:
    """File name → YAML text of every demo map, exactly as shipped (comments included)."""
    folder = resources.files("journeykit.datasets").joinpath("demo_maps")
    return {name: folder.joinpath(name).read_text(encoding="utf-8") for name in DEMO_MAPS}


def create_demo_workspace(directory: Path | str, *, force: bool = False) -> Workspace:
    """Create the demo workspace in ``directory`` and return it loaded.

    Writes ``journeykit.toml``, the workspace folders and the demo maps. With ``force`` the
    settings and the demo's own map files are replaced; nothing else in the folder is touched or
    deleted, so a user's own maps beside the demo survive a refresh. Without ``force``, an
    existing workspace or demo map raises ``DemoWorkspaceExists`` instead of overwriting it.
    """
    root = Path(directory)
    if root.exists() and not root.is_dir():
        raise JourneykitError(f"{root}: is a file, not a folder — choose a folder for the demo")
    settings_path = root / SETTINGS_FILE
    if not force:
        for path in (settings_path, *(root / "maps" / name for name in DEMO_MAPS)):
            if path.exists():
                raise DemoWorkspaceExists(root, path)
    texts = demo_map_texts()
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    settings_path.write_text(settings_toml(DEMO_NAME, DEMO_LANGUAGE, DEMO_PRESET), encoding="utf-8")
    for name, text in texts.items():
        (root / "maps" / name).write_text(text, encoding="utf-8")
    _write_demo_flows(root)
    return load_workspace(root)


#: The flows the demo ships (name → scenario), run by the worker of ``journeykit serve``.
DEMO_FLOWS = (
    ("Warenkorb-Erinnerung", "abandoned-cart"),
    ("NPS-Umfrage", "nps-survey"),
    ("Rückgewinnung", "win-back"),
)


def _write_demo_flows(root: Path) -> None:
    """The demo's flows and their German templates (a flow file of the demo is replaced, the
    user's edited templates are kept)."""
    from journeykit.flows.scenarios import Scenario, create_flow
    from journeykit.flows.validate import workspace_context

    context = workspace_context(root / "maps", root / "templates")
    for name, scenario in DEMO_FLOWS:
        create_flow(name, Scenario(scenario), DEMO_LANGUAGE, root / "flows", context, force=True)


__all__ = [
    "DEMO_FLOWS",
    "DEMO_MAPS",
    "DEMO_NAME",
    "DemoWorkspaceExists",
    "create_demo_workspace",
    "demo_map_texts",
]
