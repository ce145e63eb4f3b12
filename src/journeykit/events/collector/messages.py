"""Checking Segment messages and turning them into append-log entries.

A message is checked against the Segment spec (type, ids, timestamps, object fields), its
timestamp corrected for the sender's clock skew, and written out as compact JSON with the
bookkeeping fields Segment adds itself (``receivedAt``, ``originalTimestamp``, ``messageId``).
The event-row mapping is *not* here: the flusher hands these messages to the Segment source's
mapping, so HTTP and JSONL Segment data land identically.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any, NamedTuple

from journeykit.errors import suggestion
from journeykit.events.collector.exceptions import InvalidRequest, PayloadTooLarge
from journeykit.events.collector.jsontext import compact

MESSAGE_TYPES = ("track", "identify", "page", "screen", "group", "alias")
NEEDS_USER_OR_ANONYMOUS = frozenset({"track", "identify", "page", "screen", "group"})
REQUIRED_STRINGS: Mapping[str, tuple[str, ...]] = {
    "track": ("event",),
    "group": ("groupId",),
    "alias": ("userId", "previousId"),
}
OBJECT_FIELDS = ("context", "properties", "traits", "integrations")
ID_FIELDS = ("userId", "anonymousId", "groupId", "previousId", "messageId")
BATCH_DEFAULTS = ("context", "integrations")
MAX_MESSAGE_ID_CHARS = 255
_ABSENT = object()


class LogEntry(NamedTuple):
    """One accepted message as the append log stores it (a tuple: one is built per message)."""

    message_id: str
    body: str


@dataclass(frozen=True)
class Envelope:
    """What the messages of one request share: arrival time, ``sentAt``, batch-level defaults."""

    received_at: datetime
    sent_at: datetime | None = None
    defaults: Mapping[str, Any] | None = None

    @cached_property
    def received_text(self) -> str:
        """``receivedAt`` as stored, formatted once per request rather than once per message."""
        return iso(self.received_at)

    @cached_property
    def shared(self) -> dict[str, dict[str, Any]]:
        """The batch-level ``context``/``integrations`` that messages inherit (non-empty ones)."""
        defaults = self.defaults or {}
        found = {name: defaults.get(name) for name in BATCH_DEFAULTS}
        return {name: value for name, value in found.items() if isinstance(value, dict) and value}

    @cached_property
    def sent_text(self) -> str | None:
        """The batch's ``sentAt`` as stored, formatted once per request."""
        return None if self.sent_at is None else iso(self.sent_at)


def check_message(
    message: Any, where: str, kind: str | None, envelope: Envelope, max_bytes: int
) -> LogEntry:
    """The log entry of one message, or ``InvalidRequest``/``PayloadTooLarge`` naming the field.

    ``kind`` is the endpoint's type (``/v1/track``); ``None`` in a batch, where each message
    carries its own ``type``. ``where`` prefixes field names, e.g. ``batch[3]``.
    """
    if not isinstance(message, dict):
        raise InvalidRequest("must be a JSON object", where or "body", "send one JSON object")
    derived_id = content_message_id(message) if message.get("messageId") in (None, "") else None
    clean = dict(message)  # shallow: nested objects are replaced, never changed in place
    clean.pop("writeKey", None)
    clean["type"] = kind or _message_type(clean, where)
    _check_required(clean, where)
    _check_objects(clean, where)
    if envelope.shared:
        _apply_defaults(clean, envelope.shared)
    _stamp(clean, where, envelope)
    if derived_id is not None:
        clean["messageId"] = derived_id
    elif len(clean["messageId"]) > MAX_MESSAGE_ID_CHARS:
        raise InvalidRequest(
            f"is longer than {MAX_MESSAGE_ID_CHARS} characters",
            _field(where, "messageId"),
            "use a UUID or another short unique id",
        )
    body = compact(clean)
    # A UTF-8 character has at most 4 bytes: short texts need no encoding to be measured.
    if (
        len(body) > max_bytes // 4
        and len(body.encode()) > max_bytes
        and _sent_size(message) > max_bytes
    ):
        raise PayloadTooLarge(
            f"the message is larger than {max_bytes} bytes",
            where or "body",
            "keep each message under 32 KB: move large values out of properties",
        )
    return LogEntry(str(clean["messageId"]), body)


def _message_type(message: dict[str, Any], where: str) -> str:
    value = message.get("type")
    if value in MESSAGE_TYPES:
        return str(value)
    field = _field(where, "type")
    if value is None:
        hint = "set 'type' to one of: " + ", ".join(MESSAGE_TYPES)
        raise InvalidRequest("is missing", field, hint)
    if value not in MESSAGE_TYPES:
        hint = suggestion(str(value), MESSAGE_TYPES)
        raise InvalidRequest(f"'{value}' is not a Segment message type", field, hint)
    return str(value)


def _check_required(message: dict[str, Any], where: str) -> None:
    for name in ID_FIELDS:
        value = message.get(name, _ABSENT)
        if value is not _ABSENT and not (value.__class__ is str and value):
            _normalise_id(message, name, where)
    kind = message["type"]
    for name in REQUIRED_STRINGS.get(kind, ()):
        if not _present(message.get(name)):
            raise InvalidRequest(
                "is missing", _field(where, name), f"a {kind} message needs '{name}'"
            )
        if not isinstance(message[name], str):
            raise InvalidRequest("must be a string", _field(where, name), f"send '{name}' as text")
    # Ids are normalised above: present means a non-empty string.
    if kind in NEEDS_USER_OR_ANONYMOUS and "userId" not in message and "anonymousId" not in message:
        raise InvalidRequest(
            "is missing, and so is anonymousId",
            _field(where, "userId"),
            "set 'userId' for a known user or 'anonymousId' for an anonymous visitor",
        )


def _normalise_id(message: dict[str, Any], name: str, where: str) -> None:
    """Ids may be strings or integers (Segment's clients accept both); stored as strings."""
    value = message.get(name)
    if value.__class__ is str and value:
        return
    if value is None:
        message.pop(name, None)
    elif isinstance(value, int) and not isinstance(value, bool):
        message[name] = str(value)
    elif not isinstance(value, str):
        raise InvalidRequest(
            f"must be a string, not {_json_type(value)}", _field(where, name), "send ids as text"
        )
    elif value == "":
        message.pop(name)


def _check_objects(message: dict[str, Any], where: str) -> None:
    for name in OBJECT_FIELDS:
        value = message.get(name)
        if value is not None and not isinstance(value, dict):
            raise InvalidRequest(
                f"must be a JSON object, not {_json_type(value)}",
                _field(where, name),
                f"send '{name}' as {{\"key\": value, ...}}",
            )


def _apply_defaults(message: dict[str, Any], shared: dict[str, dict[str, Any]]) -> None:
    """Batch-level ``context``/``integrations`` fill in what a message does not set itself."""
    for name, values in shared.items():
        message[name] = {**values, **(message.get(name) or {})}


def _stamp(message: dict[str, Any], where: str, envelope: Envelope) -> None:
    """Correct ``timestamp`` for clock skew: ``receivedAt − (sentAt − timestamp)``.

    The stored message is final: ``timestamp`` is the corrected time, ``originalTimestamp`` the
    sender's (as Segment stores them), so the Segment mapping takes ``timestamp`` as it is. A
    message without a timestamp happened when it arrived; its ``sentAt`` is dropped, as there is
    nothing to correct and it must not be mistaken for a correction still to be done.
    """
    own_sent = _optional_time(message, "sentAt", where)
    sent = own_sent or envelope.sent_at
    original = _optional_time(message, "timestamp", where)
    message.pop("sentAt", None)
    message.pop("originalTimestamp", None)
    message["receivedAt"] = envelope.received_text
    if original is None:
        message["timestamp"] = envelope.received_text
        return
    message["originalTimestamp"] = message["timestamp"]
    if sent is None:
        message["timestamp"] = iso(original)
        return
    message["sentAt"] = envelope.sent_text if own_sent is None else iso(sent)
    try:
        message["timestamp"] = iso(envelope.received_at - (sent - original))
    except OverflowError:
        raise InvalidRequest(
            "is too far from sentAt to correct the clock skew",
            _field(where, "timestamp"),
            "check the sender's clock and the timestamp's year",
        ) from None


def _optional_time(message: dict[str, Any], name: str, where: str) -> datetime | None:
    value = message.get(name)
    if value is None:
        return None
    try:
        return _parse_utc(value)
    except (TypeError, ValueError, OverflowError):
        return parse_time(value, _field(where, name))  # raises, naming the field


def _parse_utc(value: str) -> datetime:
    """The fast way of ``parse_time`` for valid text; the errors are left to ``parse_time``."""
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is UTC:  # "…Z", what clients send
        return parsed
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_time(value: Any, field: str) -> datetime:
    """An aware UTC datetime from ISO-8601 text; naive times are read as UTC (as Segment does)."""
    hint = "use ISO-8601 with a zone, e.g. '2026-11-26T14:05:00.000Z'"
    if not isinstance(value, str):
        raise InvalidRequest(f"must be an ISO-8601 string, not {_json_type(value)}", field, hint)
    try:
        parsed = datetime.fromisoformat(value)
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except ValueError:
        raise InvalidRequest(f"'{value[:40]}' is not an ISO-8601 time", field, hint) from None
    except OverflowError:
        raise InvalidRequest(f"'{value[:40]}' is outside the years 1–9999", field, hint) from None


def iso(moment: datetime) -> str:
    """UTC time as Segment writes it: milliseconds and a ``Z``."""
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # By hand: ``isoformat(timespec=...)`` of an aware time costs several times as much, and
    # this runs once per message.
    return "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ" % (  # noqa: UP031 (the fastest way)
        moment.year,
        moment.month,
        moment.day,
        moment.hour,
        moment.minute,
        moment.second,
        moment.microsecond // 1000,
    )


def content_message_id(message: Mapping[str, Any]) -> str:
    """A stable id for a message sent without ``messageId``: a hash of its content.

    The same message resent (a retry) gets the same id and is stored once. ``sentAt`` and the
    write key are left out because a retry may change them.
    """
    content = {key: value for key, value in message.items() if key not in ("sentAt", "writeKey")}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256-" + hashlib.sha256(text.encode()).hexdigest()[:40]


def _sent_size(message: Mapping[str, Any]) -> int:
    return len(compact(message).encode())


def _present(value: Any) -> bool:
    return value is not None and value != ""


def _field(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def _json_type(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}
    names |= {list: "an array", dict: "an object", type(None): "null"}
    return names.get(type(value), type(value).__name__)
