"""The flow pages: ``/flows`` (every flow with its counts) and ``/flows/{id}`` (its steps with the
runs at and past each, the outbox, and the lift report), in German or English.

An invalid flow file is listed with its problems, and its page shows them; a lift that cannot be
computed (say the analytic store is busy) is named on the page — never a 500.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import HTMLResponse

from journeykit.errors import suggestion
from journeykit.i18n import Language
from journeykit.web.catalog import catalog_from
from journeykit.web.flows_data import (
    LiftReport,
    detail,
    find_flow,
    lift_report,
    read_flow_files,
    summaries,
)
from journeykit.web.flows_labels import flow_text
from journeykit.web.language import request_language
from journeykit.web.templating import page
from journeykit.workspace import Workspace

logger = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

Lang = Annotated[Language, Depends(request_language)]
FlowId = Annotated[str, Path(description="The flow's `id`.")]


def _workspace(request: Request) -> Workspace:
    return catalog_from(request).workspace


@router.get("/flows", response_class=HTMLResponse)
def flows_page(request: Request, lang: Lang) -> HTMLResponse:
    """Every flow file with stage, trigger, runs and messages by status."""
    workspace = _workspace(request)
    rows = summaries(workspace, read_flow_files(workspace))
    return page(request, "flows_list.html", lang, {"rows": rows, "ft": flow_text(lang)})


@router.get("/flows/{flow_id}", response_class=HTMLResponse)
def flow_page(request: Request, flow_id: FlowId, lang: Lang) -> HTMLResponse:
    """One flow: its steps with their counts, the outbox and the lift report."""
    workspace = _workspace(request)
    files = read_flow_files(workspace)
    item = find_flow(files, flow_id)
    ft = flow_text(lang)
    if item is None:
        known = sorted(f.flow.id for f in files if f.flow is not None)
        missing = {"flow_id": flow_id, "hint": suggestion(flow_id, known), "ft": ft}
        return page(request, "flows_missing.html", lang, missing, status_code=404)
    lift: LiftReport | None = None
    lift_error: str | None = None
    if item.flow is not None:
        try:
            lift = lift_report(workspace, item.flow)
        except Exception as error:  # the page still shows the steps; the reason is named
            logger.exception("lift of flow %s failed", flow_id)
            lift_error = str(error) or type(error).__name__
    context: dict[str, Any] = {
        "d": detail(workspace, item),
        "lift": lift,
        "lift_error": lift_error,
        "ft": ft,
        "pct": percent,
        "num": number,
    }
    return page(request, "flows_detail.html", lang, context)


def percent(value: float | None, lang: str, points: bool = False, signed: bool = False) -> str:
    """A fraction as ``12.3 %`` (``12,3 %`` in German); ``points`` writes signed percentage
    points, ``signed`` a signed percentage."""
    if value is None:
        return "—"
    text = f"{value * 100:+.1f}" if points or signed else f"{value * 100:.1f}"
    unit = "pp" if points and lang == "en" else ("Pp." if points else "%")
    return f"{_decimal(text, lang)} {unit}"


def number(value: float | None, lang: str, signed: bool = False) -> str:
    """A money amount with two decimals in the page's language."""
    if value is None:
        return "—"
    return _decimal(f"{value:+,.2f}" if signed else f"{value:,.2f}", lang)


def _decimal(text: str, lang: str) -> str:
    if lang != "de":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
