"""Runs a flow worker for as long as the web app runs (``journeykit serve --worker``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import APIRouter, FastAPI
from starlette.concurrency import run_in_threadpool

if TYPE_CHECKING:
    from journeykit.flows.background import BackgroundWorker


def worker_router(worker: BackgroundWorker) -> APIRouter:
    """A router without routes whose lifespan starts ``worker`` and stops it on shutdown.

    Include it after the collector's router: lifespans nest, so the worker stops first and the
    collector's flusher still drains the worker's last delivery events into the analytic store.
    """

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        await run_in_threadpool(worker.start)
        try:
            yield
        finally:
            await run_in_threadpool(worker.stop)

    return APIRouter(lifespan=lifespan)
