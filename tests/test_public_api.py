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
