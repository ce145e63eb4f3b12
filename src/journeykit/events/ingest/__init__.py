"""Ingest: every source lands in the analytic store exactly once, validated, or in quarantine.

Public functions:

- ``ingest_files(workspace, paths, format="auto", mapping=None, options=None) -> IngestSummary``
  — what ``journeykit ingest`` runs: each file is read by its source (``--format`` or sniffed),
  normalised and written as ONE atomic batch; a file that fails as a whole is listed in
  ``summary.failures`` and the other files are still ingested.
- ``ingest_batches(workspace_or_store, batches, origin, options=None) -> IngestResult`` — for
  code that already has Arrow record batches in the source contract
  (``journeykit.events.sources.base``), e.g. the collector's micro-batches::

      result = ingest_batches(workspace, [batch], Origin("collector", "segment"))

  It validates and normalises vectorised (timestamps → UTC, channel/device vocabularies, numbers,
  the content-hash ``event_id``), drops duplicates within the batch and against the store, sets
  ``customer_id`` from identity links, quarantines bad records with field and reason, and writes
  all of it in one transaction. ``result.read == result.kept + result.duplicates +
  result.quarantined`` always.

Configuration is ``IngestOptions`` (``options_for(workspace)`` gives the workspace's time zone and
currency); failures of a whole input raise the ``JourneykitError`` subclasses in ``exceptions``.
"""

from journeykit.events.ingest.configuration import IngestOptions
from journeykit.events.ingest.pipeline import ingest_batches, ingest_files, options_for
from journeykit.events.ingest.result import IngestResult, IngestSummary, Origin

__all__ = [
    "IngestOptions",
    "IngestResult",
    "IngestSummary",
    "Origin",
    "ingest_batches",
    "ingest_files",
    "options_for",
]
