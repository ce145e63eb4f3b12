"""The simulation's event table: one numpy array per column, codes instead of strings.

Every part of the simulation (sessions, messages, orders, after-sales) appends rows here; strings,
JSON properties and file formats are made only at the end, vectorised, from the codes. Two generic
code columns carry what an event is about: ``a`` and ``b`` (their meaning depends on the event
name, see ``properties.py``) and ``order`` points into the chunk's order table.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import numpy.typing as npt

I8 = npt.NDArray[np.int8]
I16 = npt.NDArray[np.int16]
I32 = npt.NDArray[np.int32]
I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
B = npt.NDArray[np.bool_]

# user_id presence: always (messages, CRM, orders), never, or decided by the device's login.
USER_ALWAYS, USER_NEVER, USER_BY_LOGIN = 1, 0, 2


@dataclass
class Events:
    """Columns of simulated events (all arrays have the same length)."""

    cust: I32  # customer index within the chunk
    ts: I64  # UTC epoch seconds
    name: I16  # catalog.Name
    channel: I8  # index into catalog.CHANNELS
    device: I8  # index into catalog.DEVICES, -1 none
    slot: I8  # which of the customer's devices (anonymous id), -1 none
    user: I8  # USER_ALWAYS / USER_NEVER / USER_BY_LOGIN
    traffic: I16  # index into catalog.TRAFFIC, -1 none
    campaign: I32  # index into the run's campaign pool, -1 none
    revenue: F64  # NaN when none
    cost: F64  # NaN when none
    session: I32  # session index within the chunk, -1 none
    a: I32
    b: I32
    order: I32  # index into the chunk's orders, -1 none

    def __len__(self) -> int:
        return len(self.ts)

    @classmethod
    def make(cls, n: int, **values: Any) -> Events:
        """``n`` rows; columns not given get their "none" value, scalars are broadcast."""
        columns: dict[str, npt.NDArray[Any]] = {}
        for spec in fields(cls):
            dtype = _DTYPES[spec.name]
            default = np.nan if dtype == np.float64 else (0 if spec.name in _ZERO else -1)
            column = np.empty(n, dtype=dtype)
            column[:] = values.pop(spec.name, default)
            columns[spec.name] = column
        if values:
            raise TypeError(f"unknown event columns: {sorted(values)}")
        return cls(**columns)

    @classmethod
    def concat(cls, parts: list[Events]) -> Events:
        return cls(
            **{
                spec.name: np.concatenate([getattr(part, spec.name) for part in parts])
                for spec in fields(cls)
            }
        )

    def take(self, index: npt.NDArray[np.int64] | B) -> Events:
        return Events(**{spec.name: getattr(self, spec.name)[index] for spec in fields(self)})


_DTYPES: dict[str, type[np.generic]] = {
    "cust": np.int32,
    "ts": np.int64,
    "name": np.int16,
    "channel": np.int8,
    "device": np.int8,
    "slot": np.int8,
    "user": np.int8,
    "traffic": np.int16,
    "campaign": np.int32,
    "revenue": np.float64,
    "cost": np.float64,
    "session": np.int32,
    "a": np.int32,
    "b": np.int32,
    "order": np.int32,
}
_ZERO = {"cust", "ts", "name", "channel", "user"}


def segment_starts(keys: npt.NDArray[Any]) -> B:
    """True where a sorted key column starts a new run of equal values."""
    start = np.ones(len(keys), dtype=bool)
    start[1:] = keys[1:] != keys[:-1]
    return start


def strictly_increasing(groups: I32, ts: I64) -> I64:
    """Per group (sorted by group, then ts), push equal or earlier timestamps 1 s later.

    Keeps the intended order of events that were generated for the same second (e.g. a click and
    its landing page) and makes every customer's timestamps unique, so content-hash event ids and
    funnel ordering never see ties.
    """
    n = len(ts)
    if n == 0:
        return ts
    index = np.arange(n, dtype=np.int64)
    start = segment_starts(groups)
    shifted = ts - index
    # segmented running maximum: offset each group far above the previous one
    group_rank = np.cumsum(start) - 1
    big = np.int64(1) << 40
    running = np.maximum.accumulate(shifted - shifted.min() + group_rank * big)
    return np.asarray(running - group_rank * big + shifted.min() + index, dtype=np.int64)
