"""The flows JSON API: ``/api/flows`` (list), ``/api/flows/{id}`` (steps and counts) and
``/api/flows/{id}/lift`` — the same numbers as the pages and ``journeykit flows status|lift``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request

from journeykit.errors import suggestion
from journeykit.web.catalog import catalog_from
from journeykit.web.flows_data import (
    FlowDetail,
    FlowFile,
    FlowSummary,
    LiftReport,
    detail,
    find_flow,
    lift_report,
    read_flow_files,
    summaries,
)
from journeykit.web.schemas import ErrorDetail, ErrorResponse

router = APIRouter(prefix="/api/flows", tags=["flows"])

FlowId = Annotated[str, Path(description="The flow's `id`.", examples=["abandoned-cart"])]
FIX = "run `journeykit flows validate` and fix the file"
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No flow has this id; the hint says the closest."}
}
INVALID: dict[int | str, dict[str, Any]] = {
    **NOT_FOUND,
    422: {"model": ErrorResponse, "description": "The flow file has problems."},
}


@router.get("", summary="List the flows of the workspace")
def list_flows(request: Request) -> list[FlowSummary]:
    """Every flow file, valid or not, with runs and messages by status."""
    workspace = catalog_from(request).workspace
    return summaries(workspace, read_flow_files(workspace))


@router.get("/{flow_id}", summary="One flow with its steps and counts", responses=NOT_FOUND)
def get_flow(request: Request, flow_id: FlowId) -> FlowDetail:
    """The flow's steps in order with the runs waiting at and moved past each, and the outbox
    rows each step wrote (an invalid file comes with ``valid: false`` and its problems)."""
    workspace = catalog_from(request).workspace
    return detail(workspace, _find(request, flow_id))


@router.get("/{flow_id}/lift", summary="Lift of a flow: treated vs holdout", responses=INVALID)
def get_lift(request: Request, flow_id: FlowId) -> LiftReport:
    """Conversion rate and revenue per profile of treated and holdout runs, with 95 % CIs and
    the verdict (``too small to conclude`` below 30 runs or 5 conversions per group)."""
    item = _find(request, flow_id)
    if item.flow is None:
        problems = "; ".join(str(problem) for problem in item.problems)
        body = ErrorDetail(error=f"the flow file has problems: {problems}", hint=FIX)
        raise HTTPException(status_code=422, detail=body.model_dump())
    return lift_report(catalog_from(request).workspace, item.flow)


def _find(request: Request, flow_id: str) -> FlowFile:
    files = read_flow_files(catalog_from(request).workspace)
    item = find_flow(files, flow_id)
    if item is None:
        known = sorted(f.flow.id for f in files if f.flow is not None)
        body = ErrorDetail(error=f"no flow '{flow_id}'", hint=suggestion(flow_id, known) or None)
        raise HTTPException(status_code=404, detail=body.model_dump())
    return item
