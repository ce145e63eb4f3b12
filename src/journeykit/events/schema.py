"""The event schema every source lands in (ARCHITECTURE.md, "Event").

One definition, used three ways: the Arrow schema of ingested batches, the analytic store's
``events`` table, and the list of fields a mapping file may target.
"""

from __future__ import annotations

import pyarrow as pa

EVENT_SCHEMA = pa.schema(
    [
        pa.field("event_id", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("user_id", pa.string()),
        pa.field("anonymous_id", pa.string()),
        pa.field("customer_id", pa.string()),
        pa.field("name", pa.string(), nullable=False),
        pa.field("channel", pa.string()),
        pa.field("device", pa.string()),
        pa.field("source", pa.string()),
        pa.field("medium", pa.string()),
        pa.field("campaign", pa.string()),
        pa.field("revenue", pa.float64()),
        pa.field("currency", pa.string()),
        pa.field("cost", pa.float64()),
        pa.field("properties", pa.string()),  # JSON text: portable across DuckDB and Spark
    ]
)

EVENT_FIELDS: tuple[str, ...] = tuple(EVENT_SCHEMA.names)
REQUIRED_FIELDS: tuple[str, ...] = ("ts", "name")
"""A record needs these plus at least one of ``user_id`` / ``anonymous_id``."""
