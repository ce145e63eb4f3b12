"""The stage header: one coloured band per stage with its number and name — or, on a day-in-the-life
map, its time slot in large type — and the stage description below it.

All bands share the height of the tallest, so the grid below starts on one line.
"""

from __future__ import annotations

import re

from journeykit.maps.model import Stage
from journeykit.maps.render import theme
from journeykit.maps.render.blocks import Column, Drawn
from journeykit.maps.render.context import Context
from journeykit.maps.render.grid import Grid, label_cell
from journeykit.maps.render.numbers import format_number
from journeykit.maps.render.scene import Box, Circle, Icon, Rect, Shape, Text

INSET = 3.0
BADGE = 22.0


def stage_header(grid: Grid, y: float, ctx: Context) -> Drawn:
    """The header row above the lanes, with the "Stages"/"Time of day" label on the left."""
    bands = [_band(grid, y, index, stage, ctx) for index, stage in enumerate(ctx.stages)]
    band_height = max(column.height for column, _ in bands) + 2 * theme.CELL_PAD
    notes = [_description(grid, y + band_height, i, stage) for i, stage in enumerate(ctx.stages)]
    note_height = max(note.height for note in notes)
    note_height = note_height + 2 * theme.CELL_PAD if note_height else 0.0
    height = band_height + note_height
    key = "slots" if ctx.is_day_in_the_life else "stages"
    label = label_cell(grid, y, ctx.t(f"lane.{key}"))
    shapes: list[Shape] = [Rect(Box(grid.x, y, grid.label_width, height), theme.LABEL_FILL)]
    shapes += label.shapes
    for index, ((column, extra), note) in enumerate(zip(bands, notes, strict=True)):
        shapes += _backgrounds(grid, y, index, band_height, height, ctx)
        shapes += extra + column.shapes + note.shapes
    return Drawn(shapes, height)


def _backgrounds(
    grid: Grid, y: float, index: int, band_height: float, height: float, ctx: Context
) -> list[Shape]:
    colour = ctx.colour(index)
    x, width = grid.column_x(index) + INSET, grid.column_width - 2 * INSET
    shapes: list[Shape] = []
    if height > band_height:
        shapes.append(Rect(Box(x, y, width, height - INSET), theme.tint(colour, 0.88), None, 6))
    shapes.append(Rect(Box(x, y, width, band_height), colour, None, 6))
    if height > band_height:
        shapes.append(Rect(Box(x, y + band_height - 6, width, 6), colour))
    return shapes


def _band(
    grid: Grid, y: float, index: int, stage: Stage, ctx: Context
) -> tuple[Column, list[Shape]]:
    """The band's text in white, plus its number badge or clock icon."""
    x = grid.column_x(index) + INSET + theme.CELL_PAD
    width = grid.column_width - 2 * INSET - 2 * theme.CELL_PAD
    column = Column(x, y + theme.CELL_PAD, width)
    extra: list[Shape] = []
    if ctx.is_day_in_the_life and stage.slot:
        size = 20.0
        extra.append(Icon("clock", Box(x, column.y + 2, size, size), theme.PAPER))
        column.text(slot_text(stage.slot), theme.SLOT, theme.PAPER, indent=size + 6)
        column.text(stage.name, theme.HEADING, theme.PAPER, gap=4)
    else:
        extra.append(Circle(x + BADGE / 2, column.y + 9.75, BADGE / 2, theme.PAPER))
        font = theme.SMALL_BOLD
        box = Box(x, column.y + 9.75 - font.line_height / 2, BADGE, font.line_height)
        extra.append(Text(box, (str(index + 1),), font, ctx.colour(index), "middle"))
        column.text(stage.name, theme.HEADING, theme.PAPER, indent=BADGE + 8)
    reach = reach_text(stage.id, ctx)
    if reach:
        column.text(reach, theme.SMALL_BOLD, theme.PAPER, gap=4)
    return column, extra


def reach_text(stage_id: str, ctx: Context) -> str | None:
    """ "1.234 Kunden · 62 % weiter": the stage's customers and the share going on to the next."""
    customers = ctx.overlay.stage_customers.get(stage_id)
    if customers is None:
        return None
    text = f"{format_number(customers, ctx.lang)} {ctx.t('volume')}"
    onward = ctx.overlay.stage_onward.get(stage_id)
    if onward is not None and customers:
        share = format_number(100 * onward / customers, ctx.lang, 0)
        text += f" · {share} % {ctx.t('onward')}"
    return text


def _description(grid: Grid, y: float, index: int, stage: Stage) -> Drawn:
    x = grid.column_x(index) + INSET + theme.CELL_PAD
    column = Column(x, y + theme.CELL_PAD, grid.column_width - 2 * INSET - 2 * theme.CELL_PAD)
    if stage.description:
        column.text(stage.description, theme.SMALL, theme.INK)
    return Drawn(column.shapes, column.height)


def slot_text(slot: str) -> str:
    """A slot as printed: "07:00-08:30" becomes "07:00–08:30" (an en dash)."""
    return re.sub(r"\s*[-–]\s*", "–", slot.strip())
