"""journeykit: map the customer journey, measure it on event data, automate it with flows.

The public API is what ``__all__`` lists; everything else lives in private modules and may move.
The names are imported when first used (PEP 562): every CLI command imports this package, and
loading the map model up front cost ~0.4 s of start-up for commands that never touch a map.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from journeykit.errors import JourneykitError, Problem
    from journeykit.maps.io import load_map, save_map
    from journeykit.maps.model import JourneyMap, MapType
    from journeykit.maps.validate import MapInvalid, validate_map_file
    from journeykit.workspace import Workspace, find_workspace, init_workspace

__version__ = "0.1.0"

_HOMES = {
    "JourneyMap": "journeykit.maps.model",
    "JourneykitError": "journeykit.errors",
    "MapInvalid": "journeykit.maps.validate",
    "MapType": "journeykit.maps.model",
    "Problem": "journeykit.errors",
    "Workspace": "journeykit.workspace",
    "find_workspace": "journeykit.workspace",
    "init_workspace": "journeykit.workspace",
    "load_map": "journeykit.maps.io",
    "save_map": "journeykit.maps.io",
    "validate_map_file": "journeykit.maps.validate",
}

__all__ = [
    "JourneyMap",
    "JourneykitError",
    "MapInvalid",
    "MapType",
    "Problem",
    "Workspace",
    "__version__",
    "find_workspace",
    "init_workspace",
    "load_map",
    "save_map",
    "validate_map_file",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'journeykit' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
