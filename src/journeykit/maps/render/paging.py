"""Cutting a tall map into printed pages: scaled to the page width, cut between lanes.

A cut falls on one of the scene's breaks (between header, lanes and legend); only a lane taller
than a page is cut inside, and then between its cards. Continuation pages inside the grid repeat the
stage header so every page can be read on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeykit.maps.render.scene import Line, Rect, Scene, Shape, bounds

# A3 landscape (420 × 297 mm) less 10 mm margins, in CSS px (96 per inch).
PAGE_MARGIN_MM = 10
MM = 96 / 25.4
PRINT_WIDTH = (420 - 2 * PAGE_MARGIN_MM) * MM
PRINT_HEIGHT = (297 - 2 * PAGE_MARGIN_MM) * MM - 2  # slack against rounding into an extra page


@dataclass(frozen=True)
class Slice:
    """A horizontal band of the canvas, ``top`` to ``bottom`` in canvas px."""

    top: float
    bottom: float

    @property
    def height(self) -> float:
        return self.bottom - self.top


def paginate(
    scene: Scene, page_width: float = PRINT_WIDTH, page_height: float = PRINT_HEIGHT
) -> list[list[Slice]]:
    """Bands of the canvas per printed page, cut at the scene's breaks where one fits.

    The map is scaled to the page width, so a page holds ``page_height / scale`` canvas px. A row
    taller than a page is the one case cut in the middle.
    """
    capacity = page_height * scene.width / page_width
    pages: list[list[Slice]] = []
    top = 0.0
    while top < scene.height - 0.5:
        repeat = _repeat(scene, top, capacity)
        room = capacity - (repeat.height if repeat else 0.0)
        bottom = _cut(scene, top, room)
        pages.append([repeat, Slice(top, bottom)] if repeat else [Slice(top, bottom)])
        top = bottom
    return pages


def _repeat(scene: Scene, top: float, capacity: float) -> Slice | None:
    """The stage header, when a page starts below it but still inside the grid."""
    if scene.repeat is None:
        return None
    header = Slice(*scene.repeat)
    inside_grid = header.bottom <= top < scene.grid_bottom
    return header if inside_grid and header.height <= capacity / 3 else None


def _cut(scene: Scene, top: float, room: float) -> float:
    """The lowest clean break that fits; else the lowest line through no card or text."""
    limit = top + room
    if scene.height <= limit:
        return scene.height
    fitting = [b for b in scene.breaks if top + 1 < b <= limit]
    return max(fitting) if fitting else _free_line(scene, top, limit)


def _free_line(scene: Scene, top: float, limit: float) -> float:
    """Inside a row taller than a page: cut between cards, at ``limit`` only if nothing is free."""
    blocked = sorted(
        (box.y, box.bottom)
        for box in (bounds(shape) for shape in scene.shapes if _is_content(shape))
        if box.bottom > top and box.y < limit and box.h < limit - top
    )
    best = top
    reach = top
    for start, end in blocked:
        if start > reach:
            best = start  # a gap between ``reach`` and ``start``: cut just above this block
        reach = max(reach, end)
    if reach < limit:
        best = limit
    return best if best > top + (limit - top) / 3 else limit


def _is_content(shape: Shape) -> bool:
    """Cards, text and marks — not the row backgrounds and rules a cut may cross."""
    if isinstance(shape, Line):
        return False
    return not (isinstance(shape, Rect) and (shape.stroke is None or shape.fill == "none"))
