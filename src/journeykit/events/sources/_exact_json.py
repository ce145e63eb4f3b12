"""``_json.dumps`` at orjson's speed, with the very same text.

The ``properties`` text of an event is written once per event, and the standard encoder took a
sixth of the Segment mapping's time. orjson writes the same bytes for plain JSON data (strings,
64-bit integers, dicts with text keys, lists) but differs elsewhere, and those cases go to
``_json.dumps``:

- a float below 1e-4 or from 1e16 up: Python writes ``1e-05`` and ``1e+16``, orjson ``0.00001``
  and ``1e16``. Output holding a number in exponent form or starting ``0.0000`` is written again
  the standard way (a string that merely looks like one only costs the slower path);
- an integer beyond 64 bits, a key that is not text, invalid UTF-8, deep nesting: orjson refuses;
- dates, dataclasses and subclasses of ``str``/``int``/``dict``: passed to ``default``, which
  refuses, so ``jsonable`` keeps deciding how they look;
- NaN and infinities: orjson writes ``null``, as ``jsonable`` does.

Not covered: a plain ``Enum`` member (orjson writes its value, ``jsonable`` its ``str``). Messages
decoded from JSON never hold one.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

import orjson

from journeykit.events.sources._json import dumps

_OPTIONS = (
    orjson.OPT_PASSTHROUGH_DATETIME
    | orjson.OPT_PASSTHROUGH_DATACLASS
    | orjson.OPT_PASSTHROUGH_SUBCLASS
)
_NUMBER_SHAPE = bytes.maketrans(b",[0123456789", b"::0000000000")
_FLOAT_DIFFERS = re.compile(rb":(?:[0.]+e|0\.0000)")
"""After ``_NUMBER_SHAPE`` (digits → ``0``, every separator → ``:``, no ``-``): a number in
exponent form or below 1e-4. Every number in compact JSON follows ``:``, ``,`` or ``[``, so text
in a string (``Mobile/15E148``) rarely matches; a search with a literal first character is also
several times faster than one starting with a character class."""


def _refuse(value: object) -> object:
    raise TypeError(f"{type(value).__name__}: encoded by the standard library")


def exact_dumps(value: Mapping[str, object]) -> str:
    """``_json.dumps(value)``, byte for byte; ``TooDeep`` as there."""
    try:
        text = orjson.dumps(value, default=_refuse, option=_OPTIONS)
    except TypeError:  # orjson.JSONEncodeError included
        return dumps(value)
    if _FLOAT_DIFFERS.search(text.translate(_NUMBER_SHAPE, b"-")) is not None:
        return dumps(value)
    return text.decode()


def canonical_dumps(value: Mapping[str, object]) -> str:
    """``exact_dumps`` with the top-level keys sorted: the form the pipeline stores properties in.

    A source whose ``properties`` all come from here declares the column ``journeykit.json =
    "sorted"`` (``source_schema``), and the pipeline need not parse and re-encode each object.
    """
    if all(key.__class__ is str for key in value):
        return exact_dumps(dict(sorted(value.items())))
    # A key that is not text (a Python caller's, say 10 or True): sorted as JSON writes it.
    written: dict[str, object] = json.loads(exact_dumps(value))
    return exact_dumps(dict(sorted(written.items())))
