"""Analytics bench: our funnel (Ibis, set-based) against a hand-written DuckDB SQL funnel.

For each size (default 1 M and 10 M events) the script writes generated shop events into the
``events`` table of a fresh analytic store (DuckDB file, the store's own settings: 512 MB memory
limit). Customers have 20 events on average within two weeks of a 90-day span; names are drawn
with funnel-like weights, so customers loop, repeat and skip steps. Then, each run in a fresh
process on the same file:

- baseline: a hand-written DuckDB SQL funnel with the same semantics, written the way an analyst
  would: for each step-1 event, the earliest next-step event after it in ``(ts, event_id)`` order
  within the window, one join + ``min`` per step; best attempt per customer; ``quantile_cont``;
- ours: ``journeykit.analytics.funnel.funnel`` on ``store.table("events")``.

Both must give the same customers per step (checked). Reported: median wall time of ``--runs``
runs (the call only, not process start), ours as a multiple of the SQL's, and peak RSS of each
process; ``--write`` puts the table into bench/README.md (its own section). ``--spark`` also
runs our funnel on local PySpark over the first size's events: Spark's start, the load of the
events into the Spark store, and the median of ``--runs`` funnel calls in one session.

    python bench/analytics.py --events 1000000            # while developing
    python bench/analytics.py --events 1000000 10000000 --write
    python bench/analytics.py --events 1000000 --spark
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

README = Path(__file__).with_name("README.md")
SECTION_START = "<!-- analytics-bench:start -->"
SECTION_END = "<!-- analytics-bench:end -->"
STEPS = ["page_viewed", "product_viewed", "product_added", "checkout_started", "order_completed"]
WINDOW_DAYS = 7

GENERATE = """
INSERT INTO events
SELECT
  'e' || lpad(i::VARCHAR, 9, '0') AS event_id,
  TIMESTAMPTZ '2024-01-01 00:00:00+00'
    + to_seconds((hash(customer) % (76 * 86400) + hash(i * 3) % (14 * 86400))::BIGINT) AS ts,
  customer AS user_id, NULL AS anonymous_id, customer AS customer_id,
  CASE WHEN r < 40 THEN 'page_viewed' WHEN r < 65 THEN 'product_viewed'
       WHEN r < 77 THEN 'product_added' WHEN r < 85 THEN 'checkout_started'
       WHEN r < 90 THEN 'order_completed' ELSE 'email_opened' END AS name,
  'web' AS channel, ['mobile', 'desktop', 'tablet'][(1 + hash(i * 7) % 3)::BIGINT] AS device,
  NULL AS source, NULL AS medium, NULL AS campaign, NULL AS revenue, NULL AS currency,
  NULL AS cost, NULL AS properties
FROM (
  SELECT i, 'K' || lpad((hash(i * 13) % {customers})::VARCHAR, 8, '0') AS customer,
         hash(i * 17) % 100 AS r
  FROM range({events}) t(i)
)
"""

# The same semantics, by hand: attempts = step-1 events; step k = the earliest step-k event
# strictly after step k−1's event in (ts, event_id) order and within attempt start + window.
SQL_STEP = """
s{k} AS (
  SELECT a.c, a.a_ts, a.a_id, {carry}
         min(CASE WHEN e.c IS NOT NULL THEN {{'t': e.ts, 'i': e.event_id}} END) AS m{k}
  FROM s{p} a LEFT JOIN e
    ON e.c = a.c AND e.name = '{name}' AND a.m{p} IS NOT NULL
   AND (e.ts > a.m{p}.t OR (e.ts = a.m{p}.t AND e.event_id > a.m{p}.i))
   AND e.ts <= a.a_ts + INTERVAL {window} DAY
  GROUP BY ALL
)"""


def hand_written_sql(steps: list[str], window_days: int) -> str:
    names = ", ".join(f"'{s}'" for s in steps)
    parts = [
        f"e AS (SELECT customer_id AS c, ts, event_id, name FROM events "
        f"WHERE name IN ({names}) AND customer_id IS NOT NULL)",
        f"s1 AS (SELECT c, ts AS a_ts, event_id AS a_id, {{'t': ts, 'i': event_id}} AS m1 "
        f"FROM e WHERE name = '{steps[0]}')",
    ]
    for k in range(2, len(steps) + 1):
        carry = "".join(f"a.m{j}, " for j in range(1, k))
        parts.append(
            SQL_STEP.format(k=k, p=k - 1, carry=carry, name=steps[k - 1], window=window_days)
        )
    n = len(steps)
    depth = " + ".join(["1", *(f"(m{k} IS NOT NULL)::INT" for k in range(2, n + 1))])
    parts.append(
        f"best AS (SELECT *, {depth} AS depth FROM s{n} "
        f"QUALIFY row_number() OVER (PARTITION BY c ORDER BY {depth} DESC, a_ts, a_id) = 1)"
    )
    metrics = ["count(*) AS entered"]
    for k in range(2, n + 1):
        gap = f"(floor(epoch(m{k}.t)) - floor(epoch(m{k - 1}.t)))"
        metrics.append(f"count(m{k}) AS reached{k}")
        metrics.append(f"quantile_cont({gap}, 0.5) AS median{k}")
    return "WITH " + ",\n".join(parts) + "\nSELECT " + ", ".join(metrics) + " FROM best"


def generate(path: Path, events: int) -> None:
    from journeykit.store import open_analytic

    with open_analytic(f"duckdb:///{path}") as store:
        store.backend.raw_sql(GENERATE.format(events=events, customers=max(1, events // 20)))
        store.backend.raw_sql("CHECKPOINT")


def worker(kind: str, path: Path) -> dict[str, Any]:
    """One timed funnel in this process: customers per step, seconds, peak RSS."""
    from journeykit.analytics.funnel import funnel
    from journeykit.store import open_analytic

    with open_analytic(f"duckdb:///{path}") as store:
        started = time.perf_counter()
        if kind == "ours":
            result = funnel(store.table("events"), STEPS, window=timedelta(days=WINDOW_DAYS))
            customers = [s.customers for s in result.steps]
            medians = [s.median_seconds_from_previous for s in result.steps[1:]]
        else:
            (row,) = store.backend.con.sql(hand_written_sql(STEPS, WINDOW_DAYS)).fetchall()
            customers = [row[0], *row[1::2]]
            medians = list(row[2::2])
        seconds = time.perf_counter() - started
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": seconds, "customers": customers, "medians": medians, "rss": rss}


def spark_worker(path: Path, runs: int) -> dict[str, Any]:
    """Our funnel on local PySpark: start, load and funnel times (one session, ``runs`` calls)."""
    import duckdb

    from journeykit.analytics.funnel import funnel
    from journeykit.store import open_analytic

    with duckdb.connect(str(path), read_only=True) as con:
        events = con.sql("SELECT * FROM events").to_arrow_table()
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        with open_analytic("pyspark://local", root=Path(folder)) as store:
            ready = time.perf_counter()
            store.insert("events", events)
            loaded = time.perf_counter()
            times, customers = [], []
            for _ in range(runs):
                begin = time.perf_counter()
                result = funnel(store.table("events"), STEPS, window=timedelta(days=WINDOW_DAYS))
                times.append(time.perf_counter() - begin)
                customers = [s.customers for s in result.steps]
    return {
        "events": events.num_rows,
        "start_s": ready - started,
        "load_s": loaded - ready,
        "funnel_s": statistics.median(times),
        "funnel_runs_s": times,
        "customers": customers,
    }


def run(kind: str, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", kind, "--db", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(events: int, runs: int, folder: Path) -> dict[str, Any]:
    path = folder / f"events-{events}.duckdb"
    if not path.exists():
        started = time.perf_counter()
        generate(path, events)
        print(f"generated {events:,} events in {time.perf_counter() - started:.1f} s")
    results: dict[str, list[dict[str, Any]]] = {"sql": [], "ours": []}
    for _ in range(runs):
        for kind in ("sql", "ours"):
            results[kind].append(run(kind, path))
    sql, ours = results["sql"][0], results["ours"][0]
    if sql["customers"] != ours["customers"] or sql["medians"] != ours["medians"]:
        raise SystemExit(f"results differ: sql {sql} vs ours {ours}")
    row = {"events": events, "customers": ours["customers"]}
    for kind, found in results.items():
        row[f"{kind}_s"] = statistics.median(r["seconds"] for r in found)
        row[f"{kind}_rss"] = max(r["rss"] for r in found)
    row["ratio"] = row["ours_s"] / row["sql_s"]
    print(json.dumps(row))
    return row


def spark_run(path: Path, runs: int, duck: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--worker", "spark", "--db", str(path), "--runs", str(runs)],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if result["customers"] != duck["customers"]:
        raise SystemExit(f"Spark differs: {result['customers']} vs DuckDB {duck['customers']}")
    print(json.dumps(result))
    return result


def spark_text(spark: dict[str, Any]) -> str:
    return (
        f"\n\nOur funnel on local PySpark (same {spark['events']:,} events, same customers per "
        f"step): Spark start {spark['start_s']:.1f} s, loading the events into the Spark store "
        f"{spark['load_s']:.1f} s, funnel {spark['funnel_s']:.1f} s (median of "
        f"{len(spark['funnel_runs_s'])} calls in one session)."
    )


def table(rows: list[dict[str, Any]], runs: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d')} (median of {runs} runs, load average {load:.1f} "
        "at the end):",
        "",
        "| events | customers per step | SQL (baseline) | ours | × SQL | target "
        "| peak RSS SQL / ours |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['events']:,} | {' → '.join(f'{c:,}' for c in r['customers'])} "
            f"| {r['sql_s']:.2f} s | {r['ours_s']:.2f} s | {r['ratio']:.2f}× | ≤ 1.5× "
            f"| {r['sql_rss'] / 2**20:,.0f} / {r['ours_rss'] / 2**20:,.0f} MiB |"
        )
    return "\n".join(lines)


def write_readme(text: str) -> None:
    current = README.read_text(encoding="utf-8")
    block = f"{SECTION_START}\n{text}\n{SECTION_END}"
    pattern = re.compile(re.escape(SECTION_START) + ".*?" + re.escape(SECTION_END), re.DOTALL)
    if pattern.search(current):
        README.write_text(pattern.sub(lambda _: block, current), encoding="utf-8")
    else:
        README.write_text(current.rstrip() + "\n\n" + block + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="Folder to keep (and reuse) generated stores.")
    parser.add_argument("--write", action="store_true", help="Write the table into README.md.")
    parser.add_argument("--spark", action="store_true", help="Also time the funnel on PySpark.")
    parser.add_argument("--worker", choices=("sql", "ours", "spark"), help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "spark":
        print(json.dumps(spark_worker(args.db, args.runs)))
        return
    if args.worker:
        print(json.dumps(worker(args.worker, args.db)))
        return
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [measure(events, args.runs, folder) for events in args.events]
        spark = None
        if args.spark:
            spark = spark_run(folder / f"events-{args.events[0]}.duckdb", args.runs, rows[0])
    text = table(rows, args.runs) + (spark_text(spark) if spark else "")
    print(text)
    if args.write:
        write_readme(text)


if __name__ == "__main__":
    main()
