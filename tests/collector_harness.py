"""A real collector server in a subprocess on a free loopback port, for the collector tests.

The server is ``python -m journeykit.events.collector``: the same app ``journeykit serve`` mounts,
run by uvicorn in its own process, so a test can SIGKILL it like a crash would.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

HOST = "127.0.0.1"
START_TIMEOUT = 30.0


def free_port() -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def journeykit(
    workspace: Path, *args: str, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess, as a user in another terminal runs it."""
    return subprocess.run(
        [sys.executable, "-m", "journeykit", "--workspace", str(workspace), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def create_key(workspace: Path, name: str) -> str:
    """A new write key, straight from the library (the CLI has tests of its own)."""
    from journeykit.events.collector import collector_engine
    from journeykit.events.collector import create_key as create
    from journeykit.workspace import load_workspace

    engine = collector_engine(load_workspace(workspace))
    try:
        return create(engine, name)
    finally:
        engine.dispose()


def revoke_key(workspace: Path, name: str) -> None:
    """Revoke a write key, straight from the library."""
    from journeykit.events.collector import collector_engine
    from journeykit.events.collector import revoke_key as revoke
    from journeykit.workspace import load_workspace

    engine = collector_engine(load_workspace(workspace))
    try:
        revoke(engine, name)
    finally:
        engine.dispose()


class CollectorServer:
    """One collector process of a workspace; ``start`` again after ``kill`` to restart it."""

    def __init__(self, workspace: Path, flush_interval: float = 0.2) -> None:
        self.workspace = workspace
        self.port = free_port()
        self.flush_interval = flush_interval
        self.process: subprocess.Popen[bytes] | None = None
        self.output = workspace / f"collector-{self.port}.log"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        """Start the server and wait until it answers."""
        command = [
            sys.executable,
            "-m",
            "journeykit.events.collector",
            "--workspace",
            str(self.workspace),
            "--port",
            str(self.port),
            "--flush-interval",
            str(self.flush_interval),
        ]
        with self.output.open("ab") as output:
            self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT)
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"the collector exited:\n{self.output.read_text()}")
            try:
                httpx.post(f"{self.url}/v1/track", timeout=1.0)
            except httpx.TransportError:
                time.sleep(0.05)
                continue
            return
        raise AssertionError(f"the collector did not start:\n{self.output.read_text()}")

    def kill(self) -> None:
        """SIGKILL: a crash, no shutdown handler runs."""
        self._end(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM: a clean shutdown (the flusher drains the log)."""
        self._end(signal.SIGTERM)

    def _end(self, how: signal.Signals) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, how)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextmanager
def running_collector(workspace: Path, flush_interval: float = 0.2) -> Iterator[CollectorServer]:
    """A started server, stopped (cleanly) at the end whatever happens."""
    server = CollectorServer(workspace, flush_interval)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def stored_event_ids(workspace: Path, prefix: str) -> Counter[str]:
    """How often each event id starting with ``prefix`` is in the analytic store.

    Opens the store like any other command does (briefly, waiting while the flusher holds it).
    """
    from journeykit.store import open_analytic
    from journeykit.workspace import load_workspace

    with open_analytic(load_workspace(workspace)) as store:
        events = store.table("events")
        found = store.fetch(events.filter(events.event_id.startswith(prefix)).select("event_id"))
    return Counter(found.column("event_id").to_pylist())
