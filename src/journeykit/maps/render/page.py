"""The standalone HTML page: the map for the screen, and A3 landscape pages for print.

On screen the SVG fills the window width. In print each page shows a band of the same layout, scaled
to the page width and cut between lanes (between cards when a lane is taller than a page), with the
stage header repeated on continuation pages. The page references nothing outside itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeykit.maps.render.metrics import FONT_FAMILY
from journeykit.maps.render.scene import Box, Line, Rect, Scene, Shape, bounds
from journeykit.maps.render.svg import SVG_NS, XLINK_NS, escape, num, shapes_svg

# A3 landscape (420 × 297 mm) less 10 mm margins, in CSS px (96 per inch).
PAGE_MARGIN_MM = 10
MM = 96 / 25.4
PRINT_WIDTH = (420 - 2 * PAGE_MARGIN_MM) * MM
PRINT_HEIGHT = (
    297 - 2 * PAGE_MARGIN_MM
) * MM - 2  # a little slack against rounding into a new page

_CSS = """
@page { size: A3 landscape; margin: %(margin)smm; }
* { box-sizing: border-box; }
html, body { margin: 0; padding: 0; background: #FFFFFF; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #1F2733; }
.screen { padding: 16px; }
.screen svg { display: block; width: 100%%; height: auto; max-width: %(width)spx; margin: 0 auto; }
.print { display: none; }
@media print {
  .screen { display: none; }
  .print { display: block; }
  .sheet { display: block; width: 100%%; height: auto; }
  .page { break-after: page; page-break-after: always; overflow: hidden; }
  .page:last-child { break-after: auto; page-break-after: auto; }
}
"""


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


def html_page(scene: Scene, svg: str) -> str:
    """A complete HTML document around ``svg`` (the output of ``to_svg`` for ``scene``)."""
    css = _CSS % {"margin": PAGE_MARGIN_MM, "width": num(scene.width)}
    boxes = [bounds(shape) for shape in scene.shapes]
    pages = "\n".join(_page(scene, slices, boxes) for slices in paginate(scene))
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(scene.lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(scene.title)}</title>\n<style>{css}</style>\n</head>\n<body>\n"
        f'<main class="screen">\n{svg}</main>\n'
        f'<div class="print" aria-hidden="true">\n{pages}\n</div>\n'
        "</body>\n</html>\n"
    )


def _page(scene: Scene, slices: list[Slice], boxes: list[Box]) -> str:
    """One printed page: its bands stacked, each a nested SVG viewport with the shapes it crosses.

    Only the shapes of a band are written, so Chromium lays out each shape about once however many
    pages there are; the nested viewport clips those that cross the band's edges.
    """
    width = num(scene.width)
    total = sum(piece.height for piece in slices)
    views = []
    offset = 0.0
    for piece in slices:
        shapes = [
            shape
            for shape, box in zip(scene.shapes, boxes, strict=True)
            if box.bottom >= piece.top and box.y <= piece.bottom
        ]
        views.append(
            f'<svg x="0" y="{num(offset)}" width="{width}" height="{num(piece.height)}" '
            f'viewBox="0 {num(piece.top)} {width} {num(piece.height)}">'
            f'<rect x="0" y="{num(piece.top)}" width="{width}" height="{num(piece.height)}" '
            f'fill="#FFFFFF"/>{"".join(shapes_svg(shapes))}</svg>'
        )
        offset += piece.height
    return (
        f'<div class="page"><svg class="sheet" xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" '
        f'viewBox="0 0 {width} {num(total)}" font-family="{FONT_FAMILY}">{"".join(views)}</svg></div>'
    )
