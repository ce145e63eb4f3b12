"""The knobs of the ingest pipeline, with the reason each one exists."""

from __future__ import annotations

import os

from pydantic import BaseModel, ConfigDict, Field

REFUND_PATTERN = r"refund|return|retour|erstatt|storno|gutschrift|chargeback|cancel"
"""Event names (case-insensitive, anywhere in the name) that may carry negative revenue."""


class IngestOptions(BaseModel):
    """How records are read, checked and written; the defaults suit a laptop and 10 M rows."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = Field(
        default="Europe/Berlin",
        description="IANA zone of naive timestamps (the workspace's; a mapping file may override).",
    )
    currency: str = Field(
        default="EUR",
        pattern=r"^[A-Z]{3}$",
        description="Currency of revenue and cost when a record names none.",
    )
    batch_rows: int = Field(
        default=250_000,
        gt=0,
        description="Rows per batch: large enough to amortise per-batch work, small enough that "
        "a batch and its copies stay well under the memory budget.",
    )
    min_year: int = Field(default=1990, description="Earliest year a timestamp may have.")
    max_year: int = Field(default=2100, description="Latest year a timestamp may have.")
    refund_pattern: str = Field(
        default=REFUND_PATTERN,
        description="Regular expression over event names allowed to carry negative revenue.",
    )
    compute_memory: str = Field(
        default="512MB",
        description="Memory limit of the local DuckDB that transforms batches (it spills beyond).",
    )
    threads: int = Field(
        default_factory=lambda: os.cpu_count() or 2,
        ge=1,
        description="Threads of the local transform. It runs while the store inserts the previous "
        "batch; the two share the cores (on 2 cores, all of them for both ingested 10 M CSV rows "
        "in 58-60 s instead of 68 s with one thread for the transform).",
    )
    progress: bool | None = Field(
        default=None, description="Show a progress bar (default: when stderr is a terminal)."
    )
