"""The HTTP endpoints: ``POST /v1/track|identify|page|screen|group|alias|batch``.

Checking a request is pure CPU work and runs on the event loop (a thread would only add hand-off
cost under the GIL); only the durable write leaves it, to the group-commit writer thread. The
key lookup on a cache miss is one indexed read (never blocked by writers in SQLite's WAL mode).

Each answers ``{"success": true}`` only after its messages are in the append log (durable), a
JSON error otherwise (400 naming the field, 401, 413, 415), or 503 when the operational store
cannot be written — Segment clients retry a 503, so a busy or broken store loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from journeykit.events.collector.auth import key_from_header
from journeykit.events.collector.body import read_body
from journeykit.events.collector.exceptions import CollectorRequestError, Unauthorized
from journeykit.events.collector.messages import MESSAGE_TYPES
from journeykit.events.collector.service import Collector

logger = logging.getLogger(__name__)

KINDS = (*MESSAGE_TYPES, "batch")
PREFIX = "/v1"
SUCCESS = {"success": True}
OPENAPI_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object"}}},
        "description": 'A Segment message (or {"batch": [...]} for /v1/batch); '
        "may be gzip-compressed (Content-Encoding: gzip).",
    }
}


def build_router(collector: Collector) -> APIRouter:
    """A router with the seven endpoints; its lifespan runs the collector's flusher."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        collector.start()
        try:
            yield
        finally:
            await run_in_threadpool(collector.stop)

    router = APIRouter(prefix=PREFIX, tags=["collector"], lifespan=lifespan)
    for kind in KINDS:
        router.add_api_route(
            f"/{kind}",
            _endpoint(collector, kind),
            methods=["POST"],
            name=f"collector_{kind}",
            summary=f"Segment-compatible {kind}",
            openapi_extra=OPENAPI_BODY,
        )
    return router


def _endpoint(collector: Collector, kind: str):  # type: ignore[no-untyped-def]
    async def collect(request: Request) -> JSONResponse:
        received_at = datetime.now(UTC)
        try:
            header_key = key_from_header(request.headers.get("authorization"))
            if header_key is not None:
                collector.keys.source(header_key)  # 401 before reading the body
            body = await read_body(
                request.stream(),
                request.headers.get("content-encoding"),
                collector.config.max_batch_bytes,
                request.headers.get("content-length"),
            )
            checked = collector.check(body, kind, header_key, received_at)
            await asyncio.wrap_future(collector.write(checked))
        except CollectorRequestError as error:
            return _error_response(error)
        except SQLAlchemyError:
            logger.exception("the collector could not write its append log")
            return JSONResponse(
                {"error": "the event log cannot be written right now", "code": "unavailable"},
                status_code=503,
                headers={"Retry-After": "1"},
            )
        return JSONResponse(SUCCESS)

    collect.__name__ = f"collect_{kind}"
    return collect


def _error_response(error: CollectorRequestError) -> JSONResponse:
    headers = (
        {"WWW-Authenticate": 'Basic realm="journeykit"'}
        if isinstance(error, Unauthorized)
        else None
    )
    return JSONResponse(error.body(), status_code=error.status, headers=headers)
