"""Channel and device vocabularies as small Arrow tables the transform joins against.

The aliases are the map format's (``journeykit.maps.vocab``) — one table for maps and events — plus
a few spellings that analytics tools export. A value is looked up case-insensitively after
trimming; a mapping file's ``values:`` are applied before, so users can add their own spellings.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from journeykit.maps.vocab import CHANNEL_ALIASES, DEVICE_ALIASES, Channel, Device

EXTRA_CHANNEL_ALIASES: dict[str, str] = {
    "organic search": "search",
    "paid search": "ads",
    "cpc": "ads",
    "direct": "web",
    "in-app": "app",
    "e-mail-marketing": "email",
    "mail-marketing": "email",
}
EXTRA_DEVICE_ALIASES: dict[str, str] = {
    "smart tv": "tv",
    "smarttv": "tv",
    "mobile phone": "mobile",
    "handheld": "mobile",
    "pc/laptop": "desktop",
}


def _table(canonical: list[str], aliases: Mapping[str, str]) -> pa.Table:
    entries = {value: value for value in canonical}
    entries.update({alias.casefold(): str(target) for alias, target in aliases.items()})
    return pa.table(
        {"alias": list(entries), "canonical": list(entries.values())},
        schema=pa.schema([("alias", pa.string()), ("canonical", pa.string())]),
    )


def channel_vocabulary() -> pa.Table:
    """``alias`` (lower case) → ``canonical`` channel, canonical names included."""
    return _table([c.value for c in Channel], {**CHANNEL_ALIASES, **EXTRA_CHANNEL_ALIASES})


def device_vocabulary() -> pa.Table:
    """``alias`` (lower case) → ``canonical`` device, canonical names included."""
    return _table([d.value for d in Device], {**DEVICE_ALIASES, **EXTRA_DEVICE_ALIASES})


def known_words(vocabulary: pa.Table) -> list[str]:
    """Every spelling the vocabulary accepts, for "did you mean" hints."""
    return [str(value) for value in vocabulary.column("alias").to_pylist()]
