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

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import one_row, rows
from journeykit.analytics.sequence import (
    coded_successors,
    journey_nodes,
    node_codes,
    stored_successors,
)
from journeykit.maps.model import JourneyMap
from journeykit.store.engines import engine_traits

ORDER_SAMPLE = 10_000
"""Rows looked at before reading a whole table in stored order (see ``_in_stored_order``)."""


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
    nodes = journey_nodes(events, level, session=session)
    codes = node_codes(nodes)
    plain = session is None and not collapse_repeats
    groups = _in_stored_order(nodes, codes) if plain else None
    if groups is None:
        groups = _pair_counts(
            coded_successors(nodes, codes, collapse_repeats=collapse_repeats), codes
        )
    cells, totals = _split(groups)
    if session is None:
        customers = sum(int(t["starts"]) for t in totals)
    else:
        customers = int(one_row(nodes.aggregate(n=nodes["customer_id"].nunique()))["n"] or 0)
    ranks = dict(stage_of or {})
    return _assemble(level, customers, cells, totals, ranks, session, collapse_repeats)


def _pair_counts(pairs: ir.Table, codes: ir.Table) -> list[dict[str, Any]]:
    """``node``, ``next`` and ``n`` per pair of codes (``next`` NULL: the journey ends there),
    with the sums of ``stored_successors``' order proof when ``pairs`` carries it."""
    proof = {c: pairs[c].sum() for c in ("disorder", "last") if c in pairs.columns}
    counted = pairs.group_by(["code", "next"]).aggregate(n=pairs.count(), **proof)
    targets = codes.view()
    named = counted.join(codes, counted["code"] == codes["code"]).left_join(
        targets, counted["next"] == targets["code"]
    )
    return rows(
        named.select(
            node=codes["node"],
            next=targets["node"],
            n=counted["n"],
            **{c: counted[c] for c in proof},
        )
    )


def _in_stored_order(nodes: ir.Table, codes: ir.Table) -> list[dict[str, Any]] | None:
    """The pair counts read without sorting, where the engine and the table allow it, else None.

    A table clustered by ``journeykit events optimize`` is stored in journey order; reading it as
    stored saves the sort (the slowest step) when the same pass proves the order. A look at some
    of its first rows (the engine may pick them from a few places, so a little disorder there is
    allowed) keeps tables in arrival order from paying for a pass that cannot prove it.
    """
    if not engine_traits(ibis.get_backend(nodes).name).stored_order:
        return None
    head = nodes.limit(ORDER_SAMPLE)
    sample = stored_successors(head, node_codes(head))
    if int(one_row(sample.aggregate(n=sample["disorder"].sum()))["n"] or 0) > ORDER_SAMPLE // 100:
        return None  # a table in arrival order is out of order at every other row or so
    found = _pair_counts(stored_successors(nodes, codes), codes)
    return found if _proves(found) else None


def _proves(groups: list[dict[str, Any]]) -> bool:
    """Whether ``stored_successors``' sums show the stored order is the journey order."""
    disorder = sum(int(g["disorder"]) for g in groups)
    return not groups or (disorder == 0 and sum(int(g["last"]) for g in groups) == 1)


def _split(groups: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The transition cells and per-node totals of the grouped ``(node, next)`` pairs.

    Every occurrence of a node either starts its journey or is the target of one transition, so
    a node's starts are its occurrences minus its incoming transitions.
    """
    pairs: dict[tuple[str, str], int] = {}
    nodes: dict[str, dict[str, Any]] = {}
    incoming: dict[str, int] = {}
    for group in groups:
        node, n = str(group["node"]), int(group["n"])
        total = nodes.setdefault(node, {"node": node, "occurrences": 0, "ends": 0})
        total["occurrences"] += n
        if group["next"] is None:
            total["ends"] += n
        else:
            target = str(group["next"])
            pairs[node, target] = pairs.get((node, target), 0) + n
            incoming[target] = incoming.get(target, 0) + n
    for total in nodes.values():
        total["starts"] = total["occurrences"] - incoming.get(total["node"], 0)
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
