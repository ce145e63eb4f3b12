"""Turning walked sessions into events: the arrival (ad click, search hit, email click), then one
to three events per step (a page view, a product view, an add to cart with the cart page, …).

Which page, product, query or video an event shows is drawn here from the persona's preferences;
the order and its items are attached later (``orders.py``), the user id by ``identity.py``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator import catalog
from journeykit.datasets.generator.catalog import CH, DESKTOP, MOBILE, PATHS, TRAFFIC, Name
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import USER_ALWAYS, USER_BY_LOGIN, USER_NEVER, Events
from journeykit.datasets.generator.navigation import (
    CART,
    CATEGORY,
    CHECKOUT,
    CONTENT,
    LANDING,
    ORDER,
    PRODUCT,
    SEARCH,
    SHIPPING,
    WISHLIST,
    Walk,
)
from journeykit.datasets.generator.personas import PERSONA_IDS, PERSONAS
from journeykit.datasets.generator.sessions import Sessions
from journeykit.datasets.generator.world import World, draw

I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

LANDING_MARK = 1  # ``b`` of a landing page view: it carries referrer and utm parameters

# Per state: up to three events (name, fixed path or None, probability, seconds after the step).
_TEMPLATES: dict[int, list[tuple[Name, str | None, float, int]]] = {
    LANDING: [(Name.PAGE_VIEWED, None, 1.0, 0)],
    CATEGORY: [(Name.PAGE_VIEWED, None, 1.0, 0)],
    PRODUCT: [(Name.PRODUCT_VIEWED, None, 1.0, 0), (Name.VIDEO_PLAYED, None, 0.08, 4)],
    CONTENT: [(Name.PAGE_VIEWED, None, 1.0, 0), (Name.VIDEO_PLAYED, None, 0.1, 5)],
    SEARCH: [(Name.SEARCH_PERFORMED, None, 1.0, 0)],
    CART: [(Name.PRODUCT_ADDED, None, 1.0, 0), (Name.PAGE_VIEWED, "/warenkorb", 1.0, 3)],
    SHIPPING: [(Name.PAGE_VIEWED, "/versandkosten", 1.0, 0)],
    CHECKOUT: [
        (Name.CHECKOUT_STARTED, None, 1.0, 2),
        (Name.PAGE_VIEWED, "/kasse/zahlung", 1.0, 40),
    ],
    WISHLIST: [(Name.WISHLIST_ADDED, None, 1.0, 0)],
    ORDER: [
        (Name.ORDER_COMPLETED, None, 1.0, 0),
        (Name.PAGE_VIEWED, "/kasse/bestaetigung", 1.0, 2),
    ],
}


def session_events(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    sessions: Sessions,
    walked: Walk,
    session_offset: int,
) -> Events:
    """All events of the walked sessions (session numbers start at ``session_offset``)."""
    step_codes = _step_codes(rng, world, customers, sessions, walked)
    parts = [_arrivals(rng, customers, sessions)]
    for position in range(3):
        parts.append(_template_events(rng, customers, sessions, walked, step_codes, position))
    events = Events.concat(parts)
    events.session[events.session >= 0] += session_offset
    return events


def _step_codes(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    sessions: Sessions,
    walked: Walk,
) -> dict[str, I32]:
    """Per step: the page path, the product and the other code an event of the step shows."""
    session = walked.session.astype(np.int64)
    state = walked.state
    persona = customers.persona[sessions.cust[session]]
    n = len(session)
    path = np.full(n, -1, dtype=np.int32)
    path[state == LANDING] = _landing_paths(rng, customers, sessions, session[state == LANDING])
    path[state == CATEGORY] = catalog.CATEGORY_PAGES[
        draw(rng, world.category_page_cdf, persona[state == CATEGORY])
    ]
    path[state == CONTENT] = catalog.CONTENT_PAGES[
        draw(rng, world.content_cdf, persona[state == CONTENT])
    ]
    viewed = np.where(state == PRODUCT, draw(rng, world.product_cdf, persona), -1)
    product = _carried_product(rng, world, session, viewed, sessions.product[session], persona)
    other = np.full(n, -1, dtype=np.int32)
    other[state == SEARCH] = draw(rng, world.site_query_cdf, persona[state == SEARCH])
    at_checkout = session[state == CHECKOUT]
    device = customers.device[sessions.cust[at_checkout], sessions.slot[at_checkout]]
    other[state == CHECKOUT] = _payment(rng, persona[state == CHECKOUT], device)
    other[state == CART] = np.where(rng.random(int((state == CART).sum())) < 0.15, 2, 1)
    video = rng.integers(0, len(catalog.VIDEOS), n).astype(np.int32)
    return {"path": path, "product": product, "other": other, "video": video}


def _carried_product(
    rng: np.random.Generator,
    world: World,
    session: I64,
    viewed: I32,
    initial: I32,
    persona: I64,
) -> I32:
    """The product in hand at each step: the last one viewed in the session, else the session's
    starting product (a reminder's cart), else one drawn from the persona's taste."""
    n = len(session)
    index = np.arange(n)
    first = np.r_[True, session[1:] != session[:-1]]
    session_start = np.maximum.accumulate(np.where(first, index, 0))
    last_view = np.maximum.accumulate(np.where(viewed >= 0, index, -1))
    has_view = last_view >= session_start
    fallback = np.where(initial >= 0, initial, draw(rng, world.product_cdf, persona))
    product = np.where(has_view, viewed[np.maximum(last_view, 0)], fallback)
    return product.astype(np.int32)


def _landing_paths(
    rng: np.random.Generator, customers: Customers, sessions: Sessions, session: I64
) -> I32:
    traffic = sessions.traffic[session]
    options = [PATHS.codes(*t.landing) for t in TRAFFIC]
    pick = rng.random(len(session))
    paths = np.empty(len(session), dtype=np.int32)
    for code, choices in enumerate(options):
        rows = traffic == code
        paths[rows] = choices[(pick[rows] * len(choices)).astype(np.int64)]
    app = customers.app[sessions.cust[session], sessions.slot[session]]
    paths[app & (traffic == catalog.TRAFFIC_CODE["direct"])] = PATHS.code["/"]
    return paths


def _payment(rng: np.random.Generator, persona: I64, device: npt.NDArray[np.int8]) -> I32:
    """The payment method chosen at checkout; on phones, half of PayPal users take the express
    button and Apple Pay exists only on handhelds."""
    methods = catalog.PAYMENTS
    table = np.array(
        [[PERSONAS[pid].payment.get(m, 0.0) for m in methods.values] for pid in PERSONA_IDS]
    )
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    picked = (rng.random(len(persona))[:, None] > cdf[persona]).sum(axis=1)
    picked = np.minimum(picked, len(methods) - 1)
    express = (
        (device == MOBILE) & (picked == methods.code["paypal"]) & (rng.random(len(picked)) < 0.5)
    )
    picked = np.where(express, methods.code["paypal_express"], picked)
    no_wallet = (device == DESKTOP) & (picked == methods.code["apple_pay"])
    return np.where(no_wallet, methods.code["credit_card"], picked).astype(np.int32)


def _template_events(
    rng: np.random.Generator,
    customers: Customers,
    sessions: Sessions,
    walked: Walk,
    codes: dict[str, I32],
    position: int,
) -> Events:
    name = np.full(len(walked.state), -1, dtype=np.int16)
    fixed_path = np.full(len(walked.state), -1, dtype=np.int32)
    probability = np.zeros(len(walked.state))
    lag = np.zeros(len(walked.state), dtype=np.int64)
    for state, template in _TEMPLATES.items():
        if position < len(template):
            event, path, chance, seconds = template[position]
            rows = walked.state == state
            name[rows] = event
            fixed_path[rows] = PATHS.code[path] if path else -1
            probability[rows] = chance
            lag[rows] = seconds
    chosen = (name >= 0) & (rng.random(len(name)) < probability)
    steps = np.flatnonzero(chosen)
    session = walked.session[steps].astype(np.int64)
    cust = sessions.cust[session]
    slot = sessions.slot[session]
    app = customers.app[cust, slot]
    event_name = name[steps]
    a, b = _event_codes(event_name, walked.state[steps], fixed_path[steps], codes, steps)
    return Events.make(
        len(steps),
        cust=cust,
        ts=sessions.start[session] + walked.offset[steps] + lag[steps],
        name=event_name,
        channel=np.where(app, CH["app"], CH["web"]),
        device=customers.device[cust, slot],
        slot=slot,
        user=USER_BY_LOGIN,
        traffic=sessions.traffic[session],
        campaign=sessions.campaign[session],
        session=session,
        a=a,
        b=b,
    )


def _event_codes(
    name: npt.NDArray[np.int16],
    state: npt.NDArray[np.int8],
    fixed_path: I32,
    codes: dict[str, I32],
    steps: I64,
) -> tuple[I32, I32]:
    """``a``/``b`` per event: path and landing mark, product and quantity, query, payment."""
    a = np.full(len(steps), -1, dtype=np.int32)
    b = np.full(len(steps), -1, dtype=np.int32)
    page = name == Name.PAGE_VIEWED
    a[page] = np.where(fixed_path[page] >= 0, fixed_path[page], codes["path"][steps[page]])
    b[page & (state == LANDING)] = LANDING_MARK
    for event in (Name.PRODUCT_VIEWED, Name.PRODUCT_ADDED, Name.WISHLIST_ADDED):
        rows = name == event
        a[rows] = codes["product"][steps[rows]]
    added = name == Name.PRODUCT_ADDED
    b[added] = codes["other"][steps[added]]
    for event in (Name.SEARCH_PERFORMED, Name.CHECKOUT_STARTED):
        rows = name == event
        a[rows] = codes["other"][steps[rows]]
    video = name == Name.VIDEO_PLAYED
    a[video] = codes["video"][steps[video]]
    return a, b


def _arrivals(rng: np.random.Generator, customers: Customers, sessions: Sessions) -> Events:
    """The event that brings a session: an ad click, a search hit, an email click, a push open."""
    arrival = np.array([-1 if t.arrival is None else int(t.arrival) for t in TRAFFIC])
    channel = np.array([CH[t.channel] for t in TRAFFIC])
    cpc = np.array([t.cpc for t in TRAFFIC])
    rows = np.flatnonzero(arrival[sessions.traffic] >= 0)
    traffic = sessions.traffic[rows]
    name = arrival[traffic].astype(np.int16)
    cust = sessions.cust[rows]
    slot = sessions.slot[rows]
    email = name == Name.EMAIL_CLICKED
    user = np.where(email, USER_ALWAYS, USER_NEVER)
    user = np.where(name == Name.PUSH_OPENED, USER_BY_LOGIN, user)
    cost = np.where(cpc[traffic] > 0, cpc[traffic] * rng.lognormal(0.0, 0.25, len(rows)), np.nan)
    return Events.make(
        len(rows),
        cust=cust,
        ts=sessions.start[rows],
        name=name,
        channel=channel[traffic],
        device=customers.device[cust, slot],
        slot=np.where(email, -1, slot),
        user=user,
        traffic=traffic,
        campaign=sessions.campaign[rows],
        cost=np.round(cost, 2),
        session=rows,
        a=sessions.arrival_a[rows],
        b=sessions.arrival_b[rows],
    )
