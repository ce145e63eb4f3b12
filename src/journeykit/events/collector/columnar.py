"""The Segment mapping of logged messages, a column at a time in DuckDB.

Mapping messages one by one in Python (``segment_message_to_row``) costs ~17 µs per event on
a quiet core, more than half of the flusher's work. Here DuckDB reads the fields of a whole
micro-batch in one vectorised pass — the ids, the time and the ``properties`` text in SQL —
and what a rule decides (event name, revenue, currency, channel, device, campaign) is decided
by ``segment_message_to_row`` itself, once per *distinct* combination of the fields it depends
on, so the rules live in one place. Together ~11–12 µs per event.

The result is the very row the Python mapping gives, byte for byte (property tests compare
them). SQL only takes the messages where that is certain; every other message is left to the
Python mapping:

- ``track`` messages only (the bulk of the traffic);
- JSON without a backslash, so no string holds an escape and DuckDB writes every string back
  as it was; without a number in exponent form, below 1e-4 or of 19 digits and more (where
  DuckDB and orjson spell a number differently, or orjson reads one inexactly);
- ids that are text without surrounding white space; times in the form the collector writes
  (``2026-11-27T06:04:42.945Z``) with ``timestamp`` already corrected for clock skew;
- ``properties`` an object without the keys ``event`` and ``context`` (which the mapping
  renames), ``context`` an object.

It also relies on what holds for every body the collector writes (``compact`` of a decoded
object): valid JSON whose objects have unique keys. A hand-edited log breaking that is read
differently here (DuckDB keeps the first of two equal keys, the Python mapping the last).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.events.collector.log import Pending
from journeykit.events.sources.base import RAW, ROW
from journeykit.events.sources.segment import SEGMENT_SCHEMA
from journeykit.events.sources.segment_message import MessageError, segment_message_to_row
from journeykit.store.arrow_views import registered

if TYPE_CHECKING:
    from journeykit.events.ingest.normalise import Compute

LOGGED = "__jk_logged"
_FIELDS = {  # a name for each JSON path the mapping reads, in the order of ``f[i]``
    "type": "$.type",
    "message_id": "$.messageId",
    "user_id": "$.userId",
    "anonymous_id": "$.anonymousId",
    "event": "$.event",
    "timestamp": "$.timestamp",
    "original": "$.originalTimestamp",
    "sent": "$.sentAt",
    "received": "$.receivedAt",
    "channel": "$.channel",
    "context": "$.context",
    "properties": "$.properties",
    "device_type": "$.context.device.type",
    "device_model": "$.context.device.model",
    "user_agent": "$.context.userAgent",
    "app": "$.context.app",
    "page": "$.context.page",
    "source": "$.context.campaign.source",
    "medium": "$.context.campaign.medium",
    "campaign": "$.context.campaign.name",
    "revenue": "$.properties.revenue",
    "total": "$.properties.total",
    "currency": "$.properties.currency",
}
_SPACE = "".join(f"\\x{{{code:x}}}" for code in range(0x110000) if chr(code).isspace())
"""Every character ``str.strip()`` removes, as an RE2 class body."""
_ID = f'(?:-|"[^"{_SPACE}](?:[^"]*[^"{_SPACE}])?")'
"""An absent id (``-``) or a JSON string that ``str.strip()`` leaves as it is (no escapes: the
guard sends bodies with a backslash the Python way)."""
_YEAR = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_TIME = (
    f'"{_YEAR}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])'
    r'T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]\.[0-9]{3}Z"'
)
"""A time as the collector writes it, in the ranges Python's ``fromisoformat`` accepts (a day
after the 28th is checked by casting)."""
_ODD_JSON = r"[:,\[]-?(?:[0-9.]+[eE]|0\.0000|[0-9]{19})"
"""A number DuckDB would write back differently from orjson, or orjson not read exactly."""
_RESERVED = ["event", "context"]
"""Property keys the mapping renames to ``property_<key>`` (the Python way does that)."""
_FALSY = ("null", "false", "0", "0.0", "-0.0", '""', "{}", "[]")
"""The JSON texts of the values Python holds false (DuckDB writes a zero as 0, 0.0 or -0.0)."""
_IDS = ("message_id", "user_id", "anonymous_id")
_TIMES = ("timestamp", "original", "sent", "received")
_AS_TEXT = ("type", *_IDS, *_TIMES, "context", "properties")
"""The fields the checks read as text, null for JSON ``null`` (the rest only go into lookup
keys, as JSON)."""


def _json(name: str) -> str:
    """The field's JSON text (``null`` for JSON null; SQL NULL when absent)."""
    return f"f[{list(_FIELDS).index(name) + 1}]"


def _text(name: str) -> str:
    return f"nullif({_json(name)}::VARCHAR, 'null') AS \"{name}\""


def _joined(names: Sequence[str]) -> str:
    """The fields' texts in one string (``-`` where absent), for one regular expression."""
    return " || chr(1) || ".join(f"coalesce({name}, '-')" for name in names)


def _day_ok(name: str) -> str:
    cast = f"TRY_CAST({name}[2:24] AS TIMESTAMP)"
    return f"({name} IS NULL OR {name}[10:11] <= '28' OR {cast} IS NOT NULL)"


def _truth(name: str) -> str:
    """``true``/``false``: Python's truth of the field's value."""
    falsy = ", ".join(f"'{text}'" for text in _FALSY)
    return f"CASE WHEN coalesce({_json(name)} NOT IN ({falsy}), false) THEN 'true' ELSE 'false' END"


def _key(values: Sequence[str]) -> str:
    """A JSON array of the values' JSON texts (null where absent): a ``_per_distinct`` key."""
    items = " || ',' || ".join(f"coalesce({value}, 'null')" for value in values)
    return f"'[' || {items} || ']'"


_CHECKS = (
    "type = '\"track\"'",
    f"regexp_full_match({_joined(_IDS)}, '{_ID}\\x01{_ID}\\x01{_ID}')",
    "coalesce(user_id, anonymous_id) IS NOT NULL",
    f"regexp_full_match({_joined(_TIMES)}, '{_TIME}(?:\\x01(?:-|{_TIME})){{3}}')",
    *(_day_ok(name) for name in _TIMES),
    "(original IS NOT NULL OR sent IS NULL OR received IS NULL)",  # no skew left to correct
    "(context IS NULL OR context[1] = '{')",
    "(properties IS NULL OR"
    f" (props IS NOT NULL AND NOT list_has_any(map_keys(props), {_RESERVED})))",
)
_ENTRIES = (
    "list_transform(map_entries(coalesce(props, MAP {}::MAP(VARCHAR, JSON))),"
    " lambda e: e.key || chr(1) || coalesce(e.value, 'null'))"
    f" || ['event' || chr(1) || {_json('event')}]"
    " || CASE WHEN context IS NULL OR context = '{}' THEN []"
    " ELSE ['context' || chr(1) || context] END"
)
"""Each key and its value's JSON text, split by chr(1): it sorts below every character a key
may hold here (control characters need escapes), so the entries sort as their keys do."""
_WHAT = _key([_json(name) for name in ("event", "revenue", "total", "currency")])
_WHERE = _key(
    [
        *(_json(name) for name in ("channel", "device_type", "device_model", "user_agent")),
        _truth("app"),
        _truth("page"),
        *(_json(name) for name in ("source", "medium", "campaign")),
    ]
)
MAPPING_SQL = f"""
WITH readable AS (
    SELECT {ROW}, {RAW},
        NOT contains({RAW}, '\\') AND NOT regexp_matches({RAW}, '{_ODD_JSON}') AS plain
    FROM {LOGGED}
), parsed AS (
    SELECT {ROW}, plain,
        CASE WHEN plain THEN json_extract({RAW}, {list(_FIELDS.values())}) END AS f
    FROM readable
), fields AS (
    SELECT {ROW}, plain, f, {", ".join(_text(name) for name in _AS_TEXT)},
        CASE WHEN plain THEN TRY_CAST({_json("properties")} AS MAP(VARCHAR, JSON)) END AS props
    FROM parsed
), checked AS (
    SELECT *, coalesce(plain AND {" AND ".join(_CHECKS)}, false) AS fast FROM fields
)
SELECT {ROW}, fast,
    message_id[2:-2] AS event_id,
    user_id[2:-2] AS user_id,
    anonymous_id[2:-2] AS anonymous_id,
    TRY_CAST("timestamp"[2:24] AS TIMESTAMP) AS ts,
    {_WHAT} AS what,
    {_WHERE} AS "where",
    replace('{{"' || array_to_string(list_sort({_ENTRIES}), ',"'), chr(1), '":') || '}}'
        AS properties
FROM checked
"""
"""One pass over a micro-batch: which messages SQL maps (``fast``), their ids, time and
``properties`` text, and the keys of the two lookups done in Python. The other columns of a
row that is not ``fast`` mean nothing."""


_WHAT_TYPE = pa.struct(
    [("name", pa.string()), ("revenue", pa.float64()), ("currency", pa.string())]
)
_WHERE_TYPE = pa.struct(
    [(name, pa.string()) for name in ("channel", "device", "source", "medium", "campaign")]
)
_PROBE = {"type": "track", "anonymousId": "-", "timestamp": "2000-01-01T00:00:00.000Z"}
"""What a probe message needs besides the fields under test to map without an error."""


def sql_mapped(compute: Compute, entries: Sequence[Pending]) -> tuple[pa.Table, list[Pending]]:
    """The rows DuckDB mapped (the Segment source's schema), and the entries left to Python.

    A statement DuckDB refuses as a whole (a body that is not JSON: only a hand-edited log
    holds one) leaves every entry to Python, which quarantines what it cannot read.
    """
    import duckdb

    logged = pa.table(
        {
            ROW: pa.array([entry.id for entry in entries], pa.int64()),
            RAW: pa.array([entry.body for entry in entries], pa.string()),
        }
    )
    try:
        with registered(compute.connection, LOGGED, logged):
            mapped = compute.arrow(MAPPING_SQL)
    except duckdb.Error:
        return SEGMENT_SCHEMA.empty_table(), list(entries)
    what = _per_distinct(mapped["what"], _what, _WHAT_TYPE)
    where = _per_distinct(mapped["where"], _where, _WHERE_TYPE)
    done = pc.and_(mapped["fast"], pc.and_(pc.is_valid(what), pc.is_valid(where)))
    rest = [entry for entry, fast in zip(entries, done.to_pylist(), strict=True) if not fast]
    return _assembled(logged, mapped, what, where).filter(done), rest


def _per_distinct(
    keys: pa.ChunkedArray, decide: Callable[[list[Any]], dict[str, Any] | None], type_: pa.DataType
) -> pa.Array:
    """``decide`` of each row's key (a JSON array), called once per distinct key."""
    encoded = pc.dictionary_encode(keys.combine_chunks())
    decided = [decide(orjson.loads(key)) for key in encoded.dictionary.to_pylist()]
    return pa.array(decided, type_).take(encoded.indices)


def _what(values: list[Any]) -> dict[str, Any] | None:
    """Name, revenue and currency by the mapping's rules; None where it refuses the message."""
    event, revenue, total, currency = values
    properties = {"revenue": revenue, "total": total, "currency": currency}
    row = segment_message_to_row({**_PROBE, "event": event, "properties": properties})
    if isinstance(row, MessageError):
        return None
    return {"name": row["name"], "revenue": row["revenue"], "currency": row["currency"]}


def _where(values: list[Any]) -> dict[str, Any] | None:
    """Channel, device and campaign fields by the mapping's rules (``app``/``page``: truth only)."""
    channel, device_type, model, agent, app, page, source, medium, campaign = values
    context = {
        "device": {"type": device_type, "model": model},
        "userAgent": agent,
        "app": app,
        "page": page,
        "campaign": {"source": source, "medium": medium, "name": campaign},
    }
    row = segment_message_to_row({**_PROBE, "event": "-", "channel": channel, "context": context})
    if isinstance(row, MessageError):
        return None
    return {name: row[name] for name in _WHERE_TYPE.names}


def _assembled(logged: pa.Table, mapped: pa.Table, what: pa.Array, where: pa.Array) -> pa.Table:
    """Every row as SQL mapped it, in the Segment source's schema (the caller keeps the good)."""
    columns: dict[str, Any] = {
        "event_id": mapped["event_id"],
        "ts": mapped["ts"],
        "user_id": mapped["user_id"],
        "anonymous_id": mapped["anonymous_id"],
        **{name: what.field(name) for name in _WHAT_TYPE.names},
        **{name: where.field(name) for name in _WHERE_TYPE.names},
        "properties": mapped["properties"],
        ROW: logged[ROW],
        RAW: logged[RAW],
    }
    count = len(logged)
    arrays = [
        pa.nulls(count, field.type)  # _line and _error, null in the Python mapping's rows too
        if field.name not in columns
        else columns[field.name].cast(field.type)
        for field in SEGMENT_SCHEMA
    ]
    return pa.Table.from_arrays(arrays, schema=SEGMENT_SCHEMA)
