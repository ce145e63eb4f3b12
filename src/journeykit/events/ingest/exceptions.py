"""What can stop an ingest as a whole. Bad *records* never raise: they go to quarantine."""

from __future__ import annotations

from journeykit.errors import FileProblem, JourneykitError
from journeykit.events.mapping import MappingIncomplete, MappingInvalid

__all__ = [
    "FileProblem",
    "IngestError",
    "MappingIncomplete",
    "MappingInvalid",
    "NoSuchQuarantine",
]


class IngestError(JourneykitError):
    """Base of the errors that stop the ingest of one file (the file's batch is rolled back)."""


class NoSuchQuarantine(IngestError):
    """``quarantine show ID`` with an ID that is not in the quarantine."""

    def __init__(self, quarantine_id: str, hint: str) -> None:
        self.quarantine_id = quarantine_id
        super().__init__(f"no quarantined record '{quarantine_id}' — {hint}")
