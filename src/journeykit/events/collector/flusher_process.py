"""The flusher in a process of its own, supervised by the server.

Why a process: mapping a message to an event row is Python work of some tens of microseconds.
At 20,000 events/s that is most of a core, and in the server's process it would hold the GIL
that the request path needs, so both would run at half speed. In its own process the flusher
uses the second core, and a request's latency does not depend on a micro-batch being written.

The server starts it with the app's lifespan and stops it with SIGTERM (it then drains the log
and exits). If it dies, the server starts it again. If the server dies (SIGKILL), the flusher
notices it has been orphaned and exits at once; the next server's flusher takes over. A lock file
in ``data/`` lets only one flusher per workspace run at a time, also when two servers share it.
"""

from __future__ import annotations

import argparse
import fcntl
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from journeykit.events.collector.configuration import CollectorConfig

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

logger = logging.getLogger(__name__)

LOCK_FILE = "collector-flusher.lock"
RESTART_DELAY_SECONDS = 1.0
LOCK_POLL_SECONDS = 0.2


class FlusherProcess:
    """Runs and supervises the flusher process (``main`` below)."""

    def __init__(self, root: Path, config: CollectorConfig) -> None:
        self.command = [
            sys.executable,
            "-c",  # not -m: the package already imported this module, runpy would warn
            f"from {__name__} import main; main()",
            "--workspace",
            str(root),
            "--config",
            config.model_dump_json(),
            "--parent",
            str(os.getpid()),
        ]
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._process: subprocess.Popen[bytes] | None = None
        self._supervisor: threading.Thread | None = None

    def start(self) -> None:
        """Start the flusher process and keep it running until ``stop``."""
        if self._supervisor is None:
            self._stopping.clear()
            self._supervisor = threading.Thread(
                target=self._supervise, name="journeykit-flusher-supervisor", daemon=True
            )
            self._supervisor.start()

    def stop(self, timeout: float = 60.0) -> None:
        """Ask the flusher to drain and exit (SIGTERM); kill it after ``timeout`` seconds."""
        self._stopping.set()
        with self._lock:
            process = self._process
        if process is not None:
            _terminate(process, timeout)
        if self._supervisor is not None:
            self._supervisor.join()
            self._supervisor = None

    def _supervise(self) -> None:
        while not self._stopping.is_set():
            with self._lock:
                if self._stopping.is_set():
                    return
                process = subprocess.Popen(self.command, stdin=subprocess.DEVNULL)
                self._process = process
            code = process.wait()
            if self._stopping.is_set():
                return
            logger.error("the collector's flusher exited (%s); starting it again", code)
            self._stopping.wait(RESTART_DELAY_SECONDS)


def _terminate(process: subprocess.Popen[bytes], timeout: float) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def only_flusher(path: Path, stop: threading.Event, alive: Callable[[], bool]) -> Iterator[bool]:
    """Hold the workspace's flusher lock for the block; yields False if we gave up waiting."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if stop.wait(LOCK_POLL_SECONDS) or not alive():
                    yield False
                    return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


FLUSHER_NICENESS = 10
"""The flusher yields the CPU to the server: under load, an answered request (a durable event)
matters more than how soon it shows in analyses; the log absorbs the difference."""


def main(argv: list[str] | None = None) -> None:
    """The flusher process: drain the log every interval until SIGTERM or orphaned."""
    parser = argparse.ArgumentParser(prog="journeykit-flusher")
    parser.add_argument("--workspace", type=Path, required=True)
    parser.add_argument("--config", required=True, help="CollectorConfig as JSON")
    parser.add_argument("--parent", type=int, required=True, help="pid of the server")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl+C reaches the server; it stops us
    os.nice(FLUSHER_NICENESS)

    parent: int = args.parent

    def alive() -> bool:
        return os.getppid() == parent

    from journeykit.events.collector.delivery import AnalyticDelivery
    from journeykit.events.collector.flusher import Flusher
    from journeykit.events.collector.log import AppendLog
    from journeykit.events.collector.tables import collector_engine
    from journeykit.workspace import load_workspace

    workspace = load_workspace(args.workspace)
    config = CollectorConfig.model_validate_json(args.config)
    with only_flusher(workspace.data_dir / LOCK_FILE, stop, alive) as holding:
        if holding:
            _warm_up(workspace)
            engine = collector_engine(workspace)
            deliver = AnalyticDelivery.for_flusher(workspace, config)
            flusher = Flusher(AppendLog(engine), deliver, config)
            flusher.run(stop, alive)
            engine.dispose()


def _warm_up(workspace: Workspace) -> None:
    """Open (and migrate) the analytic store once, so the first micro-batch is not the slow one."""
    from journeykit.store import open_analytic

    with open_analytic(workspace):
        pass


if __name__ == "__main__":
    main()
