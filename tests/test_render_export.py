"""PNG and PDF rendered by the real Debian Chromium, checked with the standard library only."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest

from journeykit.browser import BrowserMissing, chromium_path
from journeykit.maps.examples import example_map
from journeykit.maps.io import load_map
from journeykit.maps.presets import Preset
from journeykit.maps.render import render_pdf, render_png, render_svg, render_to_file

pytestmark = pytest.mark.browser

MAPS = Path(__file__).parent / "fixtures" / "maps"
A3_LANDSCAPE_PT = (1190.55, 841.89)


def _chromium_missing() -> bool:
    try:
        chromium_path()
    except BrowserMissing:
        return True
    return False


if _chromium_missing():
    pytest.skip("Chromium is not installed", allow_module_level=True)


def test_png_has_the_map_size_times_scale_and_is_drawn(tmp_path: Path) -> None:
    journey_map = example_map(Preset.ECOMMERCE, "en")
    width, height = _svg_size(render_svg(journey_map, "en"))
    path = render_png(journey_map, tmp_path / "map.png", "en", scale=1)
    png = read_png(path.read_bytes(), max_rows=360)  # title, persona card and stage bands
    assert (png.width, png.height) == (round(width), round(height))
    colours = png.colours()
    assert len(colours) > 50, "a drawn map has many colours (anti-aliased text, faces, bands)"
    assert png.share_not_white() > 0.05
    assert (0x2F, 0x6D, 0xB5) in colours  # the band of the first stage


def test_pdf_is_a3_landscape_and_cut_between_lanes(tmp_path: Path) -> None:
    path = render_to_file(
        load_map(MAPS / "render_blueprint.yaml"), "pdf", tmp_path / "bp.pdf", "de"
    )
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF-")
    boxes = [
        tuple(map(float, m))
        for m in re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    ]
    assert len(boxes) >= 2, "the blueprint is taller than one A3 page"
    for width, height in boxes:
        assert width == pytest.approx(A3_LANDSCAPE_PT[0], abs=1.5)
        assert height == pytest.approx(A3_LANDSCAPE_PT[1], abs=1.5)


def test_render_pdf_returns_the_path(tmp_path: Path) -> None:
    target = tmp_path / "example.pdf"
    assert render_pdf(example_map(Preset.FIVE_STAGE, "de"), target) == target
    assert target.read_bytes()[:5] == b"%PDF-"


# -- a minimal PNG reader: enough for Chromium's 8-bit RGB(A) screenshots ----------------------


class Png:
    def __init__(self, width: int, height: int, channels: int, rows: list[bytes]) -> None:
        self.width, self.height, self.channels, self.rows = width, height, channels, rows
        """``rows`` may be only the top of the image."""

    def pixels(self) -> list[tuple[int, int, int]]:
        step = self.channels
        return [tuple(row[i : i + 3]) for row in self.rows for i in range(0, len(row), step)]  # type: ignore[misc]

    def colours(self) -> set[tuple[int, int, int]]:
        return set(self.pixels())

    def share_not_white(self) -> float:
        pixels = self.pixels()
        return sum(1 for pixel in pixels if pixel != (255, 255, 255)) / len(pixels)


def read_png(data: bytes, max_rows: int | None = None) -> Png:
    """Header and the first ``max_rows`` rows of pixels (decoding in Python is slow)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, idat = 8, b""
    width = height = channels = 0
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour_type, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and interlace == 0 and colour_type in (2, 6)
            channels = 3 if colour_type == 2 else 4
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    rows: list[bytes] = []
    previous = bytearray(stride)
    for y in range(min(height, max_rows or height)):
        start = y * (stride + 1)
        row = _unfilter(
            raw[start], bytearray(raw[start + 1 : start + 1 + stride]), previous, channels
        )
        rows.append(bytes(row))
        previous = row
    return Png(width, height, channels, rows)


def _unfilter(kind: int, row: bytearray, above: bytearray, bpp: int) -> bytearray:
    for i in range(len(row)):
        left = row[i - bpp] if i >= bpp else 0
        up = above[i]
        corner = above[i - bpp] if i >= bpp else 0
        if kind == 1:
            row[i] = (row[i] + left) & 0xFF
        elif kind == 2:
            row[i] = (row[i] + up) & 0xFF
        elif kind == 3:
            row[i] = (row[i] + (left + up) // 2) & 0xFF
        elif kind == 4:
            row[i] = (row[i] + _paeth(left, up, corner)) & 0xFF
    return row


def _paeth(a: int, b: int, c: int) -> int:
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def _svg_size(svg: str) -> tuple[float, float]:
    match = re.search(r'width="([\d.]+)" height="([\d.]+)"', svg)
    assert match
    return float(match.group(1)), float(match.group(2))
