"""Write keys: create, list, revoke, and look up the source a key belongs to.

A key is shown once, when it is created; the store keeps its SHA-256 (see ``tables.py`` for why
not scrypt) and its first characters, so ``keys list`` can tell keys apart without revealing them.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, insert, select, update

from journeykit.errors import JourneykitError, suggestion
from journeykit.events.collector.tables import keys
from journeykit.store import reading

KEY_PREFIX = "jk_"
SHOWN_CHARS = 8
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class WriteKey:
    """What the store knows about a key: never the key itself."""

    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class KeyProblem(JourneykitError):
    """A key name that is invalid, taken or unknown."""


def hash_key(key: str) -> str:
    """The stored form of a key."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh key: ``jk_`` and 192 random bits, URL- and Basic-auth-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(24)


def create_key(engine: Engine, name: str) -> str:
    """Store a new key for the source ``name`` and return the key (the only time it is shown)."""
    _check_name(name)
    key = new_key()
    with engine.begin() as connection:
        if connection.execute(select(keys.c.name).where(keys.c.name == name)).first():
            raise KeyProblem(
                f"a write key named '{name}' already exists — choose another name, "
                f"or see `journeykit keys list`"
            )
        connection.execute(
            insert(keys).values(
                name=name,
                key_hash=hash_key(key),
                key_prefix=key[: len(KEY_PREFIX) + SHOWN_CHARS],
                created_at=datetime.now(UTC),
            )
        )
    return key


def list_keys(engine: Engine) -> list[WriteKey]:
    """All keys, active and revoked, by name."""
    with reading(engine) as connection:
        rows = connection.execute(select(keys).order_by(keys.c.name)).mappings().all()
    return [
        WriteKey(
            row["name"],
            row["key_prefix"],
            _aware(row["created_at"]),
            _maybe_aware(row["revoked_at"]),
        )
        for row in rows
    ]


def revoke_key(engine: Engine, name: str) -> WriteKey:
    """Revoke the key ``name``: requests with it get 401 (within the collector's key cache time)."""
    now = datetime.now(UTC)
    with engine.begin() as connection:
        done = connection.execute(
            update(keys)
            .where(keys.c.name == name, keys.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    if done.rowcount == 0:
        _raise_unknown(engine, name)
    return next(key for key in list_keys(engine) if key.name == name)


def source_of(engine: Engine, key: str) -> str | None:
    """The name of the active key ``key``, or ``None`` when it is unknown or revoked."""
    query = select(keys.c.name).where(keys.c.key_hash == hash_key(key), keys.c.revoked_at.is_(None))
    with reading(engine) as connection:
        return connection.execute(query).scalar_one_or_none()


def _check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise KeyProblem(
            f"'{name}' is not a valid key name — use up to 64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit (e.g. 'web-shop')"
        )


def _raise_unknown(engine: Engine, name: str) -> None:
    known = {key.name: key for key in list_keys(engine)}
    if name in known:
        raise KeyProblem(f"the write key '{name}' is already revoked")
    hint = suggestion(name, known) if known else "create one with `journeykit keys create NAME`"
    raise KeyProblem(f"no write key named '{name}' — {hint}")


def _aware(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; the store writes UTC, so say so."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _maybe_aware(moment: datetime | None) -> datetime | None:
    return None if moment is None else _aware(moment)
