"""CSV dialect detection for the files German shops export.

From the first 64 KiB: the encoding (UTF-8 with or without BOM, else Windows-1252), the delimiter
(``;`` ``,`` tab ``|`` — the one that splits the header and the rows into equal counts), the
decimal mark (``1.234,56`` vs ``1,234.56``) and the header. Pure functions of bytes and text, so
they are property-tested without files.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

UTF8_BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
DELIMITERS: tuple[str, ...] = (";", ",", "\t", "|")
GERMAN_NUMBER = re.compile(r"[-+]?(\d{1,3}(\.\d{3})+|\d+),\d+")
ENGLISH_NUMBER = re.compile(r"[-+]?(\d{1,3}(,\d{3})+|\d+)\.\d+")
AMBIGUOUS_THOUSANDS = re.compile(r"[-+]?\d{1,3}[.,]\d{3}")
"""``1.234`` is 1234 in German and 1.234 in English: no evidence either way."""
SAMPLE_ROWS = 200


class DialectError(ValueError):
    """The head of the file rules out CSV reading (UTF-16, no header); carries the fix."""

    def __init__(self, reason: str, hint: str) -> None:
        self.reason = reason
        self.hint = hint
        super().__init__(f"{reason} — {hint}")


@dataclass(frozen=True)
class Dialect:
    """How a CSV file is written."""

    delimiter: str
    decimal: str
    encoding: str  # "utf-8" or "cp1252"
    bom: bool
    header: tuple[str, ...]

    def describe(self) -> dict[str, str]:
        names = {"\t": "tab", ";": ";", ",": ",", "|": "|"}
        return {
            "delimiter": names[self.delimiter],
            "decimal": self.decimal,
            "encoding": self.encoding + ("-sig" if self.bom else ""),
        }


def sniff_encoding(head: bytes) -> tuple[str, bool]:
    """``(encoding, has_bom)``: Windows-1252 when the head has bytes that are not UTF-8 and no
    character that is; else UTF-8 (a file with both is mixed: read as UTF-8, the framer then
    quarantines the lines in the other encoding)."""
    if head.startswith(UTF8_BOM):
        return "utf-8", True
    if head.startswith(UTF16_BOMS):
        raise DialectError("the file is UTF-16 text", "save it as UTF-8 (CSV UTF-8 in Excel)")
    text = head.decode("utf-8", errors="replace")
    cut = text.endswith("\ufffd") and len(head) >= 64 * 1024  # a character cut by the head's end
    invalid = text.count("\ufffd") - int(cut)
    utf8_characters = sum(1 for char in text if ord(char) > 127 and char != "\ufffd")
    if invalid > 0 and utf8_characters == 0:
        return "cp1252", False
    return "utf-8", False


def decode_head(head: bytes, encoding: str, bom: bool) -> str:
    """The head as text, without BOM, its last (possibly cut) line dropped when there are more."""
    body = head[len(UTF8_BOM) :] if bom else head
    text = body.decode(encoding, errors="replace")
    if len(head) >= 64 * 1024 and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    return text


def sniff_delimiter(text: str, candidates: Sequence[str] = DELIMITERS) -> str:
    """The delimiter that gives the header more than one column and the rows the same count."""

    def score(delimiter: str) -> tuple[float, int]:
        rows = _rows(text, delimiter)
        if not rows:
            return (0.0, 0)
        width = len(rows[0])
        same = sum(1 for row in rows[1:] if len(row) == width)
        consistency = same / (len(rows) - 1) if len(rows) > 1 else 1.0
        return (consistency if width > 1 else -1.0, width)

    return max(candidates, key=score)


def sniff_decimal(rows: Sequence[Sequence[str]], delimiter: str) -> str:
    """``","`` when numbers look German (``12,50``, ``1.234,56``), ``"."`` when English."""
    german = english = 0
    for row in rows:
        for value in row:
            value = value.strip()
            if AMBIGUOUS_THOUSANDS.fullmatch(value):
                continue
            if GERMAN_NUMBER.fullmatch(value):
                german += 1
            elif ENGLISH_NUMBER.fullmatch(value):
                english += 1
    if german != english:
        return "," if german > english else "."
    return "," if delimiter == ";" else "."


def sniff_dialect(
    head: bytes,
    *,
    delimiter: str | None = None,
    decimal: str | None = None,
    encoding: str | None = None,
) -> Dialect:
    """The dialect of a file from its head; given values (from a mapping file) win."""
    found_encoding, bom = sniff_encoding(head)
    chosen_encoding = _codec(encoding) if encoding else found_encoding
    text = decode_head(head, chosen_encoding, bom)
    if not text.strip():
        raise DialectError("the file is empty", "export it again; it has no header and no rows")
    chosen = delimiter or sniff_delimiter(text)
    rows = _rows(text, chosen)
    header = tuple(name.strip() for name in rows[0])
    if len(header) == 1 and delimiter is not None:
        better = sniff_delimiter(text)
        if better != delimiter and len(_rows(text, better)[0]) > 1:
            raise DialectError(
                f"the header has one column with delimiter {delimiter!r}, "
                f"but {len(_rows(text, better)[0])} with {better!r}",
                f"set `delimiter: {better!r}` in the mapping file or leave it out to detect it",
            )
    return Dialect(
        chosen,
        decimal or sniff_decimal(rows[1:SAMPLE_ROWS], chosen),
        chosen_encoding,
        bom,
        _unique(header),
    )


def _codec(name: str) -> str:
    return {"utf-8-sig": "utf-8", "windows-1252": "cp1252", "latin-1": "cp1252"}.get(name, name)


def _rows(text: str, delimiter: str) -> list[list[str]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows: list[list[str]] = []
    try:
        for row in reader:
            if row:
                rows.append(row)
            if len(rows) >= SAMPLE_ROWS:
                break
    except csv.Error:
        pass
    return rows


def _unique(names: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, int] = {}
    result = []
    for index, name in enumerate(names, start=1):
        name = name or f"column_{index}"
        count = seen.get(name, 0)
        seen[name] = count + 1
        result.append(name if count == 0 else f"{name}_{count + 1}")
    return tuple(result)
