"""Reading newline-delimited text files line by line with a hard cap on line length.

GA4 exports and Segment archives arrive as NDJSON, often gzipped. Iterating a file object would
hold a whole line in memory whatever its size, so one 2 GB line (a broken export, a binary file
named ``.json``) would exhaust memory. Here a line longer than the cap is skipped in chunks and
reported as a bad record instead; memory stays bounded by the cap.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from journeykit.errors import FileProblem

GZIP_MAGIC = b"\x1f\x8b"
UTF8_BOM = b"\xef\xbb\xbf"
MAX_LINE_BYTES = 32 * 1024 * 1024
_SKIP_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class Line:
    """One non-blank line: its 1-based number and its text, or why it could not be read."""

    number: int
    text: str
    error: str | None = None


def is_gzip(head: bytes) -> bool:
    """Whether the first bytes of a file are a gzip header."""
    return head.startswith(GZIP_MAGIC)


def text_head(head: bytes) -> str:
    """The first bytes of a file as text, inflated when gzipped, for format sniffing."""
    if is_gzip(head):
        try:
            head = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(head, 64 * 1024)
        except zlib.error:
            return ""
    return head.removeprefix(UTF8_BOM).decode("utf-8", errors="replace")


def first_line(head: bytes) -> str:
    """The first non-blank line found in ``head`` (possibly cut short by the head's length)."""
    for line in text_head(head).splitlines():
        if line.strip():
            return line.strip()
    return ""


def read_lines(path: Path, max_bytes: int = MAX_LINE_BYTES) -> Iterator[Line]:
    """Every non-blank line of ``path`` (plain or gzipped UTF-8), numbered from 1.

    A line over ``max_bytes`` or not valid UTF-8 comes back with ``error`` set and a short excerpt
    as ``text``, so the caller can quarantine it and go on. A truncated gzip stream raises
    ``FileProblem`` naming the last line read.
    """
    with path.open("rb") as probe:
        gzipped = is_gzip(probe.read(2))
    number = 0
    try:
        with gzip.open(path, "rb") if gzipped else path.open("rb") as stream:
            while True:
                number += 1
                line = _next_line(stream, number, max_bytes)
                if line is None:
                    return
                if line.error is not None or line.text.strip():
                    yield line
    except (EOFError, OSError, zlib.error) as error:
        raise FileProblem(
            path,
            f"the file cannot be read after line {number - 1} ({error})",
            "the gzip stream is truncated or corrupt; export or copy the file again",
        ) from error


def _next_line(stream: io.BufferedIOBase, number: int, max_bytes: int) -> Line | None:
    data = stream.readline(max_bytes + 1)
    if not data:
        return None
    if len(data) > max_bytes and not data.endswith(b"\n"):
        _skip_rest_of_line(stream)
        excerpt = data[:200].decode("utf-8", errors="replace")
        return Line(number, excerpt, f"line is longer than {max_bytes} bytes; it was skipped")
    if number == 1:
        data = data.removeprefix(UTF8_BOM)
    try:
        return Line(number, data.decode("utf-8").rstrip("\r\n"))
    except UnicodeDecodeError as error:
        excerpt = data[:200].decode("utf-8", errors="replace")
        reason = f"not UTF-8 at byte {error.start + 1}; save the file as UTF-8"
        return Line(number, excerpt.rstrip("\r\n"), reason)


def _skip_rest_of_line(stream: io.BufferedIOBase) -> None:
    while True:
        chunk = stream.readline(_SKIP_CHUNK)
        if not chunk or chunk.endswith(b"\n"):
            return
