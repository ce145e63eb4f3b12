"""The demo data generator: a seeded German online shop whose events go through the real ingest.

Customers of four personas browse, loop through categories and products, read the shipping-cost
page, check out or leave, come back from newsletters, reminders and pushes, order, get parcels,
answer surveys, return and exchange — across the six stages of the journey. Three effects are
planted with known size and recorded with their realised values in a truth file:

(a) mobile checkout drop-off, (b) abandonment after the shipping-cost page, (c) an email campaign
with a random holdout and a true lift on purchases.

The same configuration (seed included) gives byte-identical files.

    >>> from journeykit.datasets.generator import GeneratorConfig, generate_demo_files
    >>> truth = generate_demo_files("demo-data", GeneratorConfig(customers=2_000, seed=7))
"""

from journeykit.datasets.generator.config import EffectsConfig, GeneratorConfig
from journeykit.datasets.generator.files import (
    generate_demo_files,
    route,
    write_events,
    write_german_csv,
    write_parquet,
)
from journeykit.datasets.generator.progress import terminal_progress
from journeykit.datasets.generator.run import ProgressCallback, Simulation, simulate
from journeykit.datasets.generator.truth import DemoTruth, Effect
from journeykit.datasets.generator.writers.ga4 import Ga4Sink
from journeykit.datasets.generator.writers.german_csv import GermanCsvSink, mapping_yaml
from journeykit.datasets.generator.writers.parquet import ParquetSink
from journeykit.datasets.generator.writers.segment import SegmentSink
from journeykit.datasets.generator.writers.shopify import ShopifyOrdersSink

__all__ = [
    "DemoTruth",
    "Effect",
    "EffectsConfig",
    "Ga4Sink",
    "GeneratorConfig",
    "GermanCsvSink",
    "ParquetSink",
    "ProgressCallback",
    "SegmentSink",
    "ShopifyOrdersSink",
    "Simulation",
    "generate_demo_files",
    "mapping_yaml",
    "route",
    "simulate",
    "terminal_progress",
    "write_events",
    "write_german_csv",
    "write_parquet",
]
