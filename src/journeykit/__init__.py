"""journeykit: map the customer journey, measure it on event data, automate it with flows.

The public API is what ``__all__`` lists; everything else lives in private modules and may move.
"""

from journeykit.errors import JourneykitError, Problem
from journeykit.maps.io import load_map, save_map
from journeykit.maps.model import JourneyMap, MapType
from journeykit.maps.validate import MapInvalid, validate_map_file
from journeykit.workspace import Workspace, find_workspace, init_workspace

__version__ = "0.1.0"

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
