"""A flow worker in a thread of another process: ``journeykit serve --worker`` (on for the demo).

It runs the same loop as ``journeykit worker`` (``worker.run_worker``) with the same parts
(``runtime``). ``stop`` asks it to finish the batch in hand and waits for it, so the serve
process's shutdown leaves no step half done. An error in a round is logged and the loop starts
again after a pause; invalid flow files keep the worker from starting (the pages show why).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from journeykit.errors import JourneykitError
from journeykit.flows.dispatch import Channel
from journeykit.flows.engine import FlowEngine
from journeykit.flows.runtime import (
    EmailTarget,
    workspace_channels,
    workspace_engine,
    workspace_flows,
)
from journeykit.flows.worker import TickResult, run_worker
from journeykit.workspace import Workspace

logger = logging.getLogger(__name__)

RESTART_PAUSE_SECONDS = 10.0


class BackgroundWorker:
    """One flow worker thread; ``start`` and ``stop`` belong in the app's lifespan."""

    def __init__(
        self,
        workspace: Workspace,
        email: EmailTarget | None = None,
        interval: float = 2.0,
        announce: Callable[[str], object] = logger.info,
    ) -> None:
        self.workspace = workspace
        self.email = email or EmailTarget()
        self.interval = interval
        self.announce = announce
        self.ticks = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._engine: FlowEngine | None = None

    def start(self) -> bool:
        """Start the thread; False (and the reason announced) when the flows are invalid."""
        if self._thread is not None:
            return True
        try:
            flows = workspace_flows(self.workspace)
            channels = workspace_channels(self.workspace, self.email)
        except JourneykitError as error:
            self.announce(f"flow worker not started: {error}")
            return False
        except Exception as error:  # the pages and the collector still serve without it
            logger.exception("the flow worker could not start")
            self.announce(f"flow worker not started: {type(error).__name__}: {error}")
            return False
        engine = workspace_engine(self.workspace, flows)
        self._engine = engine
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, args=(engine, channels), name="journeykit-flow-worker", daemon=True
        )
        self._thread.start()
        sending = ", ".join(sorted(channels)) or "nothing (no SMTP server: messages wait)"
        self.announce(
            f"flow worker {engine.owner} started: {len(flows)} flow(s), sending {sending}"
        )
        return True

    def stop(self, timeout: float = 60.0) -> None:
        """Let the round in hand finish, then end the thread."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stop.set()
        thread.join(timeout)
        if self._engine is not None:
            self._engine.db.dispose()
        self.announce("flow worker stopped")

    def _run(self, engine: FlowEngine, channels: dict[str, Channel]) -> None:
        while not self._stop.is_set():
            try:
                run_worker(
                    self.workspace,
                    engine,
                    channels,
                    interval=self.interval,
                    stop=self._stop,
                    on_tick=self._count,
                )
            except Exception:
                logger.exception("the flow worker's round failed; starting again shortly")
                self._stop.wait(RESTART_PAUSE_SECONDS)

    def _count(self, _result: TickResult) -> None:
        self.ticks += 1
