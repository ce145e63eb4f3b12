"""Simulated customers: persona, active period, devices and their anonymous ids, name and email.

A customer's email is their ``user_id`` in every file (Shopify's Email column, Segment's userId,
the CRM export's Kunden-ID), so identities join across sources the way they do in a real shop.
Devices carry anonymous ids in the shape their source uses: GA4's ``user_pseudo_id`` for browsers,
a UUID ``anonymousId`` for the app.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.catalog import DESKTOP, MOBILE, TABLET
from journeykit.datasets.generator.personas import PERSONA_IDS, PERSONAS, column
from journeykit.datasets.generator.world import World

I64 = npt.NDArray[np.int64]
I8 = npt.NDArray[np.int8]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

FIRST_NAMES = (
    "Anna", "Lena", "Sabine", "Markus", "Julia", "Thomas", "Katharina", "Stefan", "Laura",
    "Michael", "Sophie", "Andreas", "Marie", "Jan", "Sarah", "Tobias", "Lisa", "Daniel", "Hannah",
    "Florian", "Claudia", "Jürgen", "Miriam", "Deniz", "Jana", "Özlem", "Lukas", "Petra", "Jonas",
    "Birgit", "Felix", "Monika", "Niklas", "Ursula", "Emre", "Charlotte", "Paul", "Greta",
)  # fmt: skip
LAST_NAMES = (
    "Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker", "Schulz",
    "Hoffmann", "Koch", "Richter", "Klein", "Wolf", "Schröder", "Neumann", "Schwarz", "Braun",
    "Zimmermann", "Krüger", "Hartmann", "Lange", "Werner", "Kessler", "Aydin", "Yilmaz", "Kaya",
    "Nowak", "Lehmann", "Köhler", "Vogel", "Jung", "Hahn", "Scholz", "Busch", "Frank",
)  # fmt: skip
CITIES = (
    ("Köln", "50823", "NW"), ("Lüneburg", "21335", "NI"), ("Leipzig", "04109", "SN"),
    ("Freiburg im Breisgau", "79098", "BW"), ("Berlin", "10115", "BE"), ("Hamburg", "20095", "HH"),
    ("München", "80331", "BY"), ("Frankfurt am Main", "60311", "HE"), ("Stuttgart", "70173", "BW"),
    ("Dresden", "01067", "SN"), ("Düsseldorf", "40213", "NW"), ("Münster", "48143", "NW"),
    ("Bremen", "28195", "HB"), ("Hannover", "30159", "NI"), ("Nürnberg", "90402", "BY"),
    ("Bonn", "53111", "NW"), ("Mainz", "55116", "RP"), ("Kiel", "24103", "SH"),
    ("Rostock", "18055", "MV"), ("Erfurt", "99084", "TH"),
)  # fmt: skip
STREETS = (
    "Hauptstraße", "Bahnhofstraße", "Lindenweg", "Gartenstraße", "Schulstraße", "Am Markt",
    "Venloer Straße", "Goethestraße", "Birkenallee", "Mühlenweg", "Kirchplatz", "Rosenstraße",
)  # fmt: skip
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


@dataclass
class Customers:
    """The customers of one chunk (row i is global customer ``offset + i``)."""

    offset: int
    persona: I64
    first_day: I64  # first active local day (index into the calendar)
    last_day: I64  # last active day: after it the customer has left
    existing: B  # already a known customer before the period
    device: I8  # (n, 2): device type per device slot, -1 for no second device
    app: B  # (n, 2): the slot is the shop's app (else a browser)
    rate: F64  # organic sessions per active day
    email_consent: B
    sms_consent: B
    first_name: list[str]
    last_name: list[str]
    email: list[str]
    city: list[int]  # index into CITIES
    street: list[str]
    traits: list[dict[str, str]]
    anonymous: list[tuple[str, str]]  # anonymous id per slot ("" for no second device)

    def __len__(self) -> int:
        return len(self.persona)

    def persona_id(self, index: int) -> str:
        return PERSONA_IDS[int(self.persona[index])]


def draw_customers(rng: np.random.Generator, world: World, offset: int, n: int) -> Customers:
    """``n`` customers starting at global index ``offset``."""
    config = world.config
    persona = rng.choice(len(PERSONA_IDS), size=n, p=world.persona_share).astype(np.int64)
    existing = rng.random(n) < column("existing_share")[persona]
    days = world.calendar.days
    acquired = world.calendar.sample_days(
        rng, np.zeros(n, dtype=np.int64), np.full(n, days - 1, dtype=np.int64)
    )
    first_day = np.where(existing, 0, acquired).astype(np.int64)
    lifetime = rng.exponential(column("lifetime_days")[persona])
    last_day = np.minimum(first_day + lifetime.astype(np.int64), days - 1)
    rate = column("sessions_per_month")[persona] / 30.0 * rng.gamma(1.5, 1 / 1.5, n)
    device, app = _devices(rng, persona, config.two_device_share)
    first_names, last_names, emails, city, street, traits = _names(rng, persona, offset, n)
    return Customers(
        offset=offset,
        persona=persona,
        first_day=first_day,
        last_day=last_day,
        existing=existing,
        device=device,
        app=app,
        rate=rate,
        email_consent=rng.random(n) < column("email_consent")[persona],
        sms_consent=rng.random(n) < column("sms_consent")[persona],
        first_name=first_names,
        last_name=last_names,
        email=emails,
        city=city,
        street=street,
        traits=traits,
        anonymous=_anonymous_ids(rng, world, offset, first_day, app, device),
    )


def _devices(rng: np.random.Generator, persona: I64, two_share: float) -> tuple[I8, B]:
    n = len(persona)
    mix = np.array([PERSONAS[pid].device_mix for pid in PERSONA_IDS])
    cdf = np.cumsum(mix / mix.sum(axis=1, keepdims=True), axis=1)
    primary = (rng.random(n)[:, None] > cdf[persona]).sum(axis=1).clip(0, 2)
    # the second device differs from the first: phones pair with desktops, the rest with phones
    second = np.where(primary == MOBILE, np.where(rng.random(n) < 0.7, DESKTOP, TABLET), MOBILE)
    has_second = rng.random(n) < two_share
    device = np.stack([primary, np.where(has_second, second, -1)], axis=1).astype(np.int8)
    handheld = (device == MOBILE) | (device == TABLET)
    app = handheld & (rng.random((n, 2)) < column("app_share")[persona][:, None])
    return device, app


def _names(
    rng: np.random.Generator, persona: I64, offset: int, n: int
) -> tuple[list[str], list[str], list[str], list[int], list[str], list[dict[str, str]]]:
    """Names, email (unique by the global index), city, street and persona traits."""
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    city = rng.integers(0, len(CITIES), n)
    street = rng.integers(0, len(STREETS), n)
    house = rng.integers(1, 120, n)
    trait_draw = rng.random((n, 2))
    first_names = [FIRST_NAMES[i] for i in first]
    last_names = [LAST_NAMES[i] for i in last]
    emails = [
        f"{f.lower().translate(_ASCII)}.{s.lower().translate(_ASCII)}.{offset + i}@example.com"
        for i, (f, s) in enumerate(zip(first_names, last_names, strict=True))
    ]
    traits = []
    for i in range(n):
        persona_def = PERSONAS[PERSONA_IDS[int(persona[i])]]
        trait = {"persona": persona_def.id}
        for j, (key, options) in enumerate(sorted(persona_def.traits.items())):
            trait[key] = options[int(trait_draw[i, j % 2] * len(options))]
        traits.append(trait)
    streets = [f"{STREETS[s]} {h}" for s, h in zip(street, house, strict=True)]
    return first_names, last_names, emails, [int(c) for c in city], streets, traits


def _anonymous_ids(
    rng: np.random.Generator, world: World, offset: int, first_day: I64, app: B, device: I8
) -> list[tuple[str, str]]:
    """GA4-style ``<number>.<first visit>`` for browsers, UUIDs for the app; unique by design.

    The number is a bijection of the global device index (odd multiplier modulo 2**32), so two
    devices never share an id, whatever the seed.
    """
    n = len(first_day)
    first_visit = world.calendar.day_epoch[first_day] + 12 * 3600
    high = rng.integers(0, 2**62, size=(n, 2), dtype=np.int64)
    ids: list[tuple[str, str]] = []
    for i in range(n):
        pair = []
        for slot in range(2):
            if device[i, slot] < 0:
                pair.append("")
                continue
            index = 2 * (offset + i) + slot
            mixed = (index * 2_654_435_761) % 2**32
            if app[i, slot]:
                value = (int(high[i, slot]) << 64) | (mixed << 16) | (index & 0xFFFF)
                pair.append(str(uuid.UUID(int=value, version=4)))
            else:
                pair.append(f"{mixed:010d}.{int(first_visit[i])}")
        ids.append((pair[0], pair[1]))
    return ids
