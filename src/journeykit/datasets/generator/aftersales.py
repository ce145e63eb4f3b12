"""After the order: confirmation and shipping mails, delivery, surveys, reviews, returns, refunds,
exchanges and support contacts — the experience, retention and advocacy stages of the journey.

Everything is drawn per order with vectorised masks; times follow the local working day (parcels
arrive 9–18 h, survey mails go out in the morning). Exchanges create replacement orders that
carry ``replaces_order``, as in the returns service blueprint of the demo maps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.catalog import (
    CARRIERS,
    CATEGORIES,
    CH,
    PRODUCT_CATEGORY,
    PRODUCT_PRICE,
    PRODUCTS,
    SUPPORT_TOPICS,
    SURVEYS,
    TEMPLATES,
    Name,
)
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import USER_ALWAYS, Events
from journeykit.datasets.generator.orders import Orders
from journeykit.datasets.generator.personas import column
from journeykit.datasets.generator.world import World

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

LATE = np.int64(2**62)  # a time after the period: such events are dropped at the end
HOUR = 3_600
DAY = 86_400


class _Collector:
    """Accumulates event columns for one order-level stream; every event refers to an order."""

    def __init__(self, orders: Orders) -> None:
        self.orders = orders
        self.parts: list[Events] = []

    def add(
        self, index: I64, ts: I64, name: Name, channel: str | npt.NDArray[Any], **codes: Any
    ) -> None:
        """Events of one name for the orders ``index`` (channel: a name or a code per row)."""
        if len(index) == 0:
            return
        self.parts.append(
            Events.make(
                len(index),
                cust=self.orders.cust[index],
                ts=ts,
                name=name,
                channel=CH[channel] if isinstance(channel, str) else channel,
                user=USER_ALWAYS,
                order=index,
                **codes,
            )
        )

    def email(
        self, rng: np.random.Generator, index: I64, ts: I64, template: str, opened: float | F64
    ) -> tuple[I64, I64]:
        """A sent mail and its opens; returns the opened orders and their open times."""
        code = TEMPLATES.code[template]
        self.add(index, ts, Name.EMAIL_SENT, "email", a=code)
        chance = np.broadcast_to(np.asarray(opened, dtype=np.float64), index.shape)
        opens = rng.random(len(index)) < chance
        open_ts = ts[opens] + _delay(rng, int(opens.sum()), 40 * 60, 2 * DAY)
        self.add(index[opens], open_ts, Name.EMAIL_OPENED, "email", a=code)
        return index[opens], open_ts


def after_sales(
    rng: np.random.Generator, world: World, customers: Customers, orders: Orders
) -> tuple[Events, Orders]:
    """Events after every online order, and the replacement orders of exchanges."""
    out = _Collector(orders)
    online = np.flatnonzero((orders.channel != CH["store"]) & (orders.replaces < 0))
    persona = customers.persona[orders.cust]
    confirm_ts = orders.ts[online] + 40
    out.email(rng, online, confirm_ts, "bestellbestaetigung", 0.6)
    day = world.calendar.local_day(orders.ts[online])
    shipped = _local(world, day + 1, rng, 10, 16)
    out.email(rng, online, shipped, "versandbestaetigung", 0.7)
    delivered = _deliver(rng, world, out, online, day + 1 + rng.integers(1, 4, len(online)))
    _sms(rng, world, customers, out, online, delivered)
    _csat(rng, world, out, online, delivered, persona[online])
    _review(rng, world, out, orders, online, delivered, persona[online])
    returned, request_ts = _returns(rng, out, orders, online, delivered, persona)
    replacements = _exchanges(rng, customers, orders, returned, request_ts)
    _nps(rng, world, customers, out, orders, online, returned)
    all_orders = orders.append(replacements)
    out.orders = all_orders
    first_new = len(orders)
    new = np.arange(first_new, len(all_orders), dtype=np.int64)
    new_day = world.calendar.local_day(np.minimum(all_orders.ts[new], world.calendar.last_second))
    out.add(
        new,
        all_orders.ts[new],
        Name.ORDER_COMPLETED,
        all_orders.channel[new],
        device=all_orders.device[new],
        slot=all_orders.slot[new],
        revenue=all_orders.total[new],
    )
    _deliver(rng, world, out, new, new_day + rng.integers(2, 4, len(new)))
    return Events.concat(out.parts) if out.parts else Events.make(0), all_orders


def _local(
    world: World, day: I64, rng: np.random.Generator, first_hour: int, last_hour: int
) -> I64:
    """UTC time on a local day between two hours; days after the period become LATE."""
    inside = day < world.calendar.days
    second = rng.integers(first_hour * HOUR, last_hour * HOUR, len(day))
    ts = np.full(len(day), LATE, dtype=np.int64)
    ts[inside] = world.calendar.to_utc(day[inside], second[inside])
    return ts


def _delay(rng: np.random.Generator, n: int, median: float, cap: float) -> I64:
    return np.clip(rng.lognormal(np.log(median), 0.9, n), 60, cap).astype(np.int64)


def _deliver(rng: np.random.Generator, world: World, out: _Collector, index: I64, day: I64) -> I64:
    delivered = _local(world, day, rng, 9, 18)
    carrier = rng.choice(len(CARRIERS), len(index), p=[0.6, 0.25, 0.15]).astype(np.int32)
    out.add(index, delivered, Name.PARCEL_DELIVERED, "delivery", a=carrier)
    return delivered


def _sms(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    out: _Collector,
    index: I64,
    delivered: I64,
) -> None:
    """Delivery announcement by SMS on the morning of delivery, for customers who opted in."""
    consent = customers.sms_consent[out.orders.cust[index]]
    delivery_day = world.calendar.local_day(np.minimum(delivered, world.calendar.last_second))
    ts = _local(world, delivery_day, rng, 7, 8)
    keep = consent & (delivered < LATE) & (ts < delivered)
    out.add(
        index[keep], ts[keep], Name.SMS_DELIVERED, "sms", a=TEMPLATES.code["zustellankuendigung"]
    )


def _csat(
    rng: np.random.Generator,
    world: World,
    out: _Collector,
    index: I64,
    delivered: I64,
    persona: npt.NDArray[np.int64],
) -> None:
    """A one-question satisfaction survey the day after delivery (CSAT 1–5)."""
    day = world.calendar.local_day(np.minimum(delivered, world.calendar.last_second)) + 1
    sent = np.where(delivered < LATE, _local(world, day, rng, 10, 11), LATE)
    opened, open_ts = out.email(rng, index, sent, "csat-lieferung", 0.45)
    answers = rng.random(len(opened)) < 0.45
    mean = column("csat_mean")[persona[np.searchsorted(index, opened)]][answers]
    score = np.clip(np.round(rng.normal(mean, 0.9)), 1, 5).astype(np.int32)
    out.add(
        opened[answers],
        open_ts[answers] + rng.integers(30, 600, int(answers.sum())),
        Name.CSAT_ANSWERED,
        "email",
        a=SURVEYS.code["lieferung"],
        b=score,
    )


def _review(
    rng: np.random.Generator,
    world: World,
    out: _Collector,
    orders: Orders,
    index: I64,
    delivered: I64,
    persona: npt.NDArray[np.int64],
) -> None:
    """Review request ten days after delivery; clicks may end in a product review."""
    day = world.calendar.local_day(np.minimum(delivered, world.calendar.last_second)) + 10
    sent = np.where(delivered < LATE, _local(world, day, rng, 18, 19), LATE)
    opened, open_ts = out.email(rng, index, sent, "bewertungsanfrage", 0.45)
    clicks = rng.random(len(opened)) < 0.3
    click_ts = open_ts[clicks] + rng.integers(5, 120, int(clicks.sum()))
    clicked = opened[clicks]
    out.add(clicked, click_ts, Name.EMAIL_CLICKED, "email", a=TEMPLATES.code["bewertungsanfrage"])
    writes = rng.random(len(clicked)) < column("review")[persona[np.searchsorted(index, clicked)]]
    first_item = np.searchsorted(orders.item_order, clicked[writes])
    product = orders.item_product[first_item]
    mean = column("csat_mean")[persona[np.searchsorted(index, clicked[writes])]] + 0.2
    rating = np.clip(np.round(rng.normal(mean, 0.9)), 1, 5).astype(np.int32)
    out.add(
        clicked[writes],
        click_ts[writes] + rng.integers(240, 900, int(writes.sum())),
        Name.REVIEW_SUBMITTED,
        "review",
        a=product,
        b=rating,
    )


def _returns(
    rng: np.random.Generator,
    out: _Collector,
    orders: Orders,
    index: I64,
    delivered: I64,
    persona: npt.NDArray[np.int64],
) -> tuple[I64, I64]:
    """Returns with label, drop-off, receipt, refund and a returns survey; support contacts
    before some of them. Curtains come back most (the wrong length)."""
    curtains = np.zeros(len(orders), dtype=bool)
    is_curtain = PRODUCT_CATEGORY[orders.item_product] == CATEGORIES.code["vorhaenge"]
    curtains[orders.item_order[is_curtain]] = True
    chance = column("return_rate")[persona[index]] * np.where(curtains[index], 1.8, 1.0)
    returns = (rng.random(len(index)) < chance) & (delivered < LATE)
    ret = index[returns]
    request = delivered[returns] + rng.integers(1 * DAY, 10 * DAY, len(ret))
    asks = rng.random(len(ret)) < column("support")[persona[ret]]
    contact = request[asks] - rng.integers(2 * HOUR, 2 * DAY, int(asks.sum()))
    via = rng.choice(
        np.array([CH["chat"], CH["phone"], CH["social"]]), int(asks.sum()), p=[0.6, 0.3, 0.1]
    )
    topic = rng.choice(SUPPORT_TOPICS.codes("umtausch", "groesse"), int(asks.sum()))
    out.add(ret[asks], contact, Name.SUPPORT_CONTACTED, via, a=topic)
    out.add(
        ret,
        request,
        Name.RETURN_REQUESTED,
        orders.channel[ret],
        device=orders.device[ret],
        slot=orders.slot[ret],
    )
    out.email(rng, ret, request + 60, "ruecksendeetikett", 0.9)
    dropped = request + rng.integers(1 * DAY, 3 * DAY, len(ret))
    carrier = rng.choice(len(CARRIERS), len(ret)).astype(np.int32)
    out.add(ret, dropped, Name.RETURN_DROPPED_OFF, "delivery", a=carrier)
    received = dropped + rng.integers(2 * DAY, 4 * DAY, len(ret))
    out.email(rng, ret, received, "retoure-eingegangen", 0.6)
    refund_ts = received + 2 * HOUR
    refund = np.round(orders.subtotal[ret] - orders.discount[ret], 2)
    # refunds carry negative revenue, as every reader writes them (GA4, Segment, Shopify)
    out.add(ret, refund_ts, Name.ORDER_REFUNDED, "web", revenue=-refund)
    out.email(rng, ret, refund_ts + 300, "erstattung", 0.6)
    answers = rng.random(len(ret)) < 0.25
    mean = column("csat_mean")[persona[ret[answers]]] - 0.8
    score = np.clip(np.round(rng.normal(mean, 1.0)), 1, 5).astype(np.int32)
    out.add(
        ret[answers],
        refund_ts[answers] + DAY,
        Name.CSAT_ANSWERED,
        "email",
        a=SURVEYS.code["retoure"],
        b=score,
    )
    return ret, request


def _exchanges(
    rng: np.random.Generator, customers: Customers, orders: Orders, returned: I64, request: I64
) -> Orders:
    """Some returns are exchanges: a replacement order for the next size, free of shipping."""
    persona = customers.persona[orders.cust[returned]]
    swap = rng.random(len(returned)) < column("exchange_share")[persona]
    original = returned[swap]
    first_item = np.searchsorted(orders.item_order, original)
    product = orders.item_product[first_item]
    sku_next = np.minimum(product + 1, len(PRODUCTS) - 1)
    same_category = PRODUCT_CATEGORY[sku_next] == PRODUCT_CATEGORY[product]
    product = np.where(same_category, sku_next, product).astype(np.int32)
    n = len(original)
    return Orders(
        cust=orders.cust[original],
        ts=request[swap] + 300,
        session=np.full(n, -1, dtype=np.int32),
        channel=orders.channel[original],
        device=orders.device[original],
        slot=orders.slot[original],
        payment=orders.payment[original],
        coupon=np.zeros(n, dtype=np.int32),
        subtotal=PRODUCT_PRICE[product],
        discount=np.zeros(n),
        shipping=np.zeros(n),
        first=np.zeros(n, dtype=bool),
        replaces=original.astype(np.int32),
        item_order=np.arange(n, dtype=np.int32),
        item_product=product,
        item_quantity=np.ones(n, dtype=np.int32),
    )


def _nps(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    out: _Collector,
    orders: Orders,
    online: I64,
    returned: I64,
) -> None:
    """An NPS survey 30 days after a customer's first online order in the period; promoters
    sometimes send a referral link."""
    order = online[np.lexsort((orders.ts[online], orders.cust[online]))]
    first = order[np.r_[True, orders.cust[order][1:] != orders.cust[order][:-1]]]
    day = world.calendar.local_day(orders.ts[first]) + 30
    sent = _local(world, day, rng, 10, 11)
    opened, open_ts = out.email(rng, first, sent, "nps-umfrage", 0.5)
    answers = rng.random(len(opened)) < 0.5
    who = opened[answers]
    cust = orders.cust[who]
    mean = column("nps_mean")[customers.persona[cust]] - 1.5 * np.isin(who, returned)
    score = np.clip(np.round(rng.normal(mean, 1.8)), 0, 10).astype(np.int32)
    in_app = customers.app[cust, 0] & (rng.random(len(who)) < 0.5)
    answered = open_ts[answers] + rng.integers(30, 900, len(who))
    out.add(who, answered, Name.NPS_ANSWERED, np.where(in_app, CH["app"], CH["email"]), b=score)
    # promoters share a referral link from the device they ordered on (already identified)
    refers = who[(score >= 9) & (rng.random(len(who)) < 0.3)]
    out.add(
        refers,
        answered[np.isin(who, refers)] + rng.integers(300, 3600, len(refers)),
        Name.REFERRAL_SENT,
        orders.channel[refers],
        device=orders.device[refers],
        slot=orders.slot[refers],
    )
