"""The ``properties`` column: JSON text every engine can parse, built from what a source found.

Engines differ in what they accept: ``NaN`` is not JSON, bytes and dates have no JSON type. One
conversion here keeps the text strict JSON whatever the input held, so a property never makes a
later query fail.
"""

from __future__ import annotations

import base64
import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import TypeAlias

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None


MAX_DEPTH = 100
"""``jsonable`` refuses deeper nesting: no event needs it, and it would exhaust Python's stack."""


class TooDeep(ValueError):
    """A value nested deeper than ``MAX_DEPTH``; the record goes to quarantine."""


def jsonable(value: object, depth: int = 0) -> JsonValue:
    """``value`` as plain JSON data: non-finite floats become null, dates ISO text, bytes base64.

    Raises ``TooDeep`` past ``MAX_DEPTH`` levels of lists and objects.
    """
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return jsonable(float(value))
    if isinstance(value, Mapping | list | tuple) and depth >= MAX_DEPTH:
        raise TooDeep("nests lists and objects too deeply (hundreds of levels)")
    if isinstance(value, Mapping):
        return {str(key): jsonable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item, depth + 1) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def dumps(value: Mapping[str, object]) -> str:
    """Compact, strict JSON text of a properties mapping; ``TooDeep`` if it cannot be stored.

    Plain JSON data (nearly every record) is encoded directly; only a value the encoder refuses
    (``NaN``, a date, bytes, extreme nesting) takes the slower way through ``jsonable``.
    """
    try:
        return _encode(value)
    except (ValueError, TypeError, RecursionError):
        return _encode(jsonable(value))


def _encode(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def merge_reserved(
    values: Mapping[str, object], reserved: Mapping[str, object], prefix: str
) -> dict[str, object]:
    """``values`` plus the source's own ``reserved`` keys; nothing is lost on a clash.

    A value whose key the source reserves (``items``, ``context``, …) stays, renamed to
    ``prefix + key``, so a user's own property never overwrites ours nor disappears.
    """
    merged: dict[str, object] = {}
    for key, value in values.items():
        merged[prefix + key if key in reserved else key] = value
    for key, value in reserved.items():
        if value is not None:
            merged[key] = value
    return merged


def loads_object(text: str) -> tuple[dict[str, object] | None, str | None]:
    """A JSON object parsed from ``text``, or why not (malformed, or not an object)."""
    try:
        value = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as error:
        return None, f"malformed JSON: {error}"
    if not isinstance(value, dict):
        return None, f"expected a JSON object, found {type(value).__name__}"
    return value, None


def _reject_constant(name: str) -> object:
    raise ValueError(f"'{name}' is not valid JSON")
