"""Load test of the HTTP collector: batches of 100 events over loopback.

Starts a collector (``python -m journeykit.events.collector``) on a fresh workspace, sends
Segment batches from several concurrent connections for ``--duration`` seconds, and reports the
sustained events/s accepted (answered 200, i.e. durable), p50/p99 latency, how long after the load
the analytic store had caught up, and whether it then holds exactly the sent events (once each).

    .venv/bin/python bench/collector.py                 # a quick 10 s run
    .venv/bin/python bench/collector.py --duration 60   # the target run (see bench/README.md)
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import fcntl
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import httpx

HOST = "127.0.0.1"
TARGET_EVENTS_PER_SECOND = 20_000
TARGET_P99_MS = 100.0
VISIBLE_WITHIN_SECONDS = 5.0


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
    connection: Connection, load: Load, run: str, counter: list[int], size: int, until: float
) -> None:
    """One connection sending batches back to back until ``until``."""
    try:
        while time.monotonic() < until:
            start = counter[0]
            counter[0] += size
            now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
            body = batch_body(run, start, size, now)
            began = time.perf_counter()
            status = await connection.post(body)
            load.latencies.append(time.perf_counter() - began)
            if status == 200:
                load.sent += size
            else:
                load.failed += size
    finally:
        await connection.close()


async def run_load(
    url: str, key: str, run: str, duration: float, connections: int, size: int
) -> Load:
    """Send for ``duration`` seconds from ``connections`` concurrent connections."""
    load = Load()
    counter = [0]
    host, port = url.removeprefix("http://").split(":")
    until = time.monotonic() + duration
    await asyncio.gather(
        *(
            sender(Connection(host, int(port), key), load, run, counter, size, until)
            for _ in range(connections)
        )
    )
    return load


def flusher_lock(data: Path) -> IO[str]:
    """Hold the workspace's flusher lock (released when the returned file is closed)."""
    from journeykit.events.collector.flusher_process import LOCK_FILE

    data.mkdir(parents=True, exist_ok=True)
    handle = (data / LOCK_FILE).open("a")
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start_server(root: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "journeykit.events.collector", "-w", str(root)]
    process = subprocess.Popen([*command, "--port", str(port)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.post(f"http://{HOST}:{port}/v1/track", timeout=1)
            return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("the collector did not start")


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


def wait_visible(root: Path, run: str, expected: int, timeout: float) -> float | None:
    """Seconds until the store holds ``expected`` events of ``run`` (None: not within timeout)."""
    began = time.monotonic()
    while time.monotonic() - began < timeout:
        if stored_events(root, run)[0] >= expected:
            return time.monotonic() - began
        time.sleep(2.0)  # each look takes the DuckDB file from the flusher for a moment
    return None


def report(
    load: Load, duration: float, lag: float | None, stored: tuple[int, int]
) -> dict[str, object]:
    latencies = sorted(load.latencies)
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
    rate = load.sent / duration
    return {
        "duration_s": duration,
        "events_sent": load.sent,
        "events_failed": load.failed,
        "events_per_second": round(rate),
        "requests": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(p99, 1),
        "store_caught_up_after_s": None if lag is None else round(lag, 2),
        "events_in_store": stored[0],
        "exactly_once": stored == (load.sent, load.sent) and load.failed == 0,
        "meets_targets": rate >= TARGET_EVENTS_PER_SECOND and p99 < TARGET_P99_MS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of load (10)")
    parser.add_argument("--connections", type=int, default=8, help="concurrent senders (8)")
    parser.add_argument("--batch", type=int, default=100, help="events per request (100)")
    parser.add_argument(
        "--catch-up", type=float, default=300.0, help="seconds to wait for the store (300)"
    )
    parser.add_argument(
        "--defer-flush",
        action="store_true",
        help="keep the flusher waiting until the load ends: measures the request path alone",
    )
    args = parser.parse_args()

    from journeykit.events.collector import collector_engine, create_key
    from journeykit.workspace import init_workspace

    with tempfile.TemporaryDirectory(prefix="jk-bench-") as folder:
        workspace = init_workspace(Path(folder) / "ws")
        engine = collector_engine(workspace)
        key = create_key(engine, "bench")
        engine.dispose()
        hold = flusher_lock(workspace.data_dir) if args.defer_flush else None
        port = free_port()
        server = start_server(workspace.root, port)
        try:
            url = f"http://{HOST}:{port}"
            run = uuid.uuid4().hex[:8]
            load = asyncio.run(run_load(url, key, run, args.duration, args.connections, args.batch))
            if hold is not None:
                hold.close()  # the flusher may start now
            lag = wait_visible(workspace.root, run, load.sent, timeout=args.catch_up)
        finally:
            os.kill(server.pid, signal.SIGTERM)
            server.wait(timeout=600)
        result = report(load, args.duration, lag, stored_events(workspace.root, run))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
