"""Which lanes a map shows, in which order, and what goes into each lane's cell per stage.

The order follows the usual journey map (goals → actions → touchpoints → thoughts → emotions → pain
points → opportunities → KPIs). A service blueprint puts the evidence and customer actions above the
line of interaction, then frontstage, backstage and support processes separated by their lines.
Lanes empty in every stage are left out, except the core ones a reader expects on every map.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from journeykit.maps.model import Opportunity, Stage
from journeykit.maps.render import cards, theme
from journeykit.maps.render.blocks import Drawn
from journeykit.maps.render.context import Context
from journeykit.maps.render.scene import Shape

CellMaker = Callable[[Context, int, Stage, float, float, float], Drawn]
"""(context, stage index, stage, x, y, width) → the cell's cards."""


@dataclass(frozen=True)
class Lane:
    """A row of the map: its key (label ``lane.<key>``, icon ``lane-<key>``) and cell maker."""

    key: str
    cell: CellMaker
    count: Callable[[Context, Stage], int]
    core: bool = False


@dataclass(frozen=True)
class Divider:
    """A labelled line across the grid, such as the line of visibility."""

    key: str


EMOTIONS = "emotions"
T = TypeVar("T")
Row = Lane | Divider


def _stack(y: float, items: Sequence[T], card: Callable[[T, float], Drawn]) -> Drawn:
    """Cards one below the other with a gap; the cell's height is their sum."""
    shapes: list[Shape] = []
    cursor = y
    for item in items:
        drawn = card(item, cursor)
        shapes.extend(drawn.shapes)
        cursor += drawn.height + theme.GAP
    return Drawn(shapes, max(0.0, cursor - y - theme.GAP))


def _goals(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    colour = ctx.colour(i)
    return _stack(y, stage.goals, lambda goal, top: cards.goal(x, top, w, goal, colour))


def _actions(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    return _stack(
        y,
        stage.actions,
        lambda act, top: cards.note(x, top, w, act, theme.PAPER, theme.CARD_BORDER),
    )


def _touchpoints(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    colour = ctx.colour(i)
    items = ctx.touchpoints.get(stage.id, [])
    return _stack(y, items, lambda tp, top: cards.touchpoint(x, top, w, tp, colour, ctx))


def _thoughts(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    return _stack(y, stage.thoughts, lambda words, top: cards.thought(x, top, w, words, ctx))


def _pain_points(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    return _stack(y, stage.pain_points, lambda pp, top: cards.pain_point(x, top, w, pp, ctx))


def _opportunities(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    items = sorted_opportunities(stage, ctx)
    return _stack(y, items, lambda opp, top: cards.opportunity(x, top, w, opp, ctx))


def sorted_opportunities(stage: Stage, ctx: Context) -> list[Opportunity]:
    """Opportunities in the order of the pain points they address, so each sits below its cause."""
    order = {pp_id: index for index, pp_id in enumerate(ctx.pain_points)}
    unlinked = len(order)

    def key(opportunity: Opportunity) -> int:
        return min((order.get(ref, unlinked) for ref in opportunity.addresses), default=unlinked)

    return sorted(stage.opportunities, key=key)


def _kpis(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    return _stack(y, stage.kpis, lambda item, top: cards.kpi(x, top, w, item, stage.id, ctx))


def _blueprint(key: str) -> CellMaker:
    fill, border = theme.BLUEPRINT_FILL[key], theme.BLUEPRINT_BORDER[key]

    def cell(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
        items: list[str] = getattr(stage, key)
        return _stack(y, items, lambda words, top: cards.note(x, top, w, words, fill, border))

    return cell


def _items(attribute: str) -> Callable[[Context, Stage], int]:
    return lambda ctx, stage: len(getattr(stage, attribute))


def _no_cell(ctx: Context, i: int, stage: Stage, x: float, y: float, w: float) -> Drawn:
    return Drawn()


def _emotion_count(ctx: Context, stage: Stage) -> int:
    return int(stage.emotion is not None or stage.id in ctx.measured)


GOALS = Lane("goals", _goals, _items("goals"))
ACTIONS = Lane("actions", _actions, _items("actions"), core=True)
TOUCHPOINTS = Lane(
    "touchpoints", _touchpoints, lambda ctx, stage: len(ctx.touchpoints.get(stage.id, [])), True
)
THOUGHTS = Lane("thoughts", _thoughts, _items("thoughts"))
EMOTION = Lane(EMOTIONS, _no_cell, _emotion_count, core=True)
PAIN_POINTS = Lane("pain_points", _pain_points, _items("pain_points"))
OPPORTUNITIES = Lane("opportunities", _opportunities, _items("opportunities"))
KPIS = Lane("kpis", _kpis, _items("kpis"))
FRONTSTAGE = Lane("frontstage", _blueprint("frontstage"), _items("frontstage"), core=True)
BACKSTAGE = Lane("backstage", _blueprint("backstage"), _items("backstage"), core=True)
SUPPORT = Lane("support", _blueprint("support"), _items("support"), core=True)

JOURNEY_ROWS: tuple[Row, ...] = (
    GOALS, ACTIONS, TOUCHPOINTS, THOUGHTS, EMOTION, PAIN_POINTS, OPPORTUNITIES, KPIS,
)  # fmt: skip
BLUEPRINT_ROWS: tuple[Row, ...] = (
    GOALS, EMOTION, THOUGHTS, TOUCHPOINTS, ACTIONS,
    Divider("line_of_interaction"), FRONTSTAGE,
    Divider("line_of_visibility"), BACKSTAGE,
    Divider("line_of_internal_interaction"), SUPPORT,
    PAIN_POINTS, OPPORTUNITIES, KPIS,
)  # fmt: skip


def rows_for(ctx: Context) -> list[Row]:
    """The rows this map shows, top to bottom."""
    plan = BLUEPRINT_ROWS if ctx.is_blueprint else JOURNEY_ROWS
    return [row for row in plan if isinstance(row, Divider) or _shown(row, ctx)]


def _shown(lane: Lane, ctx: Context) -> bool:
    return lane.core or any(lane.count(ctx, stage) for stage in ctx.stages)
