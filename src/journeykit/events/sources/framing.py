"""Cutting a text file into whole records before a parser sees it — vectorised with numpy.

A CSV parser fails on the whole block when one record is broken (a 2 GB line, a line in another
encoding) and cannot say on which line. The framer reads the file in large chunks and finds, with
array operations over the bytes, where records end (newlines outside quotes), each record's row
and line number and its length. Bad records are cut out with their location and reason; the rest
goes to the parser as clean UTF-8 in frames whose every record has a known row and line — so a
record the parser rejects (the wrong number of fields) is located too.

Encoding: UTF-8 is checked chunk by chunk. A file that turns out to be Windows-1252 (invalid UTF-8
before any valid non-ASCII UTF-8) is read as Windows-1252 from there on; a record that is not
UTF-8 in a file that already had UTF-8 umlauts is a mixed-encoding record and is cut out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

import numpy as np

from journeykit.events.sources.dialect import UTF8_BOM

NL, CR, QUOTE = 10, 13, 34
EXCERPT_CHARS = 200
DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class Rejected:
    """A record cut out by the framer: where it was and why."""

    row: int
    line: int
    reason: str
    raw: str
    kind: str = "structure"  # structure | length | encoding (the record itself is intact)


@dataclass
class Frame:
    """Whole records as UTF-8 plus, per record, its row and first line; and what was cut."""

    data: bytes
    rows: np.ndarray
    lines: np.ndarray
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def multiline(self) -> bool:
        """Whether some record spans lines (a newline inside quotes)."""
        return bool(self.lines.size > 1 and self.lines[-1] - self.lines[0] >= self.lines.size)


@dataclass(frozen=True)
class FramingOptions:
    """How records are delimited and checked."""

    quoted: bool = True  # newlines inside "…" belong to the field (CSV), or not (JSONL)
    encoding: str = "utf-8"  # or "cp1252"
    max_record_bytes: int = DEFAULT_MAX_RECORD_BYTES
    chunk_bytes: int = 16 * 1024 * 1024
    skip_header: bool = True


class Framer:
    """Iterates a binary stream as ``Frame``s of whole, checked records."""

    def __init__(self, stream: BinaryIO, options: FramingOptions) -> None:
        self.stream = stream
        self.options = options
        self.encoding = options.encoding
        self.seen_multibyte = False
        self.row = 0
        self.line = 1
        self.pending = b""
        self.header_pending = options.skip_header

    def frames(self) -> Iterator[Frame]:
        first, eof = True, False
        while not (eof and not self.pending):
            block = b"" if eof else self.stream.read(self.options.chunk_bytes)
            if first:
                block, first = block.removeprefix(UTF8_BOM), False
            eof = eof or not block
            buffer, self.pending = self.pending + block, b""
            if eof and buffer and not buffer.endswith(b"\n"):
                buffer += b"\n"
            frame = self._frame(buffer, eof)
            if frame.rows.size or frame.rejected:
                yield frame

    def _frame(self, buffer: bytes, eof: bool) -> Frame:
        array = np.frombuffer(buffer, dtype=np.uint8)
        newlines = np.flatnonzero(array == NL)
        quotes = np.flatnonzero(array == QUOTE) if self.options.quoted else None
        ends = newlines if quotes is None else newlines[np.searchsorted(quotes, newlines) % 2 == 0]
        if ends.size == 0:
            return self._incomplete(buffer, newlines, eof)
        cut = int(ends[-1]) + 1
        self.pending = buffer[cut:]
        frame = self._records(buffer[:cut], array[:cut], ends, newlines[newlines < cut], quotes)
        if len(self.pending) > self.options.max_record_bytes and b"\n" in self.pending:
            frame.rejected.append(self._unclosed_quote(self.pending))
        return frame

    def _incomplete(self, buffer: bytes, newlines: np.ndarray, eof: bool) -> Frame:
        empty = Frame(b"", np.empty(0, np.int64), np.empty(0, np.int64))
        if not buffer:
            return empty
        if newlines.size and (eof or len(buffer) > self.options.max_record_bytes):
            empty.rejected.append(self._unclosed_quote(buffer))
        elif len(buffer) > self.options.max_record_bytes:
            empty.rejected.append(self._skip_long_line(buffer))
        else:
            self.pending = buffer
        return empty

    def _unclosed_quote(self, buffer: bytes) -> Rejected:
        """Cut the first line of a record whose quote never closes; the rest is read again."""
        end = buffer.index(b"\n")
        self.row += 1
        reason = (
            'a quote (") opened in this record is never closed, so the record would run on '
            "over the following lines — close or remove the quote"
        )
        rejected = Rejected(self.row, self.line, reason, _text(buffer[:end], self.encoding))
        self.line += 1
        self.pending = buffer[end + 1 :]
        return rejected

    def _skip_long_line(self, start: bytes) -> Rejected:
        size = len(start)
        while True:
            block = self.stream.read(self.options.chunk_bytes)
            found = block.find(b"\n")
            if not block or found >= 0:
                size += max(found, 0)
                self.pending = block[found + 1 :] if found >= 0 else b""
                break
            size += len(block)
        self.row += 1
        self.line += 1
        raw = _text(start[:4096], self.encoding)
        return Rejected(self.row, self.line - 1, self._too_long(size), raw, "length")

    def _too_long(self, size: int) -> str:
        return (
            f"the record is {size:,} bytes long, more than the limit of "
            f"{self.options.max_record_bytes:,} bytes — split or remove this line "
            "(or raise `max_record_bytes` in the mapping file)"
        )

    def _records(
        self,
        data: bytes,
        array: np.ndarray,
        ends: np.ndarray,
        newlines: np.ndarray,
        quotes: np.ndarray | None,
    ) -> Frame:
        starts = np.concatenate(([0], ends[:-1] + 1))
        lines = self.line + np.searchsorted(newlines, starts)
        self.line += int(newlines.size)
        lengths = ends - starts - (array[np.maximum(ends - 1, 0)] == CR)
        keep = lengths > 0
        if self.header_pending and keep.any():
            keep[int(np.argmax(keep))] = False
            self.header_pending = False
        rows = np.zeros(ends.size, dtype=np.int64)
        rows[keep] = self.row + np.arange(1, int(keep.sum()) + 1)
        self.row += int(keep.sum())
        problems = self._structure_problems(lengths, keep)
        rejected = [
            Rejected(int(rows[i]), int(lines[i]), reason, self._raw(data, starts[i], ends[i]))
            for i, reason in sorted(problems.items())
        ]
        keep[list(problems)] = False
        frame = self._assemble(data, starts, ends, rows, lines, keep)
        frame.rejected[:0] = rejected
        frame.rejected.sort(key=lambda item: item.row)
        return frame

    def _raw(self, data: bytes, start: int, end: int) -> str:
        return _text(data[start:end].rstrip(b"\r"), self.encoding)

    def _structure_problems(self, lengths: np.ndarray, keep: np.ndarray) -> dict[int, str]:
        problems: dict[int, str] = {}
        for index in np.flatnonzero(keep & (lengths > self.options.max_record_bytes)):
            problems[int(index)] = self._too_long(int(lengths[index]))
        return problems

    def _assemble(
        self,
        data: bytes,
        starts: np.ndarray,
        ends: np.ndarray,
        rows: np.ndarray,
        lines: np.ndarray,
        keep: np.ndarray,
    ) -> Frame:
        picked = np.flatnonzero(keep)
        joined = data if picked.size == keep.size else _join_runs(data, starts, ends, picked)
        if self.encoding == "utf-8" and _is_utf8(joined, self):
            return Frame(joined, rows[picked], lines[picked])
        if self.encoding == "cp1252":
            try:
                return Frame(joined.decode("cp1252").encode(), rows[picked], lines[picked])
            except UnicodeDecodeError:
                pass
        return self._assemble_slowly(data, starts, ends, rows, lines, picked)

    def _assemble_slowly(
        self,
        data: bytes,
        starts: np.ndarray,
        ends: np.ndarray,
        rows: np.ndarray,
        lines: np.ndarray,
        picked: np.ndarray,
    ) -> Frame:
        """Record by record, for the rare chunk with an encoding problem."""
        good: list[bytes] = []
        kept: list[int] = []
        rejected: list[Rejected] = []
        for index in picked:
            record = data[starts[index] : ends[index] + 1]
            text, problem = self._decode(record)
            if problem is None:
                good.append(text)
                kept.append(int(index))
            else:
                raw = _text(record.rstrip(b"\r\n"), "cp1252")
                rejected.append(
                    Rejected(int(rows[index]), int(lines[index]), problem, raw, "encoding")
                )
        chosen = np.asarray(kept, dtype=np.int64)
        return Frame(b"".join(good), rows[chosen], lines[chosen], rejected)

    def _decode(self, record: bytes) -> tuple[bytes, str | None]:
        """The record as UTF-8, switching the file to Windows-1252 when that is what it is."""
        if self.encoding == "utf-8":
            try:
                record.decode("utf-8")
            except UnicodeDecodeError as error:
                if self.seen_multibyte:
                    return record, _mixed_reason(record, error.start)
                self.encoding = "cp1252"
            else:
                self.seen_multibyte = self.seen_multibyte or not record.isascii()
                return record, None
        try:
            return record.decode("cp1252").encode("utf-8"), None
        except UnicodeDecodeError as error:
            return record, (
                f"byte 0x{record[error.start]:02X} at position {error.start + 1} is neither "
                "UTF-8 nor Windows-1252 text — is this a binary file? save it as UTF-8 text"
            )


def _join_runs(data: bytes, starts: np.ndarray, ends: np.ndarray, picked: np.ndarray) -> bytes:
    """The kept records, joined run by run of consecutive records (few runs, few copies)."""
    if picked.size == 0:
        return b""
    breaks = np.flatnonzero(np.diff(picked) != 1)
    firsts = picked[np.concatenate(([0], breaks + 1))]
    lasts = picked[np.concatenate((breaks, [picked.size - 1]))]
    return b"".join(data[starts[a] : ends[b] + 1] for a, b in zip(firsts, lasts, strict=True))


def _is_utf8(data: bytes, framer: Framer) -> bool:
    """Whether ``data`` is valid UTF-8 (noting whether it has non-ASCII characters)."""
    if data.isascii():
        return True
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    framer.seen_multibyte = True
    return True


def _mixed_reason(record: bytes, start: int) -> str:
    return (
        f"mixed encodings: this record is not UTF-8 (byte 0x{record[start]:02X} at position "
        f"{start + 1}) while earlier records are — it looks like Windows-1252; "
        "save the whole file as UTF-8 and run `journeykit quarantine retry`"
    )


def _text(data: bytes, encoding: str) -> str:
    """Bytes as text for a message or the quarantine, never failing."""
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    return text if len(text) <= EXCERPT_CHARS * 4 else text[: EXCERPT_CHARS * 4] + "…"
