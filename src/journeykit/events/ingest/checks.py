"""The checks every record passes, in order, each with the reason a user reads in the quarantine.

A check is data: the field it blames, a SQL condition over the normalised columns, and a SQL
expression of the message (what is wrong — how to fix it). The first failing check decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from journeykit.events.ingest.expressions import NUMBER_EXAMPLE, quote_literal

SHOWN_CHARS = 80


@dataclass(frozen=True)
class Check:
    """One rule: ``condition`` true means the record is rejected with ``message``."""

    field: str
    condition: str
    message: str


def shown(expr: str) -> str:
    """SQL: the value in single quotes, cut to ``SHOWN_CHARS`` characters."""
    return f"('''' || left(CAST({expr} AS VARCHAR), {SHOWN_CHARS}) || '''')"


def _text(message: str) -> str:
    return quote_literal(message)


def record_checks(decimal: str, min_year: int, max_year: int, refund_pattern: str) -> list[Check]:
    """The checks in the order they are applied."""
    example = NUMBER_EXAMPLE[decimal]
    number_fix = (
        f" is not a number written like {example} — fix the value, or set `decimal:` in the "
        "mapping file if the file writes numbers the other way"
    )
    lo = f"TIMESTAMPTZ '{min_year}-01-01 00:00:00+00'"
    hi = f"TIMESTAMPTZ '{max_year + 1}-01-01 00:00:00+00'"
    return [
        Check("", "__error IS NOT NULL", "__error"),
        Check(
            "ts",
            "f_ts IS NULL",
            _text("no timestamp — map a date/time column to ts (docs/events.md#timestamps)"),
        ),
        Check(
            "ts",
            "ts IS NULL",
            shown("f_ts")
            + " || "
            + _text(
                " is not a timestamp — write ISO 8601 (2024-03-01T14:30:00+01:00), "
                "dd.mm.yyyy [HH:MM[:SS]] or seconds/milliseconds/microseconds since 1970"
            ),
        ),
        Check(
            "ts",
            f"ts < {lo} OR ts >= {hi}",
            f"'the year ' || CAST(year(ts) AS VARCHAR) || ' (from ' || {shown('f_ts')} || ') '"
            + " || "
            + _text(
                f"is outside {min_year}..{max_year} — check the value and the column's "
                "format (day and month swapped? seconds read as milliseconds?)"
            ),
        ),
        Check(
            "name",
            "name IS NULL",
            _text(
                "no event name — map a column to name, or give every row the same name "
                "with `constants: {name: order_completed}` in the mapping file"
            ),
        ),
        Check(
            "user_id",
            "user_id IS NULL AND anonymous_id IS NULL",
            _text(
                "neither user_id nor anonymous_id — every event needs a customer or a "
                "visitor id; map a column to one of them"
            ),
        ),
        Check("channel", "channel_unknown", "'unknown channel ' || " + shown("f_channel")),
        Check("device", "device_unknown", "'unknown device ' || " + shown("f_device")),
        Check(
            "revenue",
            "f_revenue IS NOT NULL AND revenue IS NULL",
            shown("f_revenue") + " || " + _text(number_fix),
        ),
        Check(
            "revenue",
            "NOT isfinite(revenue)",
            _text("revenue is not a finite number — fix the value"),
        ),
        Check(
            "revenue",
            f"revenue < 0 AND NOT regexp_matches(lower(name), {quote_literal(refund_pattern)})",
            "'revenue ' || CAST(revenue AS VARCHAR) || ' is negative on the event ' || "
            + shown("name")
            + " || "
            + _text(
                " — negative revenue is allowed only on refund events (names with refund, "
                "return, retoure, erstattung, storno, gutschrift, cancel); fix the sign or "
                "name the event e.g. order_refunded"
            ),
        ),
        Check(
            "cost",
            "f_cost IS NOT NULL AND cost IS NULL",
            shown("f_cost") + " || " + _text(number_fix),
        ),
        Check(
            "cost",
            "cost < 0 OR NOT isfinite(cost)",
            "'cost ' || CAST(cost AS VARCHAR) || "
            + _text(" is negative or not finite — a cost is 0 or more; fix the value"),
        ),
        Check(
            "currency",
            "currency IS NOT NULL AND NOT regexp_full_match(currency, '[A-Z]{3}')",
            shown("f_currency")
            + " || "
            + _text(
                " is not an ISO 4217 currency code — write EUR, USD, CHF …, or map the "
                "spelling with `values: {currency: {...}}` in the mapping file"
            ),
        ),
        Check(
            "properties",
            "properties_invalid",
            "'properties is not a JSON object: ' || "
            + shown("f_properties")
            + " || "
            + _text(' — write it like {"key": "value"}'),
        ),
    ]


def first_failure(checks: list[Check]) -> str:
    """SQL of the number (1-based) of the first failing check, NULL when all pass.

    The conditions are evaluated once per row; field and message follow from the number
    (``failure_field`` / ``failure_message``), computed only for the failing rows.
    """
    cases = " ".join(f"WHEN {c.condition} THEN {i}" for i, c in enumerate(checks, start=1))
    return f"CASE {cases} END"


def failure_field(checks: list[Check], number: str) -> str:
    fields = " ".join(f"WHEN {i} THEN {quote_literal(c.field)}" for i, c in enumerate(checks, 1))
    return f"CASE {number} {fields} END"


def failure_message(checks: list[Check], number: str) -> str:
    messages = " ".join(f"WHEN {i} THEN {c.message}" for i, c in enumerate(checks, start=1))
    return f"CASE {number} {messages} END"
