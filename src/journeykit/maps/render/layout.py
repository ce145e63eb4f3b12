"""The whole map laid out top to bottom: header, stage header, lanes, legend, footer.

Each part is measured where it is placed, so the canvas is exactly as tall as its content and the
work grows linearly with the number of cards. The result is a ``Scene``: data, not SVG.
"""

from __future__ import annotations

import math

from journeykit.maps.model import JourneyMap
from journeykit.maps.render import theme
from journeykit.maps.render.blocks import Drawn, text_block
from journeykit.maps.render.context import Context
from journeykit.maps.render.curve import emotion_row
from journeykit.maps.render.grid import Grid
from journeykit.maps.render.header import header
from journeykit.maps.render.lanes import EMOTIONS, Divider, rows_for
from journeykit.maps.render.legend import legend
from journeykit.maps.render.overlay import Overlay
from journeykit.maps.render.rows import divider_row, lane_row
from journeykit.maps.render.scene import Box, Rect, Scene
from journeykit.maps.render.stages import stage_header

SECTION_GAP = 28.0


def layout_map(journey_map: JourneyMap, lang: str, overlay: Overlay) -> Scene:
    """Lay out ``journey_map`` with labels in ``lang`` and live values from ``overlay``."""
    ctx = Context.build(journey_map, lang, overlay)
    grid = Grid.for_stages(len(ctx.stages))
    scene = Scene(math.ceil(grid.right + theme.MARGIN), 0.0, journey_map.title, lang)
    y = theme.MARGIN
    y = _place(scene, header(grid.x, y, grid.width, ctx), y) + SECTION_GAP
    scene.breaks.append(y - SECTION_GAP / 2)
    top = y
    y = _place(scene, stage_header(grid, y, ctx), y)
    scene.repeat = (top, y)
    y = _lanes(scene, grid, y, ctx)
    scene.grid_bottom = y
    scene.shapes.append(Rect(Box(grid.x, top, grid.width, y - top), "none", theme.RULE))
    y += SECTION_GAP
    scene.breaks.append(y - SECTION_GAP / 2)
    y = _place(scene, legend(grid.x, y, grid.width, ctx), y)
    scene.breaks.append(y)
    y = _footer(scene, grid, y + 10, journey_map, ctx)
    scene.height = math.ceil(y + theme.MARGIN)  # whole pixels: PNGs come out exactly × scale
    return scene


def _place(scene: Scene, drawn: Drawn, y: float) -> float:
    scene.shapes.extend(drawn.shapes)
    return y + drawn.height


def _lanes(scene: Scene, grid: Grid, y: float, ctx: Context) -> float:
    """Every lane and divider, striped alternately; a page may break below each one."""
    stripe = False
    for row in rows_for(ctx):
        if isinstance(row, Divider):
            drawn = divider_row(grid, y, row, ctx)
        elif row.key == EMOTIONS:
            drawn = emotion_row(grid, y, ctx, stripe)
        else:
            drawn = lane_row(grid, y, row, ctx, stripe)
        stripe = not stripe if not isinstance(row, Divider) else stripe
        y = _place(scene, drawn, y)
        scene.breaks.append(y)
    return y


def _footer(scene: Scene, grid: Grid, y: float, journey_map: JourneyMap, ctx: Context) -> float:
    """Which file the printout came from, so a page on a wall leads back to its YAML."""
    note = f"journeykit · {journey_map.id} · {ctx.t(f'type.{journey_map.type.value}')}"
    block = text_block(grid.x, y, grid.width, note, theme.SMALL, theme.FAINT, "end")
    scene.shapes.append(block)
    return block.box.bottom
