"""Load test of the HTTP collector: batches of 100 events over loopback, against a bare baseline.

Two servers get the same load, one after the other, each for ``--duration`` seconds:

- **baseline**: a bare Starlette app under the same uvicorn, whose one endpoint reads the body and
  answers 200 — what HTTP alone costs on this machine, so the ratio shows our own overhead;
- **collector**: ``python -m journeykit.events.collector`` on a fresh workspace (flusher in its own
  process), which checks every message and answers 200 only once it is durable.

Reported per server: events/s answered 200, p50/p95/p99 request latency and the CPU seconds each
process used. For the collector also: the oldest event not yet in the analytic store during the
load (how far "visible within 5 s" held), how long after the load the store had caught up, and
whether it then holds exactly the sent events, once each.

    .venv/bin/python bench/collector.py                 # a quick 10 s run
    .venv/bin/python bench/collector.py --duration 60   # the target run (see bench/README.md)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from journeykit.events.collector.log import UNFLUSHED

HOST = "127.0.0.1"
TARGET_EVENTS_PER_SECOND = 20_000
TARGET_P99_MS = 100.0
VISIBLE_WITHIN_SECONDS = 5.0
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Load:
    """What the senders did."""

    sent: int = 0
    failed: int = 0
    latencies: list[float] = field(default_factory=list)


EVENT = (
    '{"type":"track","event":"Product Viewed","anonymousId":"anon-%d","messageId":"%s-%d",'
    '"timestamp":"%s","properties":{"product_id":"p%d","price":19.9},'
    '"context":{"library":{"name":"bench","version":"1"},"ip":"127.0.0.1"}}'
)
"""One event as JSON text with its varying parts as placeholders: formatting text is much cheaper
than ``json.dumps``, and the generator must not be what limits the measurement."""


def batch_body(run: str, start: int, size: int, sent_at: str) -> bytes:
    """One Segment batch of ``size`` track events with ids ``run-start`` … ``run-start+size-1``."""
    events = ",".join(
        EVENT % (number % 5000, run, number, sent_at, number % 300)
        for number in range(start, start + size)
    )
    return f'{{"batch":[{events}],"sentAt":"{sent_at}"}}'.encode()


class Connection:
    """A bare HTTP/1.1 keep-alive connection: a load generator as lean as ``wrk``, since on a
    small machine the client shares the cores with the server it measures."""

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host = host
        self.port = port
        token = base64.b64encode(f"{key}:".encode()).decode()
        self.head = (
            f"POST /v1/batch HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: Basic {token}\r\n"
            "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
        )
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, body: bytes) -> int:
        """Send one batch; the response's status code."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        assert self.reader is not None
        self.writer.write((self.head % len(body)).encode() + body)
        await self.writer.drain()
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            await self.writer.wait_closed()


async def sender(
    connection: Connection,
    load: Load,
    run: str,
    counter: list[int],
    size: int,
    schedule: Iterator[float],
    until: float,
) -> None:
    """One connection sending a batch at each time of ``schedule`` until ``until``.

    A request's latency counts from its scheduled time, not from when it went out: a server
    that falls behind a paced load delays the following requests, and that delay is part of
    what a client sees (no coordinated omission). Back to back, each request is scheduled
    when the previous one ended.
    """
    try:
        for planned in schedule:
            now = time.monotonic()
            if now >= until:
                break
            if planned > now:
                await asyncio.sleep(planned - now)
            start = counter[0]
            counter[0] += size
            sent_at = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            body = batch_body(run, start, size, sent_at)
            began = planned or time.monotonic()  # late: the delay counts too
            status = await connection.post(body)
            load.latencies.append(time.monotonic() - began)
            if status == 200:
                load.sent += size
            else:
                load.failed += size
    finally:
        await connection.close()


def schedule(first: float, interval: float) -> Iterator[float]:
    """Send times ``first``, ``first + interval``, …; with no interval, always "now" (0)."""
    planned = first
    while True:
        yield planned if interval else 0.0
        planned += interval


async def run_load(
    port: int, key: str, run: str, duration: float, connections: int, size: int, rate: float
) -> Load:
    """Send for ``duration`` seconds from ``connections`` concurrent connections, back to back
    or, with ``rate`` (events/s), each connection on its own share of a steady schedule."""
    load = Load()
    counter = [0]
    began = time.monotonic()
    until = began + duration
    interval = connections * size / rate if rate else 0.0
    await asyncio.gather(
        *(
            sender(
                Connection(HOST, port, key),
                load,
                run,
                counter,
                size,
                schedule(began + interval * number / connections, interval),
                until,
            )
            for number in range(connections)
        )
    )
    return load


# --- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start(command: list[str], port: int) -> subprocess.Popen[bytes]:
    """Start a server and wait until it answers HTTP."""
    process = subprocess.Popen([*command, "--port", str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://{HOST}:{port}/v1/track", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"{command} did not start")


def stop(process: subprocess.Popen[bytes]) -> None:
    os.kill(process.pid, signal.SIGTERM)
    process.wait(timeout=600)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (all its threads)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(child) for child in (task / "children").read_text().split()]
    return found


def family_cpu(pid: int) -> dict[int, float]:
    """CPU seconds of a process and each of its child processes (the flusher)."""
    return {member: cpu_seconds(member) for member in [pid, *children(pid)]}


# --- the baseline ------------------------------------------------------------------------------


def serve_baseline(port: int) -> None:
    """A bare Starlette endpoint that reads the body and answers 200: HTTP's own cost."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def accept(request: Request) -> Response:
        await request.body()
        return Response(b'{"success":true}', media_type="application/json")

    app = Starlette(routes=[Route("/v1/{kind}", accept, methods=["POST"])])
    uvicorn.run(app, host=HOST, port=port, log_level="warning")


# --- the collector's visibility ----------------------------------------------------------------


@contextmanager
def watch_visibility(ops: Path, every: float = 1.0) -> Iterator[list[float]]:
    """Sample, every second, the age of the oldest event not yet in the analytic store.

    The append log marks entries flushed after their micro-batch is committed to the analytic
    store, so this is an upper bound of how long an accepted event waits to become visible. It
    reads the SQLite log (WAL: never blocks the collector), not the DuckDB file the flusher needs.
    """
    ages: list[float] = []
    stopping = threading.Event()

    def sample() -> None:
        connection = sqlite3.connect(f"file:{ops}?mode=ro", uri=True, timeout=5)
        query = (
            "SELECT body ->> '$.receivedAt' FROM collector_log "
            f"WHERE {UNFLUSHED} ORDER BY id LIMIT 1"
        )
        while not stopping.wait(every):
            row = connection.execute(query).fetchone()
            if row is None:
                ages.append(0.0)
                continue
            received = datetime.fromisoformat(row[0])
            ages.append((datetime.now(UTC) - received).total_seconds())
        connection.close()

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield ages
    finally:
        stopping.set()
        thread.join()


def wait_flushed(ops: Path, timeout: float) -> float | None:
    """Seconds until the append log has nothing left to flush (None: not within ``timeout``)."""
    began = time.monotonic()
    connection = sqlite3.connect(f"file:{ops}?mode=ro", uri=True, timeout=5)
    try:
        while time.monotonic() - began < timeout:
            query = f"SELECT count(*) FROM collector_log WHERE {UNFLUSHED}"
            if connection.execute(query).fetchone()[0] == 0:
                return time.monotonic() - began
            time.sleep(0.1)
    finally:
        connection.close()
    return None


def warm_up(port: int, key: str, ops: Path) -> None:
    """One event through the whole path before the load: the flusher process has started,
    imported its modules and opened the store once, as in a server that has been running."""
    message = {"type": "track", "event": "Warm Up", "anonymousId": "bench", "messageId": "warm"}
    response = httpx.post(f"http://{HOST}:{port}/v1/track", json=message, auth=(key, ""))
    response.raise_for_status()
    if wait_flushed(ops, timeout=120) is None:
        raise SystemExit("the flusher did not deliver the warm-up event")


def flushed_count(ops: Path) -> int:
    """How many logged events the flusher has delivered to the analytic store so far."""
    connection = sqlite3.connect(f"file:{ops}?mode=ro", uri=True, timeout=5)
    try:
        query = f"SELECT count(*) FROM collector_log WHERE NOT ({UNFLUSHED})"
        return int(connection.execute(query).fetchone()[0])
    finally:
        connection.close()


def cpu_per_event(result: dict[str, object], sent: int, flushed: int) -> dict[str, float | None]:
    """CPU microseconds per event of each part: what the machine's load does not change much.

    Its inverse is what one free core would do: e.g. 40 µs per event ≈ 25,000 events/s.
    """
    cpu = result["cpu_s"]
    assert isinstance(cpu, dict)
    return {
        "server": round(cpu["server"] / max(sent, 1) * 1e6, 1),
        "flusher": round(cpu["flusher"] / flushed * 1e6, 1) if flushed else None,
        "load_generator": round(cpu["load_generator"] / max(sent, 1) * 1e6, 1),
    }


def stored_events(root: Path, run: str) -> tuple[int, int]:
    """Events of this run in the analytic store: (rows, distinct event ids)."""
    from journeykit.store import open_analytic
    from journeykit.workspace import load_workspace

    with open_analytic(load_workspace(root)) as store:
        events = store.table("events")
        mine = events.filter(events.event_id.startswith(f"{run}-"))
        rows = int(store.scalar(mine.count()))
        distinct = int(store.scalar(mine.event_id.nunique()))
    return rows, distinct


# --- measuring ---------------------------------------------------------------------------------


def percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000


def loaded(
    server: subprocess.Popen[bytes], key: str, run: str, args: argparse.Namespace, port: int
) -> dict[str, object]:
    """Run the load against a started server: rates, latencies and CPU of everyone involved."""
    before = family_cpu(server.pid)
    own = time.process_time()
    began = time.monotonic()
    load = asyncio.run(
        run_load(port, key, run, args.duration, args.connections, args.batch, args.rate)
    )
    elapsed = time.monotonic() - began
    generator = time.process_time() - own
    after = family_cpu(server.pid)
    latencies = sorted(load.latencies)
    server_cpu = after.get(server.pid, 0.0) - before.get(server.pid, 0.0)
    others = sum(after.values()) - after.get(server.pid, 0.0)
    others -= sum(before.values()) - before.get(server.pid, 0.0)
    return {
        "load": load,
        "events_sent": load.sent,
        "events_failed": load.failed,
        "events_per_second": round(load.sent / elapsed),
        "requests": len(latencies),
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "cpu_s": {
            "server": round(server_cpu, 2),
            "flusher": round(others, 2),
            "load_generator": round(generator, 2),
        },
        "machine_load_average": round(os.getloadavg()[0], 2),
    }


def bench_baseline(args: argparse.Namespace) -> dict[str, object]:
    port = free_port()
    server = start([sys.executable, __file__, "--serve-baseline"], port)
    try:
        result = loaded(server, "baseline", "baseline", args, port)
    finally:
        stop(server)
    load = result.pop("load")
    assert isinstance(load, Load)
    cpu = result["cpu_s"]
    assert isinstance(cpu, dict)
    del cpu["flusher"]
    per_event = cpu_per_event({"cpu_s": {**cpu, "flusher": 0.0}}, load.sent, 1)
    del per_event["flusher"]
    return {**result, "cpu_us_per_event": per_event}


def bench_collector(args: argparse.Namespace) -> dict[str, object]:
    from journeykit.events.collector import collector_engine, create_key
    from journeykit.workspace import init_workspace

    with tempfile.TemporaryDirectory(prefix="jk-bench-") as folder:
        workspace = init_workspace(Path(folder) / "ws")
        engine = collector_engine(workspace)
        key = create_key(engine, "bench")
        engine.dispose()
        ops = workspace.data_dir / "ops.sqlite"
        port = free_port()
        command = [sys.executable, "-m", "journeykit.events.collector", "-w", str(workspace.root)]
        server = start(command, port)
        run = uuid.uuid4().hex[:8]
        try:
            warm_up(port, key, ops)
            with watch_visibility(ops) as ages:
                result = loaded(server, key, run, args, port)
            flushed_during_load = flushed_count(ops) - 1  # not the warm-up event
            caught_up = wait_flushed(ops, args.catch_up)
            stored = stored_events(workspace.root, run)
        finally:
            stop(server)
    load = result.pop("load")
    assert isinstance(load, Load)
    worst = max(ages, default=0.0)
    return {
        **result,
        "cpu_us_per_event": cpu_per_event(result, load.sent, flushed_during_load),
        "flushed_during_load": flushed_during_load,
        "oldest_unflushed_event_during_load_s": round(worst, 1),
        "store_caught_up_after_load_s": None if caught_up is None else round(caught_up, 2),
        "events_in_store": stored[0],
        "distinct_event_ids_in_store": stored[1],
        "exactly_once": stored == (load.sent, load.sent) and load.failed == 0,
        "visible_within_5_s": worst <= VISIBLE_WITHIN_SECONDS,
    }


def verdict(collector: dict[str, object], baseline: dict[str, object] | None) -> dict[str, object]:
    rate = collector["events_per_second"]
    p99 = collector["p99_ms"]
    assert isinstance(rate, int) and isinstance(p99, float)
    summary: dict[str, object] = {
        "events_per_second_target": TARGET_EVENTS_PER_SECOND,
        "p99_ms_target": TARGET_P99_MS,
        "meets_throughput_and_latency": rate >= TARGET_EVENTS_PER_SECOND and p99 < TARGET_P99_MS,
        "meets_all": rate >= TARGET_EVENTS_PER_SECOND
        and p99 < TARGET_P99_MS
        and bool(collector["exactly_once"])
        and bool(collector["visible_within_5_s"]),
    }
    if baseline is not None:
        base_rate = baseline["events_per_second"]
        assert isinstance(base_rate, int)
        summary["collector_vs_baseline_throughput"] = round(rate / max(base_rate, 1), 2)
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent senders (8)")
    parser.add_argument("--batch", type=int, default=100, help="events per request (100)")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="events/s to send on a steady schedule (default 0: back to back, the most the "
        "server takes)",
    )
    parser.add_argument(
        "--catch-up", type=float, default=300.0, help="seconds to wait for the store (300)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="measure the collector only")
    parser.add_argument("--serve-baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.port)
        return
    baseline = None if args.no_baseline else bench_baseline(args)
    collector = bench_collector(args)
    result = {
        "duration_s": args.duration,
        "paced_events_per_second": args.rate or None,
        "connections": args.connections,
        "events_per_request": args.batch,
        "cpus": os.cpu_count(),
        "baseline_bare_starlette": baseline,
        "collector": collector,
        "verdict": verdict(collector, baseline),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
