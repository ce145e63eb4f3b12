"""Shared by the analytics web tests: the demo workspace with generated events, a live server.

The workspace is ``journeykit demo``'s (its maps, settings and language), with the generator's
events inserted straight into its DuckDB store — the same events the demo ingests, without the
minute the file round trip takes.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path

import pyarrow as pa

from journeykit.datasets.demo import create_demo_workspace
from journeykit.datasets.generator import GeneratorConfig
from journeykit.datasets.generator.run import simulate
from journeykit.store import open_analytic
from journeykit.web import create_app
from journeykit.workspace import Workspace
from web_server import running

DEMO_MAP = "anna-ist"


def demo_workspace_with_events(root: Path, customers: int = 300) -> Workspace:
    """The demo workspace at ``root`` with ``customers`` simulated customers' events."""
    workspace = create_demo_workspace(root)
    events = pa.Table.from_batches(list(simulate(GeneratorConfig(customers=customers))))
    with open_analytic(workspace) as store:
        store.insert("events", events)
    return workspace


def served(workspace: Workspace) -> AbstractContextManager[str]:
    """A real uvicorn server for ``workspace`` on 127.0.0.1 and a free port; its base URL."""
    return running(create_app(workspace))
