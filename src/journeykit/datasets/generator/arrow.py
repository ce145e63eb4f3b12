"""From simulated codes to an Arrow batch in the event schema — the generator's canonical output.

Every writer (Parquet, German CSV, GA4, Segment, Shopify) starts from these batches, so the files
differ only in shape, never in content. ``customer_id`` holds the identity a perfect resolver
would find: the customer's email once any of their ids is linked to it, else the device's
anonymous id.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.datasets.generator.catalog import CHANNELS, DEVICES, EVENT_NAMES, TRAFFIC
from journeykit.datasets.generator.frame import USER_ALWAYS, Events
from journeykit.datasets.generator.identity import Identity
from journeykit.datasets.generator.properties import Context, properties
from journeykit.events.schema import EVENT_SCHEMA

B = npt.NDArray[np.bool_]


def to_batch(
    events: Events, context: Context, identity: Identity, ids: pa.Array, currency: str
) -> pa.RecordBatch:
    """The events as one record batch with EVENT_SCHEMA (``ids``: their event ids)."""
    customers = context.customers
    emails = pa.array(customers.email, pa.string())
    anonymous = pa.array([a for pair in customers.anonymous for a in pair], pa.string())
    has_user = events.user == USER_ALWAYS
    has_device = events.slot >= 0
    device_key = events.cust.astype(np.int64) * 2 + np.maximum(events.slot, 0)
    user_id = _take(emails, events.cust, has_user)
    anonymous_id = _take(anonymous, device_key, has_device)
    linked = identity.identified(events.cust, events.slot)
    customer_id = pc.if_else(
        pa.array(linked), _take(emails, events.cust, linked), _take(anonymous, device_key, ~linked)
    )
    has_revenue = ~np.isnan(events.revenue)
    columns = {
        "event_id": ids,
        "ts": pa.array(events.ts * 1_000_000, pa.int64()).cast(EVENT_SCHEMA.field("ts").type),
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "customer_id": customer_id,
        "name": _take(pa.array(EVENT_NAMES), events.name, None),
        "channel": _take(pa.array(CHANNELS), events.channel, None),
        "device": _take(pa.array(DEVICES), events.device, events.device >= 0),
        "source": _take(pa.array([t.source for t in TRAFFIC]), events.traffic, events.traffic >= 0),
        "medium": _take(pa.array([t.medium for t in TRAFFIC]), events.traffic, events.traffic >= 0),
        "campaign": _take(
            pa.array(list(context.campaigns.values), pa.string()),
            events.campaign,
            events.campaign >= 0,
        ),
        "revenue": pa.array(events.revenue, mask=~has_revenue),
        "currency": pc.if_else(
            pa.array(has_revenue), pa.scalar(currency), pa.scalar(None, pa.string())
        ),
        "cost": pa.array(events.cost, mask=np.isnan(events.cost)),
        "properties": properties(events, context),
    }
    return pa.RecordBatch.from_arrays(
        [columns[field.name].cast(field.type) for field in EVENT_SCHEMA], schema=EVENT_SCHEMA
    )


def _take(values: pa.Array, codes: npt.NDArray[Any], mask: B | None) -> pa.Array:
    """``values[codes]``, null where ``mask`` is False."""
    if mask is None:
        return values.take(pa.array(codes.astype(np.int64)))
    index = pa.array(np.where(mask, codes, 0).astype(np.int64), mask=~mask)
    return values.take(index)


def event_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random 128-bit ids as 32 hex digits, built without a per-row Python loop."""
    raw = rng.bytes(16 * n)
    text = raw.hex().encode("ascii")
    offsets = pa.py_buffer(np.arange(0, 32 * (n + 1), 32, dtype=np.int32).tobytes())
    return pa.StringArray.from_buffers(n, offsets, pa.py_buffer(text))
