"""Rendering journey maps: SVG (the source of every format), standalone HTML, PNG and PDF.

PNG and PDF go through headless Chromium (see ``export``) so print and screen share one text engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from journeykit.errors import JourneykitError
from journeykit.maps.model import JourneyMap
from journeykit.maps.render.layout import layout_map
from journeykit.maps.render.overlay import Overlay
from journeykit.maps.render.page import html_page
from journeykit.maps.render.scene import Scene
from journeykit.maps.render.svg import to_svg

__all__ = [
    "FORMATS",
    "Overlay",
    "render_html",
    "render_pdf",
    "render_png",
    "render_svg",
    "render_to_file",
]

FORMATS = ("svg", "html", "png", "pdf")
LANGUAGES = ("de", "en")


def render_svg(
    journey_map: JourneyMap,
    lang: str = "de",
    measured: Mapping[str, float] | None = None,
    *,
    overlay: Overlay | None = None,
) -> str:
    """The map as a standalone SVG document.

    Args:
        journey_map: the map to draw.
        lang: label language, "de" or "en" (the map's own texts are drawn as written).
        measured: stage id → measured emotion (−2 … +2); adds to and overrides the map's values.
        overlay: further live data (KPI actuals, touchpoint volumes); ``measured`` wins over its
            measured emotions.
    """
    scene = _scene(journey_map, lang, measured, overlay)
    return to_svg(scene, _description(journey_map))


def render_html(
    journey_map: JourneyMap, lang: str = "de", *, overlay: Overlay | None = None
) -> str:
    """A standalone page (no external references) that prints as A3 landscape pages."""
    scene = _scene(journey_map, lang, None, overlay)
    return html_page(scene, to_svg(scene, _description(journey_map)))


def render_png(
    journey_map: JourneyMap,
    path: str | Path,
    lang: str = "de",
    scale: float = 2,
    *,
    overlay: Overlay | None = None,
) -> Path:
    """Write a PNG at ``scale`` device pixels per px; returns the path. Needs Chromium."""
    from journeykit.maps.render.export import write_png  # Playwright is heavy: import on use

    scene = _scene(journey_map, lang, None, overlay)
    return write_png(scene, to_svg(scene, _description(journey_map)), Path(path), scale)


def render_pdf(
    journey_map: JourneyMap, path: str | Path, lang: str = "de", *, overlay: Overlay | None = None
) -> Path:
    """Write an A3 landscape PDF, the map scaled to the page width; returns the path."""
    from journeykit.maps.render.export import write_pdf  # Playwright is heavy: import on use

    scene = _scene(journey_map, lang, None, overlay)
    return write_pdf(scene, Path(path))


def render_to_file(
    journey_map: JourneyMap,
    fmt: str,
    path: str | Path,
    lang: str = "de",
    *,
    overlay: Overlay | None = None,
) -> Path:
    """Write the map as ``fmt`` ('svg', 'html', 'png' or 'pdf') to ``path``."""
    target = Path(path)
    if fmt == "svg":
        target.write_text(render_svg(journey_map, lang, overlay=overlay), encoding="utf-8")
    elif fmt == "html":
        target.write_text(render_html(journey_map, lang, overlay=overlay), encoding="utf-8")
    elif fmt == "png":
        render_png(journey_map, target, lang, overlay=overlay)
    elif fmt == "pdf":
        render_pdf(journey_map, target, lang, overlay=overlay)
    else:
        raise UnknownFormat(fmt)
    return target


class UnknownFormat(JourneykitError):
    """A render format we do not write."""

    def __init__(self, fmt: str) -> None:
        self.format = fmt
        super().__init__(f"cannot render '{fmt}' — use one of: {', '.join(FORMATS)}")


def _scene(
    journey_map: JourneyMap,
    lang: str,
    measured: Mapping[str, float] | None,
    overlay: Overlay | None,
) -> Scene:
    if lang not in LANGUAGES:
        raise JourneykitError(f"cannot render in '{lang}' — use 'de' or 'en'")
    return layout_map(journey_map, lang, (overlay or Overlay()).with_measured(measured))


def _description(journey_map: JourneyMap) -> str:
    stages = ", ".join(stage.name for stage in journey_map.ordered_stages())
    return f"{journey_map.title} — {journey_map.persona.name} — {stages}"
