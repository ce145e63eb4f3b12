"""A journey as an ordered sequence of nodes: the shared first step of transitions and paths.

A *node* is what a journey is read at: the event ``name``, the ``touchpoint`` or the ``stage``
(the last two from ``journeys.label_events``). Each customer's events are ordered by
``(ts, event_id)``, so events that arrive out of order or share a timestamp still have one fixed
order. Events without a customer or without a node (no touchpoint matched) are left out: the
journey at touchpoint level is the customer's matched touchpoints only.
"""

from __future__ import annotations

from typing import Any

import ibis
import ibis.expr.types as ir

from journeykit.analytics.funnel import LEVEL_COLUMNS
from journeykit.errors import JourneykitError, Problem, suggestion


def node_column(level: str) -> str:
    """The events column a level reads; a user error for an unknown level."""
    column = LEVEL_COLUMNS.get(level)
    if column is None:
        raise JourneykitError(
            f"unknown level '{level}'",
            [Problem(None, None, None, "--level", "not a level", suggestion(level, LEVEL_COLUMNS))],
        )
    return column


def sequence(
    events: ir.Table,
    level: str,
    *,
    session: str | None = None,
    collapse_repeats: bool = False,
) -> ir.Table:
    """Per customer (and ``session`` column, if given) the ordered nodes with neighbours.

    Columns: ``customer_id``, ``part`` (the session key or the customer), ``node``, ``ts``,
    ``event_id``, ``pos`` (0-based position in the part), ``prev`` and ``next`` (NULL at the
    ends). ``collapse_repeats`` merges runs of the same node into their first event.
    """
    base = journey_nodes(events, level, session=session)
    if collapse_repeats:
        base = _collapse(base, "node")
    order = _order(base)
    return base.mutate(
        pos=ibis.row_number().over(order),
        prev=base["node"].lag().over(order),
        next=base["node"].lead().over(order),
    )


def journey_nodes(events: ir.Table, level: str, *, session: str | None = None) -> ir.Table:
    """The events that belong to a journey at ``level``: ``customer_id``, ``part``, ``node``,
    ``ts`` and ``event_id`` of events with a customer, a node and (if given) a session."""
    column = node_column(level)
    if column not in events.columns:
        raise JourneykitError(
            f"the events have no '{column}' column for level '{level}'",
            [Problem(None, None, None, "--map", "needs a journey map", "pass --map MAP")],
        )
    part = events[session] if session else events["customer_id"]
    base = events.filter(events["customer_id"].notnull() & events[column].notnull()).select(
        customer_id=events["customer_id"],
        part=part.cast("string"),
        node=events[column].cast("string"),
        ts=events["ts"],
        event_id=events["event_id"],
    )
    return base.filter(base["part"].notnull())


def node_codes(nodes: ir.Table) -> ir.Table:
    """Each distinct ``node`` of ``nodes`` with an integer ``code`` (1, 2, … in name order)."""
    distinct = nodes.select("node").distinct()
    return distinct.mutate(code=ibis.row_number().over(order_by=distinct["node"]) + 1)


def coded_successors(
    nodes: ir.Table, codes: ir.Table, *, collapse_repeats: bool = False
) -> ir.Table:
    """``code`` and ``next`` (the code of the part's next node, NULL at its end) per node.

    Engines sort rows with a small integer payload much faster than with text, so the journey
    order is taken over codes; callers name the codes back after aggregating.
    """
    coded = _coded(nodes, codes)
    if collapse_repeats:
        coded = _collapse(coded, "code")
    return coded.select("code", next=coded["code"].lead().over(_order(coded)))


def stored_successors(nodes: ir.Table, codes: ir.Table) -> ir.Table:
    """``code`` and ``next`` as ``coded_successors`` gives them, read in stored row order.

    No sort: each row's successor is the next row as the engine stores them (engines with the
    ``stored_order`` trait), which is right only if the table is stored in journey order
    (``journeykit events optimize``). So each row also says whether it proves that: ``disorder``
    is 1 where the stored successor does not come after the row in ``(part, ts, event_id)``
    order, ``last`` is 1 on a row without one. The ``next`` codes are the journey's exactly when
    the sums are 0 and 1 (or the input is empty).
    """
    coded = _coded(nodes, codes)
    stored = ibis.window()
    after = {c: coded[c].lead().over(stored) for c in ("part", "ts", "event_id", "code")}
    same_part = after["part"] == coded["part"]
    later = (after["part"] > coded["part"]) | (
        same_part
        & (
            (after["ts"] > coded["ts"])
            | ((after["ts"] == coded["ts"]) & (after["event_id"] > coded["event_id"]))
        )
    )
    return coded.select(
        code=coded["code"],
        next=ibis.ifelse(same_part, after["code"], ibis.null("int64")),
        disorder=(after["part"].notnull() & ~later).cast("int64"),
        last=after["part"].isnull().cast("int64"),
    )


def _coded(nodes: ir.Table, codes: ir.Table) -> ir.Table:
    return nodes.join(codes, "node").select("part", "ts", "event_id", "code")


def _collapse(table: ir.Table, column: str) -> ir.Table:
    """Only the first of each run of equal ``column`` values within a part."""
    # the lag goes into a column first: Spark cannot filter on a window function directly
    marked = table.mutate(_jk_prev=table[column].lag().over(_order(table)))
    return marked.filter(marked["_jk_prev"].isnull() | (marked["_jk_prev"] != marked[column])).drop(
        "_jk_prev"
    )


def _order(table: ir.Table) -> Any:
    return ibis.window(group_by=[table["part"]], order_by=[table["ts"], table["event_id"]])
