"""Live data drawn over a map: measured emotions, KPI actuals, touchpoint volumes.

Analyses deliver these later; one optional object keeps the render functions' signatures stable as
the overlay grows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from journeykit.maps.model import JourneyMap


@dataclass(frozen=True)
class Overlay:
    """Measured values per stage and touchpoint; ids the map does not have are ignored.

    Attributes:
        measured: stage id → measured emotion on −2 … +2; wins over ``stage.emotion.measured``.
        kpi_actuals: stage id → metric id → actual value (ratios as fractions, like targets).
        touchpoint_volumes: touchpoint id → how many customers reached it in the period.
        stage_customers: stage id → customers who reached the stage in the period.
        stage_onward: stage id → of those, how many went on to the next stage (not for the last).
        period: the first and last day of the events measured; set, the map is marked "live".
    """

    measured: Mapping[str, float] = field(default_factory=dict)
    kpi_actuals: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    touchpoint_volumes: Mapping[str, int] = field(default_factory=dict)
    stage_customers: Mapping[str, int] = field(default_factory=dict)
    stage_onward: Mapping[str, int] = field(default_factory=dict)
    period: tuple[date, date] | None = None

    def __post_init__(self) -> None:
        for stage_id, value in self.measured.items():
            if not -2 <= value <= 2:
                raise ValueError(
                    f"measured emotion {value} of stage '{stage_id}' is outside −2 … +2"
                )

    def with_measured(self, measured: Mapping[str, float] | None) -> Overlay:
        """A copy where ``measured`` adds to and overrides this overlay's measured emotions."""
        if not measured:
            return self
        return replace(self, measured={**self.measured, **measured})


def measured_emotions(journey_map: JourneyMap, overlay: Overlay) -> dict[str, float]:
    """Measured emotion per stage id: from the map file, overridden by the overlay."""
    known = {stage.id for stage in journey_map.stages}
    from_file = {
        stage.id: stage.emotion.measured
        for stage in journey_map.stages
        if stage.emotion is not None and stage.emotion.measured is not None
    }
    live = {stage_id: value for stage_id, value in overlay.measured.items() if stage_id in known}
    return {**from_file, **live}
