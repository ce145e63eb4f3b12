"""Ad impressions with their costs: the awareness stage most customers never click through.

Paid-social sessions get the impressions that preceded their click (same device, campaign and
source); on top, every customer sees ads at the persona's rate without clicking. Impressions cost
the campaign's CPM; clicks of search campaigns carry their CPC (``pages.py``). Ad platforms do not
know the shop's user id, so impressions carry the device's anonymous id only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.calendar import sample_second_of_day
from journeykit.datasets.generator.catalog import CH, TRAFFIC, TRAFFIC_CODE, Name
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import USER_NEVER, Events
from journeykit.datasets.generator.personas import HOUR_CDF, PERSONA_IDS, PERSONAS, column
from journeykit.datasets.generator.sessions import Sessions
from journeykit.datasets.generator.world import World

A = npt.NDArray[Any]


def ad_impressions(
    rng: np.random.Generator, world: World, customers: Customers, sessions: Sessions
) -> Events:
    """Impressions before paid-social clicks and impressions that never led to a visit."""
    return Events.concat(
        [_before_clicks(rng, customers, sessions), _background(rng, world, customers)]
    )


def _cpm(traffic: A) -> npt.NDArray[np.float64]:
    return np.asarray(np.array([t.cpm for t in TRAFFIC])[traffic], dtype=np.float64)


def _before_clicks(rng: np.random.Generator, customers: Customers, sessions: Sessions) -> Events:
    paid = np.flatnonzero(_cpm(sessions.traffic) > 0)
    count = 1 + rng.poisson(1.5, len(paid))
    rows = np.repeat(paid, count)
    ts = sessions.start[rows] - rng.integers(600, 3 * 86_400, len(rows))
    return _impressions(rng, customers, sessions.cust[rows], sessions.slot[rows], ts,
                        sessions.traffic[rows], sessions.campaign[rows])  # fmt: skip


def _background(rng: np.random.Generator, world: World, customers: Customers) -> Events:
    months = (customers.last_day - customers.first_day + 1) / 30.0
    count = rng.poisson(column("ad_impressions_per_month")[customers.persona] * months)
    cust = np.repeat(np.arange(len(customers), dtype=np.int32), count)
    day = world.calendar.sample_days(rng, customers.first_day[cust], customers.last_day[cust])
    hours = np.array([PERSONAS[p].hours for p in PERSONA_IDS])[customers.persona[cust]]
    ts = world.calendar.to_utc(day, sample_second_of_day(rng, HOUR_CDF, hours))
    has_second = customers.device[cust, 1] >= 0
    slot = np.where(has_second & (rng.random(len(cust)) < 0.3), 1, 0).astype(np.int8)
    retargeting = rng.random(len(cust)) < 0.3
    traffic = np.where(
        retargeting, TRAFFIC_CODE["facebook-retargeting"], TRAFFIC_CODE["instagram-ads"]
    ).astype(np.int16)
    campaign = np.where(
        retargeting, world.campaign_code("retargeting-warenkorb"), world.seasonal[day]
    ).astype(np.int32)
    return _impressions(rng, customers, cust, slot, ts, traffic, campaign)


def _impressions(
    rng: np.random.Generator,
    customers: Customers,
    cust: A,
    slot: A,
    ts: A,
    traffic: A,
    campaign: A,
) -> Events:
    cost = _cpm(traffic) / 1000.0 * rng.lognormal(0.0, 0.2, len(cust))
    return Events.make(
        len(cust),
        cust=cust,
        ts=ts,
        name=Name.AD_IMPRESSION,
        channel=CH["ads"],
        device=customers.device[cust, slot],
        slot=slot,
        user=USER_NEVER,
        traffic=traffic,
        campaign=campaign,
        cost=np.round(cost, 4),
    )
