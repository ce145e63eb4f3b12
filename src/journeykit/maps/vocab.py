"""Controlled vocabularies of the map format: channels and devices, with the aliases users type.

Users write "E-Mail", "Newsletter" or "Handy"; the map stores the canonical id. One table per
vocabulary keeps the aliases as data, so the event sources of later issues normalise with the same
table.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar


class Channel(StrEnum):
    """Where a touchpoint happens."""

    WEB = "web"
    APP = "app"
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    ADS = "ads"
    SOCIAL = "social"
    SEARCH = "search"
    STORE = "store"
    PHONE = "phone"
    CHAT = "chat"
    MARKETPLACE = "marketplace"
    REVIEW = "review"
    REFERRAL = "referral"
    PRINT = "print"
    MAIL = "mail"
    DELIVERY = "delivery"
    EVENT = "event"
    TV = "tv"
    OTHER = "other"


class Device(StrEnum):
    """What the customer uses at a touchpoint."""

    DESKTOP = "desktop"
    MOBILE = "mobile"
    TABLET = "tablet"
    IN_PERSON = "in-person"
    TV = "tv"
    ANY = "any"


_CHANNEL_ALIASES: dict[Channel, tuple[str, ...]] = {
    Channel.WEB: ("website", "webseite", "online-shop", "onlineshop", "shop", "www", "site"),
    Channel.APP: ("mobile-app", "mobile app"),
    Channel.EMAIL: ("e-mail", "e mail", "newsletter"),
    Channel.SMS: ("text", "text message"),
    Channel.PUSH: ("push-notification", "push notification", "push-nachricht"),
    Channel.ADS: ("ad", "advertising", "werbung", "anzeige", "display", "sea", "ppc", "paid"),
    Channel.SOCIAL: (
        "social media",
        "social-media",
        "instagram",
        "facebook",
        "tiktok",
        "pinterest",
        "youtube",
        "linkedin",
    ),
    Channel.SEARCH: ("seo", "organic", "google", "suche"),
    Channel.STORE: ("retail", "laden", "filiale", "geschäft", "pos"),
    Channel.PHONE: ("telephone", "call", "telefon", "hotline", "call center", "callcenter"),
    Channel.CHAT: ("live-chat", "livechat", "whatsapp", "messenger", "chatbot"),
    Channel.MARKETPLACE: ("amazon", "ebay", "marktplatz"),
    Channel.REVIEW: ("reviews", "bewertung", "bewertungen"),
    Channel.REFERRAL: ("word of mouth", "empfehlung", "affiliate"),
    Channel.PRINT: ("flyer", "katalog", "catalogue"),
    Channel.MAIL: ("post", "letter", "brief", "direct mail"),
    Channel.DELIVERY: ("shipping", "parcel", "versand", "paket", "lieferung"),
    Channel.EVENT: ("messe", "trade fair"),
    Channel.TV: ("fernsehen", "television"),
    Channel.OTHER: ("sonstige",),
}

_DEVICE_ALIASES: dict[Device, tuple[str, ...]] = {
    Device.MOBILE: ("smartphone", "phone", "handy", "mobil", "iphone", "android"),
    Device.DESKTOP: ("pc", "laptop", "computer", "notebook"),
    Device.TABLET: ("ipad",),
    Device.IN_PERSON: ("in person", "offline", "vor ort", "vor-ort", "persönlich"),
    Device.TV: ("fernseher",),
    Device.ANY: ("all", "alle", "beliebig"),
}

E = TypeVar("E", bound=StrEnum)


def _invert(aliases: dict[E, tuple[str, ...]]) -> dict[str, E]:
    return {alias: canonical for canonical, names in aliases.items() for alias in names}


CHANNEL_ALIASES: dict[str, Channel] = _invert(_CHANNEL_ALIASES)
DEVICE_ALIASES: dict[str, Device] = _invert(_DEVICE_ALIASES)


def normalise_channel(value: object) -> object:
    """Canonical channel for a known alias; anything else passes through for the enum to judge."""
    return _normalise(value, Channel, CHANNEL_ALIASES)


def normalise_device(value: object) -> object:
    """Canonical device for a known alias; anything else passes through for the enum to judge."""
    return _normalise(value, Device, DEVICE_ALIASES)


def _normalise(value: object, enum: type[E], aliases: dict[str, E]) -> object:
    if not isinstance(value, str) or isinstance(value, enum):
        return value
    key = value.strip().casefold()
    if key in enum._value2member_map_:
        return enum(key)
    return aliases.get(key, value)
