"""Sessions: when customers come to the shop, on which device, from where and with what intent.

Organic sessions are drawn per customer from the seasonal calendar and the persona's hours;
messages (newsletters, reminders, pushes, the planted campaign) add sessions later. A customer's
sessions never overlap and are at least 2.5 hours apart, so a 30-minute inactivity rule splits the
data into exactly these sessions — analyses see the sessions the generator made.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator import catalog
from journeykit.datasets.generator.calendar import sample_second_of_day
from journeykit.datasets.generator.catalog import TRAFFIC, TRAFFIC_CODE
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import segment_starts
from journeykit.datasets.generator.navigation import LANDING
from journeykit.datasets.generator.personas import HOUR_CDF, PERSONA_IDS, PERSONAS, column
from journeykit.datasets.generator.world import World

I8 = npt.NDArray[np.int8]
I16 = npt.NDArray[np.int16]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

SPACING = 150 * 60  # minimum seconds between two session starts of a customer
BROWSE, SHOP, BUY = 0, 1, 2


@dataclass
class Sessions:
    """Session starts and their attributes, one row per session."""

    cust: I32
    start: I64  # UTC epoch seconds of the first event
    slot: I8  # device slot of the customer
    traffic: I16  # index into catalog.TRAFFIC
    campaign: I32  # campaign code, -1 none
    intent: I8  # BROWSE, SHOP, BUY
    entry: I8  # first navigation state
    product: I32  # product the session starts with (reminders), -1 none
    arrival_a: I32  # code the arrival event carries (template, query, product), -1 none
    arrival_b: I32  # second code of the arrival event (link category, position), -1 none
    identified: B  # the customer is known from the first event (an email click)
    login: B  # the customer logs in right after the landing page
    persuaded: B  # a customer the planted campaign persuaded
    priority: I8  # who wins a clash: higher keeps its time

    def __len__(self) -> int:
        return len(self.start)

    def take(self, index: npt.NDArray[Any]) -> Sessions:
        return Sessions(**{f.name: getattr(self, f.name)[index] for f in fields(self)})

    @classmethod
    def concat(cls, parts: list[Sessions]) -> Sessions:
        return cls(
            **{f.name: np.concatenate([getattr(p, f.name) for p in parts]) for f in fields(cls)}
        )

    @classmethod
    def make(cls, n: int, **values: Any) -> Sessions:
        defaults: dict[str, tuple[type[np.generic], Any]] = {
            "cust": (np.int32, 0),
            "start": (np.int64, 0),
            "slot": (np.int8, 0),
            "traffic": (np.int16, TRAFFIC_CODE["direct"]),
            "campaign": (np.int32, -1),
            "intent": (np.int8, SHOP),
            "entry": (np.int8, LANDING),
            "product": (np.int32, -1),
            "arrival_a": (np.int32, -1),
            "arrival_b": (np.int32, -1),
            "identified": (np.bool_, False),
            "login": (np.bool_, False),
            "persuaded": (np.bool_, False),
            "priority": (np.int8, 0),
        }
        columns = {}
        for name, (dtype, default) in defaults.items():
            column = np.empty(n, dtype=dtype)
            column[:] = values.pop(name, default)
            columns[name] = column
        if values:
            raise TypeError(f"unknown session columns: {sorted(values)}")
        return cls(**columns)


def organic_sessions(rng: np.random.Generator, world: World, customers: Customers) -> Sessions:
    """Every customer's own visits: at least one (on the first active day), more by their rate."""
    n = len(customers)
    active_days = customers.last_day - customers.first_day + 1
    count = 1 + rng.poisson(customers.rate * active_days)
    cust = np.repeat(np.arange(n, dtype=np.int32), count)
    first = segment_starts(cust)
    day = world.calendar.sample_days(rng, customers.first_day[cust], customers.last_day[cust])
    day = np.where(first, customers.first_day[cust], day)
    hours = np.array([PERSONAS[p].hours for p in PERSONA_IDS])[customers.persona[cust]]
    start = world.calendar.to_utc(day, sample_second_of_day(rng, HOUR_CDF, hours))
    persona = customers.persona[cust]
    slot = _slot(rng, customers, cust)
    app = customers.app[cust, slot]
    traffic = _traffic(rng, persona)
    # the app opens directly; ad clicks and searches land in the browser
    traffic = np.where(app, TRAFFIC_CODE["direct"], traffic).astype(np.int16)
    intent = _intent(rng, persona)
    campaign = _campaign(world, traffic, world.calendar.local_day(start))
    arrival_a, arrival_b = _arrival_codes(rng, world, traffic, persona)
    return Sessions.make(
        len(cust),
        cust=cust,
        start=start,
        slot=slot,
        traffic=traffic,
        campaign=campaign,
        intent=intent,
        arrival_a=arrival_a,
        arrival_b=arrival_b,
        login=rng.random(len(cust)) < column("login")[persona],
        priority=1,
    )


def _slot(rng: np.random.Generator, customers: Customers, cust: I32) -> I8:
    has_second = customers.device[cust, 1] >= 0
    return np.where(has_second & (rng.random(len(cust)) < 0.3), 1, 0).astype(np.int8)


def _traffic(rng: np.random.Generator, persona: I64) -> I16:
    table = np.array(
        [[PERSONAS[pid].traffic.get(t.key, 0.0) for t in TRAFFIC] for pid in PERSONA_IDS]
    )
    cdf = np.cumsum(table / table.sum(axis=1, keepdims=True), axis=1)
    picked = (rng.random(len(persona))[:, None] > cdf[persona]).sum(axis=1)
    return np.asarray(np.minimum(picked, len(TRAFFIC) - 1), dtype=np.int16)


def _intent(rng: np.random.Generator, persona: I64) -> I8:
    table = np.array([PERSONAS[pid].intent for pid in PERSONA_IDS])
    cdf = np.cumsum(table, axis=1)
    picked = (rng.random(len(persona))[:, None] > cdf[persona]).sum(axis=1)
    return np.asarray(np.clip(picked, 0, 2), dtype=np.int8)


def _campaign(world: World, traffic: I16, day: I64) -> I32:
    """Fixed campaign of the traffic source, or the seasonal ad campaign of the day."""
    fixed = np.array(
        [
            -1
            if t.campaign is None
            else (-2 if t.campaign == "seasonal" else world.campaign_code(t.campaign))
            for t in TRAFFIC
        ],
        dtype=np.int32,
    )[traffic]
    return np.where(fixed == -2, world.seasonal[day], fixed).astype(np.int32)


def _arrival_codes(
    rng: np.random.Generator, world: World, traffic: I16, persona: I64
) -> tuple[I32, I32]:
    """Google query and position for organic search, the product for marketplace visits."""
    n = len(traffic)
    a = np.full(n, -1, dtype=np.int32)
    b = np.full(n, -1, dtype=np.int32)
    organic = traffic == TRAFFIC_CODE["google-organic"]
    rows = persona[organic]
    query = (rng.random(len(rows))[:, None] > world.google_query_cdf[rows]).sum(axis=1)
    a[organic] = np.minimum(query, len(catalog.GOOGLE_QUERIES) - 1)
    brand = np.isin(a, catalog.GOOGLE_QUERIES.codes("lumen linen bettwäsche"))
    b[organic] = np.where(brand[organic], 1, rng.integers(2, 9, int(organic.sum())))
    market = traffic == TRAFFIC_CODE["avocadostore"]
    bio = np.array([i for i, p in enumerate(catalog.PRODUCTS) if p.certificate == "gots"])
    a[market] = rng.choice(bio, int(market.sum()))
    return a, b


def resolve_clashes(sessions: Sessions) -> B:
    """Which sessions to keep so that each customer's starts are ``SPACING`` apart.

    Of two sessions that are too close, the one with lower priority goes (the later one on a
    tie). Repeats until no clash is left; each pass is vectorised.
    """
    keep = np.ones(len(sessions), dtype=bool)
    order = np.lexsort((-sessions.priority, sessions.start, sessions.cust))
    while True:
        alive = order[keep[order]]
        cust = sessions.cust[alive]
        start = sessions.start[alive]
        clash = (cust[1:] == cust[:-1]) & (start[1:] - start[:-1] < SPACING)
        if not clash.any():
            return keep
        earlier, later = alive[:-1][clash], alive[1:][clash]
        drop_earlier = sessions.priority[earlier] < sessions.priority[later]
        loser = np.where(drop_earlier, earlier, later)
        # drop only one loser per run of clashes, so a chain a–b–c keeps c if b goes
        first_in_run = np.ones(len(loser), dtype=bool)
        positions = np.flatnonzero(clash)
        first_in_run[1:] = positions[1:] != positions[:-1] + 1
        keep[loser[first_in_run]] = False
