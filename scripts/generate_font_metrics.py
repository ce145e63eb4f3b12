"""Generate the advance-width table the map renderer measures text with.

Reads DejaVu Sans (Debian ``fonts-dejavu-core``) with the standard library alone — the TrueType
``head``, ``hhea``, ``hmtx`` and ``cmap`` tables are all we need — and writes
``src/journeykit/maps/render/fonts/dejavu-sans.json``. Run it again only when the font or the
covered Unicode blocks change::

    python scripts/generate_font_metrics.py [FONT_DIR]

Kerning is left out on purpose: Chromium's line widths matched the summed advances to 0.02 px or
came out narrower (kerned pairs such as "LT"), so the sum is a safe upper bound for wrapping.
"""

from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FACES = {
    "regular": "DejaVuSans.ttf",
    "bold": "DejaVuSans-Bold.ttf",
    "italic": "DejaVuSans-Oblique.ttf",
}
OUT = Path(__file__).resolve().parents[1] / "src/journeykit/maps/render/fonts/dejavu-sans.json"
# Latin, Greek, Cyrillic, Latin Extended Additional, punctuation, currency, arrows, maths, symbols.
BLOCKS = ((0x20, 0x52F), (0x1E00, 0x1EFF), (0x2000, 0x2BFF))


def _tables(data: bytes) -> dict[str, bytes]:
    (count,) = struct.unpack_from(">H", data, 4)
    tables = {}
    for index in range(count):
        tag, _checksum, offset, length = struct.unpack_from(">4sIII", data, 12 + 16 * index)
        tables[tag.decode("latin-1")] = data[offset : offset + length]
    return tables


def _advances(tables: dict[str, bytes]) -> list[int]:
    (metrics_count,) = struct.unpack_from(">H", tables["hhea"], 34)
    return [struct.unpack_from(">H", tables["hmtx"], 4 * i)[0] for i in range(metrics_count)]


def _cmap_format4(table: bytes, offset: int) -> dict[int, int]:
    (seg_x2,) = struct.unpack_from(">H", table, offset + 6)
    segments = seg_x2 // 2
    ends_at = offset + 14
    starts_at = ends_at + seg_x2 + 2
    deltas_at = starts_at + seg_x2
    ranges_at = deltas_at + seg_x2
    mapping = {}
    for seg in range(segments):
        (end,) = struct.unpack_from(">H", table, ends_at + 2 * seg)
        (start,) = struct.unpack_from(">H", table, starts_at + 2 * seg)
        (delta,) = struct.unpack_from(">h", table, deltas_at + 2 * seg)
        range_pos = ranges_at + 2 * seg
        (range_offset,) = struct.unpack_from(">H", table, range_pos)
        for code in range(start, min(end, 0xFFFE) + 1):
            if range_offset == 0:
                glyph = (code + delta) & 0xFFFF
            else:
                at = range_pos + range_offset + 2 * (code - start)
                (glyph,) = struct.unpack_from(">H", table, at)
                glyph = (glyph + delta) & 0xFFFF if glyph else 0
            if glyph:
                mapping[code] = glyph
    return mapping


def _cmap(tables: dict[str, bytes]) -> dict[int, int]:
    table = tables["cmap"]
    (count,) = struct.unpack_from(">H", table, 2)
    for index in range(count):
        platform, encoding, offset = struct.unpack_from(">HHI", table, 4 + 8 * index)
        (fmt,) = struct.unpack_from(">H", table, offset)
        if (platform, encoding, fmt) == (3, 1, 4):
            return _cmap_format4(table, offset)
    raise SystemExit("no Windows Unicode BMP cmap (3, 1, format 4) in the font")


def _face(path: Path) -> tuple[dict[str, int], list[tuple[int, list[int]]]]:
    tables = _tables(path.read_bytes())
    advances = _advances(tables)
    glyphs = _cmap(tables)
    (units,) = struct.unpack_from(">H", tables["head"], 18)
    ascent, descent = struct.unpack_from(">hh", tables["hhea"], 4)

    def advance(code: int) -> int:
        return advances[min(glyphs[code], len(advances) - 1)]

    runs: list[tuple[int, list[int]]] = []
    for first, last in BLOCKS:
        for code in range(first, last + 1):
            if code not in glyphs:
                continue
            if runs and runs[-1][0] + len(runs[-1][1]) == code:
                runs[-1][1].append(advance(code))
            else:
                runs.append((code, [advance(code)]))
    return {"units_per_em": units, "ascent": ascent, "descent": -descent}, runs


def main() -> None:
    font_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else FONT_DIR
    document: dict[str, object] = {
        "source": "DejaVu Sans (Debian fonts-dejavu-core), scripts/generate_font_metrics.py",
        "format": "runs: [first code point, [advance widths in font units, one per code point]]",
    }
    for face, file_name in FACES.items():
        header, runs = _face(font_dir / file_name)
        document.update(header)
        document[face] = runs
    OUT.write_text(json.dumps(document, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
