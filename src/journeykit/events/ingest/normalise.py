"""Normalising one batch: map columns, parse, check and hash — one SQL statement over Arrow.

The whole batch is transformed by the local DuckDB (``journeykit.events.compute``) with vectorised
SQL: no Python runs per row. Out come the good events in ``EVENT_SCHEMA`` and the rejected records
with field, reason and raw record. Only the "did you mean" of an unknown channel or device is
computed in Python — once per distinct unknown value.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.errors import did_you_mean
from journeykit.events.compute import compute_connection, run
from journeykit.events.ingest import expressions as sql
from journeykit.events.ingest.alone import AnonymousAlone
from journeykit.events.ingest.checks import (
    failure_field,
    failure_message,
    first_failure,
    record_checks,
)
from journeykit.events.ingest.configuration import IngestOptions
from journeykit.events.ingest.eventid import content_event_id_sql
from journeykit.events.ingest.pairs import FirstPairs
from journeykit.events.ingest.vocabulary import channel_vocabulary, device_vocabulary, known_words
from journeykit.events.mapping import ColumnMapping, Resolution, check_required, resolve_columns
from journeykit.events.schema import EVENT_FIELDS, EVENT_SCHEMA
from journeykit.events.sources.base import (
    ALL_BOOKKEEPING,
    ERROR,
    FIELD_JSON,
    JSON_SORTED,
    JSON_TEXT,
    LINE,
    META_DECIMAL,
    META_TIMEZONE,
    RAW,
    ROW,
)
from journeykit.store.arrow_views import registered

TEXT_FIELDS = ("event_id", "user_id", "anonymous_id", "name", "source", "medium", "campaign")
_CUSTOMER_JOIN = """
LEFT JOIN __jk_users cu ON cu.key = e.user_id
LEFT JOIN __jk_anons ca ON ca.key = e.anonymous_id"""
_DUCKDB_WRITES_OTHERWISE = sql.quote_literal(r"[:,\[]-?[0-9][0-9.]*[eE]|[0-9]{19}|\\u00")
"""Where DuckDB writes ``canonical_dumps`` text differently: a number in exponent form (Python
writes ``1e+16``, DuckDB ``10000000000000000.0``) or with 19 digits and more (beyond 64 bits
DuckDB reads a double), and an escaped control character (``\\u001f`` against ``\\u001F``). Such
objects are re-encoded by DuckDB; a string that merely looks like one (``"a:1e5"``) only takes
that slower way. Every other object of sorted text is kept as is:
DuckDB would write the same bytes (``test_sorted_properties_are_stored_as_duckdb_writes_them``)."""
_EMPTY_MAP = pa.table({"key": pa.array([], pa.string()), "value": pa.array([], pa.string())})
REJECTED_SCHEMA = pa.schema(
    [
        ("row", pa.int64()),
        ("line", pa.int64()),
        ("field", pa.string()),
        ("reason", pa.string()),
        ("raw", pa.string()),
    ]
)


class Compute:
    """The local DuckDB that normalises batches, with its spill folder and vocabularies.

    Starting one costs ~0.1 s, so the inputs of one call (e.g. 366 daily GA4 shards) share one;
    each ``Normaliser`` keeps its per-input state in tables it drops when closed.
    """

    def __init__(self, options: IngestOptions) -> None:
        self._spill = tempfile.TemporaryDirectory(prefix="journeykit-ingest-")
        self.connection = compute_connection(
            options.compute_memory, options.threads, Path(self._spill.name)
        )
        self.connection.register("__jk_channels", channel_vocabulary())
        self.connection.register("__jk_devices", device_vocabulary())
        self._relations: dict[str, Any] = {}

    def arrow(self, statement: str) -> pa.Table:
        """The rows of a SELECT over the registered tables, as Arrow.

        The relation is kept per statement: building one binds the whole statement (~30 ms for
        a normalising statement), and a kept relation reads the tables registered under its
        names at each run. That halves the fixed cost of a batch, which is what small files pay.
        (A kept relation also keeps the first tables it was bound to alive: one batch at most.)
        """
        relation = self._relations.get(statement)
        if relation is None:
            relation = self._relations[statement] = self.connection.sql(statement)
        table: pa.Table = relation.to_arrow_table()
        return table

    def close(self) -> None:
        self.connection.close()
        self._spill.cleanup()


@dataclass(frozen=True)
class Normalised:
    """The outcome of one batch: ``events`` + ``rejected`` + ``duplicates`` = rows in."""

    events: pa.Table  # EVENT_SCHEMA (all nullable) plus "_row"
    rejected: pa.Table  # REJECTED_SCHEMA
    duplicates: int = 0  # events left out as already stored (see ``BatchWriter.screen``)


class Normaliser:
    """Normalises the batches of one input (a file, a micro-batch) in order."""

    def __init__(
        self,
        source_file: str,
        mapping: ColumnMapping | None,
        options: IngestOptions,
        compute: Compute | None = None,
    ):
        self.source_file = source_file
        self.mapping = mapping
        self.options = options
        self.rows_seen = 0
        self._used: dict[str, str] = {}
        self._plans: dict[tuple[Any, ...], str] = {}
        self._owned = compute is None
        self.compute = compute or Compute(options)
        self.connection = self.compute.connection
        self._customers = False
        self.set_customers(_EMPTY_MAP, _EMPTY_MAP)
        self.pairs = FirstPairs(self.connection)
        self.alone = AnonymousAlone(self.connection)

    def set_customers(self, users: pa.Table, anonymous: pa.Table) -> None:
        """Customer ids of linked ids (``key`` → ``value``); other events get their own id."""
        self.connection.register("__jk_users", users)
        self.connection.register("__jk_anons", anonymous)
        self._customers = bool(users.num_rows or anonymous.num_rows)

    def close(self) -> None:
        """Drop this input's state; close the compute connection if it is this normaliser's own."""
        if self._owned:
            self.compute.close()
        else:
            self.pairs.close()

    def normalise(self, batch: pa.RecordBatch) -> Normalised:
        """Transform one batch; a mapping that leaves required fields empty raises."""
        table = self._numbered(pa.Table.from_batches([batch]))
        if table.num_rows == 0:
            return Normalised(_empty_events(), REJECTED_SCHEMA.empty_table())
        if _only_reader_errors(table):
            return Normalised(_empty_events(), _reader_rejects(table))
        plan = self._plan(table.schema)
        zone = self._zone(table.schema)
        self._used = {"timezone": zone, "decimal": self._decimal(table.schema)}
        run(self.connection, f"SET TimeZone = {sql.quote_literal(zone)}")
        with registered(self.connection, "__jk_src", table):
            result = self.compute.arrow(plan)
        normalised = _split(result)
        self.pairs.add(normalised.events)
        self.alone.add(normalised.events)
        return normalised

    def settings_used(self) -> dict[str, str]:
        """The time zone and decimal mark the last data batch was read with (for retries)."""
        return dict(self._used)

    def _numbered(self, table: pa.Table) -> pa.Table:
        start = self.rows_seen
        self.rows_seen += table.num_rows
        if ROW in table.column_names:
            return table
        rows = pa.array(np.arange(start + 1, start + table.num_rows + 1, dtype=np.int64))
        return table.append_column(ROW, rows)

    def _zone(self, schema: pa.Schema) -> str:
        if self.mapping and self.mapping.timezone:
            return self.mapping.timezone
        metadata = schema.metadata or {}
        return str(metadata.get(META_TIMEZONE, self.options.timezone.encode()).decode())

    def _plan(self, schema: pa.Schema) -> str:
        decimal = self._decimal(schema)
        key = (schema.remove_metadata(), decimal, self._customers)
        if key not in self._plans:
            columns = [name for name in schema.names if name not in ALL_BOOKKEEPING]
            resolution = resolve_columns(columns, self.mapping)
            check_required(self.source_file, columns, resolution, self.mapping)
            self._plans[key] = _statement(
                schema, columns, resolution, decimal, self.options, self._customers
            )
        return self._plans[key]

    def _decimal(self, schema: pa.Schema) -> str:
        if self.mapping and self.mapping.decimal:
            return self.mapping.decimal
        return str((schema.metadata or {}).get(META_DECIMAL, b".").decode())


def _statement(
    schema: pa.Schema,
    columns: list[str],
    res: Resolution,
    decimal: str,
    options: IngestOptions,
    customers: bool,
) -> str:
    """The SQL that normalises a batch of ``schema`` (see the module docstring).

    ``customers``: look customer ids up in ``__jk_users`` / ``__jk_anons`` (skipped when both
    are empty — two joins less per batch).
    """
    values = {name: _field_value(schema, res, name) for name in EVENT_FIELDS}
    checks = record_checks(decimal, options.min_year, options.max_year, options.refund_pattern)
    customer = "coalesce(user_id, anonymous_id)"
    customer_join = ""
    if customers:  # a user's customer first: an event with a user id belongs to that user
        customer = "coalesce(cu.value, user_id, ca.value, anonymous_id)"
        customer_join = _CUSTOMER_JOIN
    aliases = {name: f"__c{index}" for index, name in enumerate(columns)}
    props, props_invalid = _properties(schema, res, values["properties"], aliases)
    raw_json = (
        "json_object("
        + ", ".join(f"{sql.quote_literal(name)}, __c{index}" for index, name in enumerate(columns))
        + ")"
        if columns
        else "NULL"
    )
    event_id = content_event_id_sql("ts", "user_id", "anonymous_id", "name", "properties")
    f_columns = ",\n    ".join(
        [
            f"{_bookkeeping(schema, ROW, 'BIGINT')} AS __row",
            f"{_bookkeeping(schema, LINE, 'BIGINT')} AS __line",
            f"{_bookkeeping(schema, ERROR, 'VARCHAR')} AS __error",
            f"{_bookkeeping(schema, RAW, 'VARCHAR')} AS __raw",
            *(f"{sql.quote_name(name)} AS __c{i}" for i, name in enumerate(columns)),
            *(f"{expr} AS f_{name}" for name, (expr, _) in values.items()),
        ]
    )
    n_columns = ",\n    ".join(
        [
            f"{_parsed_ts(values['ts'])} AS ts",
            *(f"{_parsed_text(values[name], f'f_{name}')} AS {name}" for name in TEXT_FIELDS),
            "cv.canonical AS channel, dv.canonical AS device",
            f"{_unknown('f_channel', 'cv', values['channel'])} AS channel_unknown",
            f"{_unknown('f_device', 'dv', values['device'])} AS device_unknown",
            f"{_parsed_number(values['revenue'], decimal, 'f_revenue')} AS revenue",
            f"{_parsed_number(values['cost'], decimal, 'f_cost')} AS cost",
            f"{_parsed_currency(values['currency'])} AS currency_given",
            f"{props} AS properties",
            f"{props_invalid} AS properties_invalid",
        ]
    )
    default_currency = sql.quote_literal(options.currency)
    return f"""
WITH f AS (
  SELECT
    {f_columns}
  FROM __jk_src
), n AS (
  SELECT f.*,
    {n_columns}
  FROM f
  LEFT JOIN __jk_channels cv ON cv.alias = lower({_as_text(values["channel"], "f_channel")})
  LEFT JOIN __jk_devices dv ON dv.alias = lower({_as_text(values["device"], "f_device")})
), v AS (
  SELECT n.*,
    CASE WHEN currency_given IS NULL AND (revenue IS NOT NULL OR cost IS NOT NULL)
         THEN {default_currency} ELSE currency_given END AS currency
  FROM n
), c AS (
  SELECT v.*, {first_failure(checks)} AS __failed FROM v
), e AS (
  SELECT c.*, CASE WHEN __failed IS NULL THEN coalesce(event_id, {event_id}) END AS __id,
    {failure_field(checks, "__failed")} AS __bad_field,
    {failure_message(checks, "__failed")} AS __bad_reason
  FROM c
)
SELECT __id AS event_id, ts, user_id, anonymous_id, {customer} AS customer_id, name,
  channel, device, source, medium, campaign, revenue, currency, cost, properties,
  __row AS _row, __line AS _line, __bad_field, __bad_reason,
  CASE WHEN __bad_reason IS NOT NULL THEN coalesce(__raw, CAST({raw_json} AS VARCHAR)) END
    AS __raw
FROM e{customer_join}
"""


def _bookkeeping(schema: pa.Schema, name: str, sql_type: str) -> str:
    return sql.quote_name(name) if name in schema.names else f"CAST(NULL AS {sql_type})"


def _is_json(schema: pa.Schema, column: str) -> bool:
    return _json_kind(schema, column) in (JSON_TEXT, JSON_SORTED)


def _json_kind(schema: pa.Schema, column: str) -> bytes | None:
    return (schema.field(column).metadata or {}).get(FIELD_JSON)


def _field_value(schema: pa.Schema, res: Resolution, name: str) -> tuple[str, str]:
    """SQL of the raw value of field ``name`` and its kind (``expressions.kind_of``)."""
    if name in res.sources:
        expr, kind = _source_value(schema, res.sources[name], name)
        if name in res.values:
            cases = " ".join(
                f"WHEN {sql.quote_literal(k)} THEN {sql.quote_literal(v)}"
                for k, v in res.values[name].items()
            )
            as_text = f"trim(CAST({expr} AS VARCHAR))"
            expr, kind = f"CASE {as_text} {cases} ELSE {as_text} END", "text"
        return (sql.text(expr), kind) if kind == "text" else (expr, kind)
    if name in res.constants:
        value = res.constants[name]
        if isinstance(value, str):
            return sql.quote_literal(value), "text"
        return f"CAST({value!r} AS DOUBLE)", "float"
    return "NULL", "null"


def _source_value(schema: pa.Schema, columns: list[str], name: str) -> tuple[str, str]:
    if len(columns) > 1:
        parts = ", ".join(f"CAST({sql.quote_name(c)} AS VARCHAR)" for c in columns)
        return f"concat_ws(' ', {parts})", "text"
    column = columns[0]
    expr = sql.quote_name(column)
    if _is_json(schema, column):
        if name == "properties":
            return expr, "sorted" if _json_kind(schema, column) == JSON_SORTED else "json"
        return f"json_extract_string({expr}, '$')", "text"
    kind = sql.kind_of(schema.field(column).type)
    if kind == "other":
        return (f"to_json({expr})", "json") if name == "properties" else (expr, "text")
    return expr, kind


def _as_text(value: tuple[str, str], column: str) -> str:
    return column if value[1] in ("text", "null") else sql.text(column)


def _parsed_ts(value: tuple[str, str]) -> str:
    if value[1] == "null":
        return "CAST(NULL AS TIMESTAMPTZ)"
    return sql.timestamp("f_ts", value[1])


def _parsed_text(value: tuple[str, str], column: str) -> str:
    return "CAST(NULL AS VARCHAR)" if value[1] == "null" else _as_text(value, column)


def _unknown(column: str, alias: str, value: tuple[str, str]) -> str:
    return f"({_as_text(value, column)} IS NOT NULL AND {alias}.canonical IS NULL)"


def _parsed_number(value: tuple[str, str], decimal: str, column: str) -> str:
    if value[1] == "null":
        return "CAST(NULL AS DOUBLE)"
    return sql.number(column, value[1], decimal)


def _parsed_currency(value: tuple[str, str]) -> str:
    if value[1] == "null":
        return "CAST(NULL AS VARCHAR)"
    return sql.currency("f_currency")


def _properties(
    schema: pa.Schema, res: Resolution, given: tuple[str, str], aliases: dict[str, str]
) -> tuple[str, str]:
    """SQL of the canonical properties JSON (or NULL) and of "the given properties are bad".

    Extra columns become keys in name order, empty values left out. Without a ``properties``
    column the object is concatenated as text (much cheaper than JSON functions per row).
    """
    extras = sorted(res.extras)
    members = [_member(schema, column, aliases[column]) for column in extras]
    built = f"'{{' || concat_ws(',', {', '.join(members)}) || '}}'" if members else None
    if given[1] == "null":
        if built is None:
            return "CAST(NULL AS VARCHAR)", "false"
        return f"nullif({built}, '{{}}')", "false"
    valid = "CASE WHEN json_valid(f_properties) THEN json_type(f_properties) = 'OBJECT' END"
    base = f"CASE WHEN {valid} THEN json(f_properties) ELSE '{{}}' END"
    merged = f"json_merge_patch({base}, {built})" if built else base
    canonical = (
        f"to_json(map_from_entries(list_sort(map_entries(CAST({merged} AS MAP(VARCHAR, JSON))))))"
    )
    stored = f"nullif(CAST({canonical} AS VARCHAR), '{{}}')"
    if given[1] == "sorted" and built is None:
        differs = f"regexp_matches(f_properties, {_DUCKDB_WRITES_OTHERWISE})"
        return f"CASE WHEN {differs} THEN {stored} ELSE nullif(f_properties, '{{}}') END", "false"
    invalid = f"(f_properties IS NOT NULL AND NOT coalesce({valid}, false))"
    return stored, invalid


def _member(schema: pa.Schema, column: str, alias: str) -> str:
    """SQL of ``"key":value`` for one extra column, NULL when the value is empty."""
    key = sql.quote_literal(json.dumps(column, ensure_ascii=False) + ":")
    if _is_json(schema, column):
        value = f"CAST(json({alias}) AS VARCHAR)"
        return f"CASE WHEN {alias} IS NOT NULL AND {alias} <> 'null' THEN {key} || {value} END"
    kind = sql.kind_of(schema.field(column).type)
    if kind == "text":
        return f"CASE WHEN {alias} <> '' THEN {key} || CAST(to_json({alias}) AS VARCHAR) END"
    return f"CASE WHEN {alias} IS NOT NULL THEN {key} || CAST(to_json({alias}) AS VARCHAR) END"


def _split(result: pa.Table) -> Normalised:
    bad = pc.is_valid(result.column("__bad_reason"))
    any_bad = bool(pc.any(bad).as_py())
    events = _as_events(result.filter(pc.invert(bad)) if any_bad else result)
    if not any_bad:
        return Normalised(events, REJECTED_SCHEMA.empty_table())
    rejected = result.filter(bad)
    rejects = pa.table(
        {
            "row": rejected.column("_row"),
            "line": rejected.column("_line"),
            "field": rejected.column("__bad_field"),
            "reason": _with_hints(rejected),
            "raw": rejected.column("__raw"),
        },
        schema=REJECTED_SCHEMA,
    )
    return Normalised(events, rejects)


def _as_events(good: pa.Table) -> pa.Table:
    columns = [good.column(name).cast(EVENT_SCHEMA.field(name).type) for name in EVENT_FIELDS]
    schema = pa.schema([f.with_nullable(True) for f in EVENT_SCHEMA]).append(
        pa.field(ROW, pa.int64())
    )
    return pa.Table.from_arrays([*columns, good.column("_row")], schema=schema)


def _empty_events() -> pa.Table:
    return _as_events(
        pa.table(
            {
                **{f.name: pa.array([], f.type) for f in EVENT_SCHEMA},
                ROW: pa.array([], pa.int64()),
            }
        )
    )


def _only_reader_errors(table: pa.Table) -> bool:
    if ERROR not in table.column_names:
        return False
    return bool(pc.all(pc.is_valid(table.column(ERROR))).as_py())


def _reader_rejects(table: pa.Table) -> pa.Table:
    def column(name: str, arrow_type: pa.DataType) -> pa.Array:
        if name in table.column_names:
            return table.column(name).cast(arrow_type)
        return pa.nulls(table.num_rows, arrow_type)

    return pa.table(
        {
            "row": column(ROW, pa.int64()),
            "line": column(LINE, pa.int64()),
            "field": pa.array([""] * table.num_rows, pa.string()),
            "reason": column(ERROR, pa.string()),
            "raw": column(RAW, pa.string()),
        },
        schema=REJECTED_SCHEMA,
    )


_VOCABULARIES = {
    "channel": (channel_vocabulary(), "channels"),
    "device": (device_vocabulary(), "devices"),
}


def _with_hints(rejected: pa.Table) -> pa.ChunkedArray | pa.Array:
    """Reasons, with "did you mean" appended to unknown channels and devices."""
    reasons = rejected.column("__bad_reason")
    fields = rejected.column("__bad_field")
    needs = pc.is_in(fields, value_set=pa.array(list(_VOCABULARIES)))
    if not pc.any(needs).as_py():
        return reasons
    distinct = pc.unique(reasons.filter(needs)).to_pylist()
    improved = [_vocabulary_hint(str(reason)) for reason in distinct]
    index = pc.index_in(reasons, value_set=pa.array(distinct))
    return pc.if_else(needs, pc.take(pa.array(improved), index), reasons)


def _vocabulary_hint(reason: str) -> str:
    kind = reason.split(" ", 2)[1]  # "unknown channel 'X'"
    value = reason.split("'", 1)[1].rsplit("'", 1)[0]
    vocabulary, plural = _VOCABULARIES[kind]
    lookup = dict(
        zip(known_words(vocabulary), vocabulary.column("canonical").to_pylist(), strict=True)
    )
    close = did_you_mean(value, lookup)
    fix = f"map it in the mapping file: `values: {{{kind}: {{'{value}': ...}}}}`"
    if close is None:
        canonical = sorted(set(lookup.values()))
        return f"{reason} — not one of the {plural} ({', '.join(canonical)}); {fix}"
    target = lookup[close]
    shown = f"'{close}'" + (f" ({target})" if close != target else "")
    return f"{reason} — did you mean {shown}? or {fix}"
