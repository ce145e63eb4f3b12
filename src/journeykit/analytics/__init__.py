"""Analyses of the event data against journey maps: journeys, funnels, paths, KPIs, retention.

House rule: an analysis takes Ibis tables (the ``events`` table of an open analytic store, or an
expression over it) and returns a typed result — a dataclass with ``as_json()``/``to_json()`` or an
Ibis table for further analysis. It does not print, open stores or import an engine: the same code
runs on DuckDB and on PySpark, and the CLI and web pages decide how to show the result.
"""

from __future__ import annotations

from journeykit.analytics.funnel import Funnel, FunnelGroup, FunnelInvalid, FunnelStep, funnel
from journeykit.analytics.journeys import (
    Coverage,
    Overlap,
    UnmatchedName,
    coverage,
    label_events,
    overlapping_touchpoints,
    sessionize,
)
from journeykit.analytics.live import live_overlay
from journeykit.analytics.paths import PathCount, Paths, paths
from journeykit.analytics.retention import (
    CohortRetention,
    RepeatCurve,
    StageDistribution,
    cohort_retention,
    repeat_purchase_curve,
    stage_distribution,
)
from journeykit.analytics.stage_kpis import KpiResult, StageKpis, stage_kpis
from journeykit.analytics.stage_progress import StageStep, stage_progress
from journeykit.analytics.transitions import TransitionMatrix, transitions

__all__ = [
    "CohortRetention",
    "Coverage",
    "Funnel",
    "FunnelGroup",
    "FunnelInvalid",
    "FunnelStep",
    "KpiResult",
    "Overlap",
    "PathCount",
    "Paths",
    "RepeatCurve",
    "StageDistribution",
    "StageKpis",
    "StageStep",
    "TransitionMatrix",
    "UnmatchedName",
    "cohort_retention",
    "coverage",
    "funnel",
    "label_events",
    "live_overlay",
    "overlapping_touchpoints",
    "paths",
    "repeat_purchase_curve",
    "sessionize",
    "stage_distribution",
    "stage_kpis",
    "stage_progress",
    "transitions",
]
