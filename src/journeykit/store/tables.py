"""The analytic tables besides ``events``: their Arrow schemas, the one definition of each.

``events`` is ``journeykit.events.schema.EVENT_SCHEMA``. Migrations create these tables; writers
build batches with these schemas; readers rely on the column names documented here.
"""

from __future__ import annotations

import pyarrow as pa

UTC_MICROS = pa.timestamp("us", tz="UTC")

QUARANTINE_SCHEMA = pa.schema(
    [
        pa.field("quarantine_id", pa.string(), nullable=False),  # "<batch_id>:<row>"
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),  # path as given, or the origin (e.g. "collector")
        pa.field("row", pa.int64()),  # data row after the header (CSV), line (JSONL), row (Parquet)
        pa.field("line", pa.int64()),  # physical line in a text file, where known
        pa.field("field", pa.string()),  # the event field at fault ("" for the whole record)
        pa.field("reason", pa.string(), nullable=False),  # what is wrong and how to fix it
        pa.field("raw", pa.string()),  # the record as read (text line or JSON of its columns)
        pa.field("ts", UTC_MICROS, nullable=False),  # when it was quarantined
        pa.field("status", pa.string(), nullable=False),  # open | resolved
    ]
)

IDENTITY_LINKS_SCHEMA = pa.schema(
    [
        pa.field("anonymous_id", pa.string(), nullable=False),
        pa.field("user_id", pa.string(), nullable=False),
        pa.field("event_id", pa.string()),  # the first event that showed the pair
        pa.field("event_name", pa.string()),  # e.g. "identify"
        pa.field("event_ts", UTC_MICROS),
        pa.field("batch_id", pa.string()),
        pa.field("linked_at", UTC_MICROS, nullable=False),
    ]
)

INGEST_BATCHES_SCHEMA = pa.schema(
    [
        pa.field("batch_id", pa.string(), nullable=False),
        pa.field("source_file", pa.string()),
        pa.field("format", pa.string()),
        pa.field("fingerprint", pa.string()),  # size, mtime and a hash of the file's head
        pa.field("started_at", UTC_MICROS, nullable=False),
        pa.field("finished_at", UTC_MICROS, nullable=False),
        pa.field("read", pa.int64(), nullable=False),
        pa.field("kept", pa.int64(), nullable=False),
        pa.field("duplicates", pa.int64(), nullable=False),
        pa.field("quarantined", pa.int64(), nullable=False),
        pa.field("status", pa.string(), nullable=False),  # committed | retry
        pa.field("details", pa.string()),  # JSON: dialect, mapping file, options
    ]
)

SCHEMA_VERSION_SCHEMA = pa.schema(
    [
        pa.field("component", pa.string(), nullable=False),
        pa.field("version", pa.int64(), nullable=False),
        pa.field("description", pa.string(), nullable=False),
        pa.field("applied_at", UTC_MICROS, nullable=False),
    ]
)
