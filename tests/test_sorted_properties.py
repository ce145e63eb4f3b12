"""Properties a source writes with ``canonical_dumps`` are stored as they are — and exactly as
the pipeline would have stored them after parsing and re-encoding them itself."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.events.ingest.configuration import IngestOptions
from journeykit.events.ingest.normalise import Compute, Normaliser
from journeykit.events.sources._exact_json import canonical_dumps
from journeykit.events.sources.base import FIELD_JSON, JSON_SORTED, JSON_TEXT
from test_segment_message_fast import EDGE_FLOATS, EDGE_INTS, json_value

objects = st.dictionaries(
    st.text(max_size=6) | st.sampled_from(["context", "Z", "a b", "€", "é", "_x"]),
    json_value | st.sampled_from([*EDGE_FLOATS, *EDGE_INTS, 100.0, -0.0, 0.1, 1e15 + 0.5]),
    max_size=6,
)


@pytest.fixture(scope="module")
def compute() -> Iterator[Compute]:
    started = Compute(IngestOptions())
    yield started
    started.close()


def stored_properties(compute: Compute, texts: list[str], kind: bytes) -> list[str | None]:
    """The ``properties`` the normaliser stores for ``texts`` declared as JSON of ``kind``."""
    count = len(texts)
    text = [pa.field(name, pa.string()) for name in ("event_id", "ts", "anonymous_id", "name")]
    schema = pa.schema([*text, pa.field("properties", pa.string(), metadata={FIELD_JSON: kind})])
    batch = pa.record_batch(
        [
            pa.array([f"e{number}" for number in range(count)]),
            pa.array(["2026-11-27T10:00:00+00:00"] * count),
            pa.array(["anon-1"] * count),
            pa.array(["product_viewed"] * count),
            pa.array(texts, pa.string()),
        ],
        schema=schema,
    )
    normaliser = Normaliser("t.jsonl", None, IngestOptions(), compute)
    try:
        result = normaliser.normalise(batch)
    finally:
        normaliser.close()
    assert result.rejected.num_rows == 0, result.rejected.to_pylist()
    stored: list[str | None] = result.events.column("properties").to_pylist()
    return stored


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(objects, min_size=1, max_size=20))
def test_sorted_properties_are_stored_as_duckdb_writes_them(
    compute: Compute, values: list[Mapping[str, object]]
) -> None:
    texts = [canonical_dumps(value) for value in values]
    declared = stored_properties(compute, texts, JSON_SORTED)
    parsed = stored_properties(compute, texts, JSON_TEXT)
    assert declared == parsed


def test_sorted_text_is_kept_without_parsing(compute: Compute) -> None:
    """The declaration is a promise the pipeline relies on: it does not re-sort such text —
    that is where the time goes — unless a number in it would be written differently."""
    unsorted = json.dumps({"b": 1, "a": 2}, separators=(",", ":"))
    big = json.dumps({"b": 1, "a": 1e16}, separators=(",", ":"))
    empty = "{}"
    declared = stored_properties(compute, [unsorted, big, empty], JSON_SORTED)
    assert declared == ['{"b":1,"a":2}', '{"a":10000000000000000.0,"b":1}', None]
    assert stored_properties(compute, [unsorted], JSON_TEXT) == ['{"a":2,"b":1}']


def test_keys_that_are_not_text_are_sorted_as_json_writes_them(compute: Compute) -> None:
    texts = [canonical_dumps({10: "a", 9: "b", True: "c", "Zeta": "d"})]
    assert texts == ['{"10":"a","9":"b","Zeta":"d","true":"c"}']
    assert stored_properties(compute, texts, JSON_SORTED) == texts
    assert stored_properties(compute, texts, JSON_TEXT) == texts
