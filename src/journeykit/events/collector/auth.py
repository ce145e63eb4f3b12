"""Who is sending: the write key from HTTP Basic auth or the body, checked against the store.

Segment clients send the key as the Basic-auth user with an empty password; some (and hand-written
senders) put ``writeKey`` in the body instead. A checked key is remembered for a few seconds so a
busy source costs one store lookup per interval, not one per request, and no hashing: the cache
is keyed by the key as sent (it lives only in this process's memory, like the request itself).
"""

from __future__ import annotations

import base64
import binascii
import threading
import time

from sqlalchemy import Engine

from journeykit.events.collector.exceptions import Unauthorized
from journeykit.events.collector.keys import source_of

MAX_CACHED_KEYS = 1_000
HINT = (
    "send the write key as the HTTP Basic user with an empty password, or as 'writeKey' in the "
    "body; create one with `journeykit keys create NAME`"
)


def key_from_header(authorization: str | None) -> str | None:
    """The write key of a ``Basic`` Authorization header (the user part), else ``None``."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "basic":
        raise Unauthorized(f"'{scheme}' authorization is not supported", "Authorization", HINT)
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise Unauthorized("the Basic credentials are not base64", "Authorization", HINT) from None
    user, _, _password = decoded.partition(":")
    return user or None


class KeyCheck:
    """Maps a write key to its source name, caching answers for ``ttl`` seconds."""

    def __init__(self, engine: Engine, ttl: float) -> None:
        self.engine = engine
        self.ttl = ttl
        self._cache: dict[str, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def source(self, key: str | None) -> str:
        """The source name of ``key``; ``Unauthorized`` when it is missing, unknown or revoked."""
        if key is None:
            raise Unauthorized("no write key", "writeKey", HINT)
        now = time.monotonic()
        cached = self._cache.get(key)  # keyed by the key itself: no hashing per request
        if cached is not None and cached[1] > now:
            return cached[0]
        name = source_of(self.engine, key)
        if name is None:
            raise Unauthorized("unknown or revoked write key", "writeKey", HINT)
        with self._lock:
            if len(self._cache) >= MAX_CACHED_KEYS:
                self._cache.clear()  # many keys seen: start over rather than grow
            self._cache[key] = (name, now + self.ttl)
        return name
