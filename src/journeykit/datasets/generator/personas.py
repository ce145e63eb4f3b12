"""The demo's personas: who shops at Lumen & Linen, on which devices, through which channels.

They mirror the personas of the demo maps (``demo_maps/*.yaml``): Anna shops on her phone in the
evening and follows Instagram ads; Markus is a loyal desktop and tablet customer who reads the
newsletter and pays by invoice; Lena is a first-time buyer who finds the shop through Pinterest and
articles about textile labels; Sabine orders curtains and exchanges them. Each persona is data
only — the simulation reads these numbers and has no persona-specific branches.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator.calendar import hour_cdf

# Hour-of-day weights (0 … 23, local time).
_EVENING = [
    2,
    1,
    0.5,
    0.3,
    0.2,
    0.3,
    0.8,
    1.5,
    2,
    2.5,
    3,
    3.5,
    5,
    4,
    3.5,
    3.5,
    4,
    5,
    6,
    7,
    9,
    10,
    8,
    4,
]
_HOMEOFFICE = [1, 0.4, 0.2, 0.2, 0.3, 2, 6, 7, 4, 3, 3, 4, 7, 6, 3, 3, 3.5, 4, 5, 6.5, 7, 6, 4, 2]
_STUDENT = [3, 2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 4, 4.5, 4, 4, 4.5, 5, 5.5, 6, 7, 8, 9, 8, 5]
_FAMILY = [
    1,
    0.5,
    0.3,
    0.2,
    0.2,
    0.4,
    1.5,
    3,
    4,
    5,
    5,
    4.5,
    4,
    4,
    4.5,
    5,
    5,
    5,
    5.5,
    7,
    8.5,
    8,
    5,
    2,
]
HOUR_PROFILES = (_EVENING, _HOMEOFFICE, _STUDENT, _FAMILY)
HOUR_CDF = hour_cdf([list(profile) for profile in HOUR_PROFILES])


@dataclass(frozen=True)
class Persona:
    """A customer type as simulation parameters (probabilities are per customer or session)."""

    id: str
    label: str
    device_mix: tuple[float, float, float]  # primary device: mobile, desktop, tablet
    app_share: float  # probability that a mobile/tablet device is the shop's app
    sessions_per_month: float  # mean; individual rates vary (gamma, shape 1.5)
    lifetime_days: float  # mean time until the customer leaves
    existing_share: float  # already a known, logged-in customer when the period starts
    traffic: dict[str, float]  # arrival mix of organic sessions (keys of catalog.TRAFFIC)
    intent: tuple[float, float, float]  # session intent: browse, shop, buy
    login: float  # probability to log in at the start of a session
    email_consent: float
    sms_consent: float
    hours: int  # index into HOUR_PROFILES
    categories: dict[str, float]  # product category preferences
    payment: dict[str, float]
    coupon: float  # share of orders with a coupon
    shipping_curiosity: float  # multiplier on looking at /versandkosten
    content_affinity: float  # multiplier on magazine and guide pages
    email_open: float
    email_click: float  # given an open
    return_rate: float
    exchange_share: float  # of returns, share exchanged for another size
    support: float  # probability of a support contact around a return or order
    nps_mean: float  # mean NPS answer (0 … 10)
    csat_mean: float  # mean CSAT answer (1 … 5)
    review: float  # probability to review after a review request click
    store_orders_per_year: float
    ad_impressions_per_month: float
    guest: float  # at a first checkout without login: share who order as a guest
    content: dict[str, float]  # magazine, guide and help pages they read
    site_queries: dict[str, float]  # what they type into the shop's search
    google_queries: dict[str, float]  # what they search on Google before an organic visit
    traits: dict[str, tuple[str, ...]] = field(default_factory=dict)


PERSONAS: dict[str, Persona] = {
    "anna": Persona(
        id="anna",
        label="Anna, mobile Schnäppchenjägerin",
        device_mix=(0.82, 0.1, 0.08),
        app_share=0.35,
        sessions_per_month=2.6,
        lifetime_days=150,
        existing_share=0.15,
        traffic={
            "instagram-ads": 0.3,
            "facebook-retargeting": 0.1,
            "google-organic": 0.16,
            "google-generic": 0.07,
            "direct": 0.3,
            "pinterest": 0.07,
        },
        intent=(0.55, 0.35, 0.10),
        login=0.25,
        email_consent=0.7,
        sms_consent=0.3,
        hours=0,
        categories={
            "bettwaesche-satin": 4,
            "spannbettlaken": 2,
            "handtuecher": 2,
            "kissen": 1.5,
            "bettwaesche-halbleinen": 1,
            "vorhaenge": 0.5,
            "decken": 0.5,
        },
        payment={"paypal": 0.55, "klarna": 0.25, "apple_pay": 0.12, "credit_card": 0.08},
        coupon=0.55,
        shipping_curiosity=1.6,
        content_affinity=0.6,
        email_open=0.32,
        email_click=0.2,
        return_rate=0.12,
        exchange_share=0.2,
        support=0.15,
        nps_mean=7.0,
        csat_mean=3.9,
        review=0.25,
        store_orders_per_year=0.0,
        ad_impressions_per_month=6.0,
        guest=0.5,
        content={"/ratgeber/pflege": 1, "/ratgeber/groessen": 2, "/sendung": 2, "/treuepunkte": 1},
        site_queries={"gutschein": 3, "satin 135x200": 3, "spannbettlaken 180x200": 1},
        google_queries={"satin bettwäsche sale 135x200": 4, "lumen & linen erfahrungen": 1},
        traits={"work_mode": ("schicht",), "loyalty_tier": ("basic", "silber")},
    ),
    "markus": Persona(
        id="markus",
        label="Markus, Stammkunde im Homeoffice",
        device_mix=(0.15, 0.6, 0.25),
        app_share=0.45,
        sessions_per_month=3.2,
        lifetime_days=900,
        existing_share=0.75,
        traffic={
            "direct": 0.52,
            "google-brand": 0.2,
            "google-organic": 0.18,
            "instagram-ads": 0.04,
            "facebook-retargeting": 0.06,
        },
        intent=(0.35, 0.4, 0.25),
        login=0.9,
        email_consent=0.92,
        sms_consent=0.6,
        hours=1,
        categories={
            "bettwaesche-reinleinen": 4,
            "bettwaesche-halbleinen": 3,
            "handtuecher": 1.5,
            "decken": 1,
            "kissen": 1,
            "spannbettlaken": 1.5,
        },
        payment={"invoice": 0.65, "paypal": 0.2, "credit_card": 0.15},
        coupon=0.15,
        shipping_curiosity=0.5,
        content_affinity=0.8,
        email_open=0.55,
        email_click=0.22,
        return_rate=0.06,
        exchange_share=0.3,
        support=0.2,
        nps_mean=8.8,
        csat_mean=4.5,
        review=0.35,
        store_orders_per_year=0.8,
        ad_impressions_per_month=1.5,
        guest=0.1,
        content={
            "/magazin/leinen-richtig-waschen": 2,
            "/ratgeber/pflege": 2,
            "/sendung": 3,
            "/treuepunkte": 3,
        },
        site_queries={"leinen bettwäsche": 4, "handtuch set": 1},
        google_queries={"lumen linen bettwäsche": 3, "leinenbettwäsche kaufen": 2},
        traits={"work_mode": ("homeoffice", "homeoffice", "buero"), "loyalty_tier": ("gold",)},
    ),
    "lena": Persona(
        id="lena",
        label="Lena, nachhaltige Erstkäuferin",
        device_mix=(0.7, 0.25, 0.05),
        app_share=0.05,
        sessions_per_month=2.0,
        lifetime_days=110,
        existing_share=0.0,
        traffic={
            "pinterest": 0.26,
            "google-organic": 0.36,
            "direct": 0.2,
            "avocadostore": 0.06,
            "instagram-ads": 0.06,
            "google-generic": 0.06,
        },
        intent=(0.6, 0.32, 0.08),
        login=0.08,
        email_consent=0.55,
        sms_consent=0.1,
        hours=2,
        categories={
            "bettwaesche-bio": 5,
            "spannbettlaken": 1.5,
            "handtuecher": 1.5,
            "decken": 1,
            "bettwaesche-halbleinen": 1,
        },
        payment={"paypal": 0.5, "klarna": 0.3, "credit_card": 0.2},
        coupon=0.35,
        shipping_curiosity=1.2,
        content_affinity=2.2,
        email_open=0.38,
        email_click=0.14,
        return_rate=0.09,
        exchange_share=0.15,
        support=0.12,
        nps_mean=7.8,
        csat_mean=4.2,
        review=0.3,
        store_orders_per_year=0.0,
        ad_impressions_per_month=2.0,
        guest=0.8,
        content={
            "/magazin/siegel-im-vergleich": 4,
            "/magazin/schlafzimmer-skandinavisch": 2,
            "/verantwortung": 4,
            "/ratgeber/pflege": 1,
        },
        site_queries={"bio bettwäsche": 4, "handtuch set": 1},
        google_queries={"bio bettwäsche gots": 4, "lumen linen bettwäsche": 1},
        traits={"work_mode": ("agentur", "studium"), "loyalty_tier": ("basic",)},
    ),
    "sabine": Persona(
        id="sabine",
        label="Sabine, tauscht statt zurückzugeben",
        device_mix=(0.45, 0.45, 0.1),
        app_share=0.1,
        sessions_per_month=2.2,
        lifetime_days=400,
        existing_share=0.35,
        traffic={
            "direct": 0.45,
            "google-organic": 0.28,
            "google-brand": 0.1,
            "facebook-retargeting": 0.06,
            "instagram-ads": 0.06,
            "pinterest": 0.05,
        },
        intent=(0.45, 0.4, 0.15),
        login=0.5,
        email_consent=0.75,
        sms_consent=0.45,
        hours=3,
        categories={
            "vorhaenge": 5,
            "kissen": 1.5,
            "decken": 1.5,
            "bettwaesche-satin": 1,
            "handtuecher": 1,
        },
        payment={"paypal": 0.4, "invoice": 0.35, "credit_card": 0.25},
        coupon=0.25,
        shipping_curiosity=0.9,
        content_affinity=1.0,
        email_open=0.42,
        email_click=0.16,
        return_rate=0.3,
        exchange_share=0.6,
        support=0.5,
        nps_mean=7.4,
        csat_mean=3.8,
        review=0.3,
        store_orders_per_year=0.3,
        ad_impressions_per_month=1.5,
        guest=0.3,
        content={
            "/hilfe/ruecksendung": 4,
            "/ratgeber/groessen": 3,
            "/sendung": 2,
            "/ratgeber/pflege": 1,
        },
        site_queries={"vorhang länger tauschen": 3, "umtausch": 3, "spannbettlaken 180x200": 1},
        google_queries={"leinenvorhang nach maß": 4, "lumen & linen erfahrungen": 1},
        traits={"work_mode": ("schule",), "loyalty_tier": ("basic", "silber")},
    ),
}
PERSONA_IDS: tuple[str, ...] = tuple(PERSONAS)


def column(attribute: str) -> npt.NDArray[np.float64]:
    """One numeric attribute of every persona, indexed by persona code (for vectorised lookups)."""
    return np.array([float(getattr(persona, attribute)) for persona in PERSONAS.values()])
