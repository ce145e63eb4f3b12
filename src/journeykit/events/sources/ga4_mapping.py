"""One GA4 BigQuery export row → one event row: names, typed parameters, traffic, the event id.

The same function serves the NDJSON and the Parquet export, so a day loaded from either gives the
same events with the same ids. JSON exports carry INT64 columns as strings (``"1730000000000000"``),
Parquet as integers; every INT64 field is read through ``as_int`` so both agree.

The event id rule (also in docs/events-sources.md): GA4 rows have no id and GA4 rewrites a daily
table for up to three days, so the id is a hash of the fields that identify an event and do not
change in a rewrite::

    "ga4:" + sha256_hex("\\x1f".join([stream_id, user_pseudo_id, event_timestamp, event_name,
                                      ga_session_id, event_bundle_sequence_id, batch_page_id,
                                      batch_ordering_id, batch_event_index]))

Each part is its decimal or text value, empty when absent. Fields GA4 fills in late (attribution,
``user_ltv``, ``session_traffic_source_last_click``) are left out on purpose: a rewrite changes
them, and the reloaded row must hash to the same id.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from types import MappingProxyType

from journeykit.events.sources._exact_json import canonical_dumps
from journeykit.events.sources._json import JsonValue, TooDeep, jsonable, merge_reserved
from journeykit.maps.vocab import Channel, Device, normalise_device

GA4_EVENT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "page_view": "page_viewed",
        "screen_view": "screen_viewed",
        "view_item": "product_viewed",
        "view_item_list": "product_list_viewed",
        "select_item": "product_clicked",
        "add_to_cart": "product_added",
        "remove_from_cart": "product_removed",
        "add_to_wishlist": "product_added_to_wishlist",
        "view_cart": "cart_viewed",
        "begin_checkout": "checkout_started",
        "add_shipping_info": "shipping_info_entered",
        "add_payment_info": "payment_info_entered",
        "purchase": "order_completed",
        "refund": "order_refunded",
        "search": "products_searched",
        "view_search_results": "products_searched",
        "view_promotion": "promotion_viewed",
        "select_promotion": "promotion_clicked",
        "sign_up": "signed_up",
        "login": "signed_in",
    }
)
"""GA4's recommended event names → ours (Segment's e-commerce spec, snake_case); others are kept."""

ID_FIELDS: tuple[str, ...] = (
    "stream_id",
    "user_pseudo_id",
    "event_timestamp",
    "event_name",
    "ga_session_id",
    "event_bundle_sequence_id",
    "batch_page_id",
    "batch_ordering_id",
    "batch_event_index",
)
"""The parts of the event id, in hash order; ``ga_session_id`` is an event parameter."""

PLATFORM_CHANNELS: Mapping[str, Channel] = MappingProxyType(
    {"WEB": Channel.WEB, "IOS": Channel.APP, "ANDROID": Channel.APP}
)
RESERVED_PREFIX = "param_"
"""A parameter named like a key we reserve (``items``, ``ga4``, …) is kept as ``param_<key>``."""

_MIN_MICROS = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
_MAX_MICROS = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
_INT_ITEM_FIELDS = frozenset({"quantity"})
_INT_ECOMMERCE_FIELDS = frozenset({"total_item_quantity", "unique_items"})
_DEVICE_FIELDS = (
    "operating_system",
    "operating_system_version",
    "browser",
    "browser_version",
    "language",
    "mobile_brand_name",
    "mobile_model_name",
)
_GEO_FIELDS = ("continent", "country", "region", "city")


class Ga4RowError(ValueError):
    """A row that cannot become an event; the message is the quarantine reason."""


def as_int(value: object, where: str) -> int | None:
    """An INT64 export value (integer, or decimal text in JSON exports); None when absent."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise Ga4RowError(f"{where} is true/false, expected an integer")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
    raise Ga4RowError(f"{where} is {value!r}, expected an integer")


def as_float(value: object, where: str) -> float | None:
    """A FLOAT64 export value (a number, or text such as ``"NaN"``); None when absent."""
    if value is None:
        return None
    if isinstance(value, int | float | str) and not isinstance(value, bool):
        try:
            return float(value)
        except (ValueError, OverflowError):
            pass
    raise Ga4RowError(f"{where} is {value!r}, expected a number")


def typed_value(value: object, where: str) -> JsonValue:
    """The one typed value of a GA4 ``value`` record: string, int, float or double, else null."""
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise Ga4RowError(f"{where} is {value!r}, expected a record of typed values")
    if value.get("string_value") is not None:
        return str(value["string_value"])
    if value.get("int_value") is not None:
        return as_int(value["int_value"], f"{where}.int_value")
    for key in ("float_value", "double_value"):
        number = as_float(value.get(key), f"{where}.{key}")
        if number is not None:
            return jsonable(number)
    return None


def flatten_params(params: object, where: str = "event_params") -> dict[str, JsonValue]:
    """GA4's ``[{key, value: {string_value, int_value, …}}]`` as ``{key: typed value}``.

    Raises ``Ga4RowError`` for an entry without a text key, so a damaged row is quarantined
    rather than stored with parameters silently missing.
    """
    if params is None:
        return {}
    if not isinstance(params, list | tuple):
        raise Ga4RowError(f"{where} is {type(params).__name__}, expected a list of parameters")
    flat: dict[str, JsonValue] = {}
    for index, entry in enumerate(params):
        key = entry.get("key") if isinstance(entry, Mapping) else None
        if not isinstance(key, str):
            raise Ga4RowError(f"{where}[{index}] has no text 'key'")
        flat[key] = typed_value(entry.get("value"), f"{where}[{index}].value")
    return flat


def event_timestamp(row: Mapping[str, object]) -> int:
    """``event_timestamp`` in microseconds since the epoch; the row's reason to fail otherwise."""
    micros = as_int(row.get("event_timestamp"), "event_timestamp")
    if micros is None:
        raise Ga4RowError(
            "event_timestamp is missing — GA4 rows need the event time in microseconds; "
            "export the table with all columns"
        )
    if not _MIN_MICROS <= micros <= _MAX_MICROS:
        raise Ga4RowError(f"event_timestamp {micros} is outside the years 1–9999")
    return micros


def ga4_event_id(row: Mapping[str, object], params: Mapping[str, JsonValue]) -> str:
    """The documented content id of a GA4 row (see the module docstring)."""
    values = {
        **{key: row.get(key) for key in ID_FIELDS},
        "ga_session_id": params.get("ga_session_id"),
    }
    parts = [_id_part(values[key], key) for key in ID_FIELDS]
    return "ga4:" + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def ga4_row_to_event(row: Mapping[str, object]) -> dict[str, object]:
    """The event fields of one export row; raises ``Ga4RowError`` with the quarantine reason."""
    micros = event_timestamp(row)
    ga4_name = _text(row.get("event_name"))
    if not ga4_name:
        raise Ga4RowError("event_name is missing — every GA4 row names its event")
    params = flatten_params(row.get("event_params"))
    source, medium, campaign, scope = traffic(row, params)
    return {
        "event_id": ga4_event_id(row, params),
        "ts": micros,
        "user_id": _text(row.get("user_id")),
        "anonymous_id": _text(row.get("user_pseudo_id")),
        "name": GA4_EVENT_NAMES.get(ga4_name, ga4_name),
        "channel": _channel(row.get("platform")),
        "device": _device(_record(row, "device").get("category")),
        "source": source,
        "medium": medium,
        "campaign": campaign,
        "revenue": revenue(row, ga4_name, params),
        "currency": _currency(row, params),
        "properties": _properties_text(row, params, ga4_name, scope),
    }


def traffic(
    row: Mapping[str, object], params: Mapping[str, JsonValue]
) -> tuple[str | None, str | None, str | None, str | None]:
    """Source, medium, campaign and their scope: ``event`` when the event carries them.

    Event scope first (``collected_traffic_source``, then the ``source``/``medium``/``campaign``
    parameters, then a ``gclid`` meaning google / cpc as GA4 reads it); else ``traffic_source``,
    which is how the *user* first arrived (scope ``user_first_touch``).
    """
    collected = _record(row, "collected_traffic_source")
    found = (
        _text(collected.get("manual_source")),
        _text(collected.get("manual_medium")),
        _text(collected.get("manual_campaign_name")),
    )
    if not any(found):
        found = (
            _text(params.get("source")),
            _text(params.get("medium")),
            _text(params.get("campaign")),
        )
    if not any(found) and _text(collected.get("gclid")):
        found = ("google", "cpc", None)
    if any(found):
        return (*found, "event")
    first = _record(row, "traffic_source")
    found = (_text(first.get("source")), _text(first.get("medium")), _text(first.get("name")))
    return (*found, "user_first_touch") if any(found) else (None, None, None, None)


def revenue(
    row: Mapping[str, object], ga4_name: str, params: Mapping[str, JsonValue]
) -> float | None:
    """``ecommerce.purchase_revenue``; refunds as negative ``refund_value``; else ``value``.

    The ``value`` parameter counts only on ``purchase`` and ``refund``: on other events (an
    ``add_to_cart`` worth 20 €) it is not revenue and stays in the properties.
    """
    refund = ga4_name == "refund"
    field = "refund_value" if refund else "purchase_revenue"
    where = f"ecommerce.{field}"
    amount = as_float(_record(row, "ecommerce").get(field), where)
    if amount is None and ga4_name in ("purchase", "refund"):
        where = "event_params.value"
        amount = as_float(params.get("value"), where)
    if amount is None:
        return None
    if not math.isfinite(amount):
        raise Ga4RowError(f"{where} is {amount}, expected a finite amount")
    return -abs(amount) if refund else amount


def _properties_text(
    row: Mapping[str, object], params: dict[str, JsonValue], ga4_name: str, scope: str | None
) -> str:
    try:
        return canonical_dumps(_properties(row, params, ga4_name, scope))
    except TooDeep as error:
        raise Ga4RowError(f"the row {error}") from None


def _properties(
    row: Mapping[str, object], params: dict[str, JsonValue], ga4_name: str, scope: str | None
) -> dict[str, object]:
    reserved: dict[str, object] = {
        "user_properties": flatten_params(row.get("user_properties"), "user_properties") or None,
        "items": _items(row.get("items")) or None,
        "ecommerce": _ecommerce(_record(row, "ecommerce")) or None,
        "ga4": _meta(row, ga4_name, scope),
    }
    return merge_reserved(params, reserved, RESERVED_PREFIX)


def _meta(row: Mapping[str, object], ga4_name: str, scope: str | None) -> dict[str, object]:
    device = _record(row, "device")
    meta: dict[str, object] = {
        "event_name": ga4_name,
        "event_date": _text(row.get("event_date")),
        "platform": _text(row.get("platform")),
        "stream_id": _text(row.get("stream_id")),
        "event_bundle_sequence_id": as_int(
            row.get("event_bundle_sequence_id"), "event_bundle_sequence_id"
        ),
        "traffic_scope": scope,
        "device": _non_null({key: device.get(key) for key in _DEVICE_FIELDS}) or None,
        "geo": _non_null({key: _record(row, "geo").get(key) for key in _GEO_FIELDS}) or None,
    }
    return _non_null(meta)


def _items(items: object) -> list[dict[str, object]]:
    if items is None:
        return []
    if not isinstance(items, list | tuple):
        raise Ga4RowError(f"items is {type(items).__name__}, expected a list")
    kept: list[dict[str, object]] = []
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise Ga4RowError(f"items[{index}] is {item!r}, expected a record")
        kept.append(_item(item, f"items[{index}]"))
    return kept


def _item(item: Mapping[str, object], where: str) -> dict[str, object]:
    kept: dict[str, object] = {}
    for key, value in item.items():
        if key == "item_params":
            value = flatten_params(value, f"{where}.item_params") or None
        elif key in _INT_ITEM_FIELDS:
            value = as_int(value, f"{where}.{key}")
        if value is not None:
            kept[str(key)] = value
    return kept


def _ecommerce(ecommerce: Mapping[str, object]) -> dict[str, object]:
    kept: dict[str, object] = {}
    for key, value in ecommerce.items():
        number = as_int(value, f"ecommerce.{key}") if key in _INT_ECOMMERCE_FIELDS else value
        if number is not None:
            kept[str(key)] = number
    return kept


def _currency(row: Mapping[str, object], params: Mapping[str, JsonValue]) -> str | None:
    return _text(_record(row, "ecommerce").get("currency")) or _text(params.get("currency"))


def _channel(platform: object) -> str | None:
    channel = PLATFORM_CHANNELS.get((_text(platform) or "").upper())
    return channel.value if channel else None


def _device(category: object) -> str | None:
    text = (_text(category) or "").lower()
    found = normalise_device("tv" if text == "smart tv" else text)
    return found.value if isinstance(found, Device) else None


def _id_part(value: object, key: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str) and key != "event_timestamp":
        return value
    number = as_int(value, key)
    return "" if number is None else str(number)


def _record(row: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = row.get(key)
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    if value is None or isinstance(value, bool | Mapping | list | tuple):
        return None
    text = str(value).strip()
    return text or None


def _non_null(values: Mapping[str, object]) -> dict[str, object]:
    return {key: value for key, value in values.items() if value is not None}
