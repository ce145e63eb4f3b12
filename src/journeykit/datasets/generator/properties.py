"""The ``properties`` JSON of every event, built column-wise with Arrow string kernels.

Each property is one column of JSON-encoded values (null where an event does not have it); the
object is the concatenation of ``,"key":value`` fragments. No Python loop runs per event except
for order items, which are few. The keys are the ones the demo maps' touchpoint rules and the KPI
catalog read: ``path``, ``template``, ``campaign``, ``utm_source``, ``score``, ``position`` …
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.datasets.generator import catalog
from journeykit.datasets.generator.catalog import (
    CARRIERS,
    CH,
    COUPONS,
    DEVICES,
    GOOGLE_QUERIES,
    LINK_CATEGORIES,
    PATHS,
    PAYMENTS,
    PRODUCTS,
    SIGNUP_FORMS,
    SITE_QUERIES,
    SUPPORT_TOPICS,
    SURVEYS,
    TEMPLATES,
    TRAFFIC,
    VIDEOS,
    Name,
    Pool,
)
from journeykit.datasets.generator.customers import CITIES, Customers
from journeykit.datasets.generator.frame import Events
from journeykit.datasets.generator.identity import CHECKOUT_GUEST, CHECKOUT_LOGGED_IN
from journeykit.datasets.generator.messaging import HOLDOUT
from journeykit.datasets.generator.orders import Orders
from journeykit.datasets.generator.pages import LANDING_MARK

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

_REFERRERS = {
    "google": "https://www.google.de/",
    "instagram": "https://l.instagram.com/",
    "facebook": "https://m.facebook.com/",
    "pinterest": "https://www.pinterest.de/",
    "avocadostore": "https://www.avocadostore.de/",
}
_AD_NAMES = (Name.AD_IMPRESSION, Name.AD_CLICKED)
_MESSAGE_NAMES = (
    Name.EMAIL_SENT,
    Name.EMAIL_OPENED,
    Name.EMAIL_CLICKED,
    Name.SMS_DELIVERED,
    Name.PUSH_RECEIVED,
    Name.PUSH_OPENED,
    Name.CAMPAIGN_ASSIGNED,
)
_SKUS = tuple(p.sku for p in PRODUCTS)
_PRODUCT_NAMES_TEXT = tuple(p.name for p in PRODUCTS)
_PRODUCT_CATEGORIES = tuple(p.category for p in PRODUCTS)
_SCREENS = tuple(catalog.screen_name(path) for path in PATHS.values)
_PRODUCT_NAMES = (
    Name.PRODUCT_VIEWED,
    Name.PRODUCT_ADDED,
    Name.WISHLIST_ADDED,
    Name.REVIEW_SUBMITTED,
)


@dataclass(frozen=True)
class Context:
    """What the properties refer to besides the event row: the chunk's customers and orders."""

    customers: Customers
    orders: Orders
    campaigns: Pool
    session_base: int  # global number of the chunk's first session
    order_base: int  # number of the chunk's first order (Shopify's "#1001" style)
    acquisition: list[str]  # per customer: where they first came from


def properties(events: Events, context: Context) -> pa.Array:
    """The JSON object text of every event.

    Events are handled per name, so each group only builds the keys its rows have; the groups'
    objects are then put back in event order.
    """
    pools = _ChunkPools.of(context)
    order = np.argsort(events.name, kind="stable")
    names = events.name[order]
    bounds = np.flatnonzero(np.r_[True, names[1:] != names[:-1], True])
    pieces = []
    for low, high in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        group = events.take(order[low:high])
        builder = _Builder(len(group))
        _common(builder, group, context)
        _pages_and_products(builder, group)
        _messages(builder, group)
        _orders(builder, group, context, pools)
        _service(builder, group)
        _identify(builder, group, pools)
        pieces.append(builder.objects())
    if not pieces:
        return pa.array([], pa.string())
    inverse = np.empty(len(order), dtype=np.int64)
    inverse[order] = np.arange(len(order))
    return pa.concat_arrays(pieces).take(pa.array(inverse))


@lru_cache(maxsize=128)
def _encoded(values: tuple[str, ...]) -> pa.Array:
    """JSON texts of a fixed list of strings (cached: the catalog's lists never change)."""
    return pa.array([json.dumps(v, ensure_ascii=False) for v in values], pa.string())


def _encode(values: Sequence[str]) -> pa.Array:
    return pa.array([json.dumps(v, ensure_ascii=False) for v in values], pa.string())


@dataclass(frozen=True)
class _ChunkPools:
    """The chunk's customer and order values as JSON texts, encoded once per chunk."""

    email: pa.Array
    first_name: pa.Array
    last_name: pa.Array
    city: pa.Array
    traits: dict[str, pa.Array]
    acquisition: pa.Array
    preferred_device: pa.Array
    consent_email: B
    consent_sms: B
    billing: dict[str, pa.Array]
    order_number: pa.Array
    items: pa.Array

    @classmethod
    def of(cls, context: Context) -> _ChunkPools:
        customers, orders = context.customers, context.orders
        cities = [CITIES[c] for c in customers.city]
        names = [f"{f} {s}" for f, s in zip(customers.first_name, customers.last_name, strict=True)]
        return cls(
            email=_encode(customers.email),
            first_name=_encode(customers.first_name),
            last_name=_encode(customers.last_name),
            city=_encode([c[0] for c in cities]),
            traits={
                key: _encode([t.get(key, "") for t in customers.traits])
                for key in ("persona", "loyalty_tier", "work_mode")
            },
            acquisition=_encode(context.acquisition),
            preferred_device=_encode([DEVICES[int(d)] for d in customers.device[:, 0]]),
            consent_email=customers.email_consent,
            consent_sms=customers.sms_consent,
            billing={
                "billing_name": _encode(names),
                "billing_street": _encode(customers.street),
                "billing_city": _encode([c[0] for c in cities]),
                "billing_zip": _encode([c[1] for c in cities]),
                "billing_province": _encode([c[2] for c in cities]),
            },
            order_number=_encode([f"#{context.order_base + i}" for i in range(len(orders))]),
            items=pa.array(_items(orders), pa.string()),
        )


class _Builder:
    """Collects ``,"key":value`` fragments per row and joins them into objects.

    A key may be added several times with disjoint masks (e.g. ``query`` of site and Google
    searches); each row gets at most one fragment per key. Keys whose mask is empty cost nothing.
    """

    def __init__(self, n: int) -> None:
        self.n = n
        self.fragments: list[pa.Array] = []

    def add(self, key: str, values: pa.Array) -> None:
        """A column of JSON value texts, null where the row has no such property."""
        prefix = pa.scalar("," + json.dumps(key) + ":")
        fragment = pc.binary_join_element_wise(prefix, values, "")
        self.fragments.append(pc.fill_null(fragment, ""))

    def pool(self, key: str, texts: pa.Array, codes: npt.NDArray[Any], mask: B) -> None:
        """Values looked up by code in an array of JSON texts, where ``mask`` holds."""
        if mask.any():
            index = pa.array(np.where(mask, codes, 0).astype(np.int64), mask=~mask)
            self.add(key, texts.take(index))

    def text(self, key: str, values: tuple[str, ...], codes: npt.NDArray[Any], mask: B) -> None:
        """A string property from a fixed list of values."""
        self.pool(key, _encoded(values), codes, mask)

    def integer(self, key: str, values: npt.NDArray[Any], mask: B) -> None:
        if mask.any():
            self.add(key, pa.array(values.astype(np.int64), mask=~mask).cast(pa.string()))

    def money(self, key: str, values: npt.NDArray[np.float64], mask: B) -> None:
        """Amounts with exactly two decimals, so every reader sees a float."""
        if not mask.any():
            return
        cents = np.round(np.nan_to_num(values) * 100).astype(np.int64)
        whole = pa.array(cents // 100).cast(pa.string())
        part = pc.utf8_lpad(pa.array(cents % 100).cast(pa.string()), 2, "0")
        text = pc.binary_join_element_wise(whole, part, ".")
        self.add(key, pc.if_else(pa.array(mask), text, pa.nulls(self.n, pa.string())))

    def flag(self, key: str, values: B, mask: B) -> None:
        self.pool(key, _encoded_flags(), values.astype(np.int64), mask)

    def objects(self) -> pa.Array:
        if not self.fragments:
            return pa.array(["{}"] * self.n, pa.string())
        joined = pc.binary_join_element_wise(*self.fragments, "")
        body = pc.utf8_slice_codeunits(joined, 1)
        return pc.binary_join_element_wise(pa.scalar("{"), body, pa.scalar("}"), "")


@lru_cache(maxsize=1)
def _encoded_flags() -> pa.Array:
    return pa.array(["false", "true"], pa.string())


def _is(events: Events, *names: Name) -> B:
    return np.isin(events.name, np.array([int(n) for n in names]))


def _traffic_codes(pool: Pool, attribute: str) -> npt.NDArray[np.int64]:
    """Per traffic code: the code of its source (or medium) in ``pool``, -1 for none."""
    values = [getattr(t, attribute) for t in TRAFFIC]
    return np.array([-1 if v is None else pool.code[v] for v in values] + [-1], dtype=np.int64)


def _common(b: _Builder, ev: Events, ctx: Context) -> None:
    """Session id everywhere; utm parameters and referrer on landing pages; ad campaigns."""
    in_session = (ev.session >= 0) & ~_is(ev, Name.IDENTIFY)
    b.integer("session_id", ctx.session_base + ev.session, in_session)
    landing = _is(ev, Name.PAGE_VIEWED) & (ev.b == LANDING_MARK)
    ads = _is(ev, *_AD_NAMES)
    source = _traffic_codes(catalog.SOURCES, "source")[ev.traffic]
    medium = _traffic_codes(catalog.MEDIUMS, "medium")[ev.traffic]
    tagged = (landing | ads) & (source >= 0)
    b.text("utm_source", catalog.SOURCES.values, source, tagged)
    b.text("utm_medium", catalog.MEDIUMS.values, medium, tagged)
    has_campaign = ev.campaign >= 0
    b.text("utm_campaign", ctx.campaigns.values, ev.campaign, landing & has_campaign)
    messages = _is(ev, *_MESSAGE_NAMES)
    b.text("campaign", ctx.campaigns.values, ev.campaign, has_campaign & (ads | messages))
    referrers = tuple(_REFERRERS.get(s, "") for s in catalog.SOURCES.values)
    from_outside = np.array([r != "" for r in referrers])[np.maximum(source, 0)] & (source >= 0)
    b.text("referrer", referrers, source, landing & from_outside)


def _pages_and_products(b: _Builder, ev: Events) -> None:
    page = _is(ev, Name.PAGE_VIEWED)
    checkout = _is(ev, Name.CHECKOUT_STARTED)
    b.text("path", PATHS.values, ev.a, page)
    b.text("path", ("/kasse/adresse",), np.zeros(len(ev), dtype=np.int64), checkout)
    b.text("screen", _SCREENS, ev.a, page & (ev.channel == CH["app"]))
    product = _is(ev, *_PRODUCT_NAMES)
    b.text("sku", _SKUS, ev.a, product)
    b.text("product", _PRODUCT_NAMES_TEXT, ev.a, product)
    b.text("category", _PRODUCT_CATEGORIES, ev.a, product)
    b.money("price", catalog.PRODUCT_PRICE[np.maximum(ev.a, 0)], product)
    gots = np.array([p.certificate == "gots" for p in PRODUCTS])[np.maximum(ev.a, 0)]
    b.text("certificate", ("gots",), np.zeros(len(ev), dtype=np.int64), product & gots)
    b.integer("quantity", ev.b, _is(ev, Name.PRODUCT_ADDED))
    b.text("query", SITE_QUERIES.values, ev.a, _is(ev, Name.SEARCH_PERFORMED))
    b.text("query", GOOGLE_QUERIES.values, ev.a, _is(ev, Name.SEARCH_RESULT_VIEWED))
    b.integer("position", ev.b, _is(ev, Name.SEARCH_RESULT_VIEWED))
    b.text("video_id", VIDEOS.values, ev.a, _is(ev, Name.VIDEO_PLAYED))
    b.text("payment_method", PAYMENTS.values, ev.a, checkout)
    b.flag("logged_in", (ev.b & CHECKOUT_LOGGED_IN) > 0, checkout)
    b.flag("guest", (ev.b & CHECKOUT_GUEST) > 0, checkout)
    b.text("form", SIGNUP_FORMS.values, ev.a, _is(ev, Name.NEWSLETTER_SUBSCRIBED))


def _messages(b: _Builder, ev: Events) -> None:
    messages = _is(ev, *_MESSAGE_NAMES)
    b.text("template", TEMPLATES.values, ev.a, messages & (ev.a >= 0))
    clicked = _is(ev, Name.EMAIL_CLICKED) & (ev.b >= 0)
    b.text("link_category", LINK_CATEGORIES.values, ev.b, clicked)
    assigned = _is(ev, Name.CAMPAIGN_ASSIGNED)
    b.text("group", ("treatment", "holdout"), (ev.b == HOLDOUT).astype(np.int64), assigned)


def _orders(b: _Builder, ev: Events, ctx: Context, pools: _ChunkPools) -> None:
    orders = ctx.orders
    has_order = ev.order >= 0
    order = np.maximum(ev.order, 0)
    b.pool("order_id", pools.order_number, order, has_order)
    placed = _is(ev, Name.ORDER_COMPLETED) & has_order
    b.flag("first_order", orders.first[order], placed)
    b.text("payment_method", PAYMENTS.values, orders.payment[order], placed)
    b.money("subtotal", orders.subtotal[order], placed)
    b.money("discount", orders.discount[order], placed)
    b.money("shipping", orders.shipping[order], placed)
    total = orders.total
    b.money("tax", np.round(total - total / 1.19, 2)[order], placed)
    b.text("coupon", COUPONS.values, orders.coupon[order], placed & (orders.coupon[order] > 0))
    b.pool("items", pools.items, order, placed)
    replaces = orders.replaces[order]
    replacing = has_order & (replaces >= 0) & _is(ev, Name.ORDER_COMPLETED, Name.PARCEL_DELIVERED)
    b.pool("replaces_order", pools.order_number, np.maximum(replaces, 0), replacing)
    online = placed & (orders.channel[order] != CH["store"])
    for key, texts in pools.billing.items():
        b.pool(key, texts, ev.cust, online)
    b.text(
        "carrier", CARRIERS.values, ev.a, _is(ev, Name.PARCEL_DELIVERED, Name.RETURN_DROPPED_OFF)
    )


def _items(orders: Orders) -> list[str]:
    """The items of every order as JSON arrays (GA4/Segment style: sku, name, price, quantity)."""
    texts: list[list[dict[str, object]]] = [[] for _ in range(len(orders))]
    for order, product, quantity in zip(
        orders.item_order.tolist(),
        orders.item_product.tolist(),
        orders.item_quantity.tolist(),
        strict=True,
    ):
        item = PRODUCTS[product]
        texts[order].append(
            {
                "sku": item.sku,
                "name": item.name,
                "category": item.category,
                "price": item.price,
                "quantity": quantity,
            }
        )
    return [json.dumps(items, ensure_ascii=False, separators=(",", ":")) for items in texts]


def _service(b: _Builder, ev: Events) -> None:
    b.text("topic", SUPPORT_TOPICS.values, ev.a, _is(ev, Name.SUPPORT_CONTACTED))
    survey = _is(ev, Name.CSAT_ANSWERED)
    b.text("survey", SURVEYS.values, ev.a, survey)
    b.integer("score", ev.b, survey | _is(ev, Name.NPS_ANSWERED))
    b.integer("rating", ev.b, _is(ev, Name.REVIEW_SUBMITTED))


def _identify(b: _Builder, ev: Events, pools: _ChunkPools) -> None:
    """Profile traits on identify events (what segment rules and flows read)."""
    rows = _is(ev, Name.IDENTIFY)
    if not rows.any():
        return
    cust = ev.cust
    b.pool("email", pools.email, cust, rows)
    b.pool("first_name", pools.first_name, cust, rows)
    b.pool("last_name", pools.last_name, cust, rows)
    b.pool("city", pools.city, cust, rows)
    for key, texts in pools.traits.items():
        b.pool(key, texts, cust, rows)
    b.pool("preferred_device", pools.preferred_device, cust, rows)
    b.pool("acquisition_source", pools.acquisition, cust, rows)
    b.flag("consent_email", pools.consent_email[cust], rows)
    b.flag("consent_sms", pools.consent_sms[cust], rows)
