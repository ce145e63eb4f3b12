"""The (anonymous_id, user_id) pairs one input shows, each with its first event.

Identity needs every pair once, with the event that first showed it. Most events of a logged-in
customer repeat a pair seen before (10 M events of the ingest bench carry 6 M pairs, 1.2 M of
them distinct), so the work is recognising a seen pair cheaply:

- each pair is known by a 128-bit key, two independent 64-bit hashes the local DuckDB computes
  (of the two ids, and of their joined text);
- the keys seen so far are kept sorted in two NumPy arrays; a batch sorts its own keys and
  looks them up by binary search — no strings are compared or grouped;
- only the first event of each new pair is kept, in a table of the local DuckDB (bounded by its
  memory limit, it spills).

Grouping the strings per batch and regrouping the kept rows cost about three times as much.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.events.compute import run
from journeykit.store.arrow_views import registered

_TABLE = "__jk_pairs"
_CREATE = f"""
CREATE OR REPLACE TABLE {_TABLE} (anonymous_id VARCHAR, user_id VARCHAR, event_id VARCHAR,
  event_name VARCHAR, event_ts TIMESTAMPTZ, first_row BIGINT)"""
_KEYS = """
SELECT CASE WHEN both_ids THEN hash(anonymous_id, user_id) END AS k1,
  CASE WHEN both_ids THEN hash(user_id || chr(31) || anonymous_id) END AS k2
FROM (SELECT *, anonymous_id IS NOT NULL AND user_id IS NOT NULL AS both_ids FROM __jk_events)"""
_KEEP = f"""
INSERT INTO {_TABLE}
SELECT anonymous_id, user_id, event_id, name, ts, _row FROM __jk_firsts"""
_NEW = f"""
SELECT anonymous_id, user_id, event_id, event_name, event_ts
FROM {_TABLE} p ANTI JOIN __jk_known k USING (anonymous_id, user_id)
ORDER BY first_row"""


class FirstPairs:
    """The pairs of one input in order of appearance (see the module docstring)."""

    keys_sql = _KEYS  # tests swap in coarser hashes to exercise equal first halves

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._first = np.empty(0, np.uint64)  # seen keys, sorted by their first half
        self._second = np.empty(0, np.uint64)
        run(connection, _CREATE)

    def add(self, events: pa.Table) -> None:
        """Keep the first event of each pair in ``events`` (with ``_row``) not seen before."""
        if events.num_rows == 0:
            return
        with registered(self.connection, "__jk_events", events):
            keys = self.connection.sql(self.keys_sql).to_arrow_table()
        positions = np.flatnonzero(pc.is_valid(keys["k1"]).to_numpy(zero_copy_only=False))
        if len(positions) == 0:
            return
        first = keys["k1"].drop_null().to_numpy()
        second = keys["k2"].drop_null().to_numpy()
        fresh = self._remember(first, second)
        self._keep(events.take(np.sort(positions[fresh])))

    def take_new(self, known: pa.Table) -> pa.Table:
        """The pairs not in ``known`` (anonymous_id, user_id), in order of their first event.

        Columns: anonymous_id, user_id, event_id, event_name, event_ts. The set is emptied: the
        identity step that follows needs the memory (at 50 M events the kept rows and keys
        held ~0.5 GB).
        """
        try:
            with registered(
                self.connection, "__jk_known", known.select(["anonymous_id", "user_id"])
            ):
                return self.connection.sql(_NEW).to_arrow_table()
        finally:
            self.close()

    def close(self) -> None:
        """Drop the kept rows and the keys."""
        run(self.connection, f"DROP TABLE IF EXISTS {_TABLE}")
        self._first = self._second = np.empty(0, np.uint64)

    def _remember(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """Indexes of the keys met for the first time (the earliest of equal keys); adds them."""
        order = np.lexsort((second, first))  # stable: equal keys stay in batch order
        first, second = first[order], second[order]
        starts = np.ones(len(order), dtype=bool)
        starts[1:] = (first[1:] != first[:-1]) | (second[1:] != second[:-1])
        order, first, second = order[starts], first[starts], second[starts]
        left = np.searchsorted(self._first, first, side="left")
        fresh = ~self._seen(first, second, left)
        self._first = np.insert(self._first, left[fresh], first[fresh])
        self._second = np.insert(self._second, left[fresh], second[fresh])
        indexes: np.ndarray = order[fresh]
        return indexes

    def _seen(self, first: np.ndarray, second: np.ndarray, left: np.ndarray) -> np.ndarray:
        right = np.searchsorted(self._first, first, side="right")
        seen = np.zeros(len(first), dtype=bool)
        single = right - left == 1
        seen[single] = self._second[left[single]] == second[single]
        for index in np.flatnonzero(right - left > 1):  # equal first halves: very rare
            seen[index] = bool(np.any(self._second[left[index] : right[index]] == second[index]))
        return seen

    def _keep(self, firsts: pa.Table) -> None:
        with registered(self.connection, "__jk_firsts", firsts):
            run(self.connection, _KEEP)
