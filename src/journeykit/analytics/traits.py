"""Customer traits read from events: the latest value a customer's events carry for a trait.

Traits arrive with identify calls (``properties.traits.<name>``, as the Segment source and the
collector store them) or as a plain event property (``properties.<name>``, as file exports often
have them). A customer's trait is the value of their most recent event that carries one
(``(ts, event_id)`` order), so a persona reassigned later wins. A customer without any keeps NULL.
This is a per-customer breakdown: unlike ``device`` or ``channel`` it does not change between a
customer's events.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from journeykit.analytics.properties import property_text

CUSTOMER_TRAITS = ("persona",)
"""Traits an analysis can break down by (``--by persona``)."""


def trait_value(events: ir.Table, name: str) -> ir.StringValue:
    """The trait as an event carries it: ``traits.<name>`` of an identify, else ``<name>``."""
    properties = events["properties"]
    value: ir.StringValue = property_text(properties, f"traits.{name}").coalesce(
        property_text(properties, name)
    )
    return value


def customer_traits(events: ir.Table, name: str) -> ir.Table:
    """One row per customer with a value: ``customer_id`` and ``trait`` (the latest value)."""
    carrying = events.select(
        customer_id=events["customer_id"],
        ts=events["ts"],
        event_id=events["event_id"],
        trait=trait_value(events, name),
    )
    carrying = carrying.filter(carrying["customer_id"].notnull() & carrying["trait"].notnull())
    latest = ibis.window(group_by="customer_id", order_by=[ibis.desc("ts"), ibis.desc("event_id")])
    ranked = carrying.mutate(rank=ibis.row_number().over(latest))
    return ranked.filter(ranked["rank"] == 0).select("customer_id", "trait")


def with_customer_trait(events: ir.Table, name: str) -> ir.Table:
    """``events`` with a column ``name`` holding each event's customer's latest trait value."""
    traits = customer_traits(events, name).rename(_jk_customer="customer_id")
    joined = events.left_join(traits, events["customer_id"] == traits["_jk_customer"])
    return joined.select(*events.columns, **{name: joined["trait"]})


__all__ = ["CUSTOMER_TRAITS", "customer_traits", "trait_value", "with_customer_trait"]
