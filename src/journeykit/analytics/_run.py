"""Running an Ibis expression on whatever engine it is bound to, for results that are small.

Analyses build expressions and bring only their (small) results into Python through here, with
the upstream warnings our dependencies raise about each other silenced.
"""

from __future__ import annotations

from typing import Any

import ibis.expr.types as ir
import pyarrow as pa

from journeykit.store.engines import quiet_upstream


def rows(expr: ir.Table) -> list[dict[str, Any]]:
    """The rows of ``expr`` as dicts."""
    with quiet_upstream():
        table: pa.Table = expr.to_pyarrow()
    found: list[dict[str, Any]] = table.to_pylist()
    return found


def one_row(expr: ir.Table) -> dict[str, Any]:
    """The single row of an aggregate."""
    (row,) = rows(expr)
    return row
