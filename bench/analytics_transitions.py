"""Transitions and stage-KPI bench: ours against pm4py and retentioneering on the same events.

For each size (default 1 M and 10 M events) the script writes generated shop events into the
``events`` table of a fresh analytic store (DuckDB file, the store's own settings: 512 MB memory
limit): ~20 events per customer over 90 days, 13 event names (page and product views, carts,
checkouts, orders with revenue, refunds, ads with cost, e-mails, searches with a position, CSAT
and NPS answers with a score, referrals), so journeys loop and repeat. Then, each run in a fresh
process on the same data:

- ours: ``transitions(store.table("events"))`` (event level) — the engine does the work;
- pm4py: ``pm4py.discover_dfg`` (directly-follows graph) on a pandas DataFrame of
  ``customer_id, name, ts`` read from a Parquet export of the same events (the read is not timed);
- retentioneering: ``Eventstream(df).transition_graph_data(edge_weight="count")`` on the same
  DataFrame (Eventstream construction is timed: it is where the work happens; tracking is off);
- ours, all stage KPIs of the demo map ``anna-ist`` (every catalog metric over the whole range).

Ours runs twice: on the table in arrival order (as ingest leaves it) and on a copy rewritten in
journey order by ``journeykit events optimize`` (``events.layout.optimize_events``) — the order
the peers' DataFrame is in. The rewrite's own time is printed.

The peers run in a separate interpreter (``--peers``, default ``/work/benchpeers/bin/python``:
``python -m venv /work/benchpeers && /work/benchpeers/bin/pip install pm4py retentioneering``);
they are never a dependency of journeykit (pm4py is AGPL, retentioneering source-available). The
Parquet export is sorted by ``(customer_id, ts, event_id)``, so all three see the same order and
their counts are compared cell by cell. Reported: median wall time of ``--runs`` runs (the call
only), peer time ÷ ours, and each process's peak RSS; ``--write`` puts the table into
bench/README.md under "Analytics: transitions and KPIs".

    python bench/analytics_transitions.py --events 1000000            # while developing
    python bench/analytics_transitions.py --events 1000000 10000000 --write
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

README = Path(__file__).with_name("README.md")
HEADING = "## Analytics: transitions and KPIs"
SECTION_START = "<!-- analytics-transitions-bench:start -->"
SECTION_END = "<!-- analytics-transitions-bench:end -->"
DEMO_MAP = Path(__file__).parents[1] / "src/journeykit/datasets/demo_maps/anna-ist.yaml"
PEER_TIMEOUT = 1800
JOURNEY = "-journey"
"""Suffix of a kind run on the copy in journey order."""

GENERATE = """
INSERT INTO events
SELECT
  'e' || lpad(i::VARCHAR, 9, '0') AS event_id,
  TIMESTAMPTZ '2024-01-01 00:00:00+00'
    + to_seconds((hash(customer) % (76 * 86400) + hash(i * 3) % (14 * 86400))::BIGINT) AS ts,
  customer AS user_id, NULL AS anonymous_id, customer AS customer_id, name,
  'web' AS channel, ['mobile', 'desktop', 'tablet'][(1 + hash(i * 7) % 3)::BIGINT] AS device,
  NULL AS source, NULL AS medium, NULL AS campaign,
  CASE name WHEN 'order_completed' THEN (hash(i * 11) % 20000) / 100.0
            WHEN 'order_refunded' THEN -((hash(i * 11) % 5000)::BIGINT / 100.0) END AS revenue,
  CASE WHEN name IN ('order_completed', 'order_refunded') THEN 'EUR' END AS currency,
  CASE WHEN name IN ('ad_impression', 'ad_clicked') THEN (hash(i * 19) % 80) / 100.0 END AS cost,
  CASE name WHEN 'search_result_viewed' THEN '{{"position": ' || (1 + hash(i * 23) % 20) || '}}'
            WHEN 'csat_answered' THEN '{{"score": ' || (1 + hash(i * 23) % 5) || '}}'
            WHEN 'nps_answered' THEN '{{"score": ' || (hash(i * 23) % 11) || '}}' END AS properties
FROM (
  SELECT i, customer,
    CASE WHEN r < 30 THEN 'page_viewed' WHEN r < 50 THEN 'product_viewed'
         WHEN r < 60 THEN 'product_added' WHEN r < 66 THEN 'checkout_started'
         WHEN r < 70 THEN 'order_completed' WHEN r < 71 THEN 'order_refunded'
         WHEN r < 81 THEN 'ad_impression' WHEN r < 84 THEN 'ad_clicked'
         WHEN r < 92 THEN 'email_opened' WHEN r < 96 THEN 'search_result_viewed'
         WHEN r < 98 THEN 'csat_answered' WHEN r < 99 THEN 'nps_answered'
         ELSE 'referral_sent' END AS name
  FROM (
    SELECT i, 'K' || lpad((hash(i * 13) % {customers})::VARCHAR, 8, '0') AS customer,
           hash(i * 17) % 100 AS r
    FROM range({events}) t(i)
  )
)
"""

PEER_CODE = """
import json, os, resource, sys, time
os.environ["RETENTIONEERING_NO_TRACK"] = "1"
import pandas as pd
kind, path = sys.argv[1], sys.argv[2]
df = pd.read_parquet(path)
started = time.perf_counter()
if kind == "pm4py":
    import pm4py
    dfg, _, _ = pm4py.discover_dfg(
        df, case_id_key="customer_id", activity_key="name", timestamp_key="ts"
    )
    cells = {f"{a}\\t{b}": int(n) for (a, b), n in dfg.items()}
else:
    from retentioneering.eventstream import Eventstream
    stream = Eventstream(
        df, schema={"path_cols": ["customer_id"], "event_col": "name", "timestamp_col": "ts"}
    )
    matrix = stream.transition_graph_data(edge_weight="count")
    skip = {"path_start", "path_end"}
    cells = {
        f"{a}\\t{b}": int(matrix.loc[a, b])
        for a in matrix.index for b in matrix.columns
        if a not in skip and b not in skip and matrix.loc[a, b]
    }
seconds = time.perf_counter() - started
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "cells": cells, "rss": rss}))
"""


def generate(folder: Path, events: int) -> tuple[Path, Path, Path]:
    """The DuckDB store in arrival order, a copy in journey order, and the Parquet export the
    peers read (sorted in journey order)."""
    path, parquet = folder / f"events-{events}.duckdb", folder / f"events-{events}.parquet"
    journey = folder / f"events-{events}-journey.duckdb"
    if not (path.exists() and parquet.exists()):
        _generate(path, parquet, events)
    if not journey.exists():
        _journey_copy(path, journey)
    return path, journey, parquet


def _journey_copy(path: Path, journey: Path) -> None:
    from journeykit.events.layout import optimize_events
    from journeykit.store import open_analytic

    shutil.copyfile(path, journey)
    with open_analytic(f"duckdb:///{journey}") as store:
        done = optimize_events(store)
    print(f"rewrote {done.events:,} events in journey order in {done.seconds:.1f} s", flush=True)


def _generate(path: Path, parquet: Path, events: int) -> None:
    from journeykit.store import open_analytic

    started = time.perf_counter()
    with open_analytic(f"duckdb:///{path}") as store:
        store.backend.raw_sql(GENERATE.format(events=events, customers=max(1, events // 20)))
        store.backend.raw_sql("CHECKPOINT")
        store.backend.raw_sql(
            f"COPY (SELECT customer_id, name, ts::TIMESTAMP AS ts FROM events "
            f"ORDER BY customer_id, ts, event_id) TO '{parquet}' (FORMAT parquet)"
        )
    print(f"generated {events:,} events in {time.perf_counter() - started:.1f} s", flush=True)


def worker(kind: str, path: Path) -> dict[str, Any]:
    """Ours, timed twice in this process: ``cold`` (the first call, which also reads the store's
    blocks from the file) and ``seconds`` (the same call again, the blocks now in DuckDB's
    buffer — as the peers' DataFrame is already in memory); peak RSS and the transition cells."""
    from journeykit.analytics.stage_kpis import stage_kpis
    from journeykit.analytics.transitions import transitions
    from journeykit.maps.io import load_map
    from journeykit.store import open_analytic

    journey_map = load_map(DEMO_MAP)
    kind = kind.removesuffix(JOURNEY)
    times: list[float] = []
    with open_analytic(f"duckdb:///{path}") as store:
        events = store.table("events")
        for _ in range(2):
            started = time.perf_counter()
            if kind == "transitions":
                matrix = transitions(events)
                cells = {f"{t.source}\t{t.target}": t.count for t in matrix.transitions}
                extra: dict[str, Any] = {"cells": cells}
            else:
                found = stage_kpis(
                    events, journey_map, period="month" if kind == "kpis-month" else None
                )
                extra = {"needs_events": sum(r.status == "needs-events" for r in found.results)}
            times.append(time.perf_counter() - started)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"seconds": times[1], "cold": times[0], "rss": rss, **extra}


def run(kind: str, path: Path, peers: str) -> dict[str, Any]:
    """One run in a fresh process; a failed or timed-out peer is reported, not raised."""
    if kind in ("pm4py", "retentioneering"):
        command = [peers, "-c", PEER_CODE, kind, str(path)]
    else:
        command = [sys.executable, __file__, "--worker", kind, "--db", str(path)]
    env = {**os.environ, "RETENTIONEERING_NO_TRACK": "1"}
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=PEER_TIMEOUT, env=env, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {PEER_TIMEOUT} s"}
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"error": f"exit {done.returncode}: {last[:200]}"}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def summary(found: list[dict[str, Any]]) -> dict[str, Any]:
    """Median and peak RSS of the runs that worked; an error only when none did."""
    good = [r for r in found if "error" not in r]
    if not good:
        return {"error": found[0]["error"]}
    result = {
        "seconds": statistics.median(r["seconds"] for r in good),
        **({"cold": statistics.median(r["cold"] for r in good)} if "cold" in good[0] else {}),
        "rss": max(r["rss"] for r in good),
        "cells": good[0].get("cells"),
    }
    if len(good) < len(found):
        result["failed_runs"] = len(found) - len(good)
    return result


def measure(events: int, runs: int, folder: Path, peers: str | None) -> dict[str, Any]:
    path, journey, parquet = generate(folder, events)
    kinds = ["transitions", f"transitions{JOURNEY}", "kpis", f"kpis{JOURNEY}", "kpis-month"]
    if peers:
        kinds += ["pm4py", "retentioneering"]
    found: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for _ in range(runs):
        for kind in kinds:
            target = parquet if kind in ("pm4py", "retentioneering") else path
            target = journey if kind.endswith(JOURNEY) else target
            found[kind].append(run(kind, target, peers or ""))
            print(kind, {k: v for k, v in found[kind][-1].items() if k != "cells"}, flush=True)
    row: dict[str, Any] = {"events": events, **{k: summary(v) for k, v in found.items()}}
    ours = row["transitions"]["cells"]
    row["transitions_total"] = sum(ours.values())
    if row[f"transitions{JOURNEY}"].pop("cells") != ours:
        raise SystemExit("transitions differ between the arrival and the journey order")
    for peer in ("pm4py", "retentioneering"):
        if peer in row and "error" not in row[peer]:
            row[peer]["same_counts"] = row[peer].pop("cells") == ours
            row[peer]["ratio"] = row[peer]["seconds"] / row["transitions"]["seconds"]
            row[peer]["ratio_journey"] = (
                row[peer]["seconds"] / row[f"transitions{JOURNEY}"]["seconds"]
            )
    row["transitions"].pop("cells")
    for kind in ("kpis", f"kpis{JOURNEY}", "kpis-month"):
        row[kind].pop("cells", None)
    print(json.dumps(row), flush=True)
    return row


def _cell(result: dict[str, Any] | None) -> str:
    if result is None:
        return "not run"
    if "error" in result:
        return f"failed ({result['error']})"
    same = "" if "same_counts" not in result else (" ✓" if result["same_counts"] else " ≠")
    ratio = ""
    if "ratio" in result:
        ratio = f" ({result['ratio']:.1f}× / {result['ratio_journey']:.1f}× ours)"
    failed = f" ({result['failed_runs']} run(s) failed)" if result.get("failed_runs") else ""
    rss = result["rss"] / 2**20
    cold = f" (cold {result['cold']:.2f} s)" if "cold" in result else ""
    return f"{result['seconds']:.2f} s{cold}{ratio}{same}, {rss:,.0f} MiB{failed}"


def table(rows: list[dict[str, Any]], runs: int) -> str:
    load = os.getloadavg()[0]
    lines = [
        f"`bench/analytics_transitions.py`, measured {time.strftime('%Y-%m-%d')}, median of "
        f"{runs} runs, each in a fresh process (load average {load:.1f} at the end; the machine "
        "has 2 CPUs shared with other work). Times are the call only: ours is called twice per "
        "process, the second call is the figure (the store's blocks then sit in DuckDB's buffer, "
        "as the peers' DataFrame sits in memory; its read is not timed) and *cold* is the first; "
        "ratios use the second. MiB = peak RSS of the process. ✓ = the peer's directly-follows "
        "counts equal ours cell by cell. *arrival*: the table as ingest leaves it; *journey*: "
        "after `journeykit events optimize`; a peer's ratio reads (× ours in arrival order / "
        "× ours in journey order).",
        "",
        "| events | transitions, arrival | transitions, journey | pm4py `discover_dfg` | "
        "retentioneering `transition_graph_data` | all stage KPIs of `anna-ist`, arrival | "
        "… journey | … per month, arrival |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['events']:,} | {_cell(r['transitions'])} | {_cell(r[f'transitions{JOURNEY}'])} "
            f"| {_cell(r.get('pm4py'))} | {_cell(r.get('retentioneering'))} | {_cell(r['kpis'])} "
            f"| {_cell(r[f'kpis{JOURNEY}'])} | {_cell(r['kpis-month'])} |"
        )
    lines += [
        "",
        "Targets (issue 5): transitions ≥ 10× faster than the peers; all stage KPIs of a map "
        "≤ 10 s; peak RSS < 4 GiB.",
    ]
    return "\n".join(lines)


def write_readme(text: str) -> None:
    current = README.read_text(encoding="utf-8")
    block = f"{HEADING}\n\n{SECTION_START}\n{text}\n{SECTION_END}"
    pattern = re.compile(
        re.escape(HEADING) + r"\s*" + re.escape(SECTION_START) + ".*?" + re.escape(SECTION_END),
        re.DOTALL,
    )
    if pattern.search(current):
        README.write_text(pattern.sub(lambda _: block, current), encoding="utf-8")
    else:
        README.write_text(current.rstrip() + "\n\n" + block + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--peers", default="/work/benchpeers/bin/python")
    parser.add_argument("--no-peers", action="store_true", help="Time ours only.")
    parser.add_argument("--keep", type=Path, help="Folder to keep (and reuse) generated data.")
    parser.add_argument("--write", action="store_true", help="Write the table into README.md.")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.db)))
        return
    peers = None if args.no_peers or not Path(args.peers).exists() else args.peers
    if peers is None and not args.no_peers:
        print(f"peers not found at {args.peers}: timing ours only", flush=True)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        rows = [measure(n, args.runs, folder, peers) for n in args.events]
    text = table(rows, args.runs)
    print(text)
    if args.write:
        write_readme(text)


if __name__ == "__main__":
    main()
