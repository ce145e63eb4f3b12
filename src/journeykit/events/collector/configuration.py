"""The knobs of the collector, with the limits of the Segment HTTP API as defaults.

The limits are the ones Segment documents (32 KB per message, 500 KB per batch), so a client that
works against Segment never meets a tighter limit here.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

KIB = 1024


class CollectorConfig(BaseModel):
    """How much the collector accepts and how it moves events on to the analytic store."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_event_bytes: int = Field(
        default=32 * KIB,
        gt=0,
        description="Largest single message (its JSON text, after decompression); larger → 413.",
    )
    max_batch_bytes: int = Field(
        default=500 * KIB,
        gt=0,
        description="Largest request body after decompression; larger → 413. Also caps the "
        "gzip decompression, so a gzip bomb is cut off at this size.",
    )
    flusher: Literal["process", "thread"] = Field(
        default="process",
        description="Where the flusher runs: its own process (uses a second core; the request "
        "path keeps the GIL to itself) or a thread of the server (one process, for embedding).",
    )
    flush_interval_seconds: float = Field(
        default=1.0,
        gt=0,
        description="How often the flusher moves accepted events to the analytic store. Keep it "
        "well below 5 s: accepted events must be visible to analyses within 5 s.",
    )
    flush_max_events: int = Field(
        default=20_000,
        gt=0,
        description="Most events per micro-batch; a backlog is drained in several batches "
        "without waiting for the interval. Each micro-batch opens, writes and closes the "
        "analytic store (some 0.1–0.3 s), so at 20,000 events/s smaller batches cannot keep up.",
    )
    log_retention_hours: float = Field(
        default=24.0 * 7,
        ge=0,
        description="How long flushed entries stay in the append log. While an entry is kept, "
        "a resent messageId is recognised before it reaches the analytic store.",
    )
    key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How long a checked write key is trusted without asking the store again; "
        "a revoked key stops working within this time.",
    )
