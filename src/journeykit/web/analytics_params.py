"""The query parameters of the analytics pages, read into typed requests for one map.

Every page takes its parameters as text and reads them here, so a bad value becomes a
``ParamInvalid`` naming the parameter (shown as a 400 page) instead of FastAPI's JSON 422. The
defaults come from the map: the funnel's steps are its stages, the paths start at its first stage.
Each request can write itself back as a query string, so the download links repeat the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from journeykit.analytics.period_numbers import PERIODS
from journeykit.analytics.timespans import parse_day, parse_window
from journeykit.errors import JourneykitError, Problem, suggestion
from journeykit.maps.model import JourneyMap

Level = Literal["event", "touchpoint", "stage"]
LEVELS: tuple[Level, ...] = ("stage", "touchpoint", "event")
DIRECTIONS = ("from", "to")
BREAKDOWNS = ("device", "channel", "source", "medium", "campaign", "persona")
Query = Mapping[str, str]


class ParamInvalid(JourneykitError):
    """A query parameter of an analytics page that cannot be used; names the parameter."""

    def __init__(self, param: str, message: str, hint: str) -> None:
        self.param = param
        super().__init__(
            f"{param}: {message} — {hint}", [Problem(None, None, None, param, message, hint)]
        )


@dataclass(frozen=True)
class Period:
    """``since <= ts < until`` as typed (for links) and as read (for the analyses)."""

    since_text: str = ""
    until_text: str = ""
    since: datetime | None = None
    until: datetime | None = None

    def query(self) -> dict[str, str]:
        return {
            key: value
            for key, value in (("since", self.since_text), ("until", self.until_text))
            if value
        }


@dataclass(frozen=True)
class FunnelRequest:
    level: Level
    steps: tuple[str, ...]
    window_text: str
    window: timedelta
    by: str | None
    period: Period

    def query(self) -> dict[str, str]:
        found = {"level": self.level, "steps": ",".join(self.steps), "window": self.window_text}
        return {**found, **({"by": self.by} if self.by else {}), **self.period.query()}


@dataclass(frozen=True)
class PathsRequest:
    level: Level
    anchor: str
    direction: str
    steps: int
    top: int
    collapse: bool
    period: Period
    anchor_given: bool = True

    def query(self) -> dict[str, str]:
        found = {
            "level": self.level,
            "anchor": self.anchor,
            "direction": self.direction,
            "steps": str(self.steps),
            "top": str(self.top),
            "collapse": "1" if self.collapse else "0",
        }
        return {**found, **self.period.query()}


@dataclass(frozen=True)
class TransitionsRequest:
    level: Level
    sessions: bool
    collapse: bool
    period: Period

    def query(self) -> dict[str, str]:
        found = {
            "level": self.level,
            "sessions": "1" if self.sessions else "0",
            "collapse": "1" if self.collapse else "0",
        }
        return {**found, **self.period.query()}


@dataclass(frozen=True)
class RetentionRequest:
    period_unit: str
    periods: int
    purchase_event: str
    period: Period

    def query(self) -> dict[str, str]:
        found = {
            "period": self.period_unit,
            "periods": str(self.periods),
            "purchase_event": self.purchase_event,
        }
        return {**found, **self.period.query()}


@dataclass(frozen=True)
class KpisRequest:
    period: Period

    def query(self) -> dict[str, str]:
        return self.period.query()


def query_string(values: Mapping[str, str], lang: str) -> str:
    """``values`` and the language as a URL query (``?…``)."""
    return "?" + urlencode({**values, "lang": lang})


def funnel_request(query: Query, journey_map: JourneyMap, zone: str) -> FunnelRequest:
    """The funnel asked for; steps default to the map's nodes of the level, in map order."""
    level = _level(query)
    known = node_ids(journey_map, level)
    steps = tuple(s.strip() for s in _text(query, "steps").split(",") if s.strip())
    if not steps and level == "event":
        raise ParamInvalid("steps", "the event level needs steps", "e.g. steps=page_viewed,…")
    for step in steps if level != "event" else ():
        if step not in known:
            raise ParamInvalid("steps", f"'{step}' is not a {level} of the map", _hint(step, known))
    window_text = _text(query, "window") or "7d"
    by = _text(query, "by") or None
    if by is not None and by not in BREAKDOWNS and not by.startswith("properties."):
        raise ParamInvalid("by", f"cannot break down by '{by}'", _hint(by, BREAKDOWNS))
    return FunnelRequest(
        level,
        steps or tuple(known),
        window_text,
        parse_window(window_text, flag="window"),
        by,
        _period(query, zone),
    )


def paths_request(query: Query, journey_map: JourneyMap, zone: str) -> PathsRequest:
    """The paths asked for; the anchor defaults to the map's first node of the level."""
    level = _level(query)
    known = node_ids(journey_map, level)
    anchor = _text(query, "anchor") or (known[0] if known else "")
    if not anchor:
        raise ParamInvalid("anchor", "a path needs a node to start from", "e.g. anchor=home")
    if level != "event" and anchor not in known:
        raise ParamInvalid(
            "anchor", f"'{anchor}' is not a {level} of the map", _hint(anchor, known)
        )
    direction = _choice(query, "direction", DIRECTIONS, "from")
    return PathsRequest(
        level,
        anchor,
        direction,
        _number(query, "steps", 4, 2, 8),
        _number(query, "top", 10, 1, 50),
        _flag(query, "collapse", default=level != "event"),
        _period(query, zone),
        anchor_given=bool(_text(query, "anchor")),
    )


def transitions_request(query: Query, journey_map: JourneyMap, zone: str) -> TransitionsRequest:
    """The transitions asked for: between stages, repeats merged, whole journeys."""
    level = _level(query)
    return TransitionsRequest(
        level,
        _flag(query, "sessions", default=False),
        _flag(query, "collapse", default=level != "event"),
        _period(query, zone),
    )


def retention_request(query: Query, zone: str) -> RetentionRequest:
    """The cohort table asked for: monthly, six periods, purchases are ``order_completed``."""
    return RetentionRequest(
        _choice(query, "period", PERIODS, "month"),
        _number(query, "periods", 6, 1, 24),
        _text(query, "purchase_event") or "order_completed",
        _period(query, zone),
    )


def kpis_request(query: Query, zone: str) -> KpisRequest:
    return KpisRequest(_period(query, zone))


def node_ids(journey_map: JourneyMap, level: str) -> list[str]:
    """The map's nodes of a level in map order: stages, or touchpoints that match events."""
    if level == "stage":
        return [stage.id for stage in journey_map.ordered_stages()]
    if level == "touchpoint":
        order = {stage.id: i for i, stage in enumerate(journey_map.ordered_stages())}
        matched = [tp for tp in journey_map.touchpoints if tp.match is not None]
        return [tp.id for tp in sorted(matched, key=lambda tp: order.get(tp.stage, len(order)))]
    return []


def _level(query: Query) -> Level:
    value = _choice(query, "level", LEVELS, "stage")
    return next(level for level in LEVELS if level == value)


def _text(query: Query, name: str) -> str:
    return (query.get(name) or "").strip()


def _choice(query: Query, name: str, choices: tuple[str, ...], default: str) -> str:
    value = _text(query, name) or default
    if value not in choices:
        raise ParamInvalid(name, f"unknown value '{value}'", suggestion(value, choices))
    return value


def _number(query: Query, name: str, default: int, low: int, high: int) -> int:
    value = _text(query, name)
    if not value:
        return default
    if not value.isdigit() or not low <= int(value) <= high:
        raise ParamInvalid(
            name, f"'{value}' is not allowed", f"a whole number from {low} to {high}"
        )
    return int(value)


def _flag(query: Query, name: str, *, default: bool) -> bool:
    value = _text(query, name).lower()
    if not value:
        return default
    if value not in ("1", "0", "true", "false", "on", "off"):
        raise ParamInvalid(name, f"'{value}' is not a yes/no value", "use 1 or 0")
    return value in ("1", "true", "on")


def _period(query: Query, zone: str) -> Period:
    since, until = _text(query, "since"), _text(query, "until")
    first = parse_day(since, zone, flag="since") if since else None
    after = parse_day(until, zone, flag="until") if until else None
    if first is not None and after is not None and after <= first:
        raise ParamInvalid("until", f"'{until}' is not after since '{since}'", "choose a later day")
    return Period(since, until, first, after)


def _hint(word: str, known: list[str] | tuple[str, ...]) -> str:
    return suggestion(word, known) if known else "the map has none"
