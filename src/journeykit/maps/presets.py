"""Stage presets from the source material, with German and English labels.

A preset is only a starting point: a map may rename, add or drop stages.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Preset(StrEnum):
    """The stage sets `journeykit init` and `map new` offer."""

    FIVE_STAGE = "five-stage"
    SIX_STAGE = "six-stage"
    ECOMMERCE = "ecommerce"


@dataclass(frozen=True)
class StagePreset:
    """One stage of a preset: a stable id and its label per language."""

    id: str
    de: str
    en: str

    def label(self, lang: str) -> str:
        return self.de if lang == "de" else self.en


PRESETS: dict[Preset, tuple[StagePreset, ...]] = {
    Preset.FIVE_STAGE: (
        StagePreset("awareness", "Bewusstsein", "Awareness"),
        StagePreset("consideration", "Abwägung", "Consideration"),
        StagePreset("purchase", "Kauf", "Purchase"),
        StagePreset("experience", "Erfahrung", "Experience"),
        StagePreset("retention", "Kundenbindung", "Retention"),
    ),
    Preset.SIX_STAGE: (
        StagePreset("awareness", "Entdeckung", "Awareness"),
        StagePreset("interest", "Interesse", "Interest"),
        StagePreset("consideration", "Bewertung", "Consideration"),
        StagePreset("decision", "Kauf/Entscheidung", "Decision"),
        StagePreset("engagement", "Nutzung", "Engagement"),
        StagePreset("after-sales", "Nachkauf", "After-sales"),
    ),
    Preset.ECOMMERCE: (
        StagePreset("awareness", "Bekanntheit", "Awareness"),
        StagePreset("consideration", "Berücksichtigung", "Consideration"),
        StagePreset("purchase", "Kauf", "Purchase"),
        StagePreset("retention", "Bindung", "Retention"),
        StagePreset("advocacy", "Fürsprache", "Advocacy"),
    ),
}


def preset_stages(preset: Preset) -> tuple[StagePreset, ...]:
    """The ordered stages of a preset."""
    return PRESETS[preset]
