"""The live map: a map's overlay filled from events — KPI actuals, touchpoint reach, emotions.

``journeykit map render --live`` draws this over the map. Everything comes from the analyses the
map already has (``stage_kpis``, ``label_events``), so the map shows the numbers the KPI table and
the coverage report show. Readings fixed here (and in docs/analytics.md, "Live map"):

- a KPI gets an actual only when ``stage_kpis`` has a value for it; a KPI whose events are
  missing (``needs-events``) or without a denominator (``no-data``) shows its target alone;
- a touchpoint's volume is the number of distinct customers with an event it matches (the
  renderer labels it "customers"); a touchpoint without a match rule shows none;
- a stage's customers and how many of them go on to the next stage are ``stage_progress``'s
  (reached with any event of the stage; on = an event of the next stage at or after the first);
- the period shown as "live" is the first and last day of the events measured, in ``zone``;
- a stage's measured emotion is the mean of the survey answers that match one of its
  touchpoints, each answer put on −2 … +2: CSAT 1–5 as ``score − 3``, NPS 0–10 as
  ``(score − 5) / 2.5``; stages without such answers keep the map's own value.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import rows
from journeykit.analytics.journeys import label_events
from journeykit.analytics.properties import property_number
from journeykit.analytics.stage_kpis import StageKpis, stage_kpis
from journeykit.analytics.stage_progress import stage_progress
from journeykit.maps.model import JourneyMap
from journeykit.maps.render.overlay import Overlay

SURVEY_SCALES = {"csat_answered": (3.0, 1.0), "nps_answered": (5.0, 2.5)}
"""Survey event name → (neutral score, score points per emotion step) onto −2 … +2."""


def live_overlay(
    events: ir.Table,
    journey_map: JourneyMap,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    zone: tzinfo = UTC,
) -> Overlay:
    """The overlay of ``journey_map`` measured on the events with ``since <= ts < until``;
    ``zone`` (the workspace's) dates the period shown."""
    period = in_period(events, since, until)
    labelled = label_events(period, journey_map)
    progress = stage_progress(labelled, journey_map)
    return Overlay(
        measured=survey_emotions(labelled),
        kpi_actuals=kpi_actuals(stage_kpis(period, journey_map)),
        touchpoint_volumes=touchpoint_customers(labelled, journey_map),
        stage_customers={step.stage: step.customers for step in progress},
        stage_onward={s.stage: s.onward for s in progress if s.onward is not None},
        period=measured_days(period, zone),
    )


def measured_days(events: ir.Table, zone: tzinfo = UTC) -> tuple[date, date] | None:
    """The first and last day of ``events`` in ``zone``; None when there are none."""
    (span,) = rows(events.aggregate(first=events["ts"].min(), last=events["ts"].max()))
    if span["first"] is None:
        return None
    return _day(span["first"], zone), _day(span["last"], zone)


def _day(instant: datetime, zone: tzinfo) -> date:
    """The day of an instant in ``zone`` (Spark hands back UTC instants without a zone)."""
    aware = instant if instant.tzinfo is not None else instant.replace(tzinfo=UTC)
    return aware.astimezone(zone).date()


def in_period(events: ir.Table, since: datetime | None, until: datetime | None) -> ir.Table:
    """``events`` from ``since`` (inclusive) to ``until`` (exclusive); either may be open."""
    if since is not None:
        events = events.filter(events["ts"] >= ibis.literal(since))
    if until is not None:
        events = events.filter(events["ts"] < ibis.literal(until))
    return events


def kpi_actuals(kpis: StageKpis) -> dict[str, dict[str, float]]:
    """Stage id → metric id → value, for the map's KPIs (with target) that have a value."""
    found: dict[str, dict[str, float]] = {}
    for result in kpis.results:
        if result.stage is None or result.target is None or result.value is None:
            continue
        found.setdefault(result.stage, {})[result.metric] = result.value
    return found


def touchpoint_customers(labelled: ir.Table, journey_map: JourneyMap) -> dict[str, int]:
    """Touchpoint id → distinct customers with a matching event.

    Touchpoints with a match rule that nothing matched get 0; those without a rule none.
    """
    matched = labelled.filter(labelled["touchpoint"].notnull())
    counts = matched.group_by("touchpoint").aggregate(customers=matched["customer_id"].nunique())
    found = {str(r["touchpoint"]): int(r["customers"] or 0) for r in rows(counts)}
    return {tp.id: found.get(tp.id, 0) for tp in journey_map.touchpoints if tp.match}


def survey_emotions(labelled: ir.Table) -> dict[str, float]:
    """Stage id → mean survey answer on −2 … +2, for stages whose touchpoints match answers."""
    score = property_number(labelled["properties"], "score")
    name = labelled["name"]
    emotion = ibis.cases(
        *(
            (name == event, (score - neutral) / step)
            for event, (neutral, step) in SURVEY_SCALES.items()
        ),
        else_=ibis.null("float64"),
    )
    answers = labelled.mutate(emotion=emotion).filter(
        lambda t: t["stage"].notnull() & t["emotion"].notnull()
    )
    means = answers.group_by("stage").aggregate(emotion=answers["emotion"].mean())
    return {
        str(r["stage"]): max(-2.0, min(2.0, float(r["emotion"])))
        for r in rows(means)
        if r["emotion"] is not None
    }


__all__ = [
    "SURVEY_SCALES",
    "in_period",
    "kpi_actuals",
    "live_overlay",
    "measured_days",
    "touchpoint_customers",
]
