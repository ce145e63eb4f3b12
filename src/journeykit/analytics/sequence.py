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
    base = base.filter(base["part"].notnull())
    if collapse_repeats:
        # the lag goes into a column first: Spark cannot filter on a window function directly
        marked = base.mutate(_jk_prev=base["node"].lag().over(_order(base)))
        base = marked.filter(
            marked["_jk_prev"].isnull() | (marked["_jk_prev"] != marked["node"])
        ).drop("_jk_prev")
    order = _order(base)
    return base.mutate(
        pos=ibis.row_number().over(order),
        prev=base["node"].lag().over(order),
        next=base["node"].lead().over(order),
    )


def _order(table: ir.Table) -> Any:
    return ibis.window(group_by=[table["part"]], order_by=[table["ts"], table["event_id"]])
