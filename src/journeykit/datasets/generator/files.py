"""Writing generated data to disk: the demo's mix of source files, or one format for everything.

The demo mix is what a shop brings to journeykit — each system exports what it knows:

- ``ga4/events_YYYYMMDD.json``: web analytics (GA4 BigQuery export), everything on the website;
- ``segment/app.jsonl``: the app, logins (identify with traits), email/SMS/push messages and the
  campaign's group assignment (Segment);
- ``shopify/orders_export.csv``: online orders, web and app (Shopify);
- ``crm/kundenereignisse.csv`` + ``.mapping.yaml``: the German CRM export — store purchases,
  deliveries, returns, refunds, service contacts, surveys, reviews, ad impressions and clicks,
  Google search hits and marketplace views;
- ``truth.json``: the planted effects and their realised values.

Every event lands in exactly one file, and the same customer's email is the user id everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from journeykit.datasets.generator.config import GeneratorConfig
from journeykit.datasets.generator.run import ProgressCallback, simulate
from journeykit.datasets.generator.truth import DemoTruth
from journeykit.datasets.generator.writers.base import Sink, stats
from journeykit.datasets.generator.writers.ga4 import Ga4Sink
from journeykit.datasets.generator.writers.german_csv import GermanCsvSink, mapping_yaml
from journeykit.datasets.generator.writers.parquet import ParquetSink
from journeykit.datasets.generator.writers.segment import SegmentSink
from journeykit.datasets.generator.writers.shopify import ShopifyOrdersSink

CRM_NAMES = (
    "ad_impression",
    "ad_clicked",
    "search_result_viewed",
    "parcel_delivered",
    "return_requested",
    "return_dropped_off",
    "order_refunded",
    "support_contacted",
    "nps_answered",
    "csat_answered",
    "review_submitted",
)
SEGMENT_CHANNELS = ("app", "email", "sms", "push")
SEGMENT_NAMES = ("identify", "campaign_assigned")
GA4_DIR = "ga4"
SEGMENT_FILE = "segment/app.jsonl"
SHOPIFY_FILE = "shopify/orders_export.csv"
CRM_FILE = "crm/kundenereignisse.csv"
MAPPING_FILE = "crm/kundenereignisse.mapping.yaml"
TRUTH_FILE = "truth.json"


def route(batch: pa.RecordBatch) -> dict[str, pa.RecordBatch]:
    """Split a batch by the system that records each event: crm, shopify, segment or ga4."""
    name, channel = batch.column("name"), batch.column("channel")
    orders = pc.equal(name, "order_completed")
    crm = pc.or_(
        pc.is_in(name, value_set=pa.array(CRM_NAMES)),
        pc.or_(
            pc.and_(orders, pc.equal(channel, "store")),
            pc.equal(channel, "marketplace"),
        ),
    )
    shopify = pc.and_(pc.invert(crm), orders)
    taken = pc.or_(crm, shopify)
    segment = pc.and_(
        pc.invert(taken),
        pc.or_(
            pc.is_in(channel, value_set=pa.array(SEGMENT_CHANNELS)),
            pc.is_in(name, value_set=pa.array(SEGMENT_NAMES)),
        ),
    )
    ga4 = pc.invert(pc.or_(taken, segment))
    return {
        "crm": batch.filter(crm),
        "shopify": batch.filter(shopify),
        "segment": batch.filter(segment),
        "ga4": batch.filter(ga4),
    }


def generate_demo_files(
    directory: Path | str,
    config: GeneratorConfig | None = None,
    progress: ProgressCallback | None = None,
) -> DemoTruth:
    """Write the demo's source files and ``truth.json`` into ``directory``; return the truth."""
    config = config or GeneratorConfig()
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    for stale in sorted((root / GA4_DIR).glob("events_*.json")):
        stale.unlink()  # shards of an earlier run with another period would be read as well
    sinks: dict[str, Sink] = {
        "crm": GermanCsvSink(root / CRM_FILE, config.timezone),
        "shopify": ShopifyOrdersSink(root / SHOPIFY_FILE, config.timezone),
        "segment": SegmentSink(root / SEGMENT_FILE),
        "ga4": Ga4Sink(root / GA4_DIR, config.timezone),
    }
    (root / MAPPING_FILE).write_text(
        mapping_yaml(Path(CRM_FILE).name, config.timezone), encoding="utf-8"
    )
    simulation = simulate(config, progress)
    for batch in simulation:
        for system, part in route(batch).items():
            if part.num_rows:
                sinks[system].write(part)
    written: dict[Path, int] = {}
    for sink in sinks.values():
        written.update(sink.close())
    truth = simulation.truth.model_copy(update={"files": stats(root, written)})
    truth.write(root / TRUTH_FILE)
    return truth


def write_events(
    sink: Sink, config: GeneratorConfig | None = None, progress: ProgressCallback | None = None
) -> DemoTruth:
    """Every generated event into one sink (e.g. Parquet for the benchmark); returns the truth."""
    simulation = simulate(config or GeneratorConfig(), progress)
    for batch in simulation:
        sink.write(batch)
    written = sink.close()
    root = next(iter(written)).parent
    return simulation.truth.model_copy(update={"files": stats(root, written)})


def write_parquet(
    path: Path | str,
    config: GeneratorConfig | None = None,
    progress: ProgressCallback | None = None,
) -> DemoTruth:
    """All events as one Parquet file in the event schema."""
    return write_events(ParquetSink(path), config, progress)


def write_german_csv(
    path: Path | str,
    config: GeneratorConfig | None = None,
    progress: ProgressCallback | None = None,
) -> DemoTruth:
    """All events as one German CSV export, with its mapping file next to it
    (``<name>.mapping.yaml``)."""
    config = config or GeneratorConfig()
    target = Path(path)
    sink = GermanCsvSink(target, config.timezone)
    target.with_suffix(".mapping.yaml").write_text(
        mapping_yaml(target.name, config.timezone), encoding="utf-8"
    )
    return write_events(sink, config, progress)
