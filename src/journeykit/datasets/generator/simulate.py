"""One chunk of customers from draw to finished events, in the order causality needs.

1. customers and their organic sessions; walk the sessions (pages, carts, checkouts);
2. what the shop knows after that decides its messages; their clicks add sessions, walked too;
3. identity over all sessions; orders (online and in-store), coupons, shipping costs;
4. after-sales, ad impressions; user ids, unique timestamps, the period's bounds.

Each chunk has its own random stream (seed, chunk index), so chunks are independent and the
output is the same however the run is consumed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from journeykit.datasets.generator import navigation
from journeykit.datasets.generator.ads import ad_impressions
from journeykit.datasets.generator.aftersales import after_sales
from journeykit.datasets.generator.arrow import event_ids, to_batch
from journeykit.datasets.generator.catalog import PATHS, TRAFFIC, Name
from journeykit.datasets.generator.customers import Customers, draw_customers
from journeykit.datasets.generator.frame import Events, strictly_increasing
from journeykit.datasets.generator.identity import Identity, apply, identify_events, resolve
from journeykit.datasets.generator.messaging import messages, place
from journeykit.datasets.generator.orders import Orders, online_orders, settle, store_orders
from journeykit.datasets.generator.pages import LANDING_MARK, session_events
from journeykit.datasets.generator.properties import Context
from journeykit.datasets.generator.sessions import Sessions, organic_sessions, resolve_clashes
from journeykit.datasets.generator.world import World


@dataclass
class Chunk:
    """A simulated chunk: its events (sorted by customer, then time) and what they refer to."""

    index: int
    customers: Customers
    sessions: Sessions
    events: Events
    orders: Orders
    identity: Identity
    batch: pa.RecordBatch


def simulate_chunk(
    world: World, index: int, offset: int, count: int, session_base: int, order_base: int
) -> Chunk:
    """Customers ``offset`` … ``offset + count - 1`` as chunk number ``index``."""
    config = world.config
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, index]))
    customers = draw_customers(rng, world, offset, count)
    cdf = navigation.transition_cdf(config.effects)
    complete = navigation.completion(config.effects)

    first = organic_sessions(rng, world, customers)
    first = first.take(np.flatnonzero(resolve_clashes(first)))
    first_walk = _walk(rng, cdf, complete, customers, first)
    first_events = session_events(rng, world, customers, first, first_walk, 0)
    period_start = world.calendar.first_second
    known = resolve(customers, first, first_events, period_start)
    sent = messages(rng, world, customers, known, first, first_events, first_walk)

    second = place(first, sent.sessions)
    both = Sessions.concat([first, second])
    kept = resolve_clashes(both)[len(first) :]
    second = second.take(np.flatnonzero(kept))
    second_walk = _walk(rng, cdf, complete, customers, second)
    second_events = session_events(rng, world, customers, second, second_walk, len(first))
    sessions = Sessions.concat([first, second])
    events = Events.concat([first_events, second_events])

    identity = resolve(customers, sessions, events, period_start)
    orders, events = online_orders(rng, world, customers, events)
    shop_orders, shop_events = store_orders(rng, world, customers)
    shop_events.order[:] = np.arange(len(orders), len(orders) + len(shop_orders))
    orders = orders.append(shop_orders)
    settle(rng, world, customers, orders)
    events = Events.concat([events, shop_events])
    placed = events.name == Name.ORDER_COMPLETED
    events.revenue[placed] = orders.total[events.order[placed]]
    service, orders = after_sales(rng, world, customers, orders)
    events = Events.concat(
        [
            events,
            identify_events(customers, sessions, identity, 0),
            sent.events,
            service,
            ad_impressions(rng, world, customers, sessions),
        ]
    )
    apply(rng, customers, identity, events)
    events = _finish(world, events)
    context = Context(
        customers=customers,
        orders=orders,
        campaigns=world.campaigns,
        session_base=session_base,
        order_base=order_base,
        acquisition=_acquisition(customers, first, first_events),
    )
    ids = event_ids(
        np.random.default_rng(np.random.SeedSequence([config.seed, index, 1])), len(events)
    )
    batch = to_batch(events, context, identity, ids, config.currency)
    return Chunk(index, customers, sessions, events, orders, identity, batch)


def _walk(
    rng: np.random.Generator,
    cdf: npt.NDArray[np.float64],
    complete: npt.NDArray[np.float64],
    customers: Customers,
    sessions: Sessions,
) -> navigation.Walk:
    device = customers.device[sessions.cust, sessions.slot]
    return navigation.walk(
        rng,
        cdf,
        complete,
        customers.persona[sessions.cust],
        sessions.intent,
        device,
        sessions.entry,
    )


def _finish(world: World, events: Events) -> Events:
    """Sort by customer and time, make each customer's timestamps unique, keep the period."""
    first, last = world.calendar.first_second, world.calendar.last_second
    events = events.take(np.flatnonzero((events.ts >= first) & (events.ts <= last)))
    order = np.lexsort((np.arange(len(events)), events.ts, events.cust))
    events = events.take(order)
    events.ts = strictly_increasing(events.cust, events.ts)
    return events.take(np.flatnonzero(events.ts <= last))


def _acquisition(customers: Customers, sessions: Sessions, events: Events) -> list[str]:
    """Where each customer first came from: the first session's source, or "magazin" when an
    organic search landed on a magazine article."""
    source = ["direct"] * len(customers)
    order = np.lexsort((sessions.start, sessions.cust))
    landing = (events.name == Name.PAGE_VIEWED) & (events.b == LANDING_MARK)
    path_of_session = dict(
        zip(events.session[landing].tolist(), events.a[landing].tolist(), strict=True)
    )
    seen: set[int] = set()
    for row in order.tolist():
        cust = int(sessions.cust[row])
        if cust in seen:
            continue
        seen.add(cust)
        traffic = TRAFFIC[int(sessions.traffic[row])]
        path = PATHS[path_of_session.get(row, 0)]
        source[cust] = "magazin" if path.startswith("/magazin/") else (traffic.source or "direct")
    return source
