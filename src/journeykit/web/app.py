"""The web app of a workspace: HTML pages, downloads and the JSON API in one FastAPI app.

The app holds no map data of its own: every request asks the workspace's catalog, which reloads
files that changed, so editing a map and reloading the page shows the edit.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from journeykit import __version__
from journeykit.events.collector import collector_router
from journeykit.web import (
    analytics_pages,
    api,
    consent,
    downloads,
    flows_api,
    flows_pages,
    flows_tracking,
    pages,
)
from journeykit.web.catalog import MapCatalog
from journeykit.web.docs import DOCS_URL, add_offline_docs, swagger_ui_folder
from journeykit.web.flows_worker import worker_router
from journeykit.workspace import Workspace

if TYPE_CHECKING:
    from journeykit.flows.background import BackgroundWorker

STATIC_DIR = Path(__file__).parent / "static"


def create_app(
    workspace: Workspace, *, collector: bool = True, worker: BackgroundWorker | None = None
) -> FastAPI:
    """The app serving ``workspace``: pages at ``/``, the API at ``/api``, its docs at ``/docs``,
    and (unless ``collector`` is false) the Segment-compatible collector at ``/v1``; ``worker``
    runs while the app runs (``serve --worker``)."""
    swagger = swagger_ui_folder()
    app = FastAPI(
        title=f"journeykit — {workspace.settings.workspace.name}",
        version=__version__,
        description="Journey maps of the workspace: list, read as JSON, download as SVG, PNG, "
        "PDF, HTML or YAML.",
        docs_url=None if swagger else DOCS_URL,
        redoc_url=None,
    )
    app.state.catalog = MapCatalog(workspace)
    if swagger is not None:
        add_offline_docs(app, swagger)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(api.router)
    app.include_router(downloads.router)
    app.include_router(analytics_pages.router)
    app.include_router(pages.router)
    app.include_router(flows_api.router)
    app.include_router(flows_pages.router)
    app.include_router(flows_tracking.router)
    app.include_router(consent.router)
    if collector:
        app.include_router(collector_router(workspace))
    if worker is not None:  # after the collector: the worker stops first (see flows_worker)
        app.include_router(worker_router(worker))
    return app
