"""Running one analysis of a map for a page: query in, chart and page context out.

Each analysis is the same library call the CLI makes (``journeykit funnel``, ``paths``,
``transitions``, ``retention``, ``kpis``) on the workspace's analytic store; the store is open
only while the analysis runs. An empty store is ``NoEvents`` (the page says how to load data),
never an empty chart that looks like a result.

Results (not charts) are kept in a small cache keyed by the map, the query and the store's
*data version* (event count and latest timestamp), so the CSV and PNG downloads of a page just
viewed, reloads and the other language do not compute again, while new events show at once.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

import ibis.expr.types as ir

from journeykit.analytics.funnel import Funnel, funnel
from journeykit.analytics.journeys import label_events, sessionize
from journeykit.analytics.live import in_period, live_overlay
from journeykit.analytics.paths import Paths, paths
from journeykit.analytics.retention import CohortRetention, cohort_retention
from journeykit.analytics.stage_kpis import StageKpis, stage_kpis
from journeykit.analytics.transitions import TransitionMatrix, stage_ranks, transitions
from journeykit.errors import JourneykitError
from journeykit.i18n import text
from journeykit.maps.model import JourneyMap
from journeykit.maps.render.overlay import Overlay
from journeykit.store import open_analytic
from journeykit.web import analytics_params as params
from journeykit.web.charts import (
    Chart,
    funnel_chart,
    kpi_chart,
    paths_chart,
    retention_chart,
    transitions_chart,
)
from journeykit.workspace import Workspace

CACHE_SIZE = 32


class NoEvents(JourneykitError):
    """The workspace's analytic store holds no events yet."""

    def __init__(self) -> None:
        super().__init__("no events yet — load data with `journeykit ingest FILE`")


@dataclass(frozen=True)
class Analysis:
    """A chart and what the page shows beside it (the typed result, the request read)."""

    chart: Chart
    context: dict[str, Any]


Reader = Callable[[params.Query, JourneyMap, str], Any]
Compute = Callable[[ir.Table, JourneyMap, Any], Any]
Present = Callable[[Any, JourneyMap, Any, str], Analysis]


class _Results:
    """A small thread-safe LRU of analysis results (typed results of the library)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: Hashable, result: Any) -> None:
        with self._lock:
            self._items[key] = result
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_results = _Results(CACHE_SIZE)


def run(
    kind: str, workspace: Workspace, journey_map: JourneyMap, query: params.Query, lang: str
) -> Analysis:
    """The analysis ``kind`` of ``journey_map`` for the page's query, charted in ``lang``.

    Raises:
        ParamInvalid, JourneykitError: a parameter the page or the analysis cannot use.
        NoEvents: the store is empty.
    """
    read, compute, present = ANALYSES[kind]
    asked = read(query, journey_map, workspace.settings.workspace.timezone)
    with events_of(workspace) as (events, version):
        key = (kind, _map_key(journey_map), tuple(sorted(asked.query().items())), version)
        result = _results.get(key)
        if result is None:
            result = compute(events, journey_map, asked)
            _results.put(key, result)
    return present(result, journey_map, asked, lang)


@contextmanager
def events_of(workspace: Workspace) -> Iterator[tuple[ir.Table, tuple[int, str]]]:
    """The ``events`` table and its data version while the store is open; ``NoEvents`` if empty."""
    with open_analytic(workspace) as store:
        if not store.has_table("events"):
            raise NoEvents
        events = store.table("events")
        stats = store.fetch(events.aggregate(n=events.count(), last=events["ts"].max()))
        count = int(stats["n"][0].as_py() or 0)
        if count == 0:
            raise NoEvents
        yield events, (count, str(stats["last"][0].as_py()))


def live_overlay_of(workspace: Workspace, journey_map: JourneyMap) -> Overlay:
    """The live map's numbers over all events, cached like the analyses; ``NoEvents`` if empty."""
    zone = ZoneInfo(workspace.settings.workspace.timezone)
    with events_of(workspace) as (events, version):
        key = ("live", _map_key(journey_map), version)
        overlay = _results.get(key)
        if overlay is None:
            overlay = live_overlay(events, journey_map, zone=zone)
            _results.put(key, overlay)
    assert isinstance(overlay, Overlay)
    return overlay


def _map_key(journey_map: JourneyMap) -> str:
    return hashlib.sha256(journey_map.model_dump_json().encode()).hexdigest()


def node_names(journey_map: JourneyMap, level: str) -> dict[str, str]:
    """Node id → the name people read, in map order (event names stay as they are)."""
    if level == "stage":
        return {stage.id: stage.name for stage in journey_map.ordered_stages()}
    if level == "touchpoint":
        return {tp.id: tp.name for tp in journey_map.touchpoints}
    return {}


def _funnel(events: ir.Table, journey_map: JourneyMap, asked: params.FunnelRequest) -> Funnel:
    return funnel(
        events,
        list(asked.steps),
        window=asked.window,
        level=asked.level,
        journey_map=journey_map,
        by=asked.by,
        since=asked.period.since,
        until=asked.period.until,
    )


def _funnel_chart(
    result: Funnel, journey_map: JourneyMap, asked: params.FunnelRequest, lang: str
) -> Analysis:
    names = node_names(journey_map, asked.level)
    chart = funnel_chart(result, names, partial(text, lang=lang), lang)
    return Analysis(chart, {"asked": asked, "result": result, "names": names})


def _paths(events: ir.Table, journey_map: JourneyMap, asked: params.PathsRequest) -> Paths:
    """The paths; none (not an error) when the map's default anchor matches no event yet."""
    table = events if asked.level == "event" else label_events(events, journey_map)
    try:
        return paths(
            table,
            asked.anchor,
            direction=asked.direction,
            level=asked.level,
            steps=asked.steps,
            top=asked.top,
            collapse_repeats=asked.collapse,
            since=asked.period.since,
            until=asked.period.until,
        )
    except JourneykitError:
        if asked.anchor_given:
            raise
        return Paths(
            asked.anchor, asked.direction, asked.level, asked.steps, 0, [], 0, 0, 0, {}, []
        )


def _paths_chart(
    result: Paths, journey_map: JourneyMap, asked: params.PathsRequest, lang: str
) -> Analysis:
    names = node_names(journey_map, asked.level)
    chart = paths_chart(result, names, partial(text, lang=lang), lang)
    return Analysis(chart, {"asked": asked, "result": result, "names": names})


def _transitions(
    events: ir.Table, journey_map: JourneyMap, asked: params.TransitionsRequest
) -> TransitionMatrix:
    """The same call as ``journeykit transitions``: period first, then sessions, then labels."""
    table = in_period(events, asked.period.since, asked.period.until)
    if asked.sessions:
        table = sessionize(table)
    if asked.level != "event":
        table = label_events(table, journey_map)
    return transitions(
        table,
        level=asked.level,
        session="session_id" if asked.sessions else None,
        collapse_repeats=asked.collapse,
        stage_of=stage_ranks(journey_map, asked.level),
    )


def _transitions_chart(
    result: TransitionMatrix,
    journey_map: JourneyMap,
    asked: params.TransitionsRequest,
    lang: str,
) -> Analysis:
    names = node_names(journey_map, asked.level)
    chart = transitions_chart(result, names, partial(text, lang=lang), lang)
    return Analysis(chart, {"asked": asked, "result": result, "names": names})


def _retention(
    events: ir.Table, journey_map: JourneyMap, asked: params.RetentionRequest
) -> CohortRetention:
    return cohort_retention(
        in_period(events, asked.period.since, asked.period.until),
        period=asked.period_unit,
        periods=asked.periods,
        purchase_event=asked.purchase_event,
    )


def _retention_chart(
    result: CohortRetention, journey_map: JourneyMap, asked: params.RetentionRequest, lang: str
) -> Analysis:
    chart = retention_chart(result, partial(text, lang=lang), lang)
    return Analysis(chart, {"asked": asked, "result": result})


def _kpis(events: ir.Table, journey_map: JourneyMap, asked: params.KpisRequest) -> StageKpis:
    return stage_kpis(in_period(events, asked.period.since, asked.period.until), journey_map)


def _kpis_chart(
    result: StageKpis, journey_map: JourneyMap, asked: params.KpisRequest, lang: str
) -> Analysis:
    names = node_names(journey_map, "stage")
    chart = kpi_chart(result, names, partial(text, lang=lang), lang)
    return Analysis(chart, {"asked": asked, "result": result, "names": names})


def _read_retention(query: params.Query, journey_map: JourneyMap, zone: str) -> Any:
    return params.retention_request(query, zone)


def _read_kpis(query: params.Query, journey_map: JourneyMap, zone: str) -> Any:
    return params.kpis_request(query, zone)


ANALYSES: dict[str, tuple[Reader, Compute, Present]] = {
    "funnel": (params.funnel_request, _funnel, _funnel_chart),
    "paths": (params.paths_request, _paths, _paths_chart),
    "transitions": (params.transitions_request, _transitions, _transitions_chart),
    "retention": (_read_retention, _retention, _retention_chart),
    "kpis": (_read_kpis, _kpis, _kpis_chart),
}
