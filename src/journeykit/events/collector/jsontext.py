"""JSON in and out of the request path: orjson for speed, the standard library for the exact cases.

A batch of 100 events is about 25 KB of JSON; decoding it and encoding its 100 stored messages
with the standard library took a third of the request's CPU. orjson (Rust) does both several
times faster. It differs from the standard library in two places that matter here, so those go
the standard way:

- an integer beyond 64 bits: orjson reads it as a float (an id ``12345678901234567890123`` would
  lose digits) and refuses to write one. A body with a run of 19 or more digits is decoded by the
  standard library, and a message holding such a number is encoded by it.
- a syntax error: its message comes from the standard library (``Expecting value at line 1
  column 12``), so an error reads the same whichever decoder found it.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

_DIGITS_AS_ZERO = bytes.maketrans(b"0123456789", b"0" * 10)
_LONG_NUMBER = b"0" * 19
"""A possible integer beyond 64 bits (2**63 has 19 digits). Found by mapping every digit to ``0``
and searching for 19 of them: ten times cheaper than a regular expression over 25 KB."""

_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False).encode


def fast_loads(body: bytes) -> Any:
    """The JSON document of ``body`` via orjson; ``ValueError`` when the standard library must
    decide (a syntax error, a BOM, invalid UTF-8, a number orjson would change)."""
    if _LONG_NUMBER in body.translate(_DIGITS_AS_ZERO):
        raise ValueError("a long number: decode exactly")
    return orjson.loads(body)


def compact(value: Any) -> str:
    """Compact JSON text of a decoded document (non-ASCII kept as is)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # an integer beyond 64 bits
        return _compact(value)


def compact_bytes(value: Any) -> bytes:
    """``compact`` as UTF-8 bytes, for a statement parameter or a response body."""
    try:
        return orjson.dumps(value)
    except TypeError:
        return _compact(value).encode()
