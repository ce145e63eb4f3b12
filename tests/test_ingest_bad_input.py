"""Bad input in files: each case gets a message that says where and how to fix it, and no good
record is lost (read = kept + duplicates + quarantined)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from events_support import counts_add_up, german_row, ingest, new_workspace, table, write_csv
from journeykit.workspace import Workspace


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path)


def quarantined(workspace: Workspace) -> list[dict[str, object]]:
    rows = table(workspace, "quarantine").to_pylist()
    return sorted(rows, key=lambda row: (str(row["source_file"]), int(row["row"] or 0)))


def test_empty_file_fails_alone(workspace: Workspace, tmp_path: Path) -> None:
    empty = tmp_path / "leer.csv"
    empty.write_bytes(b"")
    good = write_csv(tmp_path / "gut.csv", [german_row(i) for i in range(5)])
    summary = ingest(workspace, empty, good)
    [failure] = summary.failures
    assert str(failure) == f"{empty}: the file is empty (0 bytes) — export it again"
    assert summary.as_json() == {"read": 5, "kept": 5, "duplicates": 0, "quarantined": 0}


def test_header_only_is_no_error_but_a_note(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nur-kopf.csv", [])
    summary = ingest(workspace, path)
    assert summary.failures == []
    [result] = summary.results
    assert result.counts() == {"read": 0, "kept": 0, "duplicates": 0, "quarantined": 0}
    assert result.notes == [
        f"{path}: no records to ingest — is the export empty (a header only)? check its date range"
    ]


def test_wrong_delimiter_in_the_mapping_file(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", [german_row(i) for i in range(3)])
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text('delimiter: ","\n', encoding="utf-8")
    summary = ingest(workspace, path, mapping=mapping)
    [failure] = summary.failures
    assert str(failure) == (
        f"{path}: the header has one column with delimiter ',', but 9 with ';' — "
        "set `delimiter: ';'` in the mapping file or leave it out to detect it"
    )
    assert table(workspace, "events").num_rows == 0


def test_rows_with_another_delimiter_are_quarantined(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "shop.csv", [german_row(i) for i in range(6)])
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace(";", ",")  # row 3 of the data
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = ingest(workspace, path)
    assert summary.as_json() == {"read": 6, "kept": 5, "duplicates": 0, "quarantined": 1}
    [entry] = quarantined(workspace)
    assert (entry["row"], entry["line"], entry["field"]) == (3, 4, "")
    assert entry["reason"] == (
        "the row has 1 field, the header has 9 (delimiter ';') — check for a missing or extra "
        "delimiter, or a value with the delimiter in it that needs quotes"
    )
    assert entry["raw"] == lines[3]


def test_a_single_column_header(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "pipes.txt"
    path.write_text("Zeitstempel~Kunde~Ereignis\n01.03.2024~K1~Kauf\n", encoding="utf-8")
    summary = ingest(workspace, path, format="csv")
    assert "the header has a single column ('Zeitstempel~Kunde~Ereignis')" in str(
        summary.failures[0]
    )
    assert "export the file as CSV with ; or , between columns" in str(summary.failures[0])


def test_mixed_encodings(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i, Ereignis="Kauf bei Müller") for i in range(4)]
    path = write_csv(tmp_path / "gemischt.csv", rows)
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].decode("utf-8").encode("cp1252")  # data row 2 saved as Windows-1252
    path.write_bytes(b"\n".join(lines))
    summary = ingest(workspace, path)
    assert summary.as_json() == {"read": 4, "kept": 3, "duplicates": 0, "quarantined": 1}
    [entry] = quarantined(workspace)
    assert (entry["row"], entry["line"]) == (2, 3)
    assert str(entry["reason"]).startswith(
        "mixed encodings: this record is not UTF-8 (byte 0xFC at position"
    )
    assert str(entry["reason"]).endswith(
        "it looks like Windows-1252; save the whole file as UTF-8 and run "
        "`journeykit quarantine retry`"
    )
    assert json.loads(str(entry["raw"]))["Ereignis"] == "Kauf bei Müller"
    names = set(table(workspace, "events")["name"].to_pylist())
    assert names == {"Kauf bei Müller"}


def test_a_windows_1252_file_reads_whole(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i, Ereignis="Rückgabe prüfen") for i in range(3)]
    path = write_csv(tmp_path / "ansi.csv", rows, encoding="cp1252")
    summary = ingest(workspace, path)
    assert summary.as_json()["kept"] == 3
    assert set(table(workspace, "events")["name"].to_pylist()) == {"Rückgabe prüfen"}


def test_a_huge_line_is_cut_out(workspace: Workspace, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "riesig.csv", [german_row(i) for i in range(4)])
    lines = path.read_bytes().split(b"\n")
    huge = b"x" * (20 * 1024 * 1024)  # 20 MiB without a newline, over the 16 MiB limit
    path.write_bytes(b"\n".join([*lines[:3], huge, *lines[3:]]))
    summary = ingest(workspace, path)
    assert summary.as_json() == {"read": 5, "kept": 4, "duplicates": 0, "quarantined": 1}
    [entry] = quarantined(workspace)
    assert (entry["row"], entry["line"]) == (3, 4)
    assert entry["reason"] == (
        "the record is 20,971,520 bytes long, more than the limit of 16,777,216 bytes — "
        "split or remove this line (or raise `max_record_bytes` in the mapping file)"
    )
    assert len(str(entry["raw"])) < 5000


def test_malformed_json_lines(workspace: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    good = {"ts": "2024-03-01T12:00:00Z", "user_id": "u1", "name": "page_viewed", "qty": 2}
    path.write_text(
        "\n".join(
            [
                json.dumps(good),
                '{"ts": "2024-03-01T12:01:00Z", "user_id": "u1" "name": "x"}',
                json.dumps({**good, "ts": "2024-03-01T12:02:00Z"}),
                "[1, 2, 3]",
                "",
                json.dumps({**good, "ts": "2024-03-01T12:03:00Z"}),
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    summary = ingest(workspace, path)
    assert summary.as_json() == {"read": 5, "kept": 3, "duplicates": 0, "quarantined": 2}
    first, second = quarantined(workspace)
    assert first["row"] == 2
    assert first["reason"] == (
        "the line is not valid JSON (Expecting ',' delimiter at column 48) — fix or remove the "
        "line, then run `journeykit quarantine retry`"
    )
    assert second["row"] == 4
    assert str(second["reason"]).startswith("the line is a JSON array, not an object")
    assert table(workspace, "events")["properties"].to_pylist() == ['{"qty":2}'] * 3


def test_timestamps_in_the_year_9999(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(3)]
    rows[1]["Zeitstempel"] = "31.12.9999 10:00:00"
    summary = ingest(workspace, write_csv(tmp_path / "zukunft.csv", rows))
    assert summary.as_json()["kept"] == 2
    [entry] = quarantined(workspace)
    assert (entry["row"], entry["field"]) == (2, "ts")
    assert entry["reason"] == (
        "the year 9999 (from '31.12.9999 10:00:00') is outside 1990..2100 — check the value and "
        "the column's format (day and month swapped? seconds read as milliseconds?)"
    )


def test_negative_revenue_only_on_refunds(workspace: Workspace, tmp_path: Path) -> None:
    rows = [
        german_row(0, Ereignis="Kauf", Umsatz="-19,99"),
        german_row(1, Ereignis="Retoure", Umsatz="-19,99"),
        german_row(2, Ereignis="order_refunded", Umsatz="-5,00"),
    ]
    summary = ingest(workspace, write_csv(tmp_path / "retouren.csv", rows))
    assert summary.as_json() == {"read": 3, "kept": 2, "duplicates": 0, "quarantined": 1}
    [entry] = quarantined(workspace)
    assert (entry["row"], entry["field"]) == (1, "revenue")
    assert str(entry["reason"]).startswith(
        "revenue -19.99 is negative on the event 'Kauf' — negative revenue is allowed only on "
        "refund events"
    )
    assert sorted(table(workspace, "events")["revenue"].to_pylist()) == [-19.99, -5.0]


def test_unknown_channel_suggests_the_closest(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(3)]
    rows[2]["Kanal"] = "Newsleter"
    rows[1]["Kanal"] = "Hologramm"
    summary = ingest(workspace, write_csv(tmp_path / "kanal.csv", rows))
    assert summary.as_json()["kept"] == 1
    pigeon, typo = quarantined(workspace)
    assert typo["reason"] == (
        "unknown channel 'Newsleter' — did you mean 'newsletter' (email)? or map it in the "
        "mapping file: `values: {channel: {'Newsleter': ...}}`"
    )
    assert str(pigeon["reason"]).startswith(
        "unknown channel 'Hologramm' — not one of the channels (ads, app, chat, delivery, email,"
    )


def test_a_required_field_without_a_column(workspace: Workspace, tmp_path: Path) -> None:
    header = ("Bestelldatum", "Kundennummer", "Ereignis")
    path = write_csv(
        tmp_path / "ohne-zeit.csv",
        [{"Bestelldatum": "01.03.2024", "Kundennummer": "K1", "Ereignis": "Kauf"}],
        header=header,
    )
    [failure] = ingest(workspace, path).failures
    assert str(failure) == (
        f"{path}: no column for the required field 'ts' (the columns are 'Bestelldatum', "
        "'Kundennummer', 'Ereignis') — add `columns: {\"Bestelldatum\": ts}` to a mapping file "
        "and pass it with --mapping FILE (docs/events.md#mapping-files)"
    )


def test_every_case_keeps_the_books(workspace: Workspace, tmp_path: Path) -> None:
    rows = [german_row(i) for i in range(30)]
    rows[3]["Kanal"] = "???"
    rows[4]["Zeitstempel"] = "morgen"
    rows[5]["Umsatz"] = "12.5.3"
    rows[6]["Kundennummer"] = ""
    rows[6]["Besucher-ID"] = ""
    rows[7] = dict(rows[8])  # a duplicate
    path = write_csv(tmp_path / "alles.csv", rows)
    first = ingest(workspace, path)
    again = ingest(workspace, path)
    assert counts_add_up(first) and counts_add_up(again)
    assert first.as_json() == {"read": 30, "kept": 25, "duplicates": 1, "quarantined": 4}
    assert again.as_json() == {"read": 30, "kept": 0, "duplicates": 26, "quarantined": 4}
    assert len(quarantined(workspace)) == 4  # the second run added no copies
    fields = [entry["field"] for entry in quarantined(workspace)]
    assert fields == ["channel", "ts", "revenue", "user_id"]


GA4_DAY = Path(__file__).parent / "fixtures" / "events" / "ga4" / "events_20261101.json"


def _ga4_rows() -> list[dict[str, object]]:
    lines = GA4_DAY.read_text(encoding="utf-8").splitlines()
    rows = []
    for line in lines:
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # the fixture's own malformed line
    return [row for row in rows if "event_timestamp" in row][:4]


def test_ga4_rows_without_event_timestamp(workspace: Workspace, tmp_path: Path) -> None:
    rows = _ga4_rows()
    missing = {key: value for key, value in rows[1].items() if key != "event_timestamp"}
    path = tmp_path / "events_20261102.json"
    lines = [rows[0], missing, *rows[2:]]
    path.write_text("".join(json.dumps(row) + "\n" for row in lines), encoding="utf-8")
    summary = ingest(workspace, path, format="ga4")
    assert summary.as_json() == {"read": 4, "kept": 3, "duplicates": 0, "quarantined": 1}
    [entry] = quarantined(workspace)
    assert (entry["row"], entry["line"]) == (2, 2)
    assert str(entry["reason"]).startswith("event_timestamp is missing")
    assert json.loads(str(entry["raw"]))["event_name"] == missing["event_name"]
    assert summary.results[0].notes == [
        f"{path}: 1 record(s) quarantined — see "
        f"`journeykit quarantine list --batch {summary.results[0].batch_id}`"
    ]


def test_a_gzip_bomb_in_a_file_is_cut_out(workspace: Workspace, tmp_path: Path) -> None:
    """A 64 MiB line inflated from 64 KiB is skipped in bounded reads; the good rows stay."""
    rows = _ga4_rows()
    path = tmp_path / "events_20261103.json.gz"
    with gzip.open(path, "wb", compresslevel=9) as stream:
        stream.write((json.dumps(rows[0]) + "\n").encode())
        bomb = b"0" * (1 << 20)
        for _ in range(64):  # no newline: one 64 MiB "line", over the 32 MiB line limit
            stream.write(bomb)
        stream.write(b"\n" + (json.dumps(rows[2]) + "\n").encode())
    assert path.stat().st_size < 256 * 1024
    summary = ingest(workspace, path, format="ga4")
    assert summary.as_json() == {"read": 3, "kept": 2, "duplicates": 0, "quarantined": 1}
    [entry] = quarantined(workspace)
    assert entry["line"] == 2
    assert "longer than 33554432 bytes; it was skipped" in str(entry["reason"])
    assert len(str(entry["raw"])) <= 200
