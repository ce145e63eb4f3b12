"""Shared by the analytics web tests: the demo workspace with generated events, a live server.

The workspace is ``journeykit demo``'s (its maps, settings and language), with the generator's
events inserted straight into its DuckDB store — the same events the demo ingests, without the
minute the file round trip takes.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pyarrow as pa
import uvicorn

from journeykit.datasets.demo import create_demo_workspace
from journeykit.datasets.generator import GeneratorConfig
from journeykit.datasets.generator.run import simulate
from journeykit.store import open_analytic
from journeykit.web import create_app
from journeykit.workspace import Workspace

DEMO_MAP = "anna-ist"


def demo_workspace_with_events(root: Path, customers: int = 300) -> Workspace:
    """The demo workspace at ``root`` with ``customers`` simulated customers' events."""
    workspace = create_demo_workspace(root)
    events = pa.Table.from_batches(list(simulate(GeneratorConfig(customers=customers))))
    with open_analytic(workspace) as store:
        store.insert("events", events)
    return workspace


@contextmanager
def served(workspace: Workspace) -> Iterator[str]:
    """A real uvicorn server for ``workspace`` on 127.0.0.1 and a free port; its base URL."""
    config = uvicorn.Config(
        create_app(workspace), log_level="warning", ws="none", http="h11", lifespan="off"
    )
    server = uvicorn.Server(config)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
        thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
        thread.start()
        try:
            deadline = time.monotonic() + 30
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    raise RuntimeError("the web server did not start")
                time.sleep(0.05)
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=30)
    if thread.is_alive():
        raise RuntimeError("the web server did not stop")
