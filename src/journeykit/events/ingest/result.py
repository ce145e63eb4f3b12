"""What an ingest reports: per input the four counts, and their totals for the CLI's ``--json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from journeykit.errors import JourneykitError


@dataclass(frozen=True)
class Origin:
    """Where batches come from: a file (its path) or a stream (e.g. ``collector``)."""

    source_file: str
    format: str
    fingerprint: str | None = None
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class IngestResult:
    """The outcome of one input. Always ``read == kept + duplicates + quarantined``."""

    batch_id: str
    source_file: str
    format: str
    read: int = 0
    kept: int = 0
    duplicates: int = 0
    quarantined: int = 0
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {
            "read": self.read,
            "kept": self.kept,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }


@dataclass
class IngestSummary:
    """Several inputs: their results, the inputs that failed as a whole, and the totals."""

    results: list[IngestResult] = field(default_factory=list)
    failures: list[JourneykitError] = field(default_factory=list)

    def _total(self, name: str) -> int:
        return sum(int(getattr(result, name)) for result in self.results)

    @property
    def read(self) -> int:
        return self._total("read")

    @property
    def kept(self) -> int:
        return self._total("kept")

    @property
    def duplicates(self) -> int:
        return self._total("duplicates")

    @property
    def quarantined(self) -> int:
        return self._total("quarantined")

    def as_json(self) -> dict[str, int]:
        """The CLI contract: ``{"read", "kept", "duplicates", "quarantined"}``."""
        return {
            "read": self.read,
            "kept": self.kept,
            "duplicates": self.duplicates,
            "quarantined": self.quarantined,
        }
