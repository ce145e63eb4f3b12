"""One Segment-spec message → one event row, shared by the JSONL source and the HTTP collector.

``segment_message_to_row`` is pure: no I/O, no clock, no settings. It returns the event fields or a
``MessageError`` naming the field at fault — it never raises on odd input, so the collector can
answer 400 naming the field and the file reader can quarantine the line.

Mapping (also in docs/events-sources.md):

- ``type``: track → ``name`` = the normalised ``event`` (below); page → ``page_viewed``;
  screen → ``screen_viewed``; identify → ``identify`` (``traits`` in properties); group →
  ``group`` (``group_id``, ``traits``); alias → ``alias`` (``previous_id``).
- ``event_id`` = ``messageId`` (absent: null, and the pipeline derives a content hash).
- ``ts``: with ``originalTimestamp`` present Segment already corrected ``timestamp``, which is
  taken as is; else with ``timestamp``, ``sentAt`` and ``receivedAt`` all present the clock skew is
  corrected, ``receivedAt − (sentAt − timestamp)``; else ``timestamp``, then ``receivedAt``. A time
  without offset is UTC, as Segment reads it.
- ``context.campaign`` source / medium / name → source / medium / campaign; the device and
  channel rules are in ``message_device`` and ``message_channel``.
- ``revenue`` = ``properties.revenue``, else ``properties.total``; negative on ``order_refunded``.
- ``properties``: the message's properties, plus ``event`` (the name as sent), ``context``, and
  per type ``name``/``category``, ``traits``, ``group_id``, ``previous_id``. A user property with
  one of those names is kept as ``property_<name>``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from types import MappingProxyType

from journeykit.errors import suggestion
from journeykit.events.sources._exact_json import canonical_dumps
from journeykit.events.sources._json import TooDeep, merge_reserved
from journeykit.maps.vocab import Channel, Device, normalise_device

SEGMENT_TYPES: tuple[str, ...] = ("track", "page", "screen", "identify", "group", "alias")
RESERVED_PREFIX = "property_"
V1_EVENT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "viewed_product": "product_viewed",
        "viewed_product_category": "product_list_viewed",
        "added_product": "product_added",
        "removed_product": "product_removed",
        "started_checkout": "checkout_started",
        "viewed_checkout_step": "checkout_step_viewed",
        "completed_checkout_step": "checkout_step_completed",
        "completed_order": "order_completed",
        "refunded_order": "order_refunded",
    }
)
"""Segment's e-commerce spec v1 names (after normalising) → the v2 names the analyses use."""

_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_WORD = re.compile(r"[^\W_]+")
_TIME_HINT = "send an ISO-8601 time such as '2026-11-02T14:03:11.123Z'"

Row = dict[str, object]


@dataclass(frozen=True)
class MessageError:
    """Why a message cannot become an event: the ``field`` at fault, the reason, a fix."""

    field: str
    reason: str
    hint: str = ""

    def __str__(self) -> str:
        text = f"{self.field}: {self.reason}"
        return f"{text} — {self.hint}" if self.hint else text


class _Invalid(Exception):
    """Internal: carries a ``MessageError`` out of nested helpers."""

    def __init__(self, field: str, reason: str, hint: str = "") -> None:
        super().__init__(reason)
        self.error = MessageError(field, reason, hint)


def segment_message_to_row(message: Mapping[str, object]) -> Row | MessageError:
    """The event fields of one Segment message, or the ``MessageError`` saying what to fix.

    The row has ``event_id``, ``ts`` (an aware UTC ``datetime``), ``user_id``, ``anonymous_id``,
    ``name``, ``channel``, ``device``, ``source``, ``medium``, ``campaign``, ``revenue``,
    ``currency`` and ``properties`` (JSON text).
    """
    try:
        return _row(message)
    except _Invalid as invalid:
        return invalid.error


def normalise_event_name(event: str) -> str:
    """A track event's name in snake_case: ``"Order Completed"`` → ``order_completed``.

    Words are split at spaces, punctuation and camelCase humps, lower-cased and joined by ``_``;
    e-commerce v1 names map to v2 (``Completed Order`` → ``order_completed``). A name with no
    letters or digits is kept as sent.
    """
    if type(event) is str and len(event) <= _CACHED_NAME_LENGTH:
        return _normalised(event)
    return _normalise_name(event)


_CACHED_NAME_LENGTH = 200
"""Longer names are normalised each time, so odd senders cannot fill the cache with megabytes."""


@lru_cache(maxsize=4096)
def _normalised(event: str) -> str:
    """Cached: a site sends a handful of event names, and the regular expressions cost ~4 µs."""
    return _normalise_name(event)


def _normalise_name(event: str) -> str:
    words = _WORD.findall(_CAMEL_BOUNDARY.sub(" ", event.strip()))
    snake = "_".join(word.lower() for word in words)
    return V1_EVENT_NAMES.get(snake, snake) or event.strip()


def _message_time(message: Mapping[str, object]) -> datetime:
    """The event's UTC time with the clock-skew rule of the module docstring."""
    timestamp = _time(message, "timestamp")
    original = _time(message, "originalTimestamp")
    sent = _time(message, "sentAt")
    received = _time(message, "receivedAt")
    if timestamp is not None and original is not None:
        return timestamp
    client = timestamp or original
    if client is not None and sent is not None and received is not None:
        try:
            return received - (sent - client)
        except OverflowError:
            raise _Invalid(
                "timestamp", "the skew-corrected time is outside the years 1–9999"
            ) from None
    moment = client or received
    if moment is None:
        raise _Invalid("timestamp", "is missing", _TIME_HINT)
    return moment


def message_channel(message: Mapping[str, object], kind: str) -> str | None:
    """``web`` or ``app``, from Segment's ``channel``, the device, the type and the context.

    ``channel`` browser → web, mobile → app; an iOS/Android device, a ``screen`` or a
    ``context.app`` → app; a ``page``, ``context.page`` or a ``userAgent`` → web; else null
    (server-side calls say nothing about where the customer was).
    """
    context = _mapping(message, "context")
    declared = (_text(message.get("channel")) or "").lower()
    device_type = (_text(_mapping(context, "device").get("type")) or "").lower()
    if declared == "mobile" or device_type in ("ios", "android"):
        return Channel.APP.value
    if declared == "browser":
        return Channel.WEB.value
    if kind == "screen" or context.get("app"):
        return Channel.APP.value
    if kind == "page" or context.get("page") or context.get("userAgent"):
        return Channel.WEB.value
    return None


def message_device(context: Mapping[str, object]) -> str | None:
    """mobile / tablet / desktop from ``context.device`` or, on the web, the ``userAgent``."""
    device = _mapping(context, "device")
    model = (_text(device.get("model")) or "").lower()
    kind = (_text(device.get("type")) or "").lower()
    if "ipad" in model or "tablet" in model:
        return Device.TABLET.value
    if kind in ("ios", "android"):
        return Device.MOBILE.value
    known = normalise_device(kind) if kind else None
    if isinstance(known, Device):
        return known.value
    agent = (_text(context.get("userAgent")) or "").lower()
    if not agent:
        return None
    if "ipad" in agent or "tablet" in agent:
        return Device.TABLET.value
    return Device.MOBILE.value if "mobi" in agent else Device.DESKTOP.value


def _row(message: Mapping[str, object]) -> Row:
    if type(message) is not dict and not isinstance(message, Mapping):
        raise _Invalid("message", f"is {type(message).__name__}, expected a JSON object")
    kind = _kind(message)
    user_id = _identifier(message, "userId")
    anonymous_id = _identifier(message, "anonymousId")
    if user_id is None and anonymous_id is None:
        raise _Invalid("userId", "a message needs a userId or an anonymousId")
    context = _object(message, "context")
    properties = _object(message, "properties")
    name, reserved = _TYPES[kind](message)
    campaign = _mapping(context, "campaign")
    return {
        "event_id": _identifier(message, "messageId"),
        "ts": _message_time(message),
        "user_id": user_id,
        "anonymous_id": anonymous_id,
        "name": name,
        "channel": message_channel(message, kind),
        "device": message_device(context),
        "source": _text(campaign.get("source")),
        "medium": _text(campaign.get("medium")),
        "campaign": _text(campaign.get("name")),
        "revenue": _revenue(properties, name) if kind == "track" else None,
        "currency": _text(properties.get("currency")),
        "properties": _properties_text(kind, properties, context, reserved),
    }


def _properties_text(
    kind: str,
    properties: Mapping[str, object],
    context: Mapping[str, object],
    reserved: dict[str, object],
) -> str:
    try:
        return canonical_dumps(_properties(kind, properties, context, reserved))
    except TooDeep as error:
        raise _Invalid("properties", str(error), "flatten the properties") from None


def _properties(
    kind: str,
    properties: Mapping[str, object],
    context: Mapping[str, object],
    reserved: dict[str, object],
) -> dict[str, object]:
    values = dict(properties)
    if kind == "page":
        page = _mapping(context, "page")
        values = {**{key: page[key] for key in page if key not in values}, **values}
    return merge_reserved(values, {**reserved, "context": dict(context) or None}, RESERVED_PREFIX)


def _track(message: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    event = message.get("event")
    if not isinstance(event, str) or not event.strip():
        raise _Invalid("event", "is missing or empty", "a track call names what happened")
    return normalise_event_name(event), {"event": event}


def _page(message: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    return "page_viewed", _named(message)


def _screen(message: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    return "screen_viewed", _named(message)


def _identify(message: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    traits = _object(message, "traits") or _mapping(_mapping(message, "context"), "traits")
    return "identify", {"traits": dict(traits) or None}


def _group(message: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    group_id = _identifier(message, "groupId")
    if group_id is None:
        raise _Invalid("groupId", "is missing", "a group call names the group it joins")
    return "group", {"group_id": group_id, "traits": dict(_object(message, "traits")) or None}


def _alias(message: Mapping[str, object]) -> tuple[str, dict[str, object]]:
    previous = _identifier(message, "previousId")
    if previous is None:
        raise _Invalid("previousId", "is missing", "an alias call names the id it merges")
    if _identifier(message, "userId") is None:
        raise _Invalid("userId", "is missing", "an alias call names the new user id")
    return "alias", {"previous_id": previous}


_TYPES: Mapping[str, Callable[[Mapping[str, object]], tuple[str, dict[str, object]]]] = (
    MappingProxyType(
        {
            "track": _track,
            "page": _page,
            "screen": _screen,
            "identify": _identify,
            "group": _group,
            "alias": _alias,
        }
    )
)


def _named(message: Mapping[str, object]) -> dict[str, object]:
    return {"name": _text(message.get("name")), "category": _text(message.get("category"))}


def _kind(message: Mapping[str, object]) -> str:
    value = message.get("type")
    if value is None:
        hint = "unpack batches to one message per line" if "batch" in message else ""
        raise _Invalid("type", "is missing", hint or "use one of: " + ", ".join(SEGMENT_TYPES))
    kind = value.strip().lower() if isinstance(value, str) else ""
    if kind not in _TYPES:
        raise _Invalid(
            "type",
            f"'{value}' is not a Segment message type",
            suggestion(str(value), SEGMENT_TYPES),
        )
    return kind


def _revenue(properties: Mapping[str, object], name: str) -> float | None:
    field = "revenue" if properties.get("revenue") is not None else "total"
    amount = _number(properties.get(field), f"properties.{field}")
    if amount is not None and name == "order_refunded":
        return -abs(amount)
    return amount


def _number(value: object, field: str) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _as_float(value)
    if number is None or not math.isfinite(number):
        raise _Invalid(
            field, f"{value!r} is not a number", "send the amount as a number, e.g. 59.90"
        )
    return number


def _as_float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        return float(value)
    except (ValueError, OverflowError):
        return None


def _time(message: Mapping[str, object], field: str) -> datetime | None:
    value = message.get(field)
    if value is None:
        return None
    if type(value) is not str and not isinstance(value, str):
        raise _Invalid(field, f"is {type(value).__name__}, expected text", _TIME_HINT)
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Invalid(field, f"'{value}' is not an ISO-8601 time", _TIME_HINT) from None
    zone = moment.tzinfo
    if zone is UTC:  # a 'Z' or '+00:00' time: ``astimezone`` would return it unchanged
        return moment
    if zone is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        raise _Invalid(field, f"'{value}' is outside the years 1–9999", _TIME_HINT) from None


def _identifier(message: Mapping[str, object], field: str) -> str | None:
    value = message.get(field)
    if value is None:
        return None
    if type(value) is str:
        return value.strip() or None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _Invalid(field, f"is {type(value).__name__}, expected text")
    text = str(value).strip()
    return text or None


def _object(message: Mapping[str, object], field: str) -> Mapping[str, object]:
    """A top-level object of the message; present but not an object is the sender's error."""
    value = message.get(field)
    if value is None:
        return {}
    if type(value) is dict:
        return value
    if not isinstance(value, Mapping):
        raise _Invalid(field, f"is {type(value).__name__}, expected a JSON object")
    return value


def _mapping(values: Mapping[str, object], key: str) -> Mapping[str, object]:
    value = values.get(key)
    if type(value) is dict:
        return value
    if value is None:  # ``isinstance`` against the ABC is slow, and absent is the common case
        return {}
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str | None:
    if type(value) is str:
        return value.strip() or None
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = str(value).strip()
    return text or None
