"""Text metrics: how wide a string is in DejaVu Sans, from advance widths read out of the font.

Layout must know line widths before any browser sees the SVG, and the result must not depend on the
machine, so the widths come from a table generated once from Debian's DejaVu Sans
(``scripts/generate_font_metrics.py``) rather than from whatever fonts happen to be installed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Literal

Face = Literal["regular", "bold", "italic"]

FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"
LINE_HEIGHT = 1.3
# Characters the table lacks (emoji, CJK) fall back to other fonts; assume them wide.
_UNKNOWN_EM = 1.2


@dataclass(frozen=True, slots=True)
class Font:
    """A text style the layout measures with: size in px and face."""

    size: float
    face: Face = "regular"

    @property
    def line_height(self) -> float:
        return round(self.size * LINE_HEIGHT, 2)

    @property
    def baseline(self) -> float:
        """Distance from the top of a line box to its baseline (ascent plus half the leading)."""
        table = _table()
        ascent, descent = table.ascent, table.descent
        return round(self.size * (ascent + (LINE_HEIGHT - ascent - descent) / 2), 2)


@dataclass(frozen=True)
class _Table:
    ascent: float
    descent: float
    widths: dict[Face, dict[str, float]]


@cache
def _table() -> _Table:
    raw = resources.files(__package__).joinpath("fonts/dejavu-sans.json").read_text("utf-8")
    data = json.loads(raw)
    units = float(data["units_per_em"])
    widths: dict[Face, dict[str, float]] = {}
    for face in ("regular", "bold", "italic"):
        widths[face] = {
            chr(first + offset): advance / units
            for first, advances in data[face]
            for offset, advance in enumerate(advances)
        }
    return _Table(data["ascent"] / units, data["descent"] / units, widths)


def char_width(char: str, font: Font) -> float:
    """Advance width of one character in px."""
    return _table().widths[font.face].get(char, _UNKNOWN_EM) * font.size


def text_width(text: str, font: Font) -> float:
    """Width of a single line of text in px (kerning ignored, so never too small)."""
    widths = _table().widths[font.face]
    return sum(widths.get(char, _UNKNOWN_EM) for char in text) * font.size
