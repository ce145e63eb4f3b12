"""Feedback endpoints of sent messages; each records one analytic event (``flows.feedback``).

- ``GET /t/o/{token}.gif`` — the open pixel: ``email_opened``, answers a 1×1 GIF, never cached.
- ``GET /t/c/{token}`` — a click: ``email_clicked``, then 302 to the URL the signed token names.
  A token that does not verify answers 400 and redirects nowhere (no open redirect).
- ``GET|POST /t/s/{token}?score=N`` — a survey answer: ``nps_answered`` (0–10) or
  ``csat_answered`` (1–5) with ``properties.score``, the events the map's NPS/CSAT KPIs count.
- ``POST /api/flows/bounces`` — a bounce report from the mail provider (HTTP Basic with a
  collector write key, as the collector): ``email_bounced`` with ``bounce_type`` hard or soft.

Every event's id derives from the message and the kind (clicks: also the URL), so a pixel loaded
twice or a survey answered twice is one event; the first answer counts.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from journeykit.events.collector.auth import KeyCheck, key_from_header
from journeykit.events.collector.exceptions import Unauthorized
from journeykit.events.collector.tables import collector_engine
from journeykit.flows import state
from journeykit.flows.feedback import record_feedback
from journeykit.flows.tracking import (
    CLICK,
    OPEN,
    SURVEY,
    SURVEYS,
    BadToken,
    Tracked,
    read_token,
    workspace_signer,
)
from journeykit.i18n import Language
from journeykit.web.catalog import catalog_from
from journeykit.web.flows_labels import flow_text
from journeykit.web.language import request_language
from journeykit.web.templating import page
from journeykit.workspace import Workspace

router = APIRouter(tags=["flows"])

GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
NO_CACHE = {"Cache-Control": "no-store, no-cache, must-revalidate, max-age=0", "Pragma": "no-cache"}
Lang = Annotated[Language, Depends(request_language)]


def _workspace(request: Request) -> Workspace:
    return catalog_from(request).workspace


def _verified(workspace: Workspace, token: str, kind: str) -> Tracked | None:
    try:
        return read_token(workspace_signer(workspace), token, kind)
    except BadToken:
        return None


def _invalid_link(request: Request, lang: Language) -> HTMLResponse:
    ft = flow_text(lang)
    context = {"heading": ft("link.invalid"), "message": ft("link.invalid.text"), "error": True}
    response = page(request, "flows_message.html", lang, context, status_code=400)
    response.headers.update(NO_CACHE)
    return response


@router.get("/t/o/{token}.gif", include_in_schema=False)
def open_pixel(request: Request, token: str) -> Response:
    """Record the open, answer the 1×1 GIF (400 with the same GIF for a token not ours)."""
    workspace = _workspace(request)
    tracked = _verified(workspace, token, OPEN)
    if tracked is not None:
        record_feedback(
            workspace,
            "email_opened",
            tracked.customer_id,
            channel="email",
            key=f"{tracked.key}.open",
            properties=tracked.properties(),
        )
    status = 200 if tracked is not None else 400
    return Response(GIF, status_code=status, media_type="image/gif", headers=NO_CACHE)


@router.get("/t/c/{token}", include_in_schema=False, response_model=None)
def click(request: Request, token: str, lang: Lang) -> Response:
    """Record the click, then redirect to the signed URL; 400 and no redirect otherwise."""
    workspace = _workspace(request)
    tracked = _verified(workspace, token, CLICK)
    if tracked is None or tracked.url is None:
        return _invalid_link(request, lang)
    link = hashlib.sha256(tracked.url.encode()).hexdigest()[:16]
    record_feedback(
        workspace,
        "email_clicked",
        tracked.customer_id,
        channel="email",
        key=f"{tracked.key}.click.{link}",
        properties={**tracked.properties(), "url": tracked.url},
    )
    return RedirectResponse(tracked.url, status_code=302, headers=NO_CACHE)


@router.api_route("/t/s/{token}", methods=["GET", "POST"], include_in_schema=False)
def survey(
    request: Request,
    token: str,
    lang: Lang,
    score: Annotated[str | None, Query(description="The answer: 0–10 (NPS) or 1–5 (CSAT).")] = None,
) -> HTMLResponse:
    """Record the answer as ``<survey>_answered`` with ``score``; thank the customer."""
    workspace = _workspace(request)
    tracked = _verified(workspace, token, SURVEY)
    if tracked is None or tracked.survey is None:
        return _invalid_link(request, lang)
    ft = flow_text(lang)
    low, high = SURVEYS[tracked.survey]
    value = int(score) if score is not None and score.strip().isdigit() else None
    if value is None or not low <= value <= high:
        message = f"{tracked.survey.upper()}: {low}–{high} (score={score})"
        context = {"heading": ft("score.invalid"), "message": message, "error": True}
        return page(request, "flows_message.html", lang, context, status_code=400)
    record_feedback(
        workspace,
        f"{tracked.survey}_answered",
        tracked.customer_id,
        channel="email",
        key=f"{tracked.key}.survey",
        properties={**tracked.properties(), "score": value, "survey": tracked.survey},
    )
    message = f"{ft('survey.recorded')} {value} / {high}"
    context = {"heading": ft("survey.thanks"), "message": message, "error": False}
    response = page(request, "flows_message.html", lang, context)
    response.headers.update(NO_CACHE)
    return response


class Bounce(BaseModel):
    """A bounce report: which message (its ``Message-ID`` or our idempotency key) and how."""

    message_id: str | None = Field(
        None, description="The bounced mail's Message-ID, e.g. '<cart.12.reminder@shop.example>'."
    )
    key: str | None = Field(None, description="Or the idempotency key '<flow>.<run>.<step>'.")
    type: Literal["hard", "soft"] = Field(description="hard: the address does not exist.")
    reason: str = Field("", description="The provider's diagnostic text.")


class BounceRecorded(BaseModel):
    event_id: str = Field(description="The id of the email_bounced event (the same on a repeat).")
    customer_id: str
    flow: str
    step: str


@router.post(
    "/api/flows/bounces",
    summary="Report a bounced email",
    responses={
        401: {"description": "No or an unknown collector write key (HTTP Basic user)."},
        404: {"description": "No sent message has this Message-ID or key."},
    },
)
def bounce(request: Request, report: Bounce) -> BounceRecorded:
    """Record ``email_bounced`` for the message; authenticate with a collector write key as the
    HTTP Basic user (``journeykit keys create NAME``). A repeat of the same report is one event."""
    workspace = _workspace(request)
    _authorise(request, workspace)
    key = _message_key(report)
    found = _message(workspace, key)
    if found is None:
        raise HTTPException(404, {"error": f"no sent message with key '{key}'", "hint": None})
    properties = {
        "flow": found["flow_id"],
        "step": found["step_id"],
        "message_key": key,
        "bounce_type": report.type,
        "reason": report.reason,
    }
    event_id = record_feedback(
        workspace,
        "email_bounced",
        found["customer_id"],
        channel="email",
        key=f"{key}.bounce.{report.type}",
        properties=properties,
    )
    return BounceRecorded(
        event_id=event_id,
        customer_id=found["customer_id"],
        flow=found["flow_id"],
        step=found["step_id"],
    )


def _authorise(request: Request, workspace: Workspace) -> None:
    engine = collector_engine(workspace)
    try:
        KeyCheck(engine, 0).source(key_from_header(request.headers.get("authorization")))
    except Unauthorized as error:
        headers = {"WWW-Authenticate": 'Basic realm="journeykit"'}
        raise HTTPException(401, error.body(), headers=headers) from None
    finally:
        engine.dispose()


def _message_key(report: Bounce) -> str:
    if report.key:
        return report.key
    if report.message_id:
        return report.message_id.strip().strip("<>").rpartition("@")[0]
    raise HTTPException(422, {"error": "name the message: 'message_id' or 'key'", "hint": None})


def _message(workspace: Workspace, key: str) -> dict[str, Any] | None:
    box, runs = state.outbox.c, state.runs.c
    query = (
        select(runs.flow_id, runs.customer_id, box.step_id)
        .join(state.runs, runs.id == box.run_id)
        .where(box.idempotency_key == key)
    )
    db = state.flows_engine(workspace)
    try:
        with db.connect() as connection:
            row = connection.execute(query).first()
    finally:
        db.dispose()
    return None if row is None else dict(row._mapping)
