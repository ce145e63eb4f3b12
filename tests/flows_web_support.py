"""Helpers of the flow web and feedback tests (the server itself: ``web_server.running``): the
collector's flusher drained by hand, the analytic events read back, flows run on a workspace's
own stores."""

from __future__ import annotations

import json
from contextlib import closing
from typing import Any

from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.delivery import AnalyticDelivery
from journeykit.events.collector.flusher import Flusher
from journeykit.events.collector.log import AppendLog
from journeykit.events.collector.tables import collector_engine
from journeykit.store import open_analytic
from journeykit.workspace import Workspace


def drain(workspace: Workspace) -> int:
    """Run the collector's flusher once over the whole append log (what ``serve`` does every
    second): the logged events go into the analytic store. Returns how many were delivered."""
    engine = collector_engine(workspace)
    try:
        with closing(AnalyticDelivery(workspace)) as deliver:
            return Flusher(AppendLog(engine), deliver, CollectorConfig()).drain()
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
