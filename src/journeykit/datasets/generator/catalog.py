"""The shop the demo simulates — Lumen & Linen, German home textiles — as lookup tables.

Everything the simulation draws by number (products, pages, search terms, campaigns, templates)
lives here once, so codes in the vectorised simulation turn into the same strings in every
output format. The demo maps' touchpoint rules name these paths, templates and campaigns.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

SHOP_HOST = "www.lumen-linen.de"
SHOP_NAME = "Lumen & Linen"


class Name(IntEnum):
    """Event names the generator emits (the value is the code; ``.label`` is the event name)."""

    PAGE_VIEWED = 0
    PRODUCT_VIEWED = 1
    PRODUCT_ADDED = 2
    CHECKOUT_STARTED = 3
    ORDER_COMPLETED = 4
    SEARCH_PERFORMED = 5
    VIDEO_PLAYED = 6
    WISHLIST_ADDED = 7
    NEWSLETTER_SUBSCRIBED = 8
    REFERRAL_SENT = 9
    IDENTIFY = 10
    AD_IMPRESSION = 11
    AD_CLICKED = 12
    SEARCH_RESULT_VIEWED = 13
    EMAIL_SENT = 14
    EMAIL_OPENED = 15
    EMAIL_CLICKED = 16
    SMS_DELIVERED = 17
    PUSH_RECEIVED = 18
    PUSH_OPENED = 19
    PUSH_DISABLED = 20
    CAMPAIGN_ASSIGNED = 21
    PARCEL_DELIVERED = 22
    RETURN_REQUESTED = 23
    RETURN_DROPPED_OFF = 24
    ORDER_REFUNDED = 25
    SUPPORT_CONTACTED = 26
    CSAT_ANSWERED = 27
    NPS_ANSWERED = 28
    REVIEW_SUBMITTED = 29

    @property
    def label(self) -> str:
        return self.name.lower()


EVENT_NAMES: tuple[str, ...] = tuple(member.label for member in Name)

CHANNELS: tuple[str, ...] = (
    "web",
    "app",
    "email",
    "sms",
    "push",
    "ads",
    "search",
    "social",
    "store",
    "phone",
    "chat",
    "delivery",
    "review",
    "referral",
    "marketplace",
)
CH = {name: code for code, name in enumerate(CHANNELS)}

DEVICES: tuple[str, ...] = ("mobile", "desktop", "tablet")
MOBILE, DESKTOP, TABLET = 0, 1, 2
NO_DEVICE = -1


class Pool:
    """A fixed list of strings addressed by code (index); -1 means "none"."""

    def __init__(self, values: list[str] | tuple[str, ...]) -> None:
        self.values: tuple[str, ...] = tuple(values)
        self.code = {value: index for index, value in enumerate(self.values)}

    def __len__(self) -> int:
        return len(self.values)

    def __getitem__(self, code: int) -> str:
        return self.values[code]

    def codes(self, *values: str) -> npt.NDArray[np.int32]:
        return np.array([self.code[value] for value in values], dtype=np.int32)


@dataclass(frozen=True)
class Product:
    """One article of the shop."""

    sku: str
    name: str
    category: str
    price: float
    certificate: str  # "gots" for certified organic cotton, "" otherwise


def _products() -> tuple[Product, ...]:
    lines = [
        ("bettwaesche-satin", "Mako-Satin-Bettwäsche {v}", 59.9, ""),
        ("bettwaesche-satin", "Satin-Bettwäsche Streifen {v}", 64.9, ""),
        ("bettwaesche-halbleinen", "Halbleinen-Bettwäsche {v}", 89.0, ""),
        ("bettwaesche-reinleinen", "Reinleinen-Bettwäsche stonewashed {v}", 129.0, ""),
        ("bettwaesche-reinleinen", "Leinen-Bettwäsche Salbei {v}", 139.0, ""),
        ("bettwaesche-bio", "Bio-Perkal-Bettwäsche {v}", 79.0, "gots"),
        ("bettwaesche-bio", "Bio-Renforcé-Bettwäsche {v}", 69.0, "gots"),
        ("spannbettlaken", "Jersey-Spannbettlaken {v}", 24.9, ""),
        ("spannbettlaken", "Bio-Spannbettlaken {v}", 32.9, "gots"),
        ("handtuecher", "Frottier-Handtuch-Set {v}", 39.9, "gots"),
        ("handtuecher", "Waffelpiqué-Handtuch {v}", 19.9, ""),
        ("vorhaenge", "Leinenvorhang mit Schlaufen {v}", 74.0, ""),
        ("vorhaenge", "Verdunkelungsvorhang {v}", 59.0, ""),
        ("kissen", "Kissenhülle Leinen {v}", 22.0, ""),
        ("decken", "Wohndecke Waffelstrick {v}", 89.0, "gots"),
    ]
    variants = {
        "vorhaenge": ["135x225", "135x245", "135x265"],
        "kissen": ["40x40", "50x50"],
        "handtuecher": ["50x100", "70x140"],
        "decken": ["130x170"],
    }
    products = []
    for number, (category, name, price, certificate) in enumerate(lines):
        for index, variant in enumerate(variants.get(category, ["135x200", "155x220"])):
            sku = f"LL-{1000 + number * 10 + index}"
            step = 0.0 if index == 0 else 10.0 * index
            products.append(
                Product(sku, name.format(v=variant), category, price + step, certificate)
            )
    return tuple(products)


PRODUCTS: tuple[Product, ...] = _products()
PRODUCT_PRICE = np.array([p.price for p in PRODUCTS])
CATEGORIES = Pool(sorted({p.category for p in PRODUCTS}))
PRODUCT_CATEGORY = np.array([CATEGORIES.code[p.category] for p in PRODUCTS], dtype=np.int32)

PATHS = Pool(
    [
        "/",
        "/sale",
        "/sale/bettwaesche",
        "/sale/black-friday",
        "/bettwaesche",
        "/bettwaesche/satin",
        "/bettwaesche/leinen",
        "/bettwaesche/bio",
        "/kollektion/leinen",
        "/vorhaenge",
        "/handtuecher",
        "/wohnaccessoires",
        "/magazin/siegel-im-vergleich",
        "/magazin/leinen-richtig-waschen",
        "/magazin/schlafzimmer-skandinavisch",
        "/verantwortung",
        "/ratgeber/pflege",
        "/ratgeber/groessen",
        "/hilfe/ruecksendung",
        "/sendung",
        "/versandkosten",
        "/warenkorb",
        "/kasse/adresse",
        "/kasse/zahlung",
        "/kasse/bestaetigung",
        "/treuepunkte",
    ]
)
P = PATHS.code
SHIPPING_PATH = "/versandkosten"
CATEGORY_PAGES = PATHS.codes(
    "/bettwaesche",
    "/bettwaesche/satin",
    "/bettwaesche/leinen",
    "/bettwaesche/bio",
    "/kollektion/leinen",
    "/vorhaenge",
    "/handtuecher",
    "/wohnaccessoires",
    "/sale/bettwaesche",
)
CONTENT_PAGES = PATHS.codes(
    "/magazin/siegel-im-vergleich",
    "/magazin/leinen-richtig-waschen",
    "/magazin/schlafzimmer-skandinavisch",
    "/verantwortung",
    "/ratgeber/pflege",
    "/ratgeber/groessen",
    "/hilfe/ruecksendung",
    "/sendung",
    "/treuepunkte",
)


def screen_name(path: str) -> str:
    """The app's screen name for a page path (``/kasse/zahlung`` → ``kasse-zahlung``)."""
    return "start" if path == "/" else path.strip("/").replace("/", "-")


SITE_QUERIES = Pool(
    [
        "leinen bettwäsche",
        "spannbettlaken 180x200",
        "bio bettwäsche",
        "vorhang länger tauschen",
        "umtausch",
        "gutschein",
        "satin 135x200",
        "handtuch set",
    ]
)
GOOGLE_QUERIES = Pool(
    [
        "lumen linen bettwäsche",
        "lumen & linen erfahrungen",
        "satin bettwäsche sale 135x200",
        "bio bettwäsche gots",
        "leinenbettwäsche kaufen",
        "leinenvorhang nach maß",
    ]
)
VIDEOS = Pool(["material-leinen", "material-satin", "pflege-leinen", "kollektion-herbst"])
TEMPLATES = Pool(
    [
        "newsletter",
        "stammkunden-newsletter",
        "sale-newsletter",
        "warenkorb-erinnerung",
        "bestellbestaetigung",
        "versandbestaetigung",
        "csat-lieferung",
        "bewertungsanfrage",
        "ruecksendeetikett",
        "retoure-eingegangen",
        "erstattung",
        "zustellankuendigung",
        "mitternachts-sale",
        "herbstaktion",
        "nps-umfrage",
    ]
)
T = TEMPLATES.code
LINK_CATEGORIES = Pool(["leinen", "sale", "bio", "neuheiten"])
PAYMENTS = Pool(
    ["paypal", "invoice", "credit_card", "klarna", "apple_pay", "paypal_express", "ec_card"]
)
CARRIERS = Pool(["DHL", "Hermes", "DPD"])
SUPPORT_TOPICS = Pool(["umtausch", "lieferstatus", "groesse", "material", "rechnung"])
SURVEYS = Pool(["lieferung", "retoure"])
SIGNUP_FORMS = Pool(["popup", "kasse", "kundenkonto"])
COUPONS = Pool(["", "WILLKOMMEN10", "SALE15", "BLACKWEEK20", "TREUE10"])
SHIPPING_FEE = 4.95
FREE_SHIPPING_FROM = 50.0


@dataclass(frozen=True)
class Traffic:
    """How a session arrives: source/medium, the arrival event and where it lands."""

    key: str
    source: str | None
    medium: str | None
    arrival: Name | None  # the event just before the landing page (the click, the search hit)
    channel: str  # channel of the arrival event
    campaign: str | None  # fixed campaign name, or a kind resolved by date ("seasonal")
    cpc: float  # cost per click in EUR on the arrival event (0: none)
    cpm: float  # cost per 1000 impressions before the click (0: no impressions)
    landing: tuple[str, ...]


TRAFFIC: tuple[Traffic, ...] = (
    Traffic("direct", None, None, None, "web", None, 0.0, 0.0, ("/", "/kollektion/leinen")),
    Traffic(
        "instagram-ads",
        "instagram",
        "paid_social",
        Name.AD_CLICKED,
        "ads",
        "seasonal",
        0.0,
        9.5,
        ("/sale", "/sale/bettwaesche"),
    ),
    Traffic(
        "facebook-retargeting",
        "facebook",
        "paid_social",
        Name.AD_CLICKED,
        "ads",
        "retargeting-warenkorb",
        0.0,
        12.0,
        ("/warenkorb", "/bettwaesche"),
    ),
    Traffic(
        "google-brand",
        "google",
        "cpc",
        Name.AD_CLICKED,
        "ads",
        "marke-lumen-linen",
        0.38,
        0.0,
        ("/",),
    ),
    Traffic(
        "google-generic",
        "google",
        "cpc",
        Name.AD_CLICKED,
        "ads",
        "generisch-bettwaesche",
        0.95,
        0.0,
        ("/bettwaesche/satin", "/bettwaesche/leinen"),
    ),
    Traffic(
        "google-organic",
        "google",
        "organic",
        Name.SEARCH_RESULT_VIEWED,
        "search",
        None,
        0.0,
        0.0,
        ("/magazin/siegel-im-vergleich", "/bettwaesche/bio", "/bettwaesche/satin", "/"),
    ),
    Traffic(
        "pinterest",
        "pinterest",
        "social",
        None,
        "social",
        None,
        0.0,
        0.0,
        ("/magazin/schlafzimmer-skandinavisch", "/bettwaesche/leinen"),
    ),
    Traffic(
        "avocadostore",
        "avocadostore",
        "referral",
        Name.PRODUCT_VIEWED,
        "marketplace",
        None,
        0.0,
        0.0,
        ("/bettwaesche/bio",),
    ),
    Traffic("email", "newsletter", "email", Name.EMAIL_CLICKED, "email", None, 0.0, 0.0, ("/",)),
    Traffic("push", "app", "push", Name.PUSH_OPENED, "push", None, 0.0, 0.0, ("/sale",)),
)
TRAFFIC_CODE = {traffic.key: code for code, traffic in enumerate(TRAFFIC)}
SOURCES = Pool(sorted({t.source for t in TRAFFIC if t.source}))
MEDIUMS = Pool(sorted({t.medium for t in TRAFFIC if t.medium}))

#: Seasonal ad campaigns by (first month, first day) in local time; the last one that started wins.
SEASONAL_CAMPAIGNS: tuple[tuple[int, int, str], ...] = (
    (1, 1, "winter-sale"),
    (2, 1, "fruehjahr-kollektion"),
    (5, 1, "sommer-leinen"),
    (9, 1, "herbst-sale"),
    (11, 22, "black-friday"),
    (12, 3, "weihnachten"),
)
