"""What every chunk of customers shares: the calendar, the campaign plan and persona lookups.

Built once per run from the configuration, so chunks agree on codes (a campaign has the same
number in every chunk) and the simulation only draws per-customer randomness.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import numpy as np
import numpy.typing as npt

from journeykit.datasets.generator import catalog
from journeykit.datasets.generator.calendar import Calendar, black_friday
from journeykit.datasets.generator.catalog import TEMPLATES, Pool
from journeykit.datasets.generator.config import GeneratorConfig
from journeykit.datasets.generator.personas import PERSONA_IDS, PERSONAS

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Send:
    """One scheduled marketing message (newsletter, push) with its audience."""

    ts: int  # UTC epoch seconds
    campaign: int  # code in World.campaigns
    template: int  # code in catalog.TEMPLATES
    audience: str  # "all", "gold" (loyal customers) or "app" (push to app devices)


@dataclass(frozen=True)
class World:
    """Run-level context shared by all chunks."""

    config: GeneratorConfig
    calendar: Calendar
    campaigns: Pool
    sends: tuple[Send, ...]
    seasonal: npt.NDArray[np.int32]  # per local day: code of the seasonal ad campaign
    black_week: npt.NDArray[np.bool_]  # per local day: Black Friday week (Mon–Cyber Monday)
    holdout_ts: int  # the planted email campaign's send time (UTC epoch seconds)
    persona_share: F64
    product_cdf: F64  # (personas, products): which products each persona looks at
    category_page_cdf: F64  # (personas, category pages)
    content_cdf: F64  # (personas, content pages)
    site_query_cdf: F64
    google_query_cdf: F64

    @classmethod
    def build(cls, config: GeneratorConfig) -> World:
        calendar = Calendar.for_config(config)
        names, sends_plan = _campaign_plan(config)
        campaigns = Pool(names)
        sends = tuple(
            Send(
                calendar.local_datetime_utc(moment),
                campaigns.code[campaign],
                TEMPLATES.code[template],
                audience,
            )
            for moment, campaign, template, audience in sends_plan
        )
        seasonal = np.array(
            [
                campaigns.code[_seasonal_name(config.start + timedelta(days=day))]
                for day in range(config.days)
            ],
            dtype=np.int32,
        )
        black_week = np.array(
            [
                -4 <= (day - black_friday(day.year)).days <= 3
                for day in (config.start + timedelta(days=i) for i in range(config.days))
            ]
        )
        share = np.array([config.persona_mix.get(pid, 0.0) for pid in PERSONA_IDS])
        return cls(
            config=config,
            calendar=calendar,
            campaigns=campaigns,
            sends=sends,
            seasonal=seasonal,
            black_week=black_week,
            holdout_ts=calendar.local_datetime_utc(config.campaign_send_local()),
            persona_share=share / share.sum(),
            product_cdf=_product_cdf(),
            category_page_cdf=_cdf_table(_category_page_weights),
            content_cdf=_cdf_table(
                lambda p: _weights(catalog.CONTENT_PAGES, catalog.PATHS, PERSONAS[p].content)
            ),
            site_query_cdf=_cdf_table(
                lambda p: _pool_weights(catalog.SITE_QUERIES, PERSONAS[p].site_queries)
            ),
            google_query_cdf=_cdf_table(
                lambda p: _pool_weights(catalog.GOOGLE_QUERIES, PERSONAS[p].google_queries)
            ),
        )

    def campaign_code(self, name: str) -> int:
        return self.campaigns.code[name]


def draw(rng: np.random.Generator, cdf: F64, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.int32]:
    """One category per row from a table of CDFs (``rows`` selects each row's CDF)."""
    u = rng.random(len(rows))
    picked = (u[:, None] > cdf[rows]).sum(axis=1)
    return np.asarray(np.minimum(picked, cdf.shape[1] - 1), dtype=np.int32)


def _cdf(weights: F64) -> F64:
    cdf = np.cumsum(weights / weights.sum())
    cdf[-1] = 1.0
    return cdf


def _cdf_table(weights_of: Callable[[str], F64]) -> F64:
    return np.array([_cdf(np.asarray(weights_of(pid), dtype=np.float64)) for pid in PERSONA_IDS])


def _pool_weights(pool: Pool, preferred: dict[str, float]) -> F64:
    """Every entry of the pool gets a small base weight; preferred entries their own."""
    return np.array([0.05 + preferred.get(value, 0.0) for value in pool.values])


def _weights(codes: npt.NDArray[np.int32], pool: Pool, preferred: dict[str, float]) -> F64:
    return np.array([0.1 + preferred.get(pool[int(code)], 0.0) for code in codes])


_PAGE_OF_CATEGORY = {
    "bettwaesche-satin": "/bettwaesche/satin",
    "bettwaesche-halbleinen": "/bettwaesche/leinen",
    "bettwaesche-reinleinen": "/kollektion/leinen",
    "bettwaesche-bio": "/bettwaesche/bio",
    "spannbettlaken": "/bettwaesche",
    "handtuecher": "/handtuecher",
    "vorhaenge": "/vorhaenge",
    "kissen": "/wohnaccessoires",
    "decken": "/wohnaccessoires",
}


def _category_page_weights(persona_id: str) -> F64:
    pages = [catalog.PATHS[int(code)] for code in catalog.CATEGORY_PAGES]
    weights = dict.fromkeys(pages, 0.15)
    for category, weight in PERSONAS[persona_id].categories.items():
        weights[_PAGE_OF_CATEGORY[category]] += weight
    if persona_id == "anna":
        weights["/sale/bettwaesche"] += 3.0
    return np.array([weights[page] for page in pages])


def _product_cdf() -> F64:
    rows = []
    for pid in PERSONA_IDS:
        preferred = PERSONAS[pid].categories
        rows.append(
            _cdf(np.array([0.1 + preferred.get(p.category, 0.0) for p in catalog.PRODUCTS]))
        )
    return np.array(rows)


def _seasonal_name(day: date) -> str:
    name = catalog.SEASONAL_CAMPAIGNS[0][2]
    for month, first_day, campaign in catalog.SEASONAL_CAMPAIGNS:
        if (day.month, day.day) >= (month, first_day):
            name = campaign
    return f"{name}-{day.year}"


def _campaign_plan(
    config: GeneratorConfig,
) -> tuple[list[str], list[tuple[datetime, str, str, str]]]:
    """Every campaign name of the period and the scheduled sends (local times)."""
    names: list[str] = []
    for year in range(config.start.year, config.end.year + 1):
        names += [f"{campaign}-{year}" for _, _, campaign in catalog.SEASONAL_CAMPAIGNS]
    names += [t.campaign for t in catalog.TRAFFIC if t.campaign and t.campaign != "seasonal"]
    names += ["warenkorb-erinnerung", "mitternachts-sale", config.effects.campaign]
    plan: list[tuple[datetime, str, str, str]] = []
    day = config.start
    while day <= config.end:
        plan += _sends_on(day)
        day += timedelta(days=1)
    for _, campaign, _, _ in plan:
        if campaign not in names:
            names.append(campaign)
    return names, plan


def _sends_on(day: date) -> list[tuple[datetime, str, str, str]]:
    """The newsletters and pushes of one day: fortnightly Thursday newsletter, a monthly
    newsletter for loyal customers, sale newsletters and a monthly midnight-sale push."""
    at = datetime.combine
    sends: list[tuple[datetime, str, str, str]] = []
    week = day.isocalendar().week
    if day.weekday() == 3 and week % 2 == 1:
        campaign = f"newsletter-{day.year}-kw{week:02d}"
        sends.append((at(day, datetime.min.time()).replace(hour=7), campaign, "newsletter", "all"))
    if day.weekday() == 1 and day.day <= 7:
        campaign = f"stammkunden-newsletter-{day.year}-{day.month:02d}"
        moment = at(day, datetime.min.time()).replace(hour=18)
        sends.append((moment, campaign, "stammkunden-newsletter", "gold"))
    friday = black_friday(day.year)
    sale_days = {
        date(day.year, 1, 2): "winter",
        date(day.year, 6, 27): "sommer",
        friday: "black-friday",
        friday + timedelta(days=3): "cyber-monday",
    }
    if day in sale_days:
        campaign = f"sale-newsletter-{sale_days[day]}-{day.year}"
        moment = at(day, datetime.min.time()).replace(hour=6, minute=30)
        sends.append((moment, campaign, "sale-newsletter", "all"))
    last_friday = day.weekday() == 4 and (day + timedelta(days=7)).month != day.month
    if last_friday:
        moment = at(day, datetime.min.time()).replace(hour=23, minute=30)
        sends.append((moment, "mitternachts-sale", "mitternachts-sale", "app"))
    return sends
