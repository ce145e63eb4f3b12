"""Writing a laid-out ``Scene`` as SVG: the one format every other output is made from.

Plain presentation attributes (no CSS, no scripts, no external references) keep the file portable to
browsers, Inkscape and office tools; icons are ``<symbol>``s defined once and ``<use>``d; numbers
are rounded to two decimals so the output is stable enough for golden files.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from journeykit.maps.render.icons import SYMBOLS
from journeykit.maps.render.metrics import FONT_FAMILY
from journeykit.maps.render.scene import (
    Circle,
    Curve,
    Icon,
    Line,
    Polygon,
    Rect,
    Scene,
    Shape,
    Text,
)

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
MAP_ID = "jk-map"
PREFIX = "jk-"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;"})
_SYMBOL_ATTRS = (
    'viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" '
    'stroke-linecap="round" stroke-linejoin="round"'
)


def escape(text: str) -> str:
    """Text safe in XML content and attributes; characters XML 1.0 forbids are dropped."""
    return _INVALID_XML.sub("", text).translate(_ENTITIES)


def num(value: float) -> str:
    """A coordinate with at most two decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def to_svg(scene: Scene, description: str = "") -> str:
    """The complete SVG document of ``scene``."""
    width, height = num(scene.width), num(scene.height)
    parts = [
        f'<svg xmlns="{SVG_NS}" xmlns:xlink="{XLINK_NS}" version="1.1" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT_FAMILY}" '
        f'xml:lang="{escape(scene.lang)}" role="img" aria-labelledby="jk-title jk-desc">',
        f'<title id="jk-title">{escape(scene.title)}</title>',
        f'<desc id="jk-desc">{escape(description)}</desc>',
        defs_svg(scene),
        f'<g id="{MAP_ID}">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#FFFFFF"/>',
        *shapes_svg(scene.shapes),
        "</g>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def defs_svg(scene: Scene) -> str:
    """The ``<defs>`` with one ``<symbol>`` per icon the scene uses, sorted by name."""
    return "<defs>\n" + "".join(symbol(name) + "\n" for name in sorted(scene.symbols())) + "</defs>"


def symbol(name: str) -> str:
    return f'<symbol id="{PREFIX}{name}" {_SYMBOL_ATTRS}>{SYMBOLS[name]}</symbol>'


def shapes_svg(shapes: list[Shape]) -> Iterator[str]:
    for shape in shapes:
        yield _shape(shape)


def _shape(shape: Shape) -> str:
    if isinstance(shape, Text):
        return _text(shape)
    if isinstance(shape, Rect):
        return _rect(shape)
    if isinstance(shape, Line):
        return (
            f'<line x1="{num(shape.x1)}" y1="{num(shape.y1)}" x2="{num(shape.x2)}" '
            f'y2="{num(shape.y2)}"{_stroke(shape.stroke, shape.width, shape.dashed)}/>'
        )
    if isinstance(shape, Circle):
        return (
            f'<circle cx="{num(shape.cx)}" cy="{num(shape.cy)}" r="{num(shape.r)}" '
            f'fill="{shape.fill}"{_stroke(shape.stroke, shape.stroke_width)}/>'
        )
    if isinstance(shape, Polygon):
        points = " ".join(f"{num(x)},{num(y)}" for x, y in shape.points)
        return f'<polygon points="{points}" fill="{shape.fill}"{_stroke(shape.stroke, 1.5)}/>'
    if isinstance(shape, Curve):
        return _curve(shape)
    return _icon(shape)


def _stroke(colour: str | None, width: float, dashed: bool = False) -> str:
    if colour is None:
        return ""
    dash = f' stroke-dasharray="{num(width * 3)} {num(width * 2.5)}"' if dashed else ""
    return f' stroke="{colour}" stroke-width="{num(width)}"{dash}'


def _rect(rect: Rect) -> str:
    box = rect.box
    radius = f' rx="{num(rect.radius)}"' if rect.radius else ""
    return (
        f'<rect x="{num(box.x)}" y="{num(box.y)}" width="{num(box.w)}" height="{num(box.h)}"'
        f'{radius} fill="{rect.fill}"{_stroke(rect.stroke, rect.stroke_width, rect.dashed)}/>'
    )


def _curve(curve: Curve) -> str:
    def point(p: tuple[float, float]) -> str:
        return f"{num(p[0])} {num(p[1])}"

    path = f"M{point(curve.start)}" + "".join(
        f" C{point(a)} {point(b)} {point(c)}" for a, b, c in curve.segments
    )
    stroke = _stroke(curve.stroke, curve.width, curve.dashed)
    return f'<path d="{path}" fill="none"{stroke} stroke-linecap="round"/>'


def _icon(icon: Icon) -> str:
    box = icon.box
    return (
        f'<use xlink:href="#{PREFIX}{icon.symbol}" x="{num(box.x)}" y="{num(box.y)}" '
        f'width="{num(box.w)}" height="{num(box.h)}" color="{icon.colour}"/>'
    )


def _text(text: Text) -> str:
    font = text.font
    box = text.box
    x = {"start": box.x, "middle": box.x + box.w / 2, "end": box.right}[text.align]
    attrs = f'font-size="{num(font.size)}" fill="{text.fill}"'
    if font.face == "bold":
        attrs += ' font-weight="bold"'
    elif font.face == "italic":
        attrs += ' font-style="italic"'
    if text.align != "start":
        attrs += f' text-anchor="{text.align}"'
    baselines = [box.y + font.baseline + i * font.line_height for i in range(len(text.lines))]
    if len(text.lines) == 1:
        return f'<text x="{num(x)}" y="{num(baselines[0])}" {attrs}>{escape(text.lines[0])}</text>'
    spans = "".join(
        f'<tspan x="{num(x)}" y="{num(y)}">{escape(line)}</tspan>'
        for line, y in zip(text.lines, baselines, strict=True)
    )
    return f"<text {attrs}>{spans}</text>"
