"""The anonymous ids one input shows on events without a user id.

When a link gives an anonymous id a new customer id, only its events WITHOUT a user id change (an
event with a user id belongs to that user's customer). Anonymous ids of logged-in sessions often
never appear alone, so the retroactive update needs only the ids this set (or the committed
events) has seen alone. Left out, the update joins every linked id with every event of the
input: at 50 M events that join was the ingest's peak memory (~0.9 GB above the stream's).

Ids are kept as 64-bit hashes in a sorted NumPy array (8 bytes per id). A hash collision only
lets an id through that was not seen alone — an update that changes nothing — so the filter is
never lossy.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.store.arrow_views import registered

_ALONE = """
SELECT hash(anonymous_id) AS h FROM __jk_events
WHERE anonymous_id IS NOT NULL AND user_id IS NULL"""
_HASHES = "SELECT hash(k) AS h FROM __jk_keys"


class AnonymousAlone:
    """The hashes of the anonymous ids seen without a user id (see the module docstring)."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self._hashes = np.empty(0, np.uint64)

    def add(self, events: pa.Table) -> None:
        """Remember the anonymous ids of ``events`` that carry no user id."""
        if events.num_rows == 0:
            return
        found = np.unique(self._hashed("__jk_events", events, _ALONE))
        position = np.searchsorted(self._hashes, found)
        fresh = ~self._at(position, found)
        self._hashes = np.insert(self._hashes, position[fresh], found[fresh])

    def may_contain(self, ids: pa.Array | pa.ChunkedArray) -> np.ndarray:
        """Per id: possibly seen alone (``False`` is certain, ``True`` almost)."""
        if len(ids) == 0:
            return np.zeros(0, dtype=bool)
        hashes = self._hashed("__jk_keys", pa.table({"k": ids}), _HASHES)
        return self._at(np.searchsorted(self._hashes, hashes), hashes)

    def _at(self, position: np.ndarray, hashes: np.ndarray) -> np.ndarray:
        if len(self._hashes) == 0:
            return np.zeros(len(hashes), dtype=bool)
        found: np.ndarray = self._hashes[np.minimum(position, len(self._hashes) - 1)] == hashes
        return found

    def _hashed(self, name: str, table: pa.Table, statement: str) -> np.ndarray:
        with registered(self.connection, name, table):
            column = self.connection.sql(statement).to_arrow_table()["h"]
        return np.asarray(pc.cast(column, pa.uint64()).to_numpy())
