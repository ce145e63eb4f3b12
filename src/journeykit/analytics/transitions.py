"""Transitions: how often each node follows another in the customers' journeys.

A transition is a pair of consecutive nodes of one customer's journey (``sequence.sequence``:
ordered by ``(ts, event_id)``, optionally only within a session), counted in the engine with one
``lead`` window — no per-customer Python. Journeys are not linear, so a transition may be a
*loop* (a node followed by itself) or, where the nodes have a stage order, a *back-step* (to an
earlier stage of the map). Probabilities are per from-row: the share of the transitions leaving
a node that go to each target (a row sums to 1; a journey's last node has no transition).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ibis.expr.types as ir

from journeykit.analytics._run import one_row, rows
from journeykit.analytics.sequence import sequence
from journeykit.maps.model import JourneyMap


@dataclass(frozen=True)
class Transition:
    """One cell of the matrix: ``count`` transitions from ``source`` to ``target``.

    ``kind`` is ``loop`` (same node), ``back`` (earlier stage), ``forward`` (later stage),
    ``same-stage`` (another node of the same stage) or None when the nodes have no stage order.
    """

    source: str
    target: str
    count: int
    probability: float
    kind: str | None

    def to_json(self) -> dict[str, Any]:
        return {
            "from": self.source,
            "to": self.target,
            "count": self.count,
            "probability": self.probability,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class NodeTotals:
    """How often a node occurs, starts and ends a journey, and how many transitions leave it."""

    node: str
    occurrences: int
    starts: int
    ends: int
    outgoing: int

    def to_json(self) -> dict[str, Any]:
        return {
            "node": self.node,
            "occurrences": self.occurrences,
            "starts": self.starts,
            "ends": self.ends,
            "outgoing": self.outgoing,
        }


@dataclass(frozen=True)
class Sankey:
    """Sankey data: ``nodes`` (id, label, column) and ``links`` (source/target node index, value).

    Transitions are drawn from a left column ("from") to a right column ("to"), so loops and
    back-steps show without making the diagram cyclic.
    """

    nodes: list[dict[str, Any]]
    links: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "links": self.links}


@dataclass(frozen=True)
class TransitionMatrix:
    """The transitions between nodes of one level, with totals, loops and back-steps."""

    level: str
    customers: int
    nodes: list[NodeTotals]
    transitions: list[Transition]
    back_steps: int | None = None
    within_sessions: bool = False
    collapse_repeats: bool = False
    stage_of: Mapping[str, int] = field(default_factory=dict, repr=False)

    @property
    def total(self) -> int:
        """All transitions counted."""
        return sum(t.count for t in self.transitions)

    @property
    def loops(self) -> int:
        """Transitions from a node to itself."""
        return sum(t.count for t in self.transitions if t.source == t.target)

    def count(self, source: str, target: str) -> int:
        """The count of one cell (0 when the pair never occurs)."""
        return next(
            (t.count for t in self.transitions if t.source == source and t.target == target), 0
        )

    def matrix(self) -> tuple[list[str], list[list[int]]]:
        """The node names and the square count matrix (rows: from, columns: to)."""
        names = [n.node for n in self.nodes]
        index = {name: i for i, name in enumerate(names)}
        grid = [[0] * len(names) for _ in names]
        for t in self.transitions:
            grid[index[t.source]][index[t.target]] = t.count
        return names, grid

    def sankey(self) -> Sankey:
        """Sankey data for the web page (see ``Sankey``)."""
        names = [n.node for n in self.nodes]
        nodes = [{"id": f"from:{n}", "label": n, "column": 0} for n in names]
        nodes += [{"id": f"to:{n}", "label": n, "column": 1} for n in names]
        index = {name: i for i, name in enumerate(names)}
        links = [
            {
                "source": index[t.source],
                "target": len(names) + index[t.target],
                "value": t.count,
                "kind": t.kind,
            }
            for t in self.transitions
        ]
        return Sankey(nodes, links)

    def to_json(self) -> dict[str, Any]:
        names, grid = self.matrix()
        return {
            "level": self.level,
            "within_sessions": self.within_sessions,
            "collapse_repeats": self.collapse_repeats,
            "customers": self.customers,
            "transitions": self.total,
            "loops": self.loops,
            "back_steps": self.back_steps,
            "nodes": [n.to_json() for n in self.nodes],
            "cells": [t.to_json() for t in self.transitions],
            "matrix": {"nodes": names, "counts": grid},
            "sankey": self.sankey().to_json(),
        }


def stage_ranks(journey_map: JourneyMap, level: str) -> dict[str, int]:
    """Each node's stage position in map order: stages for ``stage``, touchpoints by their stage."""
    ranks = {stage.id: i for i, stage in enumerate(journey_map.ordered_stages())}
    if level == "stage":
        return ranks
    if level == "touchpoint":
        return {tp.id: ranks[tp.stage] for tp in journey_map.touchpoints if tp.stage in ranks}
    return {}


def transitions(
    events: ir.Table,
    *,
    level: str = "event",
    session: str | None = None,
    collapse_repeats: bool = False,
    stage_of: Mapping[str, int] | None = None,
) -> TransitionMatrix:
    """The transition matrix of ``events`` at ``level``.

    Args:
        events: the events (labelled with ``touchpoint``/``stage`` for those levels).
        level: ``event`` (event name), ``touchpoint`` or ``stage``.
        session: a session column (e.g. ``session_id`` from ``sessionize``): count only
            transitions inside a session.
        collapse_repeats: merge runs of the same node first (then there are no loops).
        stage_of: node → stage position (``stage_ranks``); classifies back-steps.
    """
    seq = sequence(events, level, session=session, collapse_repeats=collapse_repeats)
    # one pass: every (node, next, first-in-journey) group; ``next`` NULL marks journey ends
    groups = rows(
        seq.group_by(["node", "next", seq["prev"].isnull().name("first")]).aggregate(n=seq.count())
    )
    cells, totals = _split(groups)
    if session is None:
        customers = sum(int(g["n"]) for g in groups if g["first"])
    else:
        customers = int(one_row(seq.aggregate(n=seq["customer_id"].nunique()))["n"] or 0)
    ranks = dict(stage_of or {})
    return _assemble(level, customers, cells, totals, ranks, session, collapse_repeats)


def _split(groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The transition cells and per-node totals of the grouped sequence."""
    pairs: dict[tuple[str, str], int] = {}
    nodes: dict[str, dict[str, Any]] = {}
    for group in groups:
        node, n = str(group["node"]), int(group["n"])
        total = nodes.setdefault(node, {"node": node, "occurrences": 0, "starts": 0, "ends": 0})
        total["occurrences"] += n
        total["starts"] += n if group["first"] else 0
        if group["next"] is None:
            total["ends"] += n
        else:
            key = (node, str(group["next"]))
            pairs[key] = pairs.get(key, 0) + n
    cells = [{"node": a, "next": b, "count": n} for (a, b), n in pairs.items()]
    return cells, list(nodes.values())


def _assemble(
    level: str,
    customers: int,
    cells: list[dict[str, Any]],
    totals: list[dict[str, Any]],
    ranks: dict[str, int],
    session: str | None,
    collapse_repeats: bool,
) -> TransitionMatrix:
    outgoing: dict[str, int] = {}
    for cell in cells:
        outgoing[cell["node"]] = outgoing.get(cell["node"], 0) + int(cell["count"])
    nodes = [
        NodeTotals(
            str(t["node"]),
            int(t["occurrences"]),
            int(t["starts"] or 0),
            int(t["ends"] or 0),
            outgoing.get(t["node"], 0),
        )
        for t in totals
    ]
    nodes.sort(key=lambda n: (ranks.get(n.node, len(ranks)), -n.occurrences, n.node))
    order = {n.node: i for i, n in enumerate(nodes)}
    found = [
        Transition(
            str(c["node"]),
            str(c["next"]),
            int(c["count"]),
            int(c["count"]) / outgoing[c["node"]],
            _kind(str(c["node"]), str(c["next"]), ranks),
        )
        for c in cells
    ]
    found.sort(key=lambda t: (order[t.source], -t.count, order[t.target]))
    back = sum(t.count for t in found if t.kind == "back") if ranks else None
    return TransitionMatrix(
        level, customers, nodes, found, back, session is not None, collapse_repeats, ranks
    )


def _kind(source: str, target: str, ranks: Mapping[str, int]) -> str | None:
    if source == target:
        return "loop"
    if source not in ranks or target not in ranks:
        return None
    if ranks[target] < ranks[source]:
        return "back"
    return "forward" if ranks[target] > ranks[source] else "same-stage"


__all__ = ["NodeTotals", "Sankey", "Transition", "TransitionMatrix", "stage_ranks", "transitions"]
