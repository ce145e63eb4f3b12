"""Marketing messages and the sessions they bring: newsletters, abandoned-cart reminders, the
midnight-sale push, and the planted email campaign with a holdout group (effect c).

Messages go to customers the shop knows by email (after their first login or checkout, or from
before the period) who agreed to receive them. A click brings a new session; the planted
campaign persuades a share of the treated customers to come back with the intent to buy, and a
random holdout gets nothing — so the campaign's true lift can be measured against the holdout.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.catalog import (
    CH,
    LINK_CATEGORIES,
    SIGNUP_FORMS,
    TEMPLATES,
    TRAFFIC_CODE,
    Name,
)
from journeykit.datasets.generator.customers import Customers
from journeykit.datasets.generator.frame import USER_ALWAYS, USER_BY_LOGIN, Events
from journeykit.datasets.generator.identity import NEVER, Identity
from journeykit.datasets.generator.navigation import CART, Walk
from journeykit.datasets.generator.personas import PERSONA_IDS, PERSONAS, column
from journeykit.datasets.generator.sessions import BUY, SPACING, Sessions
from journeykit.datasets.generator.world import Send, World

I8 = npt.NDArray[np.int8]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

HOLDOUT, TREATMENT = 1, 0
REMINDER_DELAY = 24 * 3600
_SIGNUP_FORM = {"anna": "popup", "lena": "popup", "markus": "kundenkonto", "sabine": "kasse"}


@dataclass
class Messages:
    """Message events plus the sessions their clicks start (not yet placed or walked)."""

    events: Events
    sessions: Sessions


def messages(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    identity: Identity,
    sessions: Sessions,
    events: Events,
    walked: Walk,
) -> Messages:
    """Everything the shop sends, based on what it knows after the organic sessions."""
    known = identity.known_ts
    parts: list[tuple[Events, Sessions]] = [
        (_signups(customers, identity), Sessions.make(0)),
        _newsletters(rng, world, customers, known),
        _reminders(rng, world, customers, known, sessions, events, walked),
        _pushes(rng, world, customers),
        _campaign(rng, world, customers, known),
    ]
    return Messages(Events.concat([p[0] for p in parts]), Sessions.concat([p[1] for p in parts]))


def _signups(customers: Customers, identity: Identity) -> Events:
    """``newsletter_subscribed`` right after the first identification of consenting customers."""
    slot = np.argmin(identity.ident_ts, axis=1)
    cust = np.flatnonzero(
        customers.email_consent & ~customers.existing & (identity.known_ts < NEVER)
    )
    slot = slot[cust]
    session = identity.source_session[cust, slot]
    form = np.array([SIGNUP_FORMS.code[_SIGNUP_FORM[pid]] for pid in PERSONA_IDS], dtype=np.int32)
    app = customers.app[cust, slot]
    return Events.make(
        len(cust),
        cust=cust,
        ts=identity.known_ts[cust] + 2,
        name=Name.NEWSLETTER_SUBSCRIBED,
        channel=np.where(app, CH["app"], CH["web"]),
        device=customers.device[cust, slot],
        slot=slot,
        user=USER_ALWAYS,
        session=session,
        a=form[customers.persona[cust]],
    )


def _mail(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    cust: I64,
    sent: I64,
    campaign: int,
    template: int,
    click: float | None = None,
    force: B | None = None,
) -> tuple[Events, B, I64]:
    """Sends and opens of one mailing; returns the events, who clicked and when.

    Customers who have left open rarely and never click. ``click`` overrides the persona's
    click rate (per open); ``force`` makes rows open and click (the persuaded).
    """
    n = len(cust)
    persona = customers.persona[cust]
    day = world.calendar.local_day(sent)
    active = (day >= customers.first_day[cust]) & (day <= customers.last_day[cust] + 30)
    forced = np.zeros(n, dtype=bool) if force is None else force
    chance = column("email_open")[persona] * np.where(active, 1.0, 0.15)
    opens = forced | (rng.random(n) < chance)
    delay = np.clip(rng.lognormal(np.log(3 * 3600), 1.0, n), 120, 3 * 86_400)
    open_ts = sent + delay.astype(np.int64)
    click_chance = column("email_click")[persona] if click is None else np.full(n, click)
    clicks = forced | (opens & active & (rng.random(n) < click_chance))
    click_ts = open_ts + rng.integers(10, 120, n)
    names = np.r_[np.full(n, Name.EMAIL_SENT), np.full(int(opens.sum()), Name.EMAIL_OPENED)]
    events = Events.make(
        n + int(opens.sum()),
        cust=np.r_[cust, cust[opens]],
        ts=np.r_[sent, open_ts[opens]],
        name=names,
        channel=CH["email"],
        user=USER_ALWAYS,
        campaign=campaign,
        a=template,
    )
    return events, clicks, click_ts


def _click_sessions(
    rng: np.random.Generator,
    customers: Customers,
    cust: I64,
    start: I64,
    campaign: int,
    template: int,
    link: I32 | int,
    intent: I8 | None = None,
) -> Sessions:
    persona = customers.persona[cust]
    if intent is None:
        table = np.cumsum(np.array([PERSONAS[pid].intent for pid in PERSONA_IDS]), axis=1)
        intent = (rng.random(len(cust))[:, None] > table[persona]).sum(axis=1).astype(np.int8)
    has_second = customers.device[cust, 1] >= 0
    slot = np.where(has_second & (rng.random(len(cust)) < 0.3), 1, 0)
    return Sessions.make(
        len(cust),
        cust=cust,
        start=start,
        slot=slot,
        traffic=TRAFFIC_CODE["email"],
        campaign=campaign,
        intent=np.minimum(intent, 2),
        arrival_a=template,
        arrival_b=link,
        identified=True,
    )


def _newsletters(
    rng: np.random.Generator, world: World, customers: Customers, known: I64
) -> tuple[Events, Sessions]:
    events: list[Events] = []
    sessions: list[Sessions] = []
    gold = np.array([t.get("loyalty_tier") == "gold" for t in customers.traits])
    for send in world.sends:
        if send.audience == "app":
            continue
        eligible = customers.email_consent & (known < send.ts)
        if send.audience == "gold":
            eligible &= gold
        cust = np.flatnonzero(eligible)
        sent = send.ts + rng.integers(0, 1200, len(cust))
        link = _link(rng, send, len(cust))
        mail, clicks, click_ts = _mail(
            rng, world, customers, cust, sent, send.campaign, send.template
        )
        events.append(mail)
        sessions.append(
            _click_sessions(
                rng, customers, cust[clicks], click_ts[clicks], send.campaign, send.template,
                link[clicks],
            )
        )  # fmt: skip
    return _joined(events, sessions)


def _link(rng: np.random.Generator, send: Send, n: int) -> I32:
    """Which part of the newsletter was clicked (the map's ``link_category``)."""
    template = TEMPLATES[send.template]
    if template == "stammkunden-newsletter":
        return np.full(n, LINK_CATEGORIES.code["leinen"], dtype=np.int32)
    if template == "sale-newsletter":
        return np.full(n, LINK_CATEGORIES.code["sale"], dtype=np.int32)
    return rng.integers(0, len(LINK_CATEGORIES), n).astype(np.int32)


def _reminders(
    rng: np.random.Generator,
    world: World,
    customers: Customers,
    known: I64,
    sessions: Sessions,
    events: Events,
    walked: Walk,
) -> tuple[Events, Sessions]:
    """The abandoned-cart mail 24 h after a cart without order, unless the customer ordered
    meanwhile or got a reminder in the last three days."""
    added = events.name == Name.PRODUCT_ADDED
    product = np.full(len(sessions), -1, dtype=np.int32)
    product[events.session[added]] = events.a[added]
    end = sessions.start + walked.duration
    abandoned = (product >= 0) & ~walked.ordered
    candidates = np.flatnonzero(
        abandoned & customers.email_consent[sessions.cust] & (known[sessions.cust] <= end)
    )
    send = end[candidates] + REMINDER_DELAY + rng.integers(0, 600, len(candidates))
    cust = sessions.cust[candidates].astype(np.int64)
    ordered = events.name == Name.ORDER_COMPLETED
    keep = ~_has_between(events.cust[ordered], events.ts[ordered], cust, end[candidates], send)
    keep &= _spaced(cust, send, 3 * 86_400)
    candidates, send, cust = candidates[keep], send[keep], cust[keep]
    campaign = world.campaign_code("warenkorb-erinnerung")
    template = TEMPLATES.code["warenkorb-erinnerung"]
    # reminders convert better than newsletters: 35 % of opens click
    mail, clicks, click_ts = _mail(
        rng, world, customers, cust, send, campaign, template, click=0.35
    )
    new = _click_sessions(
        rng, customers, cust[clicks], click_ts[clicks], campaign, template, -1,
        intent=np.full(int(clicks.sum()), BUY, dtype=np.int8),
    )  # fmt: skip
    new.entry[:] = CART
    new.product[:] = product[candidates[clicks]]
    new.slot[:] = sessions.slot[candidates[clicks]]
    return mail, new


def _has_between(
    event_cust: npt.NDArray[np.int32], event_ts: I64, cust: I64, after: I64, until: I64
) -> B:
    """Whether each (customer, after, until] window holds one of the given events."""
    key = event_cust.astype(np.int64) * (1 << 40) + event_ts
    key.sort()
    low = np.searchsorted(key, cust * (1 << 40) + after, side="right")
    high = np.searchsorted(key, cust * (1 << 40) + until, side="right")
    return np.asarray(high > low, dtype=bool)


def _spaced(cust: I64, ts: I64, gap: int) -> B:
    """Keep rows at least ``gap`` after the customer's previous row (sorted or not)."""
    order = np.lexsort((ts, cust))
    keep_sorted = np.r_[True, (cust[order][1:] != cust[order][:-1]) | (np.diff(ts[order]) >= gap)]
    keep = np.empty(len(cust), dtype=bool)
    keep[order] = keep_sorted
    return keep


def _pushes(
    rng: np.random.Generator, world: World, customers: Customers
) -> tuple[Events, Sessions]:
    """The monthly midnight-sale push to app devices; some open it, a few switch pushes off."""
    cust, slot = np.nonzero(customers.app)
    events: list[Events] = []
    sessions: list[Sessions] = []
    disabled = np.full(len(cust), NEVER, dtype=np.int64)
    for send in world.sends:
        if send.audience != "app":
            continue
        day = world.calendar.local_day(np.array([send.ts]))[0]
        installed = (customers.first_day[cust] <= day) & (day <= customers.last_day[cust] + 60)
        rows = np.flatnonzero(installed & (disabled > send.ts))
        received = send.ts + rng.integers(0, 60, len(rows))
        off = rng.random(len(rows)) < 0.03
        opened = ~off & (rng.random(len(rows)) < 0.08)
        disabled[rows[off]] = received[off]
        common = {"campaign": send.campaign, "a": send.template, "user": USER_BY_LOGIN}
        for name, mask, lag in (
            (Name.PUSH_RECEIVED, np.ones(len(rows), dtype=bool), 0),
            (Name.PUSH_DISABLED, off, 240),
        ):
            picked = rows[mask]
            events.append(
                Events.make(
                    len(picked),
                    cust=cust[picked],
                    ts=received[mask] + lag,
                    name=name,
                    channel=CH["push"],
                    device=customers.device[cust[picked], slot[picked]],
                    slot=slot[picked],
                    **common,
                )
            )
        opener = rows[opened]
        sessions.append(
            Sessions.make(
                len(opener),
                cust=cust[opener],
                start=received[opened] + rng.integers(5, 60, len(opener)),
                slot=slot[opener],
                traffic=TRAFFIC_CODE["push"],
                campaign=send.campaign,
                arrival_a=send.template,
            )
        )
    return _joined(events, sessions)


def _campaign(
    rng: np.random.Generator, world: World, customers: Customers, known: I64
) -> tuple[Events, Sessions]:
    """Planted effect (c): the campaign mail to a random 1 − holdout share of the subscribers."""
    send_ts = world.holdout_ts
    calendar = world.calendar
    if not calendar.first_second <= send_ts <= calendar.last_second:
        return Events.make(0), Sessions.make(0)
    effects = world.config.effects
    cust = np.flatnonzero(customers.email_consent & (known < send_ts))
    holdout = rng.random(len(cust)) < effects.holdout_share
    campaign = world.campaign_code(effects.campaign)
    template = TEMPLATES.code["herbstaktion"]
    assigned = Events.make(
        len(cust),
        cust=cust,
        ts=np.full(len(cust), send_ts),
        name=Name.CAMPAIGN_ASSIGNED,
        channel=CH["email"],
        user=USER_ALWAYS,
        campaign=campaign,
        a=template,
        b=np.where(holdout, HOLDOUT, TREATMENT),
    )
    treated = cust[~holdout]
    sent = send_ts + 60 + rng.integers(0, 900, len(treated))
    persuaded = rng.random(len(treated)) < effects.persuasion
    link = LINK_CATEGORIES.code["leinen"]
    mail, clicks, click_ts = _mail(
        rng, world, customers, treated, sent, campaign, template, force=persuaded
    )
    new = _click_sessions(
        rng, customers, treated[clicks], click_ts[clicks], campaign, template, link
    )
    new.persuaded[:] = persuaded[clicks]
    new.intent[:] = np.where(persuaded[clicks], BUY, new.intent)
    return Events.concat([assigned, mail]), new


def _joined(events: list[Events], sessions: list[Sessions]) -> tuple[Events, Sessions]:
    return (
        Events.concat(events) if events else Events.make(0),
        Sessions.concat(sessions) if sessions else Sessions.make(0),
    )


def place(round_one: Sessions, candidates: Sessions) -> Sessions:
    """Move message-driven sessions off the organic ones: try the click time, then 3 h, 6 h and
    26 h later; a session that clashes at every time keeps its first time (and is dropped by the
    clash resolution)."""
    key = round_one.cust.astype(np.int64) * (1 << 40) + round_one.start
    key.sort()
    start = candidates.start.copy()
    placed = np.zeros(len(candidates), dtype=bool)
    for shift in (0, 3 * 3600, 6 * 3600, 26 * 3600):
        trial = candidates.start + shift
        probe = candidates.cust.astype(np.int64) * (1 << 40) + trial
        position = np.searchsorted(key, probe)
        before = np.abs(probe - key[np.maximum(position - 1, 0)]) < SPACING
        after = np.abs(key[np.minimum(position, len(key) - 1)] - probe) < SPACING
        free = ~(before & (position > 0)) & ~(after & (position < len(key)))
        take = free & ~placed
        start[take] = trial[take]
        placed |= take
    moved = candidates.take(np.arange(len(candidates)))
    moved.start = start
    moved.priority[:] = np.where(candidates.persuaded, 1, 0)
    return moved
