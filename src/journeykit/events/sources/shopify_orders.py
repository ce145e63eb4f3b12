"""One Shopify order (its line-item rows of the orders export) → its events.

Shopify's orders CSV has a row per line item; the order's own fields (status, totals, dates) are
filled only on its first row. An order becomes:

- ``order_completed`` at ``Created at`` — always, whatever the payment state, since the order was
  placed (``financial_status`` in the properties says whether it was paid);
- ``order_cancelled`` at ``Cancelled at``, when that is set;
- ``order_refunded`` with ``revenue = −Refunded Amount``, when that is above zero. The export has no
  refund date: the event takes ``Cancelled at`` if set, else ``Created at``, and says so with
  ``refunded_at_known: false``.

Ids: ``shopify:<event name>:<Id>``, or ``shopify:<event name>:name:<Name>`` when the export has no
``Id`` (names like ``#1001`` repeat across shops, ids do not). Events are append-only, so a refund
grown in a later export keeps the amount first seen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from journeykit.events.sources._exact_json import canonical_dumps
from journeykit.maps.vocab import Channel

REQUIRED_COLUMNS: tuple[str, ...] = ("Name", "Created at", "Total", "Lineitem name")
SOURCE_CHANNELS: Mapping[str, Channel] = {
    "pos": Channel.STORE,
    "shopify_draft_order": Channel.OTHER,
}
"""Shopify's ``Source`` → channel; anything else (``web``, ``buy_button``, app ids) is web."""

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S %z"
_ORDER_FIELDS: Mapping[str, str] = {
    "financial_status": "Financial Status",
    "fulfillment_status": "Fulfillment Status",
    "shipping_method": "Shipping Method",
    "payment_method": "Payment Method",
    "discount_code": "Discount Code",
    "source_name": "Source",
    "billing_country": "Billing Country",
    "shipping_country": "Shipping Country",
    "location": "Location",
}
_MONEY_FIELDS: Mapping[str, str] = {
    "subtotal": "Subtotal",
    "shipping": "Shipping",
    "taxes": "Taxes",
    "total": "Total",
    "discount_amount": "Discount Amount",
    "refunded_amount": "Refunded Amount",
    "outstanding_balance": "Outstanding Balance",
}


class ShopifyOrderError(ValueError):
    """An order that cannot become events; the message is the quarantine reason."""


@dataclass(frozen=True)
class OrderTimes:
    """The order's instants in UTC; ``cancelled`` is None for an order still standing."""

    created: datetime
    cancelled: datetime | None


def order_events(rows: Sequence[Mapping[str, str]], zone: tzinfo) -> list[dict[str, object]]:
    """The events of one order from its rows (first row first); naive times are in ``zone``.

    Raises ``ShopifyOrderError`` naming the column when the order is unusable.
    """
    first = rows[0]
    times = OrderTimes(
        created=_required_time(first, "Created at", zone),
        cancelled=parse_time(_cell(first, "Cancelled at"), "Cancelled at", zone),
    )
    base = _base(first)
    properties = _order_properties(rows, zone)
    events = [
        _event(base, "order_completed", times.created, money(first, "Total"), properties),
    ]
    if times.cancelled is not None:
        events.append(_event(base, "order_cancelled", times.cancelled, None, properties))
    refunded = money(first, "Refunded Amount")
    if refunded:
        refund_properties = {**properties, "refunded_at_known": False}
        when = times.cancelled or times.created
        events.append(_event(base, "order_refunded", when, -abs(refunded), refund_properties))
    return events


def order_key(first: Mapping[str, str]) -> str:
    """The order's part of its event ids: Shopify's ``Id``, else ``name:`` + ``Name``."""
    order_id = _cell(first, "Id")
    return order_id if order_id else f"name:{_cell(first, 'Name')}"


def parse_time(text: str, column: str, zone: tzinfo) -> datetime | None:
    """A Shopify time (``2026-11-02 14:03:11 +0100``, or ISO 8601) in UTC; None when empty."""
    if not text:
        return None
    try:
        moment = datetime.strptime(text, _TIME_FORMAT)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ShopifyOrderError(
                f"{column} '{text}' is not a time like '2026-11-02 14:03:11 +0100'"
            ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise ShopifyOrderError(f"{column} '{text}' is outside the years 1–9999") from None


def money(row: Mapping[str, str], column: str) -> float | None:
    """An amount cell as a float (Shopify writes ``1234.50``); None when empty."""
    text = _cell(row, column)
    if not text:
        return None
    try:
        amount = float(text)
    except ValueError:
        amount = math.nan
    if not math.isfinite(amount):
        raise ShopifyOrderError(f"{column} '{text}' is not an amount like '56.29'")
    return amount


def line_item(row: Mapping[str, str], index: int) -> dict[str, object]:
    """One line item as ``{name, sku, quantity, price}`` (+ vendor, discount when present)."""
    quantity_text = _cell(row, "Lineitem quantity")
    try:
        quantity = int(quantity_text) if quantity_text else None
    except ValueError:
        raise ShopifyOrderError(
            f"Lineitem quantity '{quantity_text}' of item {index} is not a whole number"
        ) from None
    item: dict[str, object | None] = {
        "name": _cell(row, "Lineitem name") or None,
        "sku": _cell(row, "Lineitem sku") or None,
        "quantity": quantity,
        "price": money(row, "Lineitem price"),
        "vendor": _cell(row, "Vendor") or None,
        "discount": money(row, "Lineitem discount") or None,
    }
    return {key: value for key, value in item.items() if value is not None}


def _base(first: Mapping[str, str]) -> dict[str, object]:
    email = _cell(first, "Email").lower()
    key = order_key(first)
    return {
        "key": key,
        "user_id": email or None,
        "anonymous_id": None if email else f"shopify-order:{key}",
        "channel": SOURCE_CHANNELS.get(_cell(first, "Source").lower(), Channel.WEB).value,
        "currency": _cell(first, "Currency") or None,
    }


def _event(
    base: Mapping[str, object],
    name: str,
    when: datetime,
    revenue: float | None,
    properties: Mapping[str, object],
) -> dict[str, object]:
    return {
        "event_id": f"shopify:{name}:{base['key']}",
        "ts": when,
        "user_id": base["user_id"],
        "anonymous_id": base["anonymous_id"],
        "name": name,
        "channel": base["channel"],
        "revenue": revenue,
        "currency": base["currency"],
        "properties": canonical_dumps(properties),
    }


def _order_properties(rows: Sequence[Mapping[str, str]], zone: tzinfo) -> dict[str, object]:
    first = rows[0]
    found: dict[str, object | None] = {
        "order_id": _cell(first, "Id") or None,
        "order_name": _cell(first, "Name") or None,
    }
    found.update({key: _cell(first, column) or None for key, column in _ORDER_FIELDS.items()})
    found.update({key: money(first, column) for key, column in _MONEY_FIELDS.items()})
    for key, column in (("paid_at", "Paid at"), ("cancelled_at", "Cancelled at")):
        moment = parse_time(_cell(first, column), column, zone)
        found[key] = moment.isoformat() if moment else None
    found["tags"] = [tag.strip() for tag in _cell(first, "Tags").split(",") if tag.strip()] or None
    found["items"] = [line_item(row, index) for index, row in enumerate(rows, start=1)]
    return {key: value for key, value in found.items() if value is not None}


def _required_time(row: Mapping[str, str], column: str, zone: tzinfo) -> datetime:
    moment = parse_time(_cell(row, column), column, zone)
    if moment is None:
        raise ShopifyOrderError(
            f"{column} is empty on the order's first row — Shopify fills the order's fields "
            "on its first line-item row; export the orders again without editing the rows"
        )
    return moment


def _cell(row: Mapping[str, str], column: str) -> str:
    return (row.get(column) or "").strip()
