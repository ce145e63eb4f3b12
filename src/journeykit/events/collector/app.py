"""Building the collector for a workspace: a router for the web app, or an app of its own."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from journeykit import __version__
from journeykit.events.collector.configuration import CollectorConfig
from journeykit.events.collector.delivery import AnalyticDelivery
from journeykit.events.collector.flusher import Flusher
from journeykit.events.collector.flusher_process import FlusherProcess
from journeykit.events.collector.log import AppendLog
from journeykit.events.collector.routes import build_router
from journeykit.events.collector.service import Background, Collector
from journeykit.events.collector.tables import collector_engine
from journeykit.workspace import Workspace


def build_collector(workspace: Workspace, config: CollectorConfig | None = None) -> Collector:
    """The collector of ``workspace``: its append log in the operational store, its flusher
    delivering to the analytic store (in a process of its own unless configured otherwise)."""
    settings = config or CollectorConfig()

    def flusher(log: AppendLog) -> Background:
        if settings.flusher == "thread":
            return Flusher(log, AnalyticDelivery.for_flusher(workspace, settings), settings)
        return FlusherProcess(workspace.root, settings)

    return Collector(collector_engine(workspace), settings, flusher)


def collector_router(workspace: Workspace, config: CollectorConfig | None = None) -> APIRouter:
    """The ``/v1/*`` endpoints of ``workspace``; including the router also runs its flusher in
    the including app's lifespan (``app.include_router(collector_router(workspace))``)."""
    return build_router(build_collector(workspace, config))


def create_collector_app(workspace: Workspace, config: CollectorConfig | None = None) -> FastAPI:
    """An app serving only the collector: for a dedicated ingestion host and the tests."""
    app = FastAPI(
        title="journeykit collector",
        version=__version__,
        description="Segment-compatible HTTP collector: /v1/track, identify, page, screen, "
        "group, alias and batch.",
    )
    app.include_router(collector_router(workspace, config))
    return app
