"""Helpers of the flow web and feedback tests: a real uvicorn server, the collector's flusher
drained by hand, the analytic events read back, flows run on a workspace's own stores."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
from fastapi import FastAPI

from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.delivery import analytic_delivery
from journeykit.events.collector.flusher import Flusher
from journeykit.events.collector.log import AppendLog
from journeykit.events.collector.tables import collector_engine
from journeykit.store import open_analytic
from journeykit.workspace import Workspace


@contextmanager
def running(app: FastAPI, lifespan: str = "off") -> Iterator[str]:
    """``app`` served by uvicorn on a free loopback port; yields its base URL."""
    config = uvicorn.Config(app, log_level="warning", ws="none", http="h11", lifespan=lifespan)
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
    assert not thread.is_alive(), "the server did not stop"


def drain(workspace: Workspace) -> int:
    """Run the collector's flusher once over the whole append log (what ``serve`` does every
    second): the logged events go into the analytic store. Returns how many were delivered."""
    engine = collector_engine(workspace)
    try:
        flusher = Flusher(AppendLog(engine), analytic_delivery(workspace), CollectorConfig())
        return flusher.drain()
    finally:
        engine.dispose()


def events(workspace: Workspace, name: str) -> list[dict[str, Any]]:
    """The analytic events called ``name``, properties decoded."""
    with open_analytic(workspace) as store:
        if not store.has_table("events"):
            return []
        table = store.table("events")
        rows = store.fetch(table.filter(table.name == name)).to_pylist()
    for row in rows:
        row["properties"] = json.loads(row["properties"]) if row["properties"] else {}
    return rows
