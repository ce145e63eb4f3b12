"""The public API is what ``journeykit.__all__`` lists; pinned here so changes are deliberate."""

from __future__ import annotations

import journeykit


def test_public_api_is_pinned() -> None:
    assert sorted(journeykit.__all__) == [
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
    for name in journeykit.__all__:
        assert hasattr(journeykit, name), name


def test_the_api_is_the_modules_own_objects() -> None:
    from journeykit.maps.io import load_map
    from journeykit.workspace import Workspace

    assert journeykit.load_map is load_map
    assert journeykit.Workspace is Workspace
    assert dir(journeykit) == sorted(journeykit.__all__)


def test_importing_the_package_does_not_load_the_map_model() -> None:
    """Every CLI command imports the package; the map model is loaded only when used."""
    import subprocess
    import sys

    script = (
        "import sys, journeykit; "
        "assert 'journeykit.maps.model' not in sys.modules; "
        "journeykit.JourneyMap; "
        "assert 'journeykit.maps.model' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", script], check=True)
