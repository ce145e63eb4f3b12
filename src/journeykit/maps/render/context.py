"""What every part of the layout needs to know about the map being drawn, computed once."""

from __future__ import annotations

from dataclasses import dataclass

from journeykit.i18n import text
from journeykit.maps.model import JourneyMap, MapType, PainPoint, Stage, Touchpoint
from journeykit.maps.render import theme
from journeykit.maps.render.overlay import Overlay, measured_emotions


@dataclass(frozen=True)
class Context:
    """The map, its ordered stages, lookups between lanes, the language and the overlay."""

    journey_map: JourneyMap
    lang: str
    overlay: Overlay
    stages: tuple[Stage, ...]
    measured: dict[str, float]
    pain_points: dict[str, PainPoint]
    touchpoint_names: dict[str, str]
    touchpoints: dict[str, list[Touchpoint]]
    """Touchpoints per stage id, in file order."""

    @classmethod
    def build(cls, journey_map: JourneyMap, lang: str, overlay: Overlay) -> Context:
        stages = tuple(journey_map.ordered_stages())
        return cls(
            journey_map=journey_map,
            lang=lang,
            overlay=overlay,
            stages=stages,
            measured=measured_emotions(journey_map, overlay),
            pain_points={pp.id: pp for stage in stages for pp in stage.pain_points},
            touchpoint_names={tp.id: tp.name for tp in journey_map.touchpoints},
            touchpoints=_by_stage(journey_map),
        )

    def t(self, key: str) -> str:
        """The label for ``key`` in the map's render language."""
        return text(key, self.lang)

    @property
    def is_blueprint(self) -> bool:
        return self.journey_map.type is MapType.SERVICE_BLUEPRINT

    @property
    def is_day_in_the_life(self) -> bool:
        return self.journey_map.type is MapType.DAY_IN_THE_LIFE

    def colour(self, stage_index: int) -> str:
        return theme.stage_colour(stage_index)

    def quoted(self, words: str) -> str:
        """Words in the language's quotation marks: „…“ in German, “…” in English."""
        return f"„{words}“" if self.lang == "de" else f"“{words}”"


def _by_stage(journey_map: JourneyMap) -> dict[str, list[Touchpoint]]:
    grouped: dict[str, list[Touchpoint]] = {stage.id: [] for stage in journey_map.stages}
    for touchpoint in journey_map.touchpoints:
        grouped.setdefault(touchpoint.stage, []).append(touchpoint)
    return grouped
