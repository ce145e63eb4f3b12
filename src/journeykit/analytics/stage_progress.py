"""Stage progress: how many customers reach each stage of a map and how many go on to the next.

The live map's drop-off between stages. Journeys loop and skip, so this is not a strict funnel:
a customer *reaches* a stage with any event labelled with it, and *goes on* from stage k when they
have an event of stage k+1 (map order) at or after their first event of stage k. A customer who
enters at stage 3 counts for stage 3 and on, never as a drop-off of stage 1 or 2. The last stage
has no "on".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir

from journeykit.analytics._run import rows
from journeykit.maps.model import JourneyMap


@dataclass(frozen=True)
class StageStep:
    """One stage: customers who reached it and (None for the last stage) went on to the next."""

    stage: str
    customers: int
    onward: int | None

    @property
    def onward_share(self) -> float | None:
        """The share of the stage's customers who went on (None without customers or next)."""
        if self.onward is None or not self.customers:
            return None
        return self.onward / self.customers

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "customers": self.customers,
            "onward": self.onward,
            "onward_share": self.onward_share,
        }


def stage_progress(labelled: ir.Table, journey_map: JourneyMap) -> list[StageStep]:
    """Per stage in map order: customers reached and gone on (``labelled``: ``label_events``)."""
    order = [stage.id for stage in journey_map.ordered_stages()]
    if not order:
        return []
    rank = ibis.cases(
        *((labelled["stage"] == stage, i) for i, stage in enumerate(order)), else_=None
    )
    known = labelled.filter(labelled["customer_id"].notnull() & labelled["stage"].notnull())
    per = (
        known.mutate(rank=rank.name("rank"))
        .group_by(["customer_id", "rank"])
        .aggregate(first=known["ts"].min(), last=known["ts"].max())
    )
    reached = {
        int(r["rank"]): int(r["n"]) for r in rows(per.group_by("rank").aggregate(n=per.count()))
    }
    onward = _onward(per)
    return [
        StageStep(
            stage,
            reached.get(i, 0),
            None if i == len(order) - 1 else onward.get(i, 0),
        )
        for i, stage in enumerate(order)
    ]


def _onward(per: ir.Table) -> dict[int, int]:
    """Stage rank → customers with an event of the next stage at or after their first here."""
    here = per.select(c=per["customer_id"], rank=per["rank"], first=per["first"])
    later = per.select(c2=per["customer_id"], before=per["rank"] - 1, last=per["last"])
    joined = here.join(
        later, (here["c"] == later["c2"]) & (here["rank"] == later["before"])
    ).filter(lambda t: t["last"] >= t["first"])
    counts = joined.group_by("rank").aggregate(n=joined.count())
    return {int(r["rank"]): int(r["n"]) for r in rows(counts)}


__all__ = ["StageStep", "stage_progress"]
