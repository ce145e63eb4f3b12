"""Events for the demo workspace: generated shop data, ingested through the real ingest path.

The generator writes the shapes shops bring (GA4 export, Segment JSONL, Shopify orders, a German CRM
CSV with its mapping file); ingesting those files — not the generator's Parquet — means the demo
exercises the same readers, validation, dedupe and identity resolution a user's data goes through.
Re-running with the same seed adds nothing: every event is a duplicate of one already stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from journeykit.datasets.generator import (
    DemoTruth,
    GeneratorConfig,
    generate_demo_files,
    terminal_progress,
)
from journeykit.datasets.generator.files import (
    CRM_FILE,
    GA4_DIR,
    MAPPING_FILE,
    SEGMENT_FILE,
    SHOPIFY_FILE,
)
from journeykit.events.ingest import IngestSummary, ingest_files
from journeykit.events.layout import optimize_events
from journeykit.store import open_analytic
from journeykit.workspace import Workspace

DEMO_FILES_DIR = "imports/demo"


@dataclass(frozen=True)
class DemoData:
    """What the demo data step produced: the generator's truth and the ingest summaries."""

    files: Path
    truth: DemoTruth
    ingested: list[IngestSummary]

    def as_json(self) -> dict[str, int]:
        """Totals over all files, in the ``journeykit ingest --json`` shape."""
        keys = ("read", "kept", "duplicates", "quarantined")
        return {key: sum(summary.as_json()[key] for summary in self.ingested) for key in keys}


def load_demo_data(workspace: Workspace, config: GeneratorConfig | None = None) -> DemoData:
    """Generate the demo's source files into the workspace and ingest them (bars on a terminal)."""
    config = config or GeneratorConfig()
    files = workspace.root / DEMO_FILES_DIR
    with terminal_progress("Demo-Daten erzeugen", config.customers) as progress:
        truth = generate_demo_files(files, config, progress)
    auto = [*sorted((files / GA4_DIR).glob("events_*.json")), files / SEGMENT_FILE]
    summaries = [
        ingest_files(workspace, auto),
        ingest_files(workspace, [files / SHOPIFY_FILE], format="shopify-orders"),
        ingest_files(workspace, [files / CRM_FILE], format="csv", mapping=files / MAPPING_FILE),
    ]
    with open_analytic(workspace) as store:
        optimize_events(store)  # journey order, as `journeykit events optimize` after a big load
    return DemoData(files, truth, summaries)
