"""Import consent collected elsewhere (a shop's newsletter tool, a CRM) from a CSV file.

Columns (header row required): ``customer_id``, ``state`` (granted | withdrawn | pending) and
optionally ``channel`` (default email), ``topic`` (default marketing), ``legal_basis`` (default
consent), ``source`` (default import), ``text_version``, ``recorded_at`` (ISO 8601 with a zone;
default now). Every row is checked first and all problems are reported at once; only a clean
file is appended, in one transaction — the ledger never holds half an import.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journeykit.errors import FileProblem, JourneykitError, Problem
from journeykit.flows import consent

if TYPE_CHECKING:
    from sqlalchemy import Engine

CHANNELS = ("email", "sms", "push")
REQUIRED = ("customer_id", "state")
KNOWN = (*REQUIRED, "channel", "topic", "legal_basis", "source", "text_version", "recorded_at")


@dataclass(frozen=True)
class ImportRow:
    customer_id: str
    channel: str
    topic: str
    state: consent.ConsentState
    legal_basis: str
    source: str
    text_version: str | None
    recorded_at: datetime | None


def read_consent_csv(path: Path) -> list[ImportRow]:
    """The checked rows of ``path``; ``JourneykitError`` naming every bad row and field."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            records = list(csv.DictReader(file))
            header = list(records[0]) if records else []
    except FileNotFoundError:
        raise FileProblem(path, "not found", "give the path of a CSV file") from None
    except UnicodeDecodeError:
        raise FileProblem(path, "is not UTF-8", "save it as UTF-8 CSV") from None
    problems = [
        Problem(str(path), 1, None, column, "missing column", f"add a '{column}' column")
        for column in REQUIRED
        if column not in header
    ]
    problems += [
        Problem(str(path), 1, None, column, "unknown column", f"columns: {', '.join(KNOWN)}")
        for column in header
        if column not in KNOWN
    ]
    rows: list[ImportRow] = []
    if not problems:
        for line, record in enumerate(records, start=2):
            row = _row(str(path), line, record, problems)
            if row is not None:
                rows.append(row)
    if problems:
        raise JourneykitError(f"{path}: consent not imported", problems)
    return rows


def import_consent(db: Engine, rows: list[ImportRow]) -> int:
    """Append ``rows`` to the ledger in one transaction; returns how many."""
    with db.begin() as connection:
        for row in rows:
            consent.record(
                connection,
                row.customer_id,
                row.channel,
                row.state,
                topic=row.topic,
                legal_basis=row.legal_basis,
                source=row.source,
                text_version=row.text_version,
                at=row.recorded_at,
            )
    return len(rows)


def _row(file: str, line: int, record: dict[str, Any], problems: list[Problem]) -> ImportRow | None:
    def value(column: str, default: str = "") -> str:
        return str(record.get(column) or "").strip() or default

    def bad(column: str, message: str, hint: str) -> None:
        problems.append(Problem(file, line, None, column, message, hint))

    before = len(problems)
    if not value("customer_id"):
        bad("customer_id", "empty", "give the customer id")
    states = [state.value for state in consent.ConsentState]
    if value("state") not in states:
        bad("state", f"'{value('state')}' is not a state", f"use one of {', '.join(states)}")
    if value("channel", "email") not in CHANNELS:
        bad("channel", f"'{value('channel')}' is not a channel", f"use {', '.join(CHANNELS)}")
    bases = [basis.value for basis in consent.LegalBasis]
    if value("legal_basis", "consent") not in bases:
        bad("legal_basis", f"'{value('legal_basis')}' is unknown", f"use {', '.join(bases)}")
    at = _instant(value("recorded_at"))
    if value("recorded_at") and at is None:
        bad("recorded_at", "not an ISO 8601 time with a zone", "e.g. 2026-03-01T09:30:00+01:00")
    if len(problems) > before:
        return None
    return ImportRow(
        value("customer_id"),
        value("channel", "email"),
        value("topic", consent.MARKETING),
        consent.ConsentState(value("state")),
        value("legal_basis", "consent"),
        value("source", "import"),
        value("text_version") or None,
        at,
    )


def _instant(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None
