"""The HTTP endpoints: ``POST /v1/track|identify|page|screen|group|alias|batch``.

Checking a request is pure CPU work and runs on the event loop (a thread would only add hand-off
cost under the GIL); only the durable write leaves it, to the group-commit writer thread. The
key lookup on a cache miss is one indexed read (never blocked by writers in SQLite's WAL mode).

Each answers ``{"success": true}`` only after its messages are in the append log (durable), a
JSON error otherwise (400 naming the field, 401, 413, 415), or 503 when the operational store
cannot be written — Segment clients retry a 503, so a busy or broken store loses nothing.
Every answer allows any origin (CORS), and ``OPTIONS`` answers a browser's pre-flight.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from journeykit.events.collector.auth import key_from_header
from journeykit.events.collector.body import read_body
from journeykit.events.collector.exceptions import CollectorRequestError, Unauthorized
from journeykit.events.collector.jsontext import compact_bytes
from journeykit.events.collector.messages import MESSAGE_TYPES
from journeykit.events.collector.service import Collector

logger = logging.getLogger(__name__)

KINDS = (*MESSAGE_TYPES, "batch")
PREFIX = "/v1"
JSON = "application/json"
SUCCESS = b'{"success":true}'
UNAVAILABLE = b'{"error":"the event log cannot be written right now","code":"unavailable"}'
CORS = {"Access-Control-Allow-Origin": "*"}
"""Browsers may read every answer: the write key, not the origin, says who may send."""
PREFLIGHT = {
    **CORS,
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, Content-Encoding",
    "Access-Control-Max-Age": "86400",
}
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
            route_class_override=PlainRoute,
        )
        router.add_api_route(
            f"/{kind}",
            _preflight,
            methods=["OPTIONS"],
            name=f"collector_{kind}_preflight",
            include_in_schema=False,
            route_class_override=PlainRoute,
        )
    return router


class PlainRoute(APIRoute):
    """A route whose endpoint takes the ``Request`` and returns the ``Response`` itself.

    FastAPI's own handler resolves dependencies and validates parameters on every request; these
    endpoints have none, and at a thousand batches a second that work was a tenth of the
    request path's CPU. The route still appears in the OpenAPI document.
    """

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        return self.endpoint


async def _preflight(_request: Request) -> Response:
    """The CORS pre-flight of a browser (``analytics.js`` on a shop's own domain)."""
    return Response(status_code=204, headers=PREFLIGHT)


def _endpoint(collector: Collector, kind: str):  # type: ignore[no-untyped-def]
    async def collect(request: Request) -> Response:
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
            headers = {**CORS, "Retry-After": "1"}
            return Response(UNAVAILABLE, status_code=503, headers=headers, media_type=JSON)
        return Response(SUCCESS, headers=CORS, media_type=JSON)

    collect.__name__ = f"collect_{kind}"
    return collect


def _error_response(error: CollectorRequestError) -> Response:
    headers = (
        {**CORS, "WWW-Authenticate": 'Basic realm="journeykit"'}
        if isinstance(error, Unauthorized)
        else CORS
    )
    body = compact_bytes(error.body())
    return Response(body, status_code=error.status, headers=headers, media_type=JSON)
