"""Shopify's orders export (Orders → Export → CSV): one row per line item, the order's fields only
on its first row, the columns in Shopify's order.

Each ``order_completed`` event with ``properties.items`` becomes one order. What the export has no
column for but the journey needs travels the Shopify way: the device and session as cart
attributes (``Note Attributes``, ``key: value`` lines), first orders and exchanges as ``Tags``.
"""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pyarrow as pa

from journeykit.datasets.generator.catalog import SHOP_NAME
from journeykit.datasets.generator.writers.base import rows

HEADER = (
    "Name", "Email", "Financial Status", "Paid at", "Fulfillment Status", "Fulfilled at",
    "Accepts Marketing", "Currency", "Subtotal", "Shipping", "Taxes", "Total", "Discount Code",
    "Discount Amount", "Shipping Method", "Created at", "Lineitem quantity", "Lineitem name",
    "Lineitem price", "Lineitem compare at price", "Lineitem sku", "Lineitem requires shipping",
    "Lineitem taxable", "Lineitem fulfillment status", "Billing Name", "Billing Street",
    "Billing Address1", "Billing Address2", "Billing Company", "Billing City", "Billing Zip",
    "Billing Province", "Billing Country", "Billing Phone", "Shipping Name", "Shipping Street",
    "Shipping Address1", "Shipping Address2", "Shipping Company", "Shipping City", "Shipping Zip",
    "Shipping Province", "Shipping Country", "Shipping Phone", "Notes", "Note Attributes",
    "Cancelled at", "Payment Method", "Payment Reference", "Refunded Amount", "Vendor",
    "Outstanding Balance", "Employee", "Location", "Device ID", "Id", "Tags", "Risk Level",
    "Source", "Lineitem discount", "Tax 1 Name", "Tax 1 Value", "Tax 2 Name", "Tax 2 Value",
    "Tax 3 Name", "Tax 3 Value", "Tax 4 Name", "Tax 4 Value", "Tax 5 Name", "Tax 5 Value",
    "Phone", "Receipt Number", "Duties", "Billing Province Name", "Shipping Province Name",
    "Payment ID", "Payment Terms Name", "Next Payment Due At", "Payment References",
)  # fmt: skip
PROVINCES = {
    "BW": "Baden-Württemberg", "BY": "Bayern", "BE": "Berlin", "HB": "Bremen", "HH": "Hamburg",
    "HE": "Hessen", "MV": "Mecklenburg-Vorpommern", "NI": "Niedersachsen",
    "NW": "Nordrhein-Westfalen", "RP": "Rheinland-Pfalz", "SH": "Schleswig-Holstein",
    "SN": "Sachsen", "TH": "Thüringen",
}  # fmt: skip
#: Columns repeated on every line-item row; all other order fields stay empty after the first.
LINE_COLUMNS = ("Name", "Email", "Created at", "Lineitem discount")


class ShopifyOrdersSink:
    """One orders export CSV (comma-separated, as Shopify writes it)."""

    def __init__(self, path: Path | str, timezone: str = "Europe/Berlin") -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.zone = ZoneInfo(timezone)
        self._file = self.path.open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\n")
        self._csv.writerow(HEADER)
        self._count = 0

    def write(self, batch: pa.RecordBatch) -> None:
        for row in rows(batch):
            if row["name"] != "order_completed" or not row["properties"].get("items"):
                continue
            for line in order_rows(row, self.zone):
                self._csv.writerow([line.get(column, "") for column in HEADER])
            self._count += 1

    def close(self) -> dict[Path, int]:
        self._file.close()
        return {self.path: self._count}


def order_rows(row: dict[str, Any], zone: ZoneInfo) -> list[dict[str, str]]:
    """The export rows of one order: order fields on the first, one line item on each."""
    props = row["properties"]
    created = datetime.fromtimestamp(row["ts"] / 1e6, UTC).astimezone(zone)
    stamp = created.strftime("%Y-%m-%d %H:%M:%S %z")
    number = str(props["order_id"]).lstrip("#")
    order = _order_fields(row, props, stamp, number)
    lines = []
    for index, item in enumerate(props["items"]):
        line = dict(order) if index == 0 else {c: order[c] for c in LINE_COLUMNS}
        line.update(
            {
                "Lineitem quantity": str(item["quantity"]),
                "Lineitem name": item["name"],
                "Lineitem price": _money(item["price"]),
                "Lineitem sku": item["sku"],
                "Lineitem requires shipping": "true",
                "Lineitem taxable": "true",
                "Lineitem fulfillment status": "fulfilled",
                "Vendor": SHOP_NAME,
            }
        )
        lines.append(line)
    return lines


def _order_fields(
    row: dict[str, Any], props: dict[str, Any], stamp: str, number: str
) -> dict[str, str]:
    shipping = float(props.get("shipping", 0.0))
    province = props.get("billing_province", "")
    address = {
        "Name": props.get("billing_name", ""),
        "Street": props.get("billing_street", ""),
        "Address1": props.get("billing_street", ""),
        "City": props.get("billing_city", ""),
        "Zip": props.get("billing_zip", ""),
        "Province": province,
        "Country": "DE",
    }
    fields = {f"Billing {k}": v for k, v in address.items()}
    fields.update({f"Shipping {k}": v for k, v in address.items()})
    tags = [tag for tag, on in (("Erstbestellung", props.get("first_order")),
                                ("Umtausch", "replaces_order" in props),
                                ("App", row["channel"] == "app")) if on]  # fmt: skip
    attributes = {"device": row["device"], "session_id": props.get("session_id")}
    if "replaces_order" in props:
        attributes["replaces_order"] = props["replaces_order"]
    fields.update(
        {
            "Name": f"#{number}",
            "Email": row["user_id"] or "",
            "Financial Status": "paid",
            "Paid at": stamp,
            "Fulfillment Status": "fulfilled",
            "Currency": row["currency"] or "EUR",
            "Subtotal": _money(props.get("subtotal", 0.0)),
            "Shipping": _money(shipping),
            "Taxes": _money(props.get("tax", 0.0)),
            "Total": _money(row["revenue"] or 0.0),
            "Discount Code": props.get("coupon", ""),
            "Discount Amount": _money(props.get("discount", 0.0)),
            "Shipping Method": "DHL Paket" if shipping > 0 else "Kostenloser Versand",
            "Created at": stamp,
            "Note Attributes": "\n".join(
                f"{k}: {v}" for k, v in attributes.items() if v is not None
            ),
            "Payment Method": props.get("payment_method", ""),
            "Payment Reference": f"c{row['event_id'][:20]}",
            "Refunded Amount": "0.00",
            "Outstanding Balance": "0.00",
            "Id": str(5_100_000_000 + int(number)),
            "Tags": ", ".join(tags),
            "Risk Level": "Low",
            "Source": "Lumen & Linen App" if row["channel"] == "app" else "web",
            "Lineitem discount": "0.00",
            "Tax 1 Name": "MwSt 19%",
            "Tax 1 Value": _money(props.get("tax", 0.0)),
            "Billing Province Name": PROVINCES.get(province, ""),
            "Shipping Province Name": PROVINCES.get(province, ""),
        }
    )
    return fields


def _money(value: float) -> str:
    return f"{float(value):.2f}"
