"""The grid the map is laid out on: a label column on the left, one fixed-width column per stage.

Columns keep their width however many stages there are (the canvas grows instead), so a twelve-stage
map stays as legible as a five-stage one; only a map too narrow for the page widens its columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeykit.maps.render import theme
from journeykit.maps.render.blocks import Drawn, text_block
from journeykit.maps.render.metrics import Font, text_width
from journeykit.maps.render.scene import Box, Icon, Line, Rect, Shape


@dataclass(frozen=True)
class Grid:
    """Horizontal geometry shared by the stage header, every lane and the dividers."""

    x: float
    label_width: float
    column_width: float
    count: int

    @classmethod
    def for_stages(cls, count: int) -> Grid:
        natural = theme.LABEL_WIDTH + count * theme.COLUMN_WIDTH
        minimum = theme.MIN_CANVAS_WIDTH - 2 * theme.MARGIN
        width = theme.COLUMN_WIDTH if natural >= minimum else (minimum - theme.LABEL_WIDTH) / count
        return cls(theme.MARGIN, theme.LABEL_WIDTH, round(width, 2), count)

    @property
    def width(self) -> float:
        return self.label_width + self.count * self.column_width

    @property
    def right(self) -> float:
        return self.x + self.width

    def column_x(self, index: int) -> float:
        return self.x + self.label_width + index * self.column_width

    def centre(self, index: int) -> float:
        return self.column_x(index) + self.column_width / 2

    def content_x(self, index: int) -> float:
        return self.column_x(index) + theme.CELL_PAD

    @property
    def content_width(self) -> float:
        return self.column_width - 2 * theme.CELL_PAD


def label_cell(
    grid: Grid, y: float, label: str, icon: str | None = None, reserve: float = 0.0
) -> Drawn:
    """A lane's name (with its icon) in the left column; ``reserve`` keeps room on the right."""
    size = theme.ICON if icon else 0.0
    x = grid.x + theme.CELL_PAD
    indent = size + 6 if icon else 0.0
    width = grid.label_width - 2 * theme.CELL_PAD - indent - reserve
    font = fitting_font(label, width, theme.LANE)
    name = text_block(x + indent, y + theme.CELL_PAD, width, label, font, theme.INK)
    shapes: list[Shape] = [name]
    if icon:
        shapes.append(Icon(icon, Box(x, y + theme.CELL_PAD + 0.5, size, size), theme.MUTED))
    return Drawn(shapes, name.box.h)


def fitting_font(label: str, width: float, font: Font, smallest: float = 10.0) -> Font:
    """``font``, made smaller (down to ``smallest``) until the longest word fits ``width``.

    Lane names are single long German compounds ("Unterstützende"); shrinking a little reads better
    than cutting the word.
    """
    longest = max(label.split(), key=lambda word: text_width(word, font), default="")
    size = font.size
    while size > smallest and text_width(longest, Font(size, font.face)) > width:
        size -= 0.5
    return Font(size, font.face)


def row_background(grid: Grid, y: float, height: float, stripe: bool) -> list[Shape]:
    """Row fill, the label column, the column separators and the rule below the row."""
    shapes: list[Shape] = [
        Rect(Box(grid.x, y, grid.width, height), theme.STRIPE if stripe else theme.PAPER),
        Rect(Box(grid.x, y, grid.label_width, height), theme.LABEL_FILL),
    ]
    shapes += [
        Line(grid.column_x(i), y, grid.column_x(i), y + height, theme.GRID)
        for i in range(1, grid.count)
    ]
    shapes.append(Line(grid.x, y + height, grid.right, y + height, theme.RULE))
    return shapes
