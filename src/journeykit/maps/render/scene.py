"""Layout as data: the positioned shapes of a map, before any SVG is written.

Keeping the layout as plain values lets tests check the promises of the renderer (no text box
overlaps another, every line fits its box, nothing leaves the canvas) without parsing SVG, and lets
every output format (SVG, HTML, PNG, PDF) share one layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from journeykit.maps.render.metrics import Font

Align = Literal["start", "middle", "end"]


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned rectangle in canvas px."""

    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def overlaps(self, other: Box, tolerance: float = 0.01) -> bool:
        """True when the interiors intersect (touching edges do not count)."""
        return (
            self.x + tolerance < other.right
            and other.x + tolerance < self.right
            and self.y + tolerance < other.bottom
            and other.y + tolerance < self.bottom
        )


@dataclass(frozen=True, slots=True)
class Rect:
    """A filled and/or stroked rectangle, optionally rounded."""

    box: Box
    fill: str = "none"
    stroke: str | None = None
    radius: float = 0.0
    stroke_width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Text:
    """Wrapped lines inside a box of width ``box.w``; the box height is lines × line height."""

    box: Box
    lines: tuple[str, ...]
    font: Font
    fill: str
    align: Align = "start"


@dataclass(frozen=True, slots=True)
class Line:
    """A straight stroke."""

    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str
    width: float = 1.0
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Circle:
    """A dot, marker or badge background."""

    cx: float
    cy: float
    r: float
    fill: str
    stroke: str | None = None
    stroke_width: float = 1.0


@dataclass(frozen=True, slots=True)
class Polygon:
    """A closed shape, e.g. the tail of a thought bubble or a diamond marker."""

    points: tuple[tuple[float, float], ...]
    fill: str
    stroke: str | None = None


@dataclass(frozen=True, slots=True)
class Curve:
    """A path of cubic segments: start point, then (control 1, control 2, end) per segment."""

    start: tuple[float, float]
    segments: tuple[tuple[tuple[float, float], tuple[float, float], tuple[float, float]], ...]
    stroke: str
    width: float = 2.0
    dashed: bool = False


@dataclass(frozen=True, slots=True)
class Icon:
    """A ``<use>`` of a symbol from ``icons``, ``size`` px square, drawn in ``colour``."""

    symbol: str
    box: Box
    colour: str


Shape = Rect | Text | Line | Circle | Polygon | Curve | Icon


@dataclass
class Scene:
    """The laid-out map: canvas size, shapes in paint order, and where pages may break."""

    width: float
    height: float
    title: str
    lang: str
    shapes: list[Shape] = field(default_factory=list)
    breaks: list[float] = field(default_factory=list)
    repeat: tuple[float, float] | None = None
    """The y-range of the stage header, repeated at the top of continuation pages."""
    grid_bottom: float = 0.0
    """Where the lanes end; pages starting below it need no stage header."""

    def texts(self) -> list[Text]:
        return [shape for shape in self.shapes if isinstance(shape, Text)]

    def symbols(self) -> list[str]:
        """The icon symbols the scene uses, once each, in first-use order."""
        return list(dict.fromkeys(s.symbol for s in self.shapes if isinstance(s, Icon)))


def bounds(shape: Shape) -> Box:
    """The box a shape occupies, for the canvas-bounds check."""
    if isinstance(shape, Rect | Text | Icon):
        return shape.box
    if isinstance(shape, Line):
        return _box_of([(shape.x1, shape.y1), (shape.x2, shape.y2)])
    if isinstance(shape, Circle):
        return Box(shape.cx - shape.r, shape.cy - shape.r, 2 * shape.r, 2 * shape.r)
    if isinstance(shape, Polygon):
        return _box_of(list(shape.points))
    points = [shape.start, *(point for segment in shape.segments for point in segment)]
    return _box_of(points)


def _box_of(points: list[tuple[float, float]]) -> Box:
    xs = [x for x, _ in points]
    ys = [y for _, y in points]
    return Box(min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys))


def moved(shape: Shape, dx: float, dy: float) -> Shape:
    """``shape`` shifted by (dx, dy): blocks are built at an origin and placed afterwards."""
    if isinstance(shape, Rect | Text | Icon):
        box = shape.box
        return replace(shape, box=Box(box.x + dx, box.y + dy, box.w, box.h))
    if isinstance(shape, Line):
        return replace(
            shape, x1=shape.x1 + dx, y1=shape.y1 + dy, x2=shape.x2 + dx, y2=shape.y2 + dy
        )
    if isinstance(shape, Circle):
        return replace(shape, cx=shape.cx + dx, cy=shape.cy + dy)
    if isinstance(shape, Polygon):
        return replace(shape, points=tuple((x + dx, y + dy) for x, y in shape.points))

    def shift(point: tuple[float, float]) -> tuple[float, float]:
        return point[0] + dx, point[1] + dy

    segments = tuple((shift(a), shift(b), shift(c)) for a, b, c in shape.segments)
    return replace(shape, start=shift(shape.start), segments=segments)
