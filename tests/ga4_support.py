"""GA4 test support: the BigQuery export's column types, to write the NDJSON fixture as Parquet.

BigQuery exports the same table as JSON (INT64 as text) and as Parquet (INT64 as integers); tests
write the JSON fixture in the Parquet shape to check both readers give the same events.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

STR = pa.string()
INT = pa.int64()
DBL = pa.float64()


def _struct(**fields: pa.DataType) -> pa.DataType:
    return pa.struct([pa.field(name, kind) for name, kind in fields.items()])


PARAM_VALUE = _struct(string_value=STR, int_value=INT, float_value=DBL, double_value=DBL)
PARAMS = pa.list_(_struct(key=STR, value=PARAM_VALUE))
USER_PROPERTIES = pa.list_(
    _struct(
        key=STR,
        value=_struct(
            string_value=STR,
            int_value=INT,
            float_value=DBL,
            double_value=DBL,
            set_timestamp_micros=INT,
        ),
    )
)
ITEM = _struct(
    item_id=STR,
    item_name=STR,
    item_brand=STR,
    item_variant=STR,
    item_category=STR,
    item_category2=STR,
    price_in_usd=DBL,
    price=DBL,
    quantity=INT,
    item_revenue_in_usd=DBL,
    item_revenue=DBL,
    coupon=STR,
    affiliation=STR,
    item_list_name=STR,
    item_params=PARAMS,
)
GA4_EXPORT_SCHEMA = pa.schema(
    [
        ("event_date", STR),
        ("event_timestamp", INT),
        ("event_name", STR),
        ("event_params", PARAMS),
        ("event_previous_timestamp", INT),
        ("event_value_in_usd", DBL),
        ("event_bundle_sequence_id", INT),
        ("event_server_timestamp_offset", INT),
        ("user_id", STR),
        ("user_pseudo_id", STR),
        ("privacy_info", _struct(analytics_storage=STR, ads_storage=STR, uses_transient_token=STR)),
        ("user_properties", USER_PROPERTIES),
        ("user_first_touch_timestamp", INT),
        ("user_ltv", _struct(revenue=DBL, currency=STR)),
        (
            "device",
            _struct(
                category=STR,
                mobile_brand_name=STR,
                mobile_model_name=STR,
                mobile_marketing_name=STR,
                mobile_os_hardware_model=STR,
                operating_system=STR,
                operating_system_version=STR,
                vendor_id=STR,
                advertising_id=STR,
                language=STR,
                is_limited_ad_tracking=STR,
                time_zone_offset_seconds=INT,
                browser=STR,
                browser_version=STR,
                web_info=_struct(browser=STR, browser_version=STR, hostname=STR),
            ),
        ),
        (
            "geo",
            _struct(city=STR, country=STR, continent=STR, region=STR, sub_continent=STR, metro=STR),
        ),
        ("app_info", _struct(id=STR, version=STR, install_store=STR, firebase_app_id=STR)),
        ("traffic_source", _struct(name=STR, medium=STR, source=STR)),
        ("stream_id", STR),
        ("platform", STR),
        ("event_dimensions", _struct(hostname=STR)),
        (
            "ecommerce",
            _struct(
                total_item_quantity=INT,
                purchase_revenue_in_usd=DBL,
                purchase_revenue=DBL,
                refund_value_in_usd=DBL,
                refund_value=DBL,
                shipping_value_in_usd=DBL,
                shipping_value=DBL,
                tax_value_in_usd=DBL,
                tax_value=DBL,
                unique_items=INT,
                transaction_id=STR,
            ),
        ),
        ("items", pa.list_(ITEM)),
        (
            "collected_traffic_source",
            _struct(
                manual_campaign_id=STR,
                manual_campaign_name=STR,
                manual_source=STR,
                manual_medium=STR,
                manual_term=STR,
                manual_content=STR,
                gclid=STR,
                dclid=STR,
                srsltid=STR,
            ),
        ),
        ("is_active_user", pa.bool_()),
        ("batch_event_index", INT),
        ("batch_page_id", INT),
        ("batch_ordering_id", INT),
        ("session_traffic_source_last_click", _struct(manual_campaign=_struct(source=STR))),
        ("publisher", _struct(ad_revenue_in_usd=DBL, ad_format=STR)),
    ]
)


def coerce(value: object, kind: pa.DataType) -> object:
    """A JSON export value in the Python shape of its Parquet type (INT64 text → int)."""
    if value is None:
        return None
    if pa.types.is_struct(kind):
        assert isinstance(value, dict)
        return {field.name: coerce(value.get(field.name), field.type) for field in kind}
    if pa.types.is_list(kind):
        assert isinstance(value, list)
        return [coerce(item, kind.value_type) for item in value]
    if pa.types.is_integer(kind):
        return int(value)  # type: ignore[call-overload]
    return value


def json_rows(path: Path) -> list[dict[str, object]]:
    """The well-formed rows of an NDJSON export (malformed lines left out)."""
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rows.append(json.loads(line))
        except ValueError:
            continue
    return rows


def write_parquet(rows: list[dict[str, object]], path: Path, row_group_size: int = 3) -> Path:
    """``rows`` (JSON-export shape) as a Parquet export with BigQuery's column types."""
    typed = [
        {field.name: coerce(row.get(field.name), field.type) for field in GA4_EXPORT_SCHEMA}
        for row in rows
    ]
    table = pa.Table.from_pylist(typed, schema=GA4_EXPORT_SCHEMA)
    pq.write_table(table, path, row_group_size=row_group_size)
    return path
