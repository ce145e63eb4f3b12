"""The emotion lane: a smooth curve through the planned scores with faces, measured scores dashed.

The curve is a monotone cubic (Fritsch–Carlson): it passes through every score and never overshoots
between two stages, so a curve from 0 to +2 cannot suggest a +2.3 the scale does not have. Stages
without a score break the line rather than inventing a value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import pairwise

from journeykit.maps.render import icons, theme
from journeykit.maps.render.blocks import Drawn, text_block
from journeykit.maps.render.context import Context
from journeykit.maps.render.grid import Grid, label_cell, row_background
from journeykit.maps.render.metrics import text_width
from journeykit.maps.render.numbers import format_signed
from journeykit.maps.render.scene import Box, Curve, Icon, Line, Polygon, Rect, Shape, Text

PLOT_HEIGHT = 132.0
PLOT_TOP = 24.0
FACE = 28.0
AXIS_FACE = 14.0

Point = tuple[float, float]
Level = Callable[[float], float]
"""Score −2 … +2 → y coordinate in the plot."""


def emotion_row(grid: Grid, y: float, ctx: Context, stripe: bool) -> Drawn:
    """The whole emotion lane: tinted halves, grid lines, curves, faces, value and text labels."""
    top = y + PLOT_TOP
    bottom = top + PLOT_HEIGHT

    def level(score: float) -> float:
        return top + (2 - score) / 4 * PLOT_HEIGHT

    labels = _labels(grid, bottom + 20, ctx)
    label_height = max((label.box.h for label in labels), default=0.0)
    below = 20 + label_height + theme.CELL_PAD if labels else 18.0
    height = PLOT_TOP + PLOT_HEIGHT + below
    shapes = row_background(grid, y, height, stripe)
    shapes += label_cell(grid, y, ctx.t("lane.emotions"), "lane-emotions", AXIS_FACE + 4).shapes
    shapes += _plot_area(grid, top, level)
    planned = _planned_points(grid, ctx, level)
    measured = _measured_points(grid, ctx, level)
    for run in _runs(planned):
        shapes += _curve(run, theme.CURVE, 2.5, dashed=False)
    for run in _runs(measured):
        shapes += _curve(run, theme.MEASURED, 2.0, dashed=True)
    shapes += _measured_markers(measured, ctx)
    shapes += _faces(planned, ctx)
    shapes += labels
    return Drawn(shapes, height)


def _plot_area(grid: Grid, top: float, level: Level) -> list[Shape]:
    x0, x1 = grid.column_x(0), grid.right
    zero = level(0)
    shapes: list[Shape] = [
        Rect(Box(x0, top - 8, x1 - x0, zero - top + 8), theme.POSITIVE_TINT),
        Rect(Box(x0, zero, x1 - x0, top + PLOT_HEIGHT + 8 - zero), theme.NEGATIVE_TINT),
    ]
    for score in (2, 1, -1, -2):
        shapes.append(Line(x0, level(score), x1, level(score), theme.GRID, 1.0, dashed=True))
    shapes.append(Line(x0, zero, x1, zero, theme.RULE, 1.2))
    face_x = grid.x + grid.label_width - theme.CELL_PAD - AXIS_FACE
    for score in (2, 0, -2):
        box = Box(face_x, level(score) - AXIS_FACE / 2, AXIS_FACE, AXIS_FACE)
        shapes.append(Icon(icons.face_symbol(score), box, theme.INK))
    return shapes


def _planned_points(grid: Grid, ctx: Context, level: Level) -> list[tuple[int, Point, int]]:
    return [
        (index, (grid.centre(index), level(stage.emotion.planned)), stage.emotion.planned)
        for index, stage in enumerate(ctx.stages)
        if stage.emotion is not None
    ]


def _measured_points(grid: Grid, ctx: Context, level: Level) -> list[tuple[int, Point, float]]:
    return [
        (index, (grid.centre(index), level(ctx.measured[stage.id])), ctx.measured[stage.id])
        for index, stage in enumerate(ctx.stages)
        if stage.id in ctx.measured
    ]


def _runs(points: Sequence[tuple[int, Point, float]]) -> list[list[Point]]:
    """Points of consecutive stages, split where a stage has no score."""
    runs: list[list[Point]] = []
    previous = -2
    for index, point, _ in points:
        if index == previous + 1 and runs:
            runs[-1].append(point)
        else:
            runs.append([point])
        previous = index
    return [run for run in runs if len(run) > 1]


def _curve(points: list[Point], colour: str, width: float, dashed: bool) -> list[Shape]:
    slopes = monotone_slopes(points)
    segments = []
    for ((x0, y0), (x1, y1)), (m0, m1) in zip(pairwise(points), pairwise(slopes), strict=True):
        third = (x1 - x0) / 3
        segments.append(((x0 + third, y0 + m0 * third), (x1 - third, y1 - m1 * third), (x1, y1)))
    return [Curve(points[0], tuple(segments), colour, width, dashed)]


def monotone_slopes(points: list[Point]) -> list[float]:
    """Fritsch–Carlson tangents: the cubic through ``points`` never overshoots between them."""
    deltas = [(y1 - y0) / (x1 - x0) for (x0, y0), (x1, y1) in pairwise(points)]
    slopes = [deltas[0]]
    for before, after in pairwise(deltas):
        slopes.append(0.0 if before * after <= 0 else (before + after) / 2)
    slopes.append(deltas[-1])
    for k, delta in enumerate(deltas):
        if delta == 0:
            slopes[k] = slopes[k + 1] = 0.0
            continue
        alpha, beta = slopes[k] / delta, slopes[k + 1] / delta
        norm = math.hypot(alpha, beta)
        if norm > 3:
            slopes[k], slopes[k + 1] = 3 * alpha * delta / norm, 3 * beta * delta / norm
    return slopes


def _faces(planned: list[tuple[int, Point, int]], ctx: Context) -> list[Shape]:
    half = FACE / 2
    return [
        Icon(icons.face_symbol(score), Box(x - half, y - half, FACE, FACE), theme.INK)
        for _, (x, y), score in planned
    ]


def _measured_markers(measured: list[tuple[int, Point, float]], ctx: Context) -> list[Shape]:
    shapes: list[Shape] = []
    for _, (x, y), value in measured:
        r = 6.0
        diamond = ((x, y - r), (x + r, y), (x, y + r), (x - r, y))
        shapes.append(Polygon(diamond, theme.PAPER, theme.MEASURED))
        font = theme.SMALL_BOLD
        label = format_signed(value, ctx.lang)
        width = text_width(label, font) + 1
        text = text_block(
            x + FACE / 2 + 4, y - font.line_height / 2, width, label, font, theme.MEASURED
        )
        tag = Box(text.box.x - 3, text.box.y - 1, width + 6, text.box.h + 2)
        shapes += [Rect(tag, theme.PAPER, theme.MEASURED, 3, 0.8), text]
    return shapes


def _labels(grid: Grid, y: float, ctx: Context) -> list[Text]:
    """Each stage's emotion label, centred under its point."""
    labels: list[Text] = []
    for index, stage in enumerate(ctx.stages):
        if stage.emotion is None or not stage.emotion.label:
            continue
        x, width = grid.content_x(index), grid.content_width
        block = text_block(x, y, width, stage.emotion.label, theme.BODY_BOLD, theme.INK, "middle")
        if block.lines:
            labels.append(block)
    return labels
