"""The ingest pipeline on good input: mapping files, formats, dedupe, the public batch API."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import journeykit.events.ingest as ingest_api
from events_support import counts_add_up, german_row, ingest, new_workspace, table, write_csv
from journeykit.events.ingest import IngestOptions, Origin, ingest_batches
from journeykit.events.mapping import MappingInvalid, load_mapping
from journeykit.events.quarantine import retry
from journeykit.events.sources.parquet import open_parquet
from journeykit.store import open_analytic
from journeykit.workspace import Workspace

MAPPING = """\
# Export des Shops: Spaltennamen auf Deutsch, Zeiten in Wiener Ortszeit
columns:
  Bestelldatum: ts
  Uhrzeit: ts
  Kunde: user_id
  Aktion: name
  Betrag: revenue
constants:
  channel: web
  currency: EUR
values:
  name:
    Bestellung: order_completed
    Storno: order_refunded
ignore: [Notiz]
timezone: Europe/Vienna
"""


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path)


def test_public_api_is_pinned() -> None:
    assert sorted(ingest_api.__all__) == [
        "IngestOptions",
        "IngestResult",
        "IngestSummary",
        "Origin",
        "ingest_batches",
        "ingest_files",
        "options_for",
    ]


def test_a_german_export_with_a_mapping_file(workspace: Workspace, tmp_path: Path) -> None:
    header = ("Bestelldatum", "Uhrzeit", "Kunde", "Aktion", "Betrag", "Notiz", "Filiale")
    rows = [
        {"Bestelldatum": "01.03.2024", "Uhrzeit": "14:30", "Kunde": "K1", "Aktion": "Bestellung",
         "Betrag": "1.234,50", "Notiz": "geheim", "Filiale": "Wien"},
        {"Bestelldatum": "02.03.2024", "Uhrzeit": "09:00:15", "Kunde": "K1", "Aktion": "Storno",
         "Betrag": "-34,50", "Notiz": "", "Filiale": ""},
    ]  # fmt: skip
    path = write_csv(tmp_path / "bestellungen.csv", rows, header=header, encoding="cp1252")
    mapping = tmp_path / "shop.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    summary = ingest(workspace, path, mapping=mapping)
    assert summary.as_json() == {"read": 2, "kept": 2, "duplicates": 0, "quarantined": 0}
    events = sorted(table(workspace, "events").to_pylist(), key=lambda e: e["ts"])
    assert [e["ts"] for e in events] == [
        datetime(2024, 3, 1, 13, 30, tzinfo=UTC),
        datetime(2024, 3, 2, 8, 0, 15, tzinfo=UTC),
    ]
    assert [e["name"] for e in events] == ["order_completed", "order_refunded"]
    assert [e["revenue"] for e in events] == [1234.5, -34.5]
    assert {e["channel"] for e in events} == {"web"}
    assert {e["currency"] for e in events} == {"EUR"}
    assert [e["properties"] for e in events] == ['{"Filiale":"Wien"}', None]
    assert {e["customer_id"] for e in events} == {"K1"}


def test_mapping_file_mistakes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        "columns:\n  Datum: ts\n  Umsatz: revenu\nconstant:\n  channel: web\n", encoding="utf-8"
    )
    with pytest.raises(MappingInvalid) as caught:
        load_mapping(path)
    report = caught.value.report()
    assert (
        f"{path}:3: columns.Umsatz: column 'Umsatz' maps to 'revenu', not an event field — "
        "did you mean 'revenue'?" in report
    )
    assert f"{path}:4: constant: unknown key 'constant' — did you mean 'constants'?" in report


def test_reingesting_adds_nothing_and_overlaps_add_only_new(
    workspace: Workspace, tmp_path: Path
) -> None:
    rows = [german_row(i) for i in range(40)]
    january = write_csv(tmp_path / "teil1.csv", rows[:25])
    overlap = write_csv(tmp_path / "teil2.csv", rows[15:])
    first = ingest(workspace, january)
    assert first.as_json() == {"read": 25, "kept": 25, "duplicates": 0, "quarantined": 0}
    assert ingest(workspace, january).as_json()["kept"] == 0
    second = ingest(workspace, overlap)
    assert second.as_json() == {"read": 25, "kept": 15, "duplicates": 10, "quarantined": 0}
    events = table(workspace, "events")
    assert events.num_rows == 40
    assert len(set(events["event_id"].to_pylist())) == 40
    batches = table(workspace, "ingest_batches")
    assert batches["kept"].to_pylist() == [25, 0, 15]
    assert set(batches["status"].to_pylist()) == {"committed"}


def test_parquet_with_typed_columns(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": ["e1", "e2", "e3"],
                "timestamp": pa.array(
                    [datetime(2024, 5, 1, 10, tzinfo=UTC)] * 3, pa.timestamp("ms", tz="UTC")
                ),
                "user_id": pa.array([17, 17, None], pa.int64()),
                "anonymous_id": ["a", "b", "c"],
                "event": ["page_viewed", "order_completed", "page_viewed"],
                "revenue": [None, 49.9, None],
                "quantity": pa.array([None, 2, None], pa.int32()),
            }
        ),
        path,
    )
    summary = ingest(workspace, path)
    assert summary.as_json() == {"read": 3, "kept": 3, "duplicates": 0, "quarantined": 0}
    events = {e["event_id"]: e for e in table(workspace, "events").to_pylist()}
    assert events["e2"]["user_id"] == "17"
    assert events["e2"]["properties"] == '{"quantity":2}'
    assert events["e2"]["currency"] == "EUR"  # the workspace's, as the record names none
    assert events["e1"]["customer_id"] == "17"  # anonymous id a is linked to user 17


@pytest.mark.parametrize("dictionary", [True, False])
def test_parquet_text_read_as_dictionaries_normalises_alike(
    tmp_path: Path, dictionary: bool
) -> None:
    """Text the file stores dictionary-encoded is read as Arrow dictionaries, with equal results."""
    channels = ["E-Mail", " web ", "", None, "Fax", "email"] * 50
    path = tmp_path / "events.parquet"
    pq.write_table(
        pa.table(
            {
                "ts": pa.array(
                    [datetime(2024, 5, 1, 10, i % 60, tzinfo=UTC) for i in range(300)],
                    pa.timestamp("us", tz="UTC"),
                ),
                "anonymous_id": [f"v{i}" for i in range(300)],
                "name": ["page_viewed", " Kauf ", "order_completed"] * 100,
                "channel": channels,
                "campaign": ["", "sommer24", None] * 100,
            }
        ),
        path,
        use_dictionary=dictionary,
    )
    read_as = open_parquet(path, dictionaries=True).schema_arrow.field("channel").type
    assert pa.types.is_dictionary(read_as) == dictionary
    workspace = new_workspace(tmp_path / "ws")
    assert ingest(workspace, path).as_json() == {
        "read": 300, "kept": 250, "duplicates": 0, "quarantined": 50
    }  # fmt: skip
    canonical = {"E-Mail": "email", " web ": "web", "": None, None: None, "email": "email"}
    expected = {
        f"v{i}": (["page_viewed", "Kauf", "order_completed"][i % 3], canonical[channel],
                  ["", "sommer24", None][i % 3] or None)
        for i, channel in enumerate(channels) if channel != "Fax"
    }  # fmt: skip
    events = table(workspace, "events").to_pylist()
    assert {e["anonymous_id"]: (e["name"], e["channel"], e["campaign"]) for e in events} == expected
    reasons = set(table(workspace, "quarantine")["reason"].to_pylist())
    assert len(reasons) == 1 and reasons.pop().startswith("unknown channel 'Fax'")


def test_jsonl_keeps_json_types_in_properties(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    lines = [
        {"ts": 1709290800, "anonymous_id": "v1", "name": "product_viewed",
         "properties": {"sku": "A-1", "price": 9.5}, "in_stock": True},
        {"ts": "2024-03-01T12:00:00+01:00", "user_id": "u1", "anonymous_id": "v1",
         "name": "signed_in", "channel": "E-Mail"},
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    summary = ingest(workspace, path)
    assert summary.as_json() == {"read": 2, "kept": 2, "duplicates": 0, "quarantined": 0}
    events = sorted(table(workspace, "events").to_pylist(), key=lambda e: e["name"])
    assert events[0]["properties"] == '{"in_stock":true,"price":9.5,"sku":"A-1"}'
    assert events[1]["channel"] == "email"
    assert {e["ts"] for e in events} == {datetime(2024, 3, 1, 11, tzinfo=UTC)}
    assert {e["customer_id"] for e in events} == {"u1"}


def test_ingest_batches_is_the_entry_for_other_code(workspace: Workspace) -> None:
    batch = pa.RecordBatch.from_pydict(
        {
            "event_id": ["m1", "m2", "m2", None],
            "ts": ["2024-03-01T10:00:00Z"] * 4,
            "anonymous_id": ["a1", "a1", "a1", "a1"],
            "name": ["page_viewed", "page_viewed", "page_viewed", None],
            "_row": [11, 12, 13, 14],
            "_raw": ["r1", "r2", "r3", "r4"],
            "_error": [None, None, None, None],
        }
    )
    origin = Origin("collector", "segment")
    result = ingest_batches(workspace, [batch], origin, IngestOptions(progress=False))
    assert result.counts() == {"read": 4, "kept": 2, "duplicates": 1, "quarantined": 1}
    again = ingest_batches(workspace, [batch], origin, IngestOptions(progress=False))
    assert again.counts() == {"read": 4, "kept": 0, "duplicates": 3, "quarantined": 1}
    [entry] = table(workspace, "quarantine").to_pylist()
    assert (entry["row"], entry["raw"], entry["field"]) == (14, "r4", "name")
    assert entry["quarantine_id"] == f"{result.batch_id}:14"


def test_an_in_memory_store_for_tests(tmp_path: Path) -> None:
    with open_analytic("duckdb:///:memory:ingest") as store:
        batch = pa.RecordBatch.from_pydict(
            {"ts": ["2024-03-01 10:00"], "user_id": ["u"], "name": ["x"]}
        )
        result = ingest_batches(store, [batch], Origin("test", "test"))
        assert result.kept == 1
        assert store.scalar(store.table("events").count()) == 1


def test_retry_after_fixing_the_mapping(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(6)]
    rows[1]["Kanal"] = "Flyerkampagne"
    rows[4]["Kanal"] = "Flyerkampagne"
    path = write_csv(tmp_path / "shop.csv", rows)
    assert ingest(workspace, path).as_json()["quarantined"] == 2
    mapping = tmp_path / "fix.yaml"
    mapping.write_text("values:\n  channel:\n    Flyerkampagne: print\n", encoding="utf-8")
    outcome = retry(workspace, mapping=mapping)
    [result] = outcome.results
    assert result.counts() == {"read": 2, "kept": 2, "duplicates": 0, "quarantined": 0}
    events = table(workspace, "events")
    assert events.num_rows == 6
    assert events.filter(pa.compute.equal(events["channel"], "print")).num_rows == 2
    statuses = table(workspace, "quarantine")["status"].to_pylist()
    assert statuses == ["resolved", "resolved"]
    assert counts_add_up(ingest(workspace, path))


def test_the_mapping_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    import re

    docs = (Path(__file__).parents[1] / "docs" / "events.md").read_text(encoding="utf-8")
    [example] = [
        block
        for block in re.findall(r"^```yaml\n(.*?)^```$", docs, flags=re.DOTALL | re.MULTILINE)
        if "columns:" in block
    ]
    path = tmp_path / "shop-mapping.yaml"
    path.write_text(example, encoding="utf-8")
    mapping = load_mapping(path)
    assert mapping.columns["Bestelldatum"] == "ts"
    assert mapping.values["name"]["Storno"] == "order_refunded"
    assert mapping.timezone == "Europe/Vienna"
