"""Line breaking: text into lines that each fit a width, so boxes can grow instead of overflowing.

Breaks fall at spaces and after hyphens, dashes and slashes; a word wider than the whole line (an
id, a URL, a German compound) is cut between characters, because a map must never draw text outside
its box. No-break spaces (as in "3 %") stay unbroken.
"""

from __future__ import annotations

import re

from journeykit.maps.render.metrics import Font, char_width, text_width

_SPACES = re.compile(r"[ \t\r\f\v]+")
_SEGMENT = re.compile(r"[^-/–—]+[-/–—]*|[-/–—]+")


def wrap(text: str, font: Font, width: float) -> tuple[str, ...]:
    """The lines of ``text`` at ``font``, each at most ``width`` px wide; () for blank text."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        words = [word for word in _SPACES.split(paragraph) if word and not word.isspace()]
        if words:
            lines.extend(_wrap_words(words, font, width))
    return tuple(lines)


def _wrap_words(words: list[str], font: Font, width: float) -> list[str]:
    lines: list[str] = []
    line, line_width = "", 0.0
    space = char_width(" ", font)
    for word in words:
        for index, segment in enumerate(_SEGMENT.findall(word)):
            gap = space if index == 0 and line else 0.0
            segment_width = text_width(segment, font)
            if line and line_width + gap + segment_width <= width:
                line += (" " if gap else "") + segment
                line_width += gap + segment_width
                continue
            if line:
                lines.append(line)
            if segment_width <= width:
                line, line_width = segment, segment_width
            else:
                *full, line = _cut(segment, font, width)
                lines.extend(full)
                line_width = text_width(line, font)
    if line:
        lines.append(line)
    return lines


def _cut(word: str, font: Font, width: float) -> list[str]:
    """A word too long for a line, cut into pieces that fit (at least one character each)."""
    pieces: list[str] = []
    piece, piece_width = "", 0.0
    for char in word:
        advance = char_width(char, font)
        if piece and piece_width + advance > width:
            pieces.append(piece)
            piece, piece_width = "", 0.0
        piece += char
        piece_width += advance
    pieces.append(piece)
    return pieces
