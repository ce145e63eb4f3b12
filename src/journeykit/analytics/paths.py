"""Paths: the most common ways customers go on from (or arrive at) one node of their journey.

Definition (docs/analytics.md, "Paths"): every customer with the *anchor* node (in the period,
if one is given) counts once, at their **first** such occurrence (journey order
``(ts, event_id)``, see ``sequence``). Their path is the anchor and the next ``steps − 1`` nodes
(direction ``from``), or the ``steps − 1`` nodes before it and the anchor (direction ``to``).
A customer whose journey has fewer nodes than that on the side in question is counted in
``left`` (broken down by the path's length); the complete paths are ranked, the ``top`` most
frequent are listed and the rest summed in ``other``. So ``sum(paths) + other + left ==
customers``, and ``customers`` equals the funnel's ``entered`` for the one-step funnel of the
anchor on the same events, level and period.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import rows
from journeykit.analytics.sequence import sequence
from journeykit.errors import JourneykitError, Problem, suggestion

Direction = Literal["from", "to"]
OTHER = "(other)"
LEFT = "(left)"


@dataclass(frozen=True)
class PathCount:
    """One path (in journey order) and how many customers took it."""

    steps: tuple[str, ...]
    customers: int

    def to_json(self, total: int) -> dict[str, Any]:
        return {
            "steps": list(self.steps),
            "customers": self.customers,
            "share": self.customers / total if total else None,
        }


@dataclass(frozen=True)
class Paths:
    """The top paths from or to an anchor, with ``other`` and ``left`` so the counts add up."""

    anchor: str
    direction: str
    level: str
    steps: int
    customers: int
    paths: list[PathCount]
    other: int
    other_paths: int
    left: int
    left_by_length: dict[int, int]
    left_paths: list[PathCount]

    def to_json(self) -> dict[str, Any]:
        return {
            "anchor": self.anchor,
            "direction": self.direction,
            "level": self.level,
            "steps": self.steps,
            "customers": self.customers,
            "paths": [p.to_json(self.customers) for p in self.paths],
            "other": {"customers": self.other, "paths": self.other_paths},
            "left": {
                "customers": self.left,
                "by_length": {str(k): v for k, v in sorted(self.left_by_length.items())},
                "paths": [p.to_json(self.customers) for p in self.left_paths],
            },
            "sankey": self.sankey(),
        }

    def sankey(self) -> dict[str, Any]:
        """Sankey data: a node per (position, name) of the listed paths, plus other and left.

        Every customer flows out of (direction ``to``: into) the anchor once, so the links at the
        anchor add up to ``customers``.
        """
        nodes: dict[tuple[int, str], int] = {}
        links: Counter[tuple[int, int]] = Counter()

        def node(position: int, name: str) -> int:
            return nodes.setdefault((position, name), len(nodes))

        ended = [
            PathCount(
                (*p.steps, LEFT) if self.direction == "from" else (LEFT, *p.steps), p.customers
            )
            for p in self.left_paths
        ]
        for path in self.paths + ended:
            shift = 0 if self.direction == "from" else self.steps - len(path.steps)
            for i in range(len(path.steps) - 1):
                pair = (node(shift + i, path.steps[i]), node(shift + i + 1, path.steps[i + 1]))
                links[pair] += path.customers
        anchor_at = 0 if self.direction == "from" else self.steps - 1
        anchor = node(anchor_at, self.anchor)
        side = 1 if self.direction == "from" else anchor_at - 1
        unlisted_left = self.left - sum(p.customers for p in self.left_paths)
        for label, value in ((OTHER, self.other), (LEFT, unlisted_left)):
            if value:
                pair = (anchor, node(side, label))
                links[pair if self.direction == "from" else pair[::-1]] += value
        return {
            "nodes": [{"id": i, "label": name, "column": pos} for (pos, name), i in nodes.items()],
            "links": [{"source": s, "target": t, "value": v} for (s, t), v in links.items()],
        }


def paths(
    events: ir.Table,
    anchor: str,
    *,
    direction: str = "from",
    level: str = "event",
    steps: int = 4,
    top: int = 10,
    collapse_repeats: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Paths:
    """The top ``top`` paths of ``steps`` nodes from or to ``anchor`` (see the module doc).

    ``since``/``until`` limit where the anchor may occur (``since <= ts < until``, as the funnel's
    entry); the path's other nodes may lie outside that period.

    Raises:
        JourneykitError: an unknown direction, fewer than 2 steps, or an anchor no customer has.
    """
    _check(direction, steps, top)
    seq = sequence(events, level, collapse_repeats=collapse_repeats)
    starts = seq["node"] == anchor
    if since is not None:
        starts &= seq["ts"] >= ibis.literal(since)
    if until is not None:
        starts &= seq["ts"] < ibis.literal(until)
    first = seq.filter(starts).group_by("customer_id").aggregate(start=seq["pos"].min())
    joined = seq.join(first, "customer_id")
    offset = joined["pos"] - joined["start"]
    if direction == "to":
        offset = -offset
    window = joined.filter((offset >= 0) & (offset < steps)).mutate(offset=offset)
    per_customer = window.group_by("customer_id").aggregate(
        **{f"s{i}": window["node"].max(where=window["offset"] == i) for i in range(steps)}
    )
    columns = [f"s{i}" for i in range(steps)]
    counted = rows(per_customer.group_by(columns).aggregate(customers=per_customer.count()))
    if not counted:
        _check_anchor(events, anchor, level)
    return _rank(anchor, direction, level, steps, top, counted)


def _rank(
    anchor: str, direction: str, level: str, steps: int, top: int, counted: list[dict[str, Any]]
) -> Paths:
    full: list[PathCount] = []
    short: list[PathCount] = []
    for row in counted:
        taken = tuple(str(row[f"s{i}"]) for i in range(steps) if row[f"s{i}"] is not None)
        ordered = taken if direction == "from" else taken[::-1]
        (full if len(taken) == steps else short).append(PathCount(ordered, int(row["customers"])))
    full.sort(key=lambda p: (-p.customers, p.steps))
    short.sort(key=lambda p: (-p.customers, p.steps))
    by_length: Counter[int] = Counter()
    for path in short:
        by_length[len(path.steps)] += path.customers
    return Paths(
        anchor=anchor,
        direction=direction,
        level=level,
        steps=steps,
        customers=sum(p.customers for p in full) + sum(by_length.values()),
        paths=full[:top],
        other=sum(p.customers for p in full[top:]),
        other_paths=len(full[top:]),
        left=sum(by_length.values()),
        left_by_length=dict(by_length),
        left_paths=short[:top],
    )


def _check(direction: str, steps: int, top: int) -> None:
    problems = []
    if direction not in ("from", "to"):
        problems.append(
            Problem(None, None, None, "direction", f"'{direction}' is neither 'from' nor 'to'")
        )
    if steps < 2:
        problems.append(
            Problem(None, None, None, "--steps", f"{steps} is too short", "give 2 or more")
        )
    if top < 1:
        problems.append(Problem(None, None, None, "--top", f"{top} lists nothing", "give 1+"))
    if problems:
        raise JourneykitError("cannot compute paths", problems)


def _check_anchor(events: ir.Table, anchor: str, level: str) -> None:
    """A user error when ``anchor`` never occurs at ``level`` (an empty period is no error)."""
    seq = sequence(events, level)
    known = [str(r["node"]) for r in rows(seq.select("node").distinct().limit(2000))]
    if anchor in known:
        return
    hint = suggestion(anchor, sorted(known)) if known else "ingest events first"
    raise JourneykitError(
        f"no customer has '{anchor}' at level '{level}'",
        [Problem(None, None, None, "anchor", f"'{anchor}' does not occur", hint)],
    )


__all__ = ["LEFT", "OTHER", "PathCount", "Paths", "paths"]
