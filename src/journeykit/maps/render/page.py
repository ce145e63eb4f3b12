"""The standalone HTML documents: the map for the screen and, for print, A3 landscape pages.

On screen the SVG fills the window width. In print each page shows a band of the same layout
(``paging``), each band a nested SVG viewport holding only the shapes it crosses — so Chromium lays
out every shape about once, however many pages there are. Nothing outside the page is referenced.
"""

from __future__ import annotations

from journeykit.maps.render.metrics import FONT_FAMILY
from journeykit.maps.render.paging import PAGE_MARGIN_MM, Slice, paginate
from journeykit.maps.render.scene import Box, Scene, bounds
from journeykit.maps.render.svg import SVG_NS, XLINK_NS, defs_svg, escape, num, shapes_svg

_PRINT_CSS = """
@page { size: A3 landscape; margin: %(margin)smm; }
html, body { margin: 0; padding: 0; background: #FFFFFF; }
body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; color: #1F2733; }
.sheet { display: block; width: 100%%; height: auto; }
.page { break-after: page; page-break-after: always; overflow: hidden; }
.page:last-child { break-after: auto; page-break-after: auto; }
.defs { position: absolute; width: 0; height: 0; overflow: hidden; }
"""

_SCREEN_CSS = """
.screen { padding: 16px; }
.screen svg { display: block; width: 100%%; height: auto; max-width: %(width)spx; margin: 0 auto; }
@media screen { .print { display: none; } }
@media print { .screen { display: none; } }
"""


def html_page(scene: Scene, svg: str) -> str:
    """The page people open and print: ``svg`` (``to_svg`` of ``scene``) plus the print pages."""
    css = _PRINT_CSS + _SCREEN_CSS
    body = f'<main class="screen">\n{svg}</main>\n' + _print_pages(scene, with_defs=False)
    return _document(scene, css, body)


def print_page(scene: Scene) -> str:
    """Only the print pages (what the PDF is made from): half the work for Chromium."""
    return _document(scene, _PRINT_CSS, _print_pages(scene, with_defs=True))


def _document(scene: Scene, css: str, body: str) -> str:
    style = css % {"margin": PAGE_MARGIN_MM, "width": num(scene.width)}
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(scene.lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(scene.title)}</title>\n<style>{style}</style>\n</head>\n<body>\n"
        f"{body}</body>\n</html>\n"
    )


def _print_pages(scene: Scene, with_defs: bool) -> str:
    """The pages; icon symbols come from the screen SVG, or from a hidden one when it is absent."""
    boxes = [bounds(shape) for shape in scene.shapes]
    pages = "\n".join(_page(scene, slices, boxes) for slices in paginate(scene))
    defs = (
        f'<svg class="defs" xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}">{defs_svg(scene)}</svg>\n'
        if with_defs
        else ""
    )
    return f'<div class="print" aria-hidden="true">\n{defs}{pages}\n</div>\n'


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
        f'viewBox="0 0 {width} {num(total)}" font-family="{FONT_FAMILY}">'
        f"{''.join(views)}</svg></div>"
    )
