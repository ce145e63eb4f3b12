"""SQL expressions (DuckDB dialect) that parse one event field, chosen by the column's Arrow type.

Each parser takes the SQL of the raw value and returns the SQL of the parsed value; a value that
does not parse becomes NULL, and ``checks.py`` turns "raw given, parsed NULL" into a reason. What
differs between types is data here (``KIND_OF``), not branches scattered through the pipeline.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.types as pat

GERMAN_DATE_FORMATS = (
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y, %H:%M:%S",
    "%d.%m.%Y, %H:%M",
    "%d.%m.%Y",
)
NUMBER_PATTERNS: dict[str, str] = {
    ",": r"[-+]?([0-9]{1,3}(\.[0-9]{3})+|[0-9]+)(,[0-9]+)?",
    ".": r"[-+]?([0-9]{1,3}(,[0-9]{3})+|[0-9]+)(\.[0-9]+)?([eE][-+]?[0-9]+)?",
}
NUMBER_EXAMPLE: dict[str, str] = {",": "1.234,56", ".": "1,234.56"}
CURRENCY_SYMBOLS: dict[str, str] = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY", "FR.": "CHF"}


def kind_of(arrow_type: pa.DataType) -> str:
    """The parsing kind of a column type: text, timestamptz, timestamp, date, integer, float."""
    if pat.is_timestamp(arrow_type):
        return "timestamptz" if arrow_type.tz else "timestamp"
    if pat.is_date(arrow_type):
        return "date"
    if pat.is_integer(arrow_type):
        return "integer"
    if pat.is_floating(arrow_type) or pat.is_decimal(arrow_type):
        return "float"
    if pat.is_boolean(arrow_type):
        return "boolean"
    if pat.is_dictionary(arrow_type):
        return kind_of(arrow_type.value_type)
    if pat.is_string(arrow_type) or pat.is_large_string(arrow_type) or pat.is_null(arrow_type):
        return "text"
    return "other"


def quote_literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def quote_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def text(expr: str) -> str:
    """The value as trimmed text, empty text as NULL (trims only when there is a space to trim:
    three times cheaper than trimming every value)."""
    value = f"CAST({expr} AS VARCHAR)"
    return (
        f"CASE WHEN prefix({value}, ' ') OR suffix({value}, ' ') "
        f"THEN nullif(trim({value}), '') ELSE nullif({value}, '') END"
    )


def epoch(number: str) -> str:
    """Seconds, milliseconds, microseconds or nanoseconds since 1970 — told apart by magnitude."""
    scaled = (
        f"CASE WHEN abs({number}) < 1e11 THEN {number} * 1e6 "
        f"WHEN abs({number}) < 1e14 THEN {number} * 1e3 "
        f"WHEN abs({number}) < 1e17 THEN {number} "
        f"ELSE {number} / 1e3 END"
    )
    return f"make_timestamptz(TRY_CAST(round({scaled}) AS BIGINT))"


def timestamp(expr: str, kind: str) -> str:
    """A TIMESTAMPTZ; naive values are read in the session time zone (the workspace's).

    Text (``expr`` already trimmed) may be ISO 8601 with or without offset, ``dd.mm.yyyy
    [HH:MM[:SS]]`` or a number of seconds/ms/µs since 1970.
    """
    if kind == "timestamptz":
        return f"CAST({expr} AS TIMESTAMPTZ)"
    if kind in ("timestamp", "date"):
        return f"CAST({expr} AS TIMESTAMPTZ)"
    if kind in ("integer", "float"):
        return epoch(f"CAST({expr} AS DOUBLE)")
    value = expr  # already trimmed text (``text``)
    formats = "[" + ", ".join(quote_literal(f) for f in GERMAN_DATE_FORMATS) + "]"
    return (
        f"CASE WHEN {value} IS NULL THEN NULL "
        f"WHEN strpos({value}, '-') = 0 AND strpos({value}, '.') IN (2, 3) "
        f"THEN CAST(try_strptime({value}, {formats}) AS TIMESTAMPTZ) "
        f"WHEN strpos({value}, '-') > 0 OR strpos({value}, ':') > 0 "
        f"THEN TRY_CAST({value} AS TIMESTAMPTZ) "
        f"ELSE {epoch(f'TRY_CAST({value} AS DOUBLE)')} END"
    )


def number_text(expr: str) -> str:
    """The text of a number without surrounding spaces and currency symbols."""
    return f"nullif(trim(CAST({expr} AS VARCHAR), ' €$£'), '')"


def number(expr: str, kind: str, decimal: str) -> str:
    """A DOUBLE; text must be written with ``decimal`` as decimal mark (thousands grouped)."""
    if kind in ("integer", "float", "boolean"):
        return f"CAST({expr} AS DOUBLE)"
    value = number_text(expr)
    pattern = quote_literal(NUMBER_PATTERNS[decimal])
    cleaned = (
        f"replace(replace({value}, '.', ''), ',', '.')"
        if decimal == ","
        else f"replace({value}, ',', '')"
    )
    return f"CASE WHEN regexp_full_match({value}, {pattern}) THEN TRY_CAST({cleaned} AS DOUBLE) END"


def currency(expr: str) -> str:
    """An upper-case currency code; common symbols become their ISO code (``expr``: trimmed)."""
    value = f"upper({expr})"
    cases = " ".join(
        f"WHEN {quote_literal(symbol)} THEN {quote_literal(code)}"
        for symbol, code in CURRENCY_SYMBOLS.items()
    )
    return f"CASE {value} {cases} ELSE {value} END"
