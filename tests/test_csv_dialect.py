"""CSV dialects, framing, numbers and dates — property-tested against simple references."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from journeykit.events.ingest.configuration import IngestOptions
from journeykit.events.ingest.eventid import content_event_id
from journeykit.events.ingest.normalise import Normaliser
from journeykit.events.sources.base import META_DECIMAL, ReadOptions
from journeykit.events.sources.csv import CsvSource
from journeykit.events.sources.dialect import sniff_decimal, sniff_dialect, sniff_encoding
from journeykit.events.sources.framing import Framer, FramingOptions

BERLIN = ZoneInfo("Europe/Berlin")
FAST = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])

cell = st.text(
    alphabet=st.sampled_from(list("abcXYZ äöüß€0123456789;,.\"'\n-")), min_size=0, max_size=12
)


def german_number(value: float) -> str:
    whole, _, cents = f"{abs(value):,.2f}".partition(".")
    return ("-" if value < 0 else "") + whole.replace(",", ".") + "," + cents


@FAST
@given(
    rows=st.lists(st.lists(cell, min_size=3, max_size=3), min_size=1, max_size=30),
    delimiter=st.sampled_from([";", ","]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
    chunk=st.sampled_from([16, 64, 4096]),
)
def test_any_table_survives_the_round_trip(
    rows: list[list[str]],
    delimiter: str,
    encoding: str,
    chunk: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Quotes, delimiters, newlines and umlauts in values, any encoding, any chunk size."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(["Spalte A", "Spalte B", "Spalte C"])
    writer.writerows(rows)
    data = buffer.getvalue().encode(encoding)
    framing = FramingOptions(
        chunk_bytes=chunk, encoding="cp1252" if encoding == "cp1252" else "utf-8"
    )
    records: list[list[str]] = []
    numbers: list[int] = []
    for frame in Framer(io.BytesIO(data), framing).frames():
        assert not frame.rejected
        text = frame.data.decode("utf-8")
        records.extend(r for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        numbers.extend(frame.rows.tolist())
    expected = [[value.replace("\r\n", "\n") for value in row] for row in rows]
    assert [[v.replace("\r\n", "\n") for v in r] for r in records] == expected
    assert numbers == list(range(1, len(rows) + 1))
    folder = tmp_path_factory.mktemp("csv")
    path = folder / "t.csv"
    path.write_bytes(data)
    read = pa.Table.from_batches(list(CsvSource().read(path, ReadOptions())))
    assert read.column_names[:3] == ["Spalte A", "Spalte B", "Spalte C"]
    assert read["_row"].to_pylist() == list(range(1, len(rows) + 1))
    assert [read[c].to_pylist() for c in read.column_names[:3]] == [
        [row[i].replace("\r\n", "\n") for row in rows] for i in range(3)
    ]


@FAST
@given(
    values=st.lists(
        st.floats(min_value=-1e7, max_value=1e7, allow_nan=False).map(lambda v: round(v, 2)),
        min_size=1,
        max_size=20,
    ),
    delimiter=st.sampled_from([";", ","]),
)
def test_dialect_detects_delimiter_and_decimal_comma(values: list[float], delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\n")
    writer.writerow(["Datum", "Betrag", "Notiz"])
    for i, value in enumerate(values):
        writer.writerow([f"0{1 + i % 9}.03.2024", german_number(value), "x"])
    dialect = sniff_dialect(buffer.getvalue().encode("utf-8"))
    assert dialect.delimiter == delimiter
    assert dialect.header == ("Datum", "Betrag", "Notiz")
    assert dialect.decimal == ","  # every amount has cents after a comma


def test_decimal_sniffing_weighs_the_evidence() -> None:
    assert sniff_decimal([["12,50", "1.234,56"]], ",") == ","
    assert sniff_decimal([["12.50", "1,234.56"]], ";") == "."
    assert sniff_decimal([["1.234"]], ";") == ","  # ambiguous: the delimiter decides
    assert sniff_decimal([["1.234"]], ",") == "."


def test_encodings_are_told_apart() -> None:
    assert sniff_encoding("Gerät;Währung\n".encode()) == ("utf-8", False)
    assert sniff_encoding(b"\xef\xbb\xbfGer\xc3\xa4t") == ("utf-8", True)
    assert sniff_encoding("Gerät;Währung\n".encode("cp1252") + b"x" * 10) == ("cp1252", False)


def _normalise(columns: dict[str, list[object]], decimal: str = ",") -> pa.Table:
    table = pa.table(columns)
    batch = table.to_batches()[0].replace_schema_metadata({META_DECIMAL: decimal.encode()})
    normaliser = Normaliser("t.csv", None, IngestOptions())
    try:
        out = normaliser.normalise(batch)
    finally:
        normaliser.close()
    assert out.rejected.num_rows == 0, out.rejected.to_pylist()
    return out.events


@FAST
@given(st.lists(st.floats(min_value=0, max_value=1e9, allow_nan=False), min_size=1, max_size=30))
def test_german_numbers_parse_to_their_value(values: list[float]) -> None:
    n = len(values)
    events = _normalise(
        {
            "ts": ["2024-03-01T12:00:00Z"] * n,
            "user_id": [f"u{i}" for i in range(n)],
            "name": ["order_completed"] * n,
            "revenue": [german_number(v) for v in values],
        }
    )
    parsed = dict(zip(events["user_id"].to_pylist(), events["revenue"].to_pylist(), strict=True))
    assert [parsed[f"u{i}"] for i in range(n)] == pytest.approx([round(v, 2) for v in values])


moments = st.datetimes(
    min_value=datetime(1991, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))


@FAST
@given(st.lists(moments, min_size=1, max_size=20))
def test_every_supported_timestamp_form_means_the_same_instant(instants: list[datetime]) -> None:
    forms = {
        "iso_utc": lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "iso_offset": lambda t: t.astimezone(BERLIN).isoformat(),
        "german_local": lambda t: t.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M:%S"),
        "seconds": lambda t: str(int(t.timestamp())),
        "millis": lambda t: str(int(t.timestamp()) * 1000),
        "micros": lambda t: str(int(t.timestamp()) * 1_000_000),
    }
    for label, form in forms.items():
        rows = [t for t in instants if label != "german_local" or _unambiguous(t)]
        if not rows:
            continue
        events = _normalise(
            {
                "ts": [form(t) for t in rows],
                "user_id": [f"u{i}" for i in range(len(rows))],
                "name": ["x"] * len(rows),
            }
        )
        found = dict(zip(events["user_id"].to_pylist(), events["ts"].to_pylist(), strict=True))
        assert [found[f"u{i}"] for i in range(len(rows))] == rows, label


def _unambiguous(moment: datetime) -> bool:
    """Local times that exist once (not in the hour the clocks go back)."""
    local = moment.astimezone(BERLIN).replace(tzinfo=None)
    return all(local.replace(tzinfo=BERLIN, fold=fold).astimezone(UTC) == moment for fold in (0, 1))


def test_local_times_in_the_dst_gaps() -> None:
    """The documented rule: the hour that repeats is read as the later instant."""
    events = _normalise(
        {
            "ts": ["27.10.2024 02:30:00", "31.03.2024 01:30"],
            "user_id": ["a", "b"],
            "name": ["x", "x"],
        }
    )
    found = dict(zip(events["user_id"].to_pylist(), events["ts"].to_pylist(), strict=True))
    assert found["a"] == datetime(2024, 10, 27, 1, 30, tzinfo=UTC)
    assert found["b"] == datetime(2024, 3, 31, 0, 30, tzinfo=UTC)


def test_the_sql_event_id_is_the_documented_rule() -> None:
    events = _normalise(
        {
            "ts": ["01.03.2024 14:30:00"],
            "user_id": ["K1"],
            "anonymous_id": ["v1"],
            "name": ["Kauf"],
            "Bestellnummer": ["B-7"],
        }
    )
    micros = int(datetime(2024, 3, 1, 13, 30, tzinfo=UTC).timestamp() * 1_000_000)
    expected = content_event_id(micros, "K1", "v1", "Kauf", '{"Bestellnummer":"B-7"}')
    assert events["event_id"].to_pylist() == [expected]
    assert events["properties"].to_pylist() == ['{"Bestellnummer":"B-7"}']


def test_csv_source_sniffs_only_delimited_text(tmp_path: Path) -> None:
    source = CsvSource()
    assert source.sniff(tmp_path, b"a;b\n1;2\n")
    assert not source.sniff(tmp_path, b'{"a": 1}\n')
    assert not source.sniff(tmp_path, b"PAR1\x00\x00")
    assert not source.sniff(tmp_path, b"just one column\n1\n")
