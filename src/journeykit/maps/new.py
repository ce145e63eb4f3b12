"""A new, empty-but-valid map for ``journeykit map new``: the preset's stages ready to be filled."""

from __future__ import annotations

from typing import Any

from journeykit.maps.model import JourneyMap, MapType
from journeykit.maps.presets import Preset, preset_stages
from journeykit.maps.validate import slugify

_DAY_SLOTS = (
    "07:00-08:00",
    "08:00-12:00",
    "12:00-13:00",
    "13:00-18:00",
    "18:00-20:00",
    "20:00-22:00",
    "22:00-23:00",
)


def new_map(
    title: str, preset: Preset, map_type: MapType, persona: str, language: str
) -> JourneyMap:
    """A map titled ``title`` with the preset's stages; day-in-the-life maps get time slots."""
    lang = "de" if language == "de" else "en"
    stages: list[dict[str, Any]] = []
    for index, stage in enumerate(preset_stages(preset)):
        entry: dict[str, Any] = {"id": stage.id, "name": stage.label(lang)}
        if map_type is MapType.DAY_IN_THE_LIFE:
            entry["slot"] = _DAY_SLOTS[index % len(_DAY_SLOTS)]
        stages.append(entry)
    return JourneyMap.model_validate(
        {
            "id": slugify(title),
            "title": title,
            "type": map_type.value,
            "language": lang,
            "persona": {"name": persona},
            "stages": stages,
        }
    )
