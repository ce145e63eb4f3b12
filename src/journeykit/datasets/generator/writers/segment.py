"""Segment-spec JSON lines, as a warehouse or a replay of the tracking API holds them.

``track`` for events (``order_completed`` → "Order Completed"), ``identify`` with traits and
``page`` for pages — also in the app, whose shop screens are web views (``context.app`` marks
them, so the reader files them under channel ``app`` as ``page_viewed``). ``messageId`` is the
event id; ``timestamp`` and ``sentAt`` are ISO 8601 UTC with milliseconds; ``context.campaign``
carries source, medium and campaign name, ``context.device.type`` the device category.
Server-side events (email, SMS and push deliveries, campaign assignments) come from the backend
library and have no device. Order items follow Segment's e-commerce spec as ``products``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.datasets.generator.catalog import SHOP_HOST, SHOP_NAME
from journeykit.datasets.generator.writers.base import Encoder, dumps, title_case

_SERVER_CHANNELS = {"email", "sms", "push", "delivery", "store", "phone", "chat", "review", "ads"}
_OS = {"mobile": ("Android", "14"), "tablet": ("iOS", "17.4"), "desktop": ("Windows", "11")}
ISO = "%Y-%m-%dT%H:%M:%S.000Z"


class SegmentSink:
    """One JSONL file of Segment messages."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("", encoding="utf-8")
        self._count = 0
        self._encode = Encoder()
        self._contexts: dict[tuple[str | None, ...], str] = {}

    def write(self, batch: pa.RecordBatch) -> None:
        lines = self.lines(batch)
        if lines:
            with self.path.open("a", encoding="utf-8", newline="\n") as handle:
                handle.write("\n".join(lines) + "\n")
        self._count += len(lines)

    def close(self) -> dict[Path, int]:
        return {self.path: self._count}

    def lines(self, batch: pa.RecordBatch) -> list[str]:
        """The Segment message (JSON text) of every event in the batch."""
        data = batch.to_pydict()
        seconds = batch.column("ts").cast(pa.int64()).to_numpy() // 1_000_000
        # clients send in batches: sentAt trails the event by 0–6 s (derived from the id: stable)
        lag = np.array([int(e[:2], 16) % 7 for e in data["event_id"]], dtype=np.int64)
        stamps = _iso(seconds)
        sent = _iso(seconds + lag)
        return [self.line(data, i, stamps[i], sent[i]) for i in range(batch.num_rows)]

    def line(self, data: dict[str, list[Any]], i: int, stamp: str, sent: str) -> str:
        enc = self._encode
        name, channel = data["name"][i], data["channel"][i]
        props: str = data["properties"][i] or "{}"
        head = f'{{"messageId":"{data["event_id"][i]}"'
        if name == "identify":
            body = f',"type":"identify","traits":{props}'
        elif name == "page_viewed":
            path = json.loads(props).get("path", "/")
            page = _merge(props, '"url":' + enc(f"https://{SHOP_HOST}{path}"))
            body = f',"type":"page","name":{enc(path)},"properties":{page}'
        else:
            track = _track_properties(
                props, data["revenue"][i], data["currency"][i], data["cost"][i]
            )
            body = f',"type":"track","event":{enc(title_case(name))},"properties":{track}'
        ids = ""
        if data["user_id"][i] is not None:
            ids += f',"userId":{enc(data["user_id"][i])}'
        if data["anonymous_id"][i] is not None:
            ids += f',"anonymousId":{enc(data["anonymous_id"][i])}'
        context = self._context(
            channel, data["device"][i], data["source"][i], data["medium"][i], data["campaign"][i]
        )
        return f'{head}{body}{ids},"timestamp":"{stamp}","sentAt":"{sent}","context":{context}}}'

    def _context(self, channel: str, device: str | None, *campaign: str | None) -> str:
        key = (channel, device, *campaign)
        cached = self._contexts.get(key)
        if cached is None:
            cached = dumps(_context(channel, device, *campaign))
            self._contexts[key] = cached
        return cached


def _track_properties(
    props: str, revenue: float | None, currency: str | None, cost: float | None
) -> str:
    if '"items":' in props:  # Segment's e-commerce spec calls them products
        parsed = json.loads(props)
        parsed["products"] = [
            {"product_id": i["sku"], "sku": i["sku"], "name": i["name"], "category": i["category"],
             "price": i["price"], "quantity": i["quantity"]}
            for i in parsed.pop("items")
        ]  # fmt: skip
        props = dumps(parsed)
    extra = []
    if revenue is not None:
        extra.append(f'"revenue":{float(revenue)!r},"currency":{json.dumps(currency)}')
    if cost is not None:
        extra.append(f'"cost":{float(cost)!r}')
    return _merge(props, ",".join(extra)) if extra else props


def _merge(obj: str, fragment: str) -> str:
    """Add ``"key":value`` pairs to a JSON object's text."""
    return "{" + fragment + "}" if obj == "{}" else obj[:-1] + "," + fragment + "}"


def _context(
    channel: str, device: str | None, source: str | None, medium: str | None, campaign: str | None
) -> dict[str, Any]:
    context: dict[str, Any] = {"locale": "de-DE", "timezone": "Europe/Berlin"}
    if channel in _SERVER_CHANNELS or device is None:
        context["library"] = {"name": "analytics-python", "version": "2.3.2"}
    elif channel == "app":
        os_name, os_version = _OS[device]
        context["library"] = {"name": f"analytics-{os_name.lower()}", "version": "4.1.8"}
        context["app"] = {"name": SHOP_NAME, "version": "3.12.0", "namespace": "de.lumenlinen"}
        context["os"] = {"name": os_name, "version": os_version}
    else:
        context["library"] = {"name": "analytics.js", "version": "next-1.64.0"}
    if device is not None:
        context["device"] = {"type": device}
    if source:
        tags = {"source": source, "medium": medium}
        if campaign:
            tags["name"] = campaign
        context["campaign"] = tags
    return context


def _iso(seconds: npt.NDArray[np.int64]) -> list[str]:
    stamps = pa.array(seconds, pa.int64()).cast(pa.timestamp("s", tz="UTC"))
    return list(pc.strftime(stamps, format=ISO).to_pylist())
