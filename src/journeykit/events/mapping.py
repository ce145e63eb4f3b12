"""Mapping files: which column of a file becomes which event field (and how it is read).

A mapping file is YAML (reference and a German example in docs/events.md)::

    columns:            # source column → event field
      Bestelldatum: ts
      Kundennummer: user_id
    constants:          # event field → the same value on every row
      channel: web
    values:             # event field → {value in the file: value to store}
      name: {Bestellung: order_completed}
    ignore: [Notiz]     # columns to drop (others that map to no field go into properties)
    timezone: Europe/Berlin
    delimiter: ";"      # CSV only; detected when left out, like decimal and encoding
    decimal: ","
    encoding: cp1252

Without a mapping file, columns named like an event field — in English or German, e.g.
``Zeitstempel``, ``Kundennummer``, ``Kanal``, ``Umsatz`` — are recognised by ``HEADER_ALIASES``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from journeykit.errors import JourneykitError, Problem, did_you_mean, suggestion
from journeykit.events.schema import EVENT_FIELDS

MAPPABLE: tuple[str, ...] = tuple(name for name in EVENT_FIELDS if name != "customer_id")
"""``customer_id`` is resolved by identity, never read from a file."""

HEADER_ALIASES: dict[str, str] = {
    **{name.replace("_", ""): name for name in MAPPABLE},
    # ts
    "timestamp": "ts", "time": "ts", "datetime": "ts", "date": "ts", "eventtime": "ts",
    "zeitstempel": "ts", "zeitpunkt": "ts", "datum": "ts", "zeit": "ts", "datumzeit": "ts",
    "receivedat": "ts", "sentat": "ts", "eventtimestamp": "ts",
    # ids
    "id": "event_id", "messageid": "event_id", "ereignisid": "event_id",
    "userid": "user_id", "customerid": "user_id", "customer": "user_id", "kunde": "user_id",
    "kundenid": "user_id", "kundennummer": "user_id", "kundennr": "user_id",
    "anonymousid": "anonymous_id", "visitorid": "anonymous_id", "besucherid": "anonymous_id",
    "cookieid": "anonymous_id", "clientid": "anonymous_id", "userpseudoid": "anonymous_id",
    # name
    "event": "name", "eventname": "name", "eventtype": "name", "ereignis": "name",
    "aktion": "name", "action": "name",
    # context
    "kanal": "channel", "gerät": "device", "geraet": "device", "endgerät": "device",
    "devicecategory": "device", "quelle": "source", "utmsource": "source",
    "utmmedium": "medium", "kampagne": "campaign", "utmcampaign": "campaign",
    # money
    "umsatz": "revenue", "betrag": "revenue", "amount": "revenue", "value": "revenue",
    "währung": "currency", "waehrung": "currency", "kosten": "cost",
    # properties
    "eigenschaften": "properties", "props": "properties",
}  # fmt: skip
"""Normalised header (lower case, without ``-``, ``_``, spaces, dots) → event field."""


class ColumnMapping(BaseModel):
    """The content of a mapping file; every field optional."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[str, str] = Field(default_factory=dict, description="source column → field")
    constants: dict[str, str | int | float] = Field(
        default_factory=dict, description="event field → value on every row"
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="event field → {value in the file: value stored}"
    )
    ignore: list[str] = Field(default_factory=list, description="columns to leave out")
    timezone: str | None = Field(default=None, description="IANA zone of naive timestamps")
    delimiter: Literal[";", ",", "\t", "|"] | None = None
    decimal: Literal[",", "."] | None = None
    encoding: Literal["utf-8", "utf-8-sig", "cp1252", "windows-1252", "latin-1"] | None = None
    max_record_bytes: int | None = Field(default=None, gt=0, description="longest CSV record")

    @field_validator("columns")
    @classmethod
    def _known_targets(cls, value: dict[str, str]) -> dict[str, str]:
        for column, target in value.items():
            _check_field(target, f"column '{column}' maps to")
        return value

    @field_validator("constants", "values")
    @classmethod
    def _known_keys(cls, value: dict[str, Any]) -> dict[str, Any]:
        for target in value:
            _check_field(target, "key")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone '{value}' — use an IANA name such as 'Europe/Berlin'"
                ) from None
        return value


def _check_field(target: str, what: str) -> None:
    if target == "customer_id":
        raise ValueError(
            f"{what} 'customer_id', which journeykit resolves from identity links — "
            "map the column to 'user_id'"
        )
    if target not in MAPPABLE:
        raise ValueError(f"{what} '{target}', not an event field — {suggestion(target, MAPPABLE)}")


class MappingInvalid(JourneykitError):
    """A mapping file with problems; each one located by line."""


class MappingIncomplete(JourneykitError):
    """A file whose columns leave a required event field without a source."""

    def __init__(self, file: str, missing: str, columns: list[str], hint: str) -> None:
        self.file = file
        self.missing = missing
        self.columns = columns
        self.hint = hint
        shown = ", ".join(f"'{name}'" for name in columns[:20]) or "none"
        super().__init__(
            f"{file}: no column for the required field {missing} (the columns are {shown}) — {hint}"
        )


def load_mapping(path: Path) -> ColumnMapping:
    """The mapping in ``path``; YAML or content problems raise ``MappingInvalid`` with lines."""
    from journeykit.maps import yamlio

    text = yamlio.read_text(path)
    data = yamlio.parse(text, str(path)) or {}
    if not isinstance(data, dict):
        problem = Problem(str(path), 1, 1, "", "a mapping file is a YAML mapping", "see docs")
        raise MappingInvalid(f"{path}: not a mapping file", [problem])
    try:
        return ColumnMapping.model_validate(_plain(data))
    except ValidationError as error:
        problems = [_problem(str(path), data, dict(detail)) for detail in error.errors()]
        raise MappingInvalid(f"{path}: the mapping has problems", problems) from None


def _plain(data: Any) -> Any:
    if isinstance(data, dict):
        return {str(key): _plain(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_plain(value) for value in data]
    return data


def _problem(file: str, data: Any, detail: dict[str, Any]) -> Problem:
    loc = [str(part) for part in detail["loc"]]
    message = str(detail["msg"]).removeprefix("Value error, ")
    what, _, fix = message.partition(" — ")
    if detail["type"] == "extra_forbidden":
        what, fix = f"unknown key '{loc[-1]}'", suggestion(loc[-1], ColumnMapping.model_fields)
    named = re.search(r"'([^']*)'", what)
    section = data.get(loc[0]) if len(loc) == 1 and isinstance(data, dict) else None
    if named and isinstance(section, dict) and named.group(1) in section:
        loc = [*loc, named.group(1)]  # point at the entry, not at its section
    return Problem(file, _line(data, loc), None, ".".join(loc), what, fix or "see docs/events.md")


def _line(data: Any, loc: list[str]) -> int | None:
    line: int | None = None
    for key in loc:
        if not isinstance(data, dict) or key not in data or not hasattr(data, "lc"):
            break
        line = data.lc.key(key)[0] + 1
        data = data[key]
    return line


def normalise_header(name: str) -> str:
    """A header as ``HEADER_ALIASES`` keys it: case-folded, without separators and spaces."""
    return re.sub(r"[\s\-_.]+", "", name.strip().casefold())


@dataclass
class Resolution:
    """Where each event field of a batch comes from."""

    sources: dict[str, list[str]] = field(default_factory=dict)  # field → source columns
    constants: dict[str, str | int | float] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)
    extras: list[str] = field(default_factory=list)  # columns that become properties

    def provides(self, name: str) -> bool:
        return name in self.sources or name in self.constants


def resolve_columns(columns: list[str], mapping: ColumnMapping | None) -> Resolution:
    """Which source columns feed which field: the mapping first, then exact names, then aliases."""
    mapping = mapping or ColumnMapping()
    resolution = Resolution(constants=dict(mapping.constants), values=dict(mapping.values))
    for name in columns:
        if name in mapping.ignore:
            continue
        target = mapping.columns.get(name) or _implicit(name, mapping)
        if target is None or (target in resolution.sources and name not in mapping.columns):
            resolution.extras.append(name)
        else:
            resolution.sources.setdefault(target, []).append(name)
    return resolution


def _implicit(name: str, mapping: ColumnMapping) -> str | None:
    explicit = set(mapping.columns.values())
    if name in MAPPABLE and name not in explicit:
        return name
    alias = HEADER_ALIASES.get(normalise_header(name))
    if alias is None or alias in explicit or alias in mapping.constants:
        return None
    return alias


def check_required(
    file: str, columns: list[str], resolution: Resolution, mapping: ColumnMapping | None = None
) -> None:
    """Raise ``MappingIncomplete`` when ts, name or both ids have no source."""
    for required in ("ts", "name"):
        if not resolution.provides(required):
            hint = _hint(required, columns, mapping)
            raise MappingIncomplete(file, f"'{required}'", columns, hint)
    if not (resolution.provides("user_id") or resolution.provides("anonymous_id")):
        hint = _hint("user_id", columns, mapping)
        raise MappingIncomplete(file, "'user_id' or 'anonymous_id'", columns, hint)


_LOOKS_LIKE: dict[str, tuple[str, ...]] = {
    "ts": ("datum", "date", "zeit", "time", "tag", "day", "uhr"),
    "name": ("event", "aktion", "typ", "type", "art", "ereignis"),
    "user_id": ("kunde", "customer", "user", "nutzer", "konto", "account", "besucher", "visitor"),
}


def _hint(required: str, columns: list[str], mapping: ColumnMapping | None) -> str:
    for source, target in (mapping.columns if mapping else {}).items():
        if target == required and source not in columns:
            close = did_you_mean(source, columns)
            fix = f"did you mean '{close}'?" if close else "check the spelling in the mapping file"
            return f"the mapping file names the column '{source}', which the file lacks — {fix}"
    candidates = [c for c in columns if any(k in c.casefold() for k in _LOOKS_LIKE[required])]
    close = candidates[0] if candidates else did_you_mean(required, columns)
    column = close or "YOUR COLUMN"
    return (
        f'add `columns: {{"{column}": {required}}}` to a mapping file and pass it with '
        "--mapping FILE (docs/events.md#mapping-files)"
    )
