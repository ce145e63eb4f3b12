"""From a request body to the append-log entries of its messages, or the reason it is refused.

A request is accepted or rejected whole. Every message of a batch is checked before anything is
written; if one is invalid the answer is 400 naming it (and listing the others), and nothing of
the batch is stored. So a 200 always means *every* message is durable and a 4xx means *none* is,
and a sender's retry or drop is exact — no batch is ever half in the store.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.exceptions import InvalidBatch, InvalidRequest
from journeykit.events.collector.jsontext import fast_loads
from journeykit.events.collector.messages import Envelope, LogEntry, check_message, parse_time

BATCH = "batch"


@dataclass(frozen=True)
class Payload:
    """The checked content of one request."""

    write_key: str | None
    entries: list[LogEntry]


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


_decode = json.JSONDecoder(parse_constant=_reject_constant).decode
"""Strict JSON: ``NaN`` and ``Infinity`` (which Python would accept) are refused, so every stored
message is JSON that any engine can read back."""


def parse_json(body: bytes) -> Any:
    """The JSON document of the body; ``InvalidRequest`` saying where the syntax breaks."""
    try:
        return fast_loads(body)
    except ValueError:
        pass  # the standard library decides, and says where the syntax breaks
    if not body.strip():
        raise InvalidRequest("the body is empty", "body", "send a JSON object")
    try:
        return _decode(body.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InvalidRequest("the body is not UTF-8 text", "body", "encode JSON as UTF-8") from None
    except RecursionError:
        raise InvalidRequest(
            "the JSON is nested too deeply", "body", "flatten the properties"
        ) from None
    except json.JSONDecodeError as error:
        raise InvalidRequest(
            f"malformed JSON: {error.msg} at line {error.lineno} column {error.colno}",
            "body",
            "send one valid JSON object (check quotes, commas and brackets)",
        ) from None
    except ValueError as error:
        raise InvalidRequest(f"malformed JSON: {error}", "body", "send null instead") from None


def read_payload(
    document: Any, kind: str, received_at: datetime, config: CollectorConfig
) -> Payload:
    """The log entries of a parsed body sent to ``/v1/{kind}`` (``kind`` may be ``batch``)."""
    if not isinstance(document, dict):
        raise InvalidRequest("the body must be a JSON object", "body", "wrap the message in {...}")
    write_key = _write_key(document)
    sent_at = parse_time(document["sentAt"], "sentAt") if document.get("sentAt") else None
    if kind != BATCH:
        envelope = Envelope(received_at, sent_at)
        entry = check_message(document, "", kind, envelope, config.max_event_bytes)
        return Payload(write_key, [entry])
    envelope = Envelope(received_at, sent_at, document)
    return Payload(write_key, _batch_entries(document.get(BATCH), envelope, config))


def _batch_entries(messages: Any, envelope: Envelope, config: CollectorConfig) -> list[LogEntry]:
    if not isinstance(messages, list):
        raise InvalidRequest(
            "is missing" if messages is None else "must be an array",
            BATCH,
            'send {"batch": [message, ...]}',
        )
    entries: dict[str, LogEntry] = {}
    problems: list[InvalidRequest] = []
    for index, message in enumerate(messages):
        try:
            entry = check_message(
                message, f"batch[{index}]", None, envelope, config.max_event_bytes
            )
        except InvalidRequest as problem:
            problems.append(problem)
            continue
        entries.setdefault(entry.message_id, entry)
    if problems:
        raise InvalidBatch(problems)
    return list(entries.values())


def _write_key(document: dict[str, Any]) -> str | None:
    value = document.get("writeKey")
    return value if isinstance(value, str) and value else None
