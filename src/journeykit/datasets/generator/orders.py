"""Orders: what was in the cart, coupons, shipping costs, payment and revenue in EUR.

An online order is the ``order_completed`` of a session that passed the checkout; its items are
the products added to the cart in that session. Some loyal customers also buy in the shop's store
in Cologne (the CRM export records those). Exchanges create replacement orders later
(``aftersales.py``), which is why the table can grow.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator import catalog
from journeykit.datasets.generator.catalog import CH, COUPONS, PAYMENTS, PRODUCT_PRICE, Name
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import USER_ALWAYS, Events
from journeykit.datasets.generator.personas import column
from journeykit.datasets.generator.world import World, draw

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]


@dataclass
class Orders:
    """The orders of a chunk; items are a flat list with ``item_order`` pointing back."""

    cust: I32
    ts: I64
    session: I32  # -1 for store orders and replacements
    channel: I8
    device: I8
    slot: I8
    payment: I32
    coupon: I32  # code in catalog.COUPONS (0: none)
    subtotal: F64
    discount: F64
    shipping: F64
    first: B  # the customer's first order ever
    replaces: I32  # index of the order it replaces (exchange), -1 none
    item_order: I32
    item_product: I32
    item_quantity: I32

    def __len__(self) -> int:
        return len(self.ts)

    @property
    def total(self) -> F64:
        return np.round(self.subtotal - self.discount + self.shipping, 2)

    def append(self, other: Orders) -> Orders:
        """This table followed by ``other`` (whose item indices are re-pointed)."""
        merged: dict[str, Any] = {}
        for spec in fields(self):
            mine, theirs = getattr(self, spec.name), getattr(other, spec.name)
            if spec.name == "item_order":
                theirs = theirs + len(self)
            merged[spec.name] = np.concatenate([mine, theirs])
        return Orders(**merged)


def online_orders(
    rng: np.random.Generator, world: World, customers: Customers, events: Events
) -> tuple[Orders, Events]:
    """One order per ``order_completed`` of the sessions; returns the orders and the events with
    ``order`` filled in."""
    placed = np.flatnonzero(events.name == Name.ORDER_COMPLETED)
    session = events.session[placed]
    added = np.flatnonzero(events.name == Name.PRODUCT_ADDED)
    # items: the distinct products added in the ordering session (largest quantity wins)
    order_of_session = {int(s): i for i, s in enumerate(session)}
    lookup = np.array([order_of_session.get(int(s), -1) for s in events.session[added]])
    in_order = lookup >= 0
    item_order = lookup[in_order].astype(np.int32)
    item_product = events.a[added][in_order]
    item_quantity = np.maximum(events.b[added][in_order], 1)
    pairs = np.unique(np.stack([item_order, item_product]), axis=1, return_index=True)[1]
    item_order, item_product = item_order[pairs], item_product[pairs]
    item_quantity = item_quantity[pairs]
    # a checkout straight from a landing page: the product in hand
    empty = np.setdiff1d(np.arange(len(placed)), item_order)
    persona = customers.persona[events.cust[placed[empty]]]
    item_order = np.r_[item_order, empty].astype(np.int32)
    item_product = np.r_[item_product, draw(rng, world.product_cdf, persona)].astype(np.int32)
    item_quantity = np.r_[item_quantity, np.ones(len(empty))].astype(np.int32)
    checkout = _checkout_payment(events, session)
    orders = _priced(
        item_order,
        item_product,
        item_quantity,
        cust=events.cust[placed],
        ts=events.ts[placed],
        session=session,
        channel=events.channel[placed],
        device=events.device[placed],
        slot=events.slot[placed],
        payment=checkout,
    )
    events.order[placed] = np.arange(len(placed), dtype=np.int32)
    return orders, events


def _checkout_payment(events: Events, session: I32) -> I32:
    """The payment method chosen at the session's checkout."""
    started = np.flatnonzero(events.name == Name.CHECKOUT_STARTED)
    method = dict(zip(events.session[started].tolist(), events.a[started].tolist(), strict=True))
    return np.array([method.get(int(s), PAYMENTS.code["paypal"]) for s in session], dtype=np.int32)


def _priced(item_order: I32, item_product: I32, item_quantity: I32, **order: Any) -> Orders:
    sort = np.lexsort((item_product, item_order))
    item_order, item_product, item_quantity = (
        item_order[sort],
        item_product[sort],
        item_quantity[sort],
    )
    n = len(order["ts"])
    subtotal = np.zeros(n)
    np.add.at(subtotal, item_order, PRODUCT_PRICE[item_product] * item_quantity)
    return Orders(
        cust=np.asarray(order["cust"], dtype=np.int32),
        ts=np.asarray(order["ts"], dtype=np.int64),
        session=np.asarray(order["session"], dtype=np.int32),
        channel=np.asarray(order["channel"], dtype=np.int8),
        device=np.asarray(order["device"], dtype=np.int8),
        slot=np.asarray(order["slot"], dtype=np.int8),
        payment=np.asarray(order["payment"], dtype=np.int32),
        coupon=np.zeros(n, dtype=np.int32),
        subtotal=np.round(subtotal, 2),
        discount=np.zeros(n),
        shipping=np.zeros(n),
        first=np.zeros(n, dtype=bool),
        replaces=np.full(n, -1, dtype=np.int32),
        item_order=item_order,
        item_product=item_product,
        item_quantity=item_quantity,
    )


def store_orders(
    rng: np.random.Generator, world: World, customers: Customers
) -> tuple[Orders, Events]:
    """Purchases in the Cologne store (Mon–Sat, 10–19 h), paid by debit card."""
    rate = column("store_orders_per_year")[customers.persona] / 365.0
    active = customers.last_day - customers.first_day + 1
    count = rng.poisson(rate * active)
    cust = np.repeat(np.arange(len(customers), dtype=np.int32), count)
    day = world.calendar.sample_days(rng, customers.first_day[cust], customers.last_day[cust])
    sunday = (world.calendar.day_epoch[day] // 86_400 + 3) % 7 == 6
    day = np.maximum(day - sunday, 0)
    second = rng.integers(10 * 3600, 19 * 3600, len(cust))
    ts = world.calendar.to_utc(day, second)
    lines = 1 + (rng.random(len(cust)) < 0.35)
    item_order = np.repeat(np.arange(len(cust), dtype=np.int32), lines)
    item_product = draw(rng, world.product_cdf, customers.persona[cust][item_order])
    orders = _priced(
        item_order,
        item_product,
        np.ones(len(item_order), dtype=np.int32),
        cust=cust,
        ts=ts,
        session=np.full(len(cust), -1),
        channel=np.full(len(cust), CH["store"]),
        device=np.full(len(cust), -1),
        slot=np.full(len(cust), -1),
        payment=np.full(len(cust), PAYMENTS.code["ec_card"]),
    )
    events = Events.make(
        len(cust),
        cust=cust,
        ts=ts,
        name=Name.ORDER_COMPLETED,
        channel=CH["store"],
        user=USER_ALWAYS,
    )
    return orders, events


def settle(rng: np.random.Generator, world: World, customers: Customers, orders: Orders) -> None:
    """First-order flags, coupons, discounts and shipping costs, in place (needs all orders)."""
    order = np.lexsort((orders.ts, orders.cust))
    first_of_customer = np.r_[True, orders.cust[order][1:] != orders.cust[order][:-1]]
    first = np.zeros(len(orders), dtype=bool)
    first[order[first_of_customer]] = True
    orders.first[:] = first & ~customers.existing[orders.cust] & (orders.replaces < 0)
    online = orders.channel != CH["store"]
    uses = online & (orders.replaces < 0)
    uses &= rng.random(len(orders)) < column("coupon")[customers.persona[orders.cust]]
    orders.coupon[:] = np.where(uses, _coupon_code(world, customers, orders), 0)
    percent = np.array([0, 10, 15, 20, 10])[orders.coupon] / 100.0
    orders.discount[:] = np.round(orders.subtotal * percent, 2)
    below = orders.subtotal - orders.discount < catalog.FREE_SHIPPING_FROM
    orders.shipping[:] = np.where(online & below & (orders.replaces < 0), catalog.SHIPPING_FEE, 0)


def _coupon_code(world: World, customers: Customers, orders: Orders) -> I32:
    """Welcome coupon on first orders, loyalty coupon for gold customers, Black Week for all."""
    black_week = world.black_week[world.calendar.local_day(orders.ts)]
    gold = np.array([t.get("loyalty_tier") == "gold" for t in customers.traits])[orders.cust]
    code = np.where(orders.first, COUPONS.code["WILLKOMMEN10"], COUPONS.code["SALE15"])
    code = np.where(gold & ~orders.first, COUPONS.code["TREUE10"], code)
    return np.where(black_week, COUPONS.code["BLACKWEEK20"], code).astype(np.int32)
