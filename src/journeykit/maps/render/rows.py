"""Lane rows and blueprint dividers: cells side by side, the row as tall as its tallest cell."""

from __future__ import annotations

from dataclasses import replace

from journeykit.maps.render import theme
from journeykit.maps.render.blocks import Drawn, text_block
from journeykit.maps.render.context import Context
from journeykit.maps.render.grid import Grid, label_cell, row_background
from journeykit.maps.render.lanes import Divider, Lane
from journeykit.maps.render.scene import Box, Line, Rect, Shape

MIN_ROW = 44.0
DIVIDER = 30.0


def lane_row(grid: Grid, y: float, lane: Lane, ctx: Context, stripe: bool) -> Drawn:
    """One lane across all stages, background first so cards paint on top."""
    top = y + theme.CELL_PAD
    cells = [
        lane.cell(ctx, index, stage, grid.content_x(index), top, grid.content_width)
        for index, stage in enumerate(ctx.stages)
    ]
    label = label_cell(grid, y, ctx.t(f"lane.{lane.key}"), f"lane-{lane.key}")
    tallest = max([label.height, *(cell.height for cell in cells)])
    height = max(MIN_ROW, tallest + 2 * theme.CELL_PAD)
    shapes = row_background(grid, y, height, stripe) + label.shapes
    for cell in cells:
        shapes.extend(cell.shapes)
    return Drawn(shapes, height)


def divider_row(grid: Grid, y: float, divider: Divider, ctx: Context) -> Drawn:
    """A dashed line across the stages, named in the label column (blueprint lines)."""
    font = theme.CAPTION
    width = grid.label_width - 2 * theme.CELL_PAD
    name = ctx.t(f"lane.{divider.key}")
    label = text_block(grid.x + theme.CELL_PAD, y, width, name, font, theme.BLUEPRINT_LINE)
    height = max(DIVIDER, label.box.h + 8)
    label = replace(label, box=replace(label.box, y=y + (height - label.box.h) / 2))
    middle = y + height / 2
    shapes: list[Shape] = [
        Rect(Box(grid.x, y, grid.width, height), theme.PAPER),
        Rect(Box(grid.x, y, grid.label_width, height), theme.LABEL_FILL),
        Line(grid.column_x(0), middle, grid.right, middle, theme.BLUEPRINT_LINE, 1.6, dashed=True),
        Line(grid.x, y + height, grid.right, y + height, theme.RULE),
        label,
    ]
    return Drawn(shapes, height)
