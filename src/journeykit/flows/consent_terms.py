"""The consent ledger's vocabularies, apart from the ledger so the CLI can offer them as choices
without loading SQLAlchemy on every start."""

from __future__ import annotations

from enum import StrEnum


class ConsentState(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"
    PENDING = "pending"


class LegalBasis(StrEnum):
    CONSENT = "consent"
    LEGITIMATE_INTEREST = "legitimate-interest"
    CONTRACT = "contract"
