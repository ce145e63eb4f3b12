"""Ingest bench: our ``journeykit ingest`` against DuckDB's own load of the same file.

For each size (default 10 M events) the script generates a German shop export as CSV (``;``,
decimal comma, ``dd.mm.yyyy HH:MM:SS`` local time, no event ids — they are content hashes) and the
same events as Parquet (typed columns, with event ids as a warehouse export has them). Then, in the
same run and each in a fresh process:

- baseline: DuckDB ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` / ``read_parquet(file)``
  into a new database file (DuckDB's defaults: all cores, type detection);
- ours: ``journeykit ingest FILE --json`` into a new workspace (validation, normalisation, content
  hash ids, dedupe within the file and against the store, identity, quarantine, one transaction).

It reports the median wall time of ``--runs`` runs, rows per second, our throughput as a share of
DuckDB's, and the peak RSS of each process, and writes them into bench/README.md (its own section).

    python bench/ingest.py                  # 10 M rows, 3 runs each, and 366 small files
    python bench/ingest.py --rows 50000000 --runs 1 --formats csv
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

README = Path(__file__).with_name("README.md")
SECTION_START = "<!-- ingest-bench:start -->"
SECTION_END = "<!-- ingest-bench:end -->"

EVENTS = """
SELECT
  i,
  TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_microseconds(
    (i * (365 * 86400000000 // {rows}) + hash(i * 3) % 1000000)::BIGINT) AS ts,
  (hash(i * 7) % 5) < 2 AS anonymous,
  'K' || lpad((hash(i * 13) % {customers})::VARCHAR, 7, '0') AS customer,
  ['Seitenaufruf', 'Produktansicht', 'In den Warenkorb', 'Kauf', 'Newsletter geöffnet',
   'Retoure'][(1 + hash(i * 19) % 6)::BIGINT] AS event,
  ['Web', 'E-Mail', 'App', 'Suche', 'Social Media', 'Anzeige', 'Newsletter'][
    (1 + hash(i * 23) % 7)::BIGINT] AS kanal,
  ['Smartphone', 'Desktop', 'Tablet', 'PC'][(1 + hash(i * 29) % 4)::BIGINT] AS geraet,
  ['google', 'newsletter', 'instagram', 'direct'][(1 + hash(i * 31) % 4)::BIGINT] AS quelle,
  ['cpc', 'email', 'social', 'none'][(1 + hash(i * 37) % 4)::BIGINT] AS medium,
  ['fruehling24', 'sommer24', 'black-friday', NULL][(1 + hash(i * 41) % 4)::BIGINT] AS kampagne,
  (hash(i * 43) % 300000)::BIGINT AS cents,
  (hash(i * 47) % 500)::BIGINT AS cost_cents
FROM range({rows}) t(i)
"""

ROWS_OF = """
SELECT
  ts, event, kanal, geraet, quelle, medium, kampagne, cost_cents,
  CASE WHEN anonymous THEN NULL ELSE customer END AS user_id,
  CASE WHEN anonymous THEN 'v' || (hash(i * 11) % {visitors})::VARCHAR
       ELSE customer || '-' || (hash(i * 17) % 3)::VARCHAR END AS anonymous_id,
  CASE WHEN event IN ('Kauf', 'Retoure') THEN
    (CASE WHEN event = 'Retoure' THEN -1 ELSE 1 END) * cents END AS revenue_cents,
  CASE WHEN event IN ('Kauf', 'Retoure') THEN 'B-' || i::VARCHAR END AS bestellnummer,
  i
FROM ({events})
"""

GERMAN_CSV = """
COPY (
  SELECT
    strftime(timezone('Europe/Berlin', ts), '%d.%m.%Y %H:%M:%S') AS "Zeitstempel",
    user_id AS "Kundennummer",
    anonymous_id AS "Besucher-ID",
    event AS "Ereignis",
    kanal AS "Kanal",
    geraet AS "Gerät",
    quelle AS "Quelle",
    medium AS "Medium",
    kampagne AS "Kampagne",
    {revenue} AS "Umsatz",
    CASE WHEN revenue_cents IS NOT NULL THEN 'EUR' END AS "Währung",
    {cost} AS "Kosten",
    bestellnummer AS "Bestellnummer"
  FROM ({rows_of})
) TO '{path}' (DELIMITER ';', HEADER)
"""

PARQUET = """
COPY (
  SELECT
    'e' || i::VARCHAR AS event_id, ts, user_id, anonymous_id, event AS name,
    kanal AS channel, geraet AS device, quelle AS source, medium, kampagne AS campaign,
    revenue_cents / 100.0 AS revenue,
    CASE WHEN revenue_cents IS NOT NULL THEN 'EUR' END AS currency,
    cost_cents / 100.0 AS cost, bestellnummer AS order_id
  FROM ({rows_of})
) TO '{path}' (FORMAT PARQUET)
"""

PEAK_RSS_LIMIT_MB = 2048
SMALL = "small-csv"
SMALL_FILES = 366  # a year of daily exports
TARGETS = {"csv": "≥ 0.33×", "parquet": "≥ 0.5×", SMALL: "—"}


def german_amount(cents: str) -> str:
    """SQL writing integer cents as German text: 1.234,56 (a minus sign first)."""
    euros = f"(abs({cents}) // 100)"
    grouped = (
        f"CASE WHEN {euros} >= 1000 THEN ({euros} // 1000)::VARCHAR || '.' || "
        f"lpad(({euros} % 1000)::VARCHAR, 3, '0') ELSE {euros}::VARCHAR END"
    )
    sign = f"CASE WHEN {cents} < 0 THEN '-' ELSE '' END"
    return (
        f"CASE WHEN {cents} IS NOT NULL THEN {sign} || {grouped} || ',' || "
        f"lpad((abs({cents}) % 100)::VARCHAR, 2, '0') END"
    )


def small_files(folder: Path, files: int, rows_each: int) -> Path:
    """``files`` German CSV files of ``rows_each`` events each (a folder; reused when present).

    Cut from one generated export, each with the header: the shape of daily shop exports.
    """
    target = folder / f"small-{files}x{rows_each}"
    if target.is_dir() and len(list(target.glob("*.csv"))) == files:
        return target
    source = generate(folder, files * rows_each, ("csv",))["csv"]
    target.mkdir(parents=True, exist_ok=True)
    with source.open("rb") as stream:
        header = stream.readline()
        for number in range(files):
            lines = [stream.readline() for _ in range(rows_each)]
            (target / f"export-{number + 1:04d}.csv").write_bytes(header + b"".join(lines))
    return target


def generate(
    folder: Path, rows: int, formats: tuple[str, ...] = ("csv", "parquet")
) -> dict[str, Path]:
    """The German CSV and the Parquet file of ``rows`` events (reused when present)."""
    folder.mkdir(parents=True, exist_ok=True)
    events = EVENTS.format(rows=rows, customers=max(rows // 25, 1))
    rows_of = ROWS_OF.format(events=events, visitors=max(rows // 20, 1))
    files = {"csv": folder / f"shop-{rows}.csv", "parquet": folder / f"events-{rows}.parquet"}
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false").fetchall()
    if "csv" in formats and not files["csv"].exists():
        started = time.monotonic()
        con.execute(
            GERMAN_CSV.format(
                rows_of=rows_of,
                revenue=german_amount("revenue_cents"),
                cost=german_amount("cost_cents"),
                path=files["csv"],
            )
        ).fetchall()
        print(f"generated {files['csv']} in {time.monotonic() - started:.0f} s", flush=True)
    if "parquet" in formats and not files["parquet"].exists():
        con.execute(PARQUET.format(rows_of=rows_of, path=files["parquet"])).fetchall()
    con.close()
    return files


@dataclass
class Run:
    seconds: float
    peak_rss_mb: float


def measured(command: list[str], env: dict[str, str] | None = None) -> Run:
    """Wall time and peak RSS of one child process (os.wait4: this child only)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    out = process.stdout.read() if process.stdout else b""
    err = process.stderr.read() if process.stderr else b""
    if status != 0:
        raise SystemExit(f"{command} failed: {err.decode(errors='replace')[-2000:]}")
    if out.strip().startswith(b"{"):
        print("   ", json.loads(out), flush=True)
    return Run(seconds, usage.ru_maxrss / 1024)


def baseline(path: Path, scratch: Path) -> Run:
    database = scratch / "baseline.duckdb"
    database.unlink(missing_ok=True)
    reader = "read_csv" if path.suffix == ".csv" or path.is_dir() else "read_parquet"
    if path.is_dir():
        path = path / "*.csv"
    script = (
        "import duckdb\n"
        f"con = duckdb.connect({str(database)!r})\n"
        "con.execute('SET enable_progress_bar = false').fetchall()\n"
        f"con.execute(\"CREATE TABLE t AS SELECT * FROM {reader}('{path}')\").fetchall()\n"
        "con.close()\n"
    )
    try:
        return measured([sys.executable, "-c", script])
    finally:
        database.unlink(missing_ok=True)


def ours(path: Path, scratch: Path) -> Run:
    workspace = scratch / "ws"
    shutil.rmtree(workspace, ignore_errors=True)
    jk = [sys.executable, "-m", "journeykit"]
    subprocess.run([*jk, "init", str(workspace)], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if k != "JOURNEYKIT_STORE"}
    inputs = sorted(str(p) for p in path.glob("*.csv")) if path.is_dir() else [str(path)]
    try:
        return measured([*jk, "-w", str(workspace), "ingest", *inputs, "--json"], env)
    finally:
        shutil.rmtree(workspace, ignore_errors=True)


def median(runs: list[Run]) -> Run:
    return Run(statistics.median(r.seconds for r in runs), max(r.peak_rss_mb for r in runs))


def bench(
    rows: int, formats: list[str], runs: int, data: Path, small_rows: int = 250
) -> list[dict[str, object]]:
    files = generate(data, rows, tuple(f for f in formats if f in ("csv", "parquet")))
    results = []
    for name in formats:
        count = rows
        if name == SMALL:
            count = SMALL_FILES * small_rows
            path = small_files(data, SMALL_FILES, small_rows)
            print(f"{name}: {path} ({SMALL_FILES} files)", flush=True)
        else:
            path = files[name]
            print(f"{name}: {path} ({path.stat().st_size / 2**20:,.0f} MiB)", flush=True)
        with tempfile.TemporaryDirectory(dir=data) as scratch:
            base, mine = [], []
            for run in range(runs):
                base.append(baseline(path, Path(scratch)))
                mine.append(ours(path, Path(scratch)))
                print(f"  run {run + 1}: duckdb {base[-1].seconds:.1f} s, "
                      f"journeykit {mine[-1].seconds:.1f} s", flush=True)  # fmt: skip
        b, m = median(base), median(mine)
        results.append(
            {
                "rows": count,
                "format": name,
                "duckdb_s": b.seconds,
                "ours_s": m.seconds,
                "duckdb_rows_s": count / b.seconds,
                "ours_rows_s": count / m.seconds,
                "ratio": b.seconds / m.seconds,
                "duckdb_rss_mb": b.peak_rss_mb,
                "ours_rss_mb": m.peak_rss_mb,
                "runs": runs,
            }
        )
    return results


def table(results: list[dict[str, object]]) -> str:
    lines = [
        "| events | format | DuckDB load (median) | journeykit ingest (median) | share of DuckDB's "
        "throughput | target | peak RSS DuckDB / journeykit |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        rows = int(r["rows"])  # type: ignore[call-overload]
        size = f"{rows / 1e6:.0f} M" if rows >= 1_000_000 else f"{rows:,}"
        target = TARGETS[str(r["format"])]
        if r["format"] == SMALL:
            size = f"{SMALL_FILES} × {rows // SMALL_FILES:,}"
        lines.append(
            f"| {size} | {r['format']} | {r['duckdb_s']:.1f} s "
            f"({r['duckdb_rows_s']:,.0f} rows/s) | {r['ours_s']:.1f} s "
            f"({r['ours_rows_s']:,.0f} rows/s) | **{r['ratio']:.2f}×** | {target} | "
            f"{r['duckdb_rss_mb']:,.0f} / {r['ours_rss_mb']:,.0f} MiB |"
        )
    return "\n".join(lines)


def write_readme(results: list[dict[str, object]], machine: str) -> None:
    section = "\n".join(
        [
            SECTION_START,
            "## Ingest (`bench/ingest.py`)",
            "",
            "Our `journeykit ingest FILE` against DuckDB's own `CREATE TABLE t AS SELECT * FROM "
            "read_csv(FILE)` / `read_parquet(FILE)` of the same file, in the same run, each in a "
            "fresh process writing a new DuckDB file. The CSV is a German shop export (`;`, "
            "decimal comma, `dd.mm.yyyy HH:MM:SS` Berlin time, no event ids: they are content "
            "hashes); the Parquet file holds the same events typed, with event ids. Ours "
            "validates every field, normalises timestamps/channels/devices/numbers, hashes ids, "
            "dedupes within the file and against the store, resolves identity and writes events, "
            "quarantine, links and the batch row in one transaction. `small-csv` is a year of "
            "daily exports: 366 German CSV files in ONE `journeykit ingest` call (each file its "
            "own transaction) against DuckDB's `read_csv('dir/*.csv')`; it measures the fixed "
            "cost per file.",
            "",
            table(results),
            "",
            f"Measured {time.strftime('%Y-%m-%d')} on {machine}. Reproduce: "
            "`python bench/ingest.py [--rows N] [--runs K] [--formats csv,parquet,small-csv]`.",
            SECTION_END,
        ]
    )
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION_START) + ".*?" + re.escape(SECTION_END), re.S)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    README.write_text(text + ("" if text.endswith("\n") else "\n"), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--formats", default=f"csv,parquet,{SMALL}")
    parser.add_argument("--small-rows", type=int, default=250, help=f"rows per file of {SMALL}")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "jk-bench")
    parser.add_argument("--no-readme", action="store_true")
    args = parser.parse_args()
    results = []
    for rows in args.rows:
        results += bench(rows, args.formats.split(","), args.runs, args.data, args.small_rows)
    print()
    print(table(results))
    for r in results:
        if float(r["ours_rss_mb"]) >= PEAK_RSS_LIMIT_MB:  # type: ignore[arg-type]
            print(f"peak RSS over {PEAK_RSS_LIMIT_MB} MiB at {r['rows']} {r['format']}")
    if not args.no_readme:
        machine = (
            f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}, duckdb {duckdb.__version__}"
        )
        write_readme(results, machine)


if __name__ == "__main__":
    main()
