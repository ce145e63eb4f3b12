"""Arrow data visible to DuckDB statements under a name, for one block of work.

Both the store (inserts, key lookups, updates from a mapping) and the ingest's local compute
DuckDB hand Arrow tables and streams to SQL this way; the name is gone after the block, so the
next statement cannot read stale data by mistake.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any


@contextmanager
def registered(connection: Any, name: str, data: Any) -> Iterator[None]:
    """``data`` (an Arrow table or record-batch reader) readable as ``name`` inside the block.

    When the block fails, a failure to unregister is ignored, so the block's own error is the
    one raised (a stream whose producer failed can leave the name in an odd state).
    """
    connection.register(name, data)
    try:
        yield
    except BaseException:
        with suppress(Exception):
            connection.unregister(name)
        raise
    connection.unregister(name)
