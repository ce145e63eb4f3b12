"""The event-id rule for records that bring no id of their own (documented in docs/events.md).

``event_id`` = the first 32 hex digits of SHA-256 over the UTF-8 text

    <ts in µs since 1970-01-01 UTC> ␟ <user_id> ␟ <anonymous_id> ␟ <name> ␟ <properties>

where ␟ is U+001F (unit separator), a missing value is the empty string and ``properties`` is the
canonical JSON the pipeline stores (keys sorted, no spaces; empty when there are none). All values
are the *normalised* ones, so the same event exported twice — as ``01.03.2024 14:30`` from a shop or
``2024-03-01T13:30:00Z`` from an API — gets the same id, and re-ingesting a file adds nothing.
Context that describes rather than identifies an event (channel, device, revenue, campaign) is
left out: a corrected campaign name in a re-export does not duplicate the event. Two events that
agree on all five parts are one event; an order or line id in ``properties`` keeps them apart.
"""

from __future__ import annotations

import hashlib

SEPARATOR = "\x1f"
ID_HEX_DIGITS = 32


def content_event_id(
    ts_micros: int,
    user_id: str | None,
    anonymous_id: str | None,
    name: str,
    properties: str | None,
) -> str:
    """The content-hash id in Python — the reference the vectorised SQL is tested against."""
    parts = [str(ts_micros), user_id or "", anonymous_id or "", name, properties or ""]
    digest = hashlib.sha256(SEPARATOR.join(parts).encode("utf-8")).hexdigest()
    return digest[:ID_HEX_DIGITS]


def content_event_id_sql(ts: str, user_id: str, anonymous_id: str, name: str, props: str) -> str:
    """The same rule as a DuckDB SQL expression over the given column expressions."""
    parts = ", ".join(
        [f"CAST(epoch_us({ts}) AS VARCHAR)"]
        + [f"coalesce({column}, '')" for column in (user_id, anonymous_id, name, props)]
    )
    return f"left(sha256(concat_ws(chr(31), {parts})), {ID_HEX_DIGITS})"
