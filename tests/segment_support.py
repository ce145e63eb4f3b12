"""Hypothesis strategies for Segment messages: every field present, absent, odd or wrong.

Shared by the tests that compare two mappings of the same messages (the Python mapping against
its frozen reference, the collector's SQL mapping against the Python one).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from types import MappingProxyType

from hypothesis import strategies as st

EDGE_FLOATS = (1e-5, -3.3e-5, 9.99e-5, 1e-4, 1e15, 1e16, -1.5e17, 5e-324, 1.7976931348623157e308)
EDGE_INTS = (2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**30)

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from(EDGE_INTS),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(EDGE_FLOATS),
    st.text(max_size=12),
    st.sampled_from(["Mobile/15E148", "2e5", "x:1e5", "0.00001", "\u2028", "\x00\x1f\x7f", "ü€😀"]),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
python_leaf = st.one_of(
    st.floats(),  # NaN and infinities: a Python caller, not JSON
    st.sampled_from([Decimal("1.5"), b"\x00\xff", (1, "a"), datetime(2026, 1, 2, tzinfo=UTC)]),
    st.sampled_from([date(2026, 1, 2), "\ud800", MappingProxyType({"a": 1}), {1: "int key"}]),
)


@st.composite
def iso_times(draw: st.DrawFn) -> object:
    """A time as senders write it: 'Z', offsets, no zone, fractions, spaces, or something wrong."""
    moment = draw(st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)))
    digits = draw(st.sampled_from(["", ".1", ".123", ".123456"]))
    base = moment.strftime("%Y-%m-%dT%H:%M:%S") + digits
    zone = draw(st.sampled_from(["Z", "Z", "+00:00", "-05:30", "+14:00", "", "+0100"]))
    text = base + zone
    return draw(
        st.sampled_from([text, text, text, f" {text} ", text.replace("T", " "), text.lower()])
        | st.sampled_from([None, "", "yesterday", "2026-13-01T00:00:00Z", 1700000000, True])
    )


identifier = st.one_of(
    st.none(),
    st.sampled_from(["u-1", " anon-2 ", "", "  ", "ü-3"]),
    st.integers(-5, 10**20),
    st.sampled_from([True, 1.5, ["x"]]),
)
text_field = st.one_of(st.none(), st.text(max_size=8), st.integers(), st.floats(), st.booleans())
kinds = st.sampled_from(
    ["track", "page", "screen", "identify", "group", "alias"]
) | st.sampled_from([" Track ", "PAGE", "trak", None, 5, ""])
event_names = st.sampled_from(
    ["Order Completed", "Completed Order", "productViewed", "  ", "!!", "Checkout Step Viewed"]
) | st.text(max_size=10)
device = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["ios", "Android", "tv", "Handy", "", "watch"]) | text_field,
        "model": st.sampled_from(["iPad7,1", "Galaxy Tablet", "Pixel"]) | text_field,
    },
)
context = st.fixed_dictionaries(
    {},
    optional={
        "campaign": st.fixed_dictionaries(
            {}, optional={"source": text_field, "medium": text_field, "name": text_field}
        )
        | json_value,
        "device": device | json_value,
        "userAgent": st.sampled_from(["Mozilla/5.0 (iPhone) Mobile/15E148", "Mozilla/5.0 (X11)"])
        | text_field,
        "page": st.dictionaries(st.sampled_from(["path", "url", "title", "referrer"]), json_value)
        | json_value,
        "app": json_value,
        "traits": st.dictionaries(st.text(max_size=5), json_value, max_size=3),
        "library": st.just({"name": "analytics.js", "version": "4.1"}),
        "ip": st.just("10.0.0.1"),
    },
)
money = st.one_of(
    st.none(),
    st.floats(allow_nan=False),
    st.integers(),
    st.sampled_from(["59.90", " ", "abc", "1e400", True, 10**400, [1]]),
)
properties = st.dictionaries(
    st.sampled_from(["revenue", "total", "currency", "context", "event", "name", "traits"])
    | st.text(max_size=6),
    json_value | money,
    max_size=6,
)


@st.composite
def messages(draw: st.DrawFn, leaf: st.SearchStrategy[object] = json_value) -> dict[str, object]:
    """A Segment message with any of its fields present, absent, odd or wrong."""
    fields: dict[str, st.SearchStrategy[object]] = {
        "type": kinds,
        "userId": identifier,
        "anonymousId": identifier,
        "messageId": identifier,
        "timestamp": iso_times(),
        "originalTimestamp": iso_times(),
        "sentAt": iso_times(),
        "receivedAt": iso_times(),
        "event": event_names | text_field,
        "name": text_field,
        "category": text_field,
        "channel": st.sampled_from(["browser", "mobile", "server", "Mobile"]) | text_field,
        "context": context | leaf,
        "properties": properties | st.dictionaries(st.text(max_size=4), leaf, max_size=3) | leaf,
        "traits": st.dictionaries(st.text(max_size=5), leaf, max_size=3) | leaf,
        "groupId": identifier,
        "previousId": identifier,
    }
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True))
    message = {name: draw(fields[name]) for name in chosen}
    if draw(st.booleans()):  # the common case: a well-formed message
        message.setdefault("type", draw(kinds.filter(lambda kind: isinstance(kind, str))))
        message.setdefault("anonymousId", "anon-1")
        message.setdefault("event", "Product Viewed")
    return message
