"""Who is known when: logins, checkouts and email clicks turn anonymous devices into a customer.

A device (browser or app) is anonymous until the customer logs in, enters an email at checkout or
arrives from an email link; from then on every event on it carries the ``user_id``. An ``identify``
event (with the profile traits) marks a login or checkout that identifies a device. Customers
browse anonymously on a second device until they log in there too — and a device that is never
identified stays a separate "customer" for any identity resolution, which is what the truth
(``customer_id``) records.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.catalog import CH, Name
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import USER_ALWAYS, USER_BY_LOGIN, USER_NEVER, Events
from journeykit.datasets.generator.personas import column
from journeykit.datasets.generator.sessions import Sessions

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

NEVER = np.int64(2**62)
LOGIN_LAG = 4  # seconds after the session start: just after the landing page (at +3)
CHECKOUT_LOGGED_IN, CHECKOUT_GUEST = 1, 2  # bits of ``b`` on checkout_started


@dataclass
class Identity:
    """When each device of each customer becomes known (NEVER if it never does)."""

    ident_ts: I64  # (customers, 2)
    source_session: I64  # (customers, 2): the session whose login/checkout identified it, -1

    @property
    def known_ts(self) -> I64:
        """When the customer's email is first known (NEVER for customers who stay anonymous)."""
        return np.asarray(self.ident_ts.min(axis=1), dtype=np.int64)

    def identified(self, cust: npt.NDArray[np.int32], slot: npt.NDArray[np.int8]) -> B:
        """Whether the device of each row is ever identified (rows without a device: True)."""
        known = self.ident_ts[cust, np.maximum(slot, 0)] < NEVER
        return np.asarray(np.where(slot < 0, True, known), dtype=bool)


def resolve(
    customers: Customers, sessions: Sessions, events: Events, period_start: int
) -> Identity:
    """Identification time of every device from logins, checkouts, email clicks and history."""
    moment = np.full(len(sessions), NEVER, dtype=np.int64)
    moment = np.where(sessions.login, sessions.start + LOGIN_LAG, moment)
    checkout = events.name == Name.CHECKOUT_STARTED
    first_checkout = np.full(len(sessions), NEVER, dtype=np.int64)
    np.minimum.at(first_checkout, events.session[checkout], events.ts[checkout] - 1)
    moment = np.minimum(moment, first_checkout)
    by_click = np.where(sessions.identified, sessions.start, NEVER)
    key = sessions.cust.astype(np.int64) * 2 + sessions.slot
    n = len(customers)
    ident = np.full(2 * n, NEVER, dtype=np.int64)
    np.minimum.at(ident, key, np.minimum(moment, by_click))
    source = np.full(2 * n, -1, dtype=np.int64)
    winner = (moment < NEVER) & (moment == ident[key]) & (moment <= by_click)
    source[key[winner]] = np.flatnonzero(winner)
    ident_table = ident.reshape(n, 2)
    ident_table[customers.existing, 0] = period_start - 1
    source_table = source.reshape(n, 2)
    source_table[customers.existing, 0] = -1
    return Identity(ident_table, source_table)


def identify_events(
    customers: Customers, sessions: Sessions, identity: Identity, session_offset: int
) -> Events:
    """``identify`` at each device's identifying login or checkout, and one profile sync at the
    first visit (on their known device) of customers who were known before the period."""
    cust, slot = np.nonzero(identity.source_session >= 0)
    session = identity.source_session[cust, slot]
    ts = identity.ident_ts[cust, slot]
    first = np.full(len(customers), -1, dtype=np.int64)
    on_known_device = np.flatnonzero(sessions.slot == 0)
    order = on_known_device[
        np.lexsort((sessions.start[on_known_device], sessions.cust[on_known_device]))
    ]
    is_first = np.r_[True, sessions.cust[order][1:] != sessions.cust[order][:-1]]
    first[sessions.cust[order][is_first]] = order[is_first]
    known = np.flatnonzero(customers.existing & (first >= 0))
    synced = first[known]
    all_cust = np.r_[cust, known].astype(np.int32)
    all_slot = np.r_[slot, sessions.slot[synced]].astype(np.int8)
    all_session = np.r_[session, synced]
    app = customers.app[all_cust, all_slot]
    return Events.make(
        len(all_cust),
        cust=all_cust,
        ts=np.r_[ts, sessions.start[synced] + LOGIN_LAG],
        name=Name.IDENTIFY,
        channel=np.where(app, CH["app"], CH["web"]),
        device=customers.device[all_cust, all_slot],
        slot=all_slot,
        user=USER_ALWAYS,
        traffic=sessions.traffic[all_session],
        campaign=sessions.campaign[all_session],
        session=all_session + session_offset,
    )


def apply(
    rng: np.random.Generator, customers: Customers, identity: Identity, events: Events
) -> None:
    """Settle ``user`` (present or not) and the login/guest flags of checkouts, in place."""
    by_login = events.user == USER_BY_LOGIN
    slot = np.maximum(events.slot, 0)
    known = events.ts >= identity.ident_ts[events.cust, slot]
    events.user[by_login] = np.where(known[by_login], USER_ALWAYS, USER_NEVER)
    checkout = np.flatnonzero(events.name == Name.CHECKOUT_STARTED)
    ident = identity.ident_ts[events.cust[checkout], slot[checkout]]
    logged_in = ident < events.ts[checkout] - 1
    guest_share = column("guest")[customers.persona[events.cust[checkout]]]
    guest = ~logged_in & (rng.random(len(checkout)) < guest_share)
    events.b[checkout] = np.where(logged_in, CHECKOUT_LOGGED_IN, 0) + np.where(
        guest, CHECKOUT_GUEST, 0
    )
