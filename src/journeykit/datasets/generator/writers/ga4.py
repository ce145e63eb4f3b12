"""GA4's BigQuery export as newline-delimited JSON, one file per local day (events_YYYYMMDD.json).

The shape follows the export schema: ``event_timestamp`` in microseconds and other INT64 fields as
JSON strings (BigQuery's JSON export), ``event_params`` as ``{key, value: {string_value |
int_value | double_value}}``, ``user_pseudo_id`` for the browser, ``device.category``,
``traffic_source``, ``ecommerce.purchase_revenue`` and ``items``. Null fields are left out.

Event names: the core e-commerce events carry GA4's recommended names (``page_view``,
``view_item``, ``add_to_cart``, ``begin_checkout``, ``purchase``, ``refund``), which the GA4 reader
maps back to journeykit's; the shop's other events are custom GA4 events under journeykit's names
(``search_performed``, ``wishlist_added`` …), as a shop sending them through GTM would have them.
``native_names=False`` writes journeykit's names throughout.

Lines are assembled from cached JSON fragments (device, traffic source, repeated strings) because
a row-by-row ``json.dumps`` of the whole record is the slowest part of writing a demo.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from journeykit.datasets.generator.catalog import SHOP_HOST
from journeykit.datasets.generator.writers.base import Encoder, columns, dumps

NATIVE_NAMES = {
    "page_viewed": "page_view",
    "product_viewed": "view_item",
    "product_added": "add_to_cart",
    "checkout_started": "begin_checkout",
    "order_completed": "purchase",
    "order_refunded": "refund",
}
STREAM_ID = "4711000001"
_OS = {"mobile": "Android", "tablet": "iOS", "desktop": "Windows"}
_BROWSER = {"mobile": "Chrome", "tablet": "Safari", "desktop": "Firefox"}


class Ga4Sink:
    """Daily NDJSON shards in ``directory``."""

    def __init__(
        self, directory: Path | str, timezone: str = "Europe/Berlin", native_names: bool = True
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.timezone = timezone
        self.native_names = native_names
        self._counts: dict[Path, int] = {}
        self._encode = Encoder()
        self._params = _Params(self._encode)
        self._fragments: dict[Any, str] = {}

    def write(self, batch: pa.RecordBatch) -> None:
        local = batch.column("ts").cast(pa.timestamp("us", tz=self.timezone))
        dates = pc.strftime(local, format="%Y%m%d").to_pylist()
        micros = batch.column("ts").cast(pa.int64()).cast(pa.string()).to_pylist()
        shards: dict[str, list[str]] = {}
        data = columns(batch)
        for i, date in enumerate(dates):
            shards.setdefault(date, []).append(self.line(data, i, date, micros[i]))
        for date, lines in sorted(shards.items()):
            path = self.directory / f"events_{date}.json"
            mode = "a" if path in self._counts else "w"
            with path.open(mode, encoding="utf-8", newline="\n") as handle:
                handle.write("\n".join(lines) + "\n")
            self._counts[path] = self._counts.get(path, 0) + len(lines)

    def close(self) -> dict[Path, int]:
        return dict(self._counts)

    def line(self, data: dict[str, list[Any]], i: int, date: str, micros: str) -> str:
        """One export row (JSON text) for event ``i`` of the batch."""
        enc = self._encode
        name = data["name"][i]
        props: dict[str, Any] = data["properties"][i]
        items = props.pop("items", None)
        revenue, cost = data["revenue"][i], data["cost"][i]
        parts = [
            f'{{"event_date":"{date}","event_timestamp":"{micros}"',
            f',"event_name":{enc(NATIVE_NAMES.get(name, name) if self.native_names else name)}',
            f',"event_params":[{self._params.render(props, revenue, data["currency"][i], cost)}]',
        ]
        if data["user_id"][i] is not None:
            parts.append(f',"user_id":{enc(data["user_id"][i])}')
        if data["anonymous_id"][i] is not None:
            parts.append(f',"user_pseudo_id":{enc(data["anonymous_id"][i])}')
        parts.append(self._context(data["device"][i], data["source"][i], data["medium"][i],
                                   data["campaign"][i]))  # fmt: skip
        if revenue is not None:
            parts.append(f',"ecommerce":{dumps(_ecommerce(name, revenue, props, items))}')
        if items:
            parts.append(f',"items":{dumps([_item(item) for item in items])}')
        parts.append("}")
        return "".join(parts)

    def _context(
        self, device: str | None, source: str | None, medium: str | None, campaign: str | None
    ) -> str:
        """Device, geo and traffic-source fragments (cached: few combinations repeat)."""
        key = (device, source, medium, campaign)
        cached = self._fragments.get(key)
        if cached is None:
            record: dict[str, Any] = {}
            if device is not None:
                record["device"] = {
                    "category": device,
                    "operating_system": _OS[device],
                    "language": "de-de",
                    "web_info": {"browser": _BROWSER[device], "hostname": SHOP_HOST},
                }
            record["geo"] = {"continent": "Europe", "country": "Germany"}
            # direct visits have no campaign fields (the user's first touch is not simulated)
            if source:
                record["traffic_source"] = {
                    "name": campaign or "(organic)",
                    "medium": medium,
                    "source": source,
                }
                collected = {"manual_source": source, "manual_medium": medium}
                if campaign:
                    collected["manual_campaign_name"] = campaign
                record["collected_traffic_source"] = collected
            record["stream_id"] = STREAM_ID
            record["platform"] = "WEB"
            cached = "," + dumps(record)[1:-1]
            self._fragments[key] = cached
        return cached


class _Params:
    """``event_params`` texts; text and flag parameters repeat (paths, templates), so each
    (key, value) pair is rendered once."""

    def __init__(self, encode: Encoder, limit: int = 200_000) -> None:
        self.encode = encode
        self.cache: dict[tuple[str, Any], str] = {}
        self.limit = limit

    def render(
        self,
        props: dict[str, Any],
        revenue: float | None,
        currency: str | None,
        cost: float | None,
    ) -> str:
        params = [self.param(key, value) for key, value in props.items() if value is not None]
        if "session_id" in props:
            params.append(self.param("ga_session_id", props["session_id"]))
        if "path" in props:
            params.append(self.param("page_location", f"https://{SHOP_HOST}{props['path']}"))
        if revenue is not None:
            params.append(self.param("value", float(revenue)))
            params.append(self.param("currency", currency))
        if cost is not None:
            params.append(self.param("cost", float(cost)))
        return ",".join(params)

    def param(self, key: str, value: Any) -> str:
        """Typed the GA4 way: text (also true/false), integers as strings, floats as doubles."""
        if isinstance(value, int) and not isinstance(value, bool):
            return f'{{"key":{self.encode(key)},"value":{{"int_value":"{value}"}}}}'
        if isinstance(value, float):
            return f'{{"key":{self.encode(key)},"value":{{"double_value":{value!r}}}}}'
        cacheable = isinstance(value, str | bool)
        cached = self.cache.get((key, value)) if cacheable else None
        if cached is None:
            if isinstance(value, bool):
                text = '"true"' if value else '"false"'
            else:
                text = self.encode(value if isinstance(value, str) else dumps(value))
            cached = f'{{"key":{self.encode(key)},"value":{{"string_value":{text}}}}}'
            if cacheable and len(self.cache) < self.limit:
                self.cache[(key, value)] = cached
        return cached


def _ecommerce(name: str, revenue: float, props: dict[str, Any], items: Any) -> dict[str, Any]:
    if name == "order_refunded":
        return {"transaction_id": props.get("order_id"), "refund_value": -float(revenue)}
    record: dict[str, Any] = {"transaction_id": props.get("order_id"), "purchase_revenue": revenue}
    for field, key in (("shipping_value", "shipping"), ("tax_value", "tax")):
        if key in props:
            record[field] = props[key]
    if items:
        record["total_item_quantity"] = str(sum(int(item["quantity"]) for item in items))
        record["unique_items"] = str(len(items))
    return record


def _item(item: dict[str, Any]) -> dict[str, Any]:
    price = float(item["price"])
    quantity = int(item["quantity"])
    return {
        "item_id": item["sku"],
        "item_name": item["name"],
        "item_category": item["category"],
        "price": price,
        "quantity": str(quantity),
        "item_revenue": round(price * quantity, 2),
    }
