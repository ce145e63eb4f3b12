"""Stable random assignment: the same customer always lands in the same holdout group or variant.

A hash of (flow, step, customer) gives a number in [0, 1); no state is stored, so a restarted
worker, a second worker and a later lift report all agree on who was held out.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def unit_interval(*key: str) -> float:
    """A uniform number in [0, 1) determined only by ``key`` (SHA-256, 53 bits)."""
    digest = hashlib.sha256("\x1f".join(key).encode()).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) / float(1 << 53)


def in_holdout(flow_id: str, scope: str, customer_id: str, percent: float) -> bool:
    """Whether a customer is held out of ``scope`` (the flow, or a holdout step's id)."""
    return unit_interval(flow_id, scope, customer_id) * 100 < percent


def choose_variant(
    flow_id: str, step_id: str, customer_id: str, variants: Sequence[tuple[str, int]]
) -> str:
    """The variant id a customer gets in a split, by relative weights ``(id, weight)``."""
    total = sum(weight for _, weight in variants)
    point = unit_interval(flow_id, step_id, customer_id) * total
    for variant_id, weight in variants:
        if point < weight:
            return variant_id
        point -= weight
    return variants[-1][0]
