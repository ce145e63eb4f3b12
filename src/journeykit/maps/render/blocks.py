"""Building blocks of the layout: wrapped text, stacked columns, pills and chips.

Every block is measured before it is placed, so a card knows its height from its text and a row from
its tallest card — that is what keeps boxes from overlapping however long the text is.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from journeykit.maps.render import theme
from journeykit.maps.render.metrics import Font, text_width
from journeykit.maps.render.scene import Align, Box, Rect, Shape, Text, bounds, moved
from journeykit.maps.render.wrap import wrap


@dataclass
class Drawn:
    """Shapes of a placed block and the height it took."""

    shapes: list[Shape] = field(default_factory=list)
    height: float = 0.0


def text_block(
    x: float, y: float, width: float, text: str, font: Font, fill: str, align: Align = "start"
) -> Text:
    """``text`` wrapped to ``width``, its box starting at (x, y)."""
    lines = wrap(text, font, width)
    return Text(Box(x, y, width, len(lines) * font.line_height), lines, font, fill, align)


class Column:
    """A vertical flow of blocks inside a fixed width, as in a card or a persona section."""

    def __init__(self, x: float, y: float, width: float) -> None:
        self.x, self.y, self.width = x, y, width
        self.cursor = y
        self.shapes: list[Shape] = []

    @property
    def height(self) -> float:
        return self.cursor - self.y

    def text(
        self, text: str, font: Font, fill: str = theme.INK, indent: float = 0.0, gap: float = 0.0
    ) -> Text | None:
        """Add wrapped text (skipped when blank), ``gap`` px below the previous block."""
        block = text_block(
            self.x + indent, self.cursor + gap, self.width - indent, text, font, fill
        )
        if not block.lines:
            return None
        self.shapes.append(block)
        self.cursor = block.box.bottom
        return block

    def bullet(self, text: str, font: Font, colour: str, gap: float = 4.0) -> None:
        """A list item: a dot in ``colour`` and hanging text."""
        block = self.text(text, font, indent=12, gap=gap)
        if block is not None:
            dot = font.line_height / 2
            self.shapes.append(
                Rect(Box(self.x + 1, block.box.y + dot - 2.5, 5, 5), colour, radius=2.5)
            )

    def drawn(self, shapes: list[Shape]) -> None:
        """Add already placed shapes of ``Drawn`` that start at the cursor."""
        self.shapes.extend(shapes)

    def skip(self, height: float) -> None:
        self.cursor += height


def pill(
    x: float, y: float, label: str, font: Font, fill: str, colour: str, max_width: float
) -> Drawn:
    """A rounded label (status, severity, chip); wraps when wider than ``max_width``."""
    pad_x, pad_y = 6.0, 2.0
    inner = max_width - 2 * pad_x
    lines = wrap(label, font, inner)
    width = min(max((text_width(line, font) for line in lines), default=0.0), inner)
    box = Box(x, y, width + 2 * pad_x, len(lines) * font.line_height + 2 * pad_y)
    radius = min(box.h / 2, 9.0)
    text = Text(
        Box(x + pad_x, y + pad_y, width, len(lines) * font.line_height), lines, font, colour
    )
    return Drawn([Rect(box, fill, radius=radius), text], box.h)


def chip(
    x: float, y: float, label: str, font: Font, fill: str, border: str, max_width: float
) -> Drawn:
    """A pill with a border, for links such as "→ löst pp-3"."""
    drawn = pill(x, y, label, font, fill, theme.INK, max_width)
    background = drawn.shapes[0]
    if isinstance(background, Rect):
        drawn.shapes[0] = replace(background, stroke=border)
    return drawn


def flow(
    x: float, y: float, width: float, items: list[Drawn], gap: float = 4.0, row_gap: float = 4.0
) -> Drawn:
    """Place blocks built at (0, 0) left to right, wrapping when the next one does not fit."""
    placed: list[Shape] = []
    cursor_x, cursor_y, row_height = x, y, 0.0
    for item in items:
        item_width = block_width(item)
        if cursor_x > x and cursor_x + item_width > x + width:
            cursor_x, cursor_y, row_height = x, cursor_y + row_height + row_gap, 0.0
        placed.extend(moved(shape, cursor_x, cursor_y) for shape in item.shapes)
        cursor_x += item_width + gap
        row_height = max(row_height, item.height)
    return Drawn(placed, cursor_y + row_height - y)


def block_width(item: Drawn) -> float:
    """How far a block built at x = 0 reaches to the right."""
    return max((bounds(shape).right for shape in item.shapes), default=0.0)
