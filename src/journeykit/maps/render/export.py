"""PNG and PDF through headless Chromium (``journeykit.browser``), from the same SVG and HTML.

Why Chromium rather than cairosvg or WeasyPrint: the PNG and PDF then use the very text engine and
fonts the web page uses, so a printout looks like the screen and our precomputed line breaks hold;
Chromium is already needed for the browser tests; and it spares users the Cairo/Pango system stack
those libraries need.
"""

from __future__ import annotations

from pathlib import Path

from journeykit.browser import launch_chromium
from journeykit.maps.render.page import print_page
from journeykit.maps.render.scene import Scene

# Chromium cannot capture a surface larger than this in either direction.
MAX_PIXELS = 16384


def write_png(scene: Scene, svg: str, path: Path, scale: float) -> Path:
    """Screenshot of the SVG at its natural size times ``scale`` (reduced for huge maps)."""
    scale = min(scale, MAX_PIXELS / scene.width, MAX_PIXELS / scene.height)
    width, height = round(scene.width), round(scene.height)
    document = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>html,body{margin:0;padding:0;"
        f"background:#fff}}svg{{display:block}}</style></head><body>{svg}</body></html>"
    )
    with launch_chromium() as browser:
        context = browser.new_context(
            viewport={"width": width, "height": height}, device_scale_factor=scale
        )
        page = context.new_page()
        page.set_content(document, wait_until="load")
        page.screenshot(
            path=str(path), clip={"x": 0, "y": 0, "width": scene.width, "height": scene.height}
        )
        context.close()
    return path


def write_pdf(scene: Scene, path: Path) -> Path:
    """A3 landscape PDF of the print pages (the same pages ``render_html`` prints)."""
    with launch_chromium() as browser:
        page = browser.new_page()
        page.emulate_media(media="print")
        page.set_content(print_page(scene), wait_until="load")
        page.pdf(path=str(path), prefer_css_page_size=True, print_background=True)
    return path
