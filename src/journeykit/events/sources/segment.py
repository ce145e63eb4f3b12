"""``--format segment``: Segment-spec messages, one JSON object per line (plain or gzipped).

Archives of Segment data (S3/GCS exports, RudderStack dumps, files replayed from a queue) hold
track, identify, page, screen, group and alias messages. Each line goes through
``segment_message_to_row`` — the same function the HTTP collector uses — so a message lands the
same way from a file and from a client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from journeykit.events.sources._batches import Row, bad_row, batched, source_schema
from journeykit.events.sources._json import loads_object
from journeykit.events.sources._lines import first_line, read_lines
from journeykit.events.sources.base import LINE, RAW, ROW, ReadOptions
from journeykit.events.sources.segment_message import (
    SEGMENT_TYPES,
    MessageError,
    segment_message_to_row,
)

SEGMENT_FIELDS: tuple[str, ...] = (
    "event_id",
    "ts",
    "user_id",
    "anonymous_id",
    "name",
    "channel",
    "device",
    "source",
    "medium",
    "campaign",
    "revenue",
    "currency",
    "properties",
)
SEGMENT_SCHEMA = source_schema(SEGMENT_FIELDS, sorted_properties=True)
_TYPE_FIELD = re.compile(r'"type"\s*:\s*"(' + "|".join(SEGMENT_TYPES) + r')"', re.IGNORECASE)
_ID_FIELDS = ('"messageId"', '"anonymousId"', '"userId"')


class SegmentSource:
    """Reader of Segment-spec JSONL files."""

    name = "segment"

    def sniff(self, path: Path, head: bytes) -> bool:
        """Whether the first line is a Segment message: a known ``type`` and a Segment id field."""
        line = first_line(head)
        try:
            message = json.loads(line)
        except ValueError:
            message = None  # the head cut the line short: look at its text instead
        if isinstance(message, dict):
            kind = str(message.get("type", "")).lower()
            ids = ("messageId", "anonymousId", "userId")
            return kind in SEGMENT_TYPES and any(key in message for key in ids)
        return _TYPE_FIELD.search(line) is not None and any(key in line for key in _ID_FIELDS)

    def read(self, path: Path, options: ReadOptions) -> Iterator[pa.RecordBatch]:
        """Batches of at most ``options.batch_rows`` events, one per line."""
        yield from batched(_rows(path), SEGMENT_SCHEMA, options.batch_rows)


def _rows(path: Path) -> Iterator[Row]:
    for line in read_lines(path):
        if line.error is not None:
            yield bad_row(line.number, line.text, line.error, line.number)
            continue
        message, problem = loads_object(line.text)
        if message is None:
            yield bad_row(line.number, line.text, problem or "unreadable line", line.number)
            continue
        row = segment_message_to_row(message)
        if isinstance(row, MessageError):
            yield bad_row(line.number, line.text, str(row), line.number)
            continue
        yield {**row, ROW: line.number, LINE: line.number, RAW: line.text}
