"""The truth file against the data: every realised value is recounted here with DuckDB SQL over
the generated Parquet, independently of the generator's numpy code, and must agree exactly.

Also checks what the truth relies on: ``customer_id`` is what resolving the identity links gives,
timestamps are unique per customer, and sessions are separated by more than 30 minutes.
"""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import pytest
from ruamel.yaml import YAML

from journeykit.datasets.demo import demo_map_texts
from journeykit.datasets.generator import DemoTruth, GeneratorConfig, write_parquet
from journeykit.maps.kpis import CATALOG

CONFIG = GeneratorConfig(customers=3_000, seed=2024)


@pytest.fixture(scope="module")
def generated(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[duckdb.DuckDBPyConnection, DemoTruth]:
    path = tmp_path_factory.mktemp("truth") / "events.parquet"
    truth = write_parquet(path, CONFIG)
    connection = duckdb.connect()
    connection.execute(
        f"""
        CREATE TABLE e AS
        SELECT *, CAST(json_extract(properties, '$.session_id') AS BIGINT) AS sid
        FROM read_parquet('{path}')
        """
    )
    return connection, truth


def _rows(connection: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[Any, ...]]:
    return connection.execute(sql).fetchall()


def _rate(total: int, hits: int) -> float | None:
    return round(hits / total, 6) if total else None


def test_counts_match_the_data(generated: tuple[duckdb.DuckDBPyConnection, DemoTruth]) -> None:
    connection, truth = generated
    counts = truth.counts
    by_name = dict(_rows(connection, "SELECT name, count(*) FROM e GROUP BY name"))
    assert counts["events_by_name"] == by_name
    assert counts["events"] == sum(by_name.values())
    assert counts["orders"] == by_name["order_completed"]
    (revenue,) = _rows(connection, "SELECT sum(revenue) FROM e WHERE name = 'order_completed'")[0]
    assert counts["revenue"] == pytest.approx(revenue, abs=0.01)
    (customers,) = _rows(connection, "SELECT count(DISTINCT customer_id) FROM e")[0]
    assert counts["resolved_customers"] == customers
    assert counts["customers"] == CONFIG.customers
    assert sum(counts["customers_by_persona"].values()) == CONFIG.customers


def test_mobile_checkout_dropoff_is_realised_as_recorded(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    connection, truth = generated
    effect = truth.effects["mobile_checkout_dropoff"]
    session = _rows(
        connection,
        """
        SELECT c.device, count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM e o
                   WHERE o.name = 'order_completed' AND o.sid = c.sid AND o.ts > c.ts))
        FROM e c WHERE c.name = 'checkout_started' GROUP BY c.device
        """,
    )
    for device, checkouts, orders in session:
        assert effect.realised["session"][device] == {
            "checkouts": checkouts,
            "orders": orders,
            "rate": _rate(checkouts, orders),
        }
    funnel = _rows(
        connection,
        """
        WITH attempts AS (
            SELECT c.customer_id, c.device,
                   EXISTS (SELECT 1 FROM e o
                           WHERE o.name = 'order_completed' AND o.customer_id = c.customer_id
                             AND o.ts >= c.ts AND o.ts <= c.ts + INTERVAL 7 DAY) AS converted
            FROM e c WHERE c.name = 'checkout_started')
        SELECT device, count(*), count(*) FILTER (WHERE converted)
        FROM (SELECT customer_id, device, bool_or(converted) AS converted
              FROM attempts GROUP BY ALL)
        GROUP BY device
        """,
    )
    for device, customers, converted in funnel:
        assert effect.realised["funnel_7d"][device] == {
            "customers": customers,
            "converted": converted,
            "rate": _rate(customers, converted),
        }
    # the planted gap shows in the data (±6 points of sampling noise at this size)
    assert effect.realised["gap_points"] == pytest.approx(effect.parameter["gap_points"], abs=6)
    assert effect.realised["funnel_7d_gap_points"] > 10


def test_shipping_cost_abandonment_is_realised_as_recorded(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    connection, truth = generated
    effect = truth.effects["shipping_cost_abandonment"]
    rows = _rows(
        connection,
        """
        WITH viewed AS (
            SELECT DISTINCT sid FROM e
            WHERE name = 'page_viewed'
              AND json_extract_string(properties, '$.path') = '/versandkosten')
        SELECT c.sid IN (SELECT sid FROM viewed) AS seen, count(*),
               count(*) FILTER (WHERE NOT EXISTS (
                   SELECT 1 FROM e o
                   WHERE o.name = 'order_completed' AND o.customer_id = c.customer_id
                     AND o.ts >= c.ts AND o.ts <= c.ts + INTERVAL 24 HOUR))
        FROM e c WHERE c.name = 'product_added' GROUP BY seen
        """,
    )
    for seen, carts, abandoned in rows:
        key = "viewed" if seen else "not_viewed"
        assert effect.realised[key] == {
            "carts": carts,
            "abandoned": abandoned,
            "rate": _rate(carts, abandoned),
        }
    assert effect.realised["difference_points"] > 8
    assert effect.parameter == {"exit_multiplier": CONFIG.effects.shipping_exit_multiplier}


def test_email_campaign_lift_is_realised_as_recorded(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    connection, truth = generated
    effect = truth.effects["email_campaign_lift"]
    rows = _rows(
        connection,
        f"""
        SELECT json_extract_string(c.properties, '$.group') AS grp, count(*),
               count(*) FILTER (WHERE EXISTS (
                   SELECT 1 FROM e o
                   WHERE o.name = 'order_completed' AND o.customer_id = c.customer_id
                     AND o.ts >= c.ts
                     AND o.ts <= c.ts + INTERVAL {CONFIG.effects.window_days} DAY))
        FROM e c
        WHERE c.name = 'campaign_assigned' AND c.campaign = '{CONFIG.effects.campaign}'
        GROUP BY grp
        """,
    )
    assert {row[0] for row in rows} == {"treatment", "holdout"}
    for group, customers, purchasers in rows:
        assert effect.realised[group] == {
            "customers": customers,
            "purchasers": purchasers,
            "rate": _rate(customers, purchasers),
        }
    treated, held = effect.realised["treatment"], effect.realised["holdout"]
    assert held["customers"] / (held["customers"] + treated["customers"]) == pytest.approx(
        CONFIG.effects.holdout_share, abs=0.04
    )
    assert effect.realised["lift_points"] > 0


def test_customer_id_is_the_resolved_identity(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    connection, _ = generated
    links = _rows(
        connection,
        "SELECT DISTINCT anonymous_id, user_id FROM e "
        "WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL",
    )
    user_of: dict[str, str] = {}
    for anonymous, user in links:
        assert user_of.setdefault(anonymous, user) == user, "a device linked to two customers"
    observed = _rows(connection, "SELECT DISTINCT user_id, anonymous_id, customer_id FROM e")
    for user, anonymous, customer in observed:
        expected = user or user_of.get(anonymous, anonymous)
        assert customer == expected


def test_each_customer_has_unique_times_and_separate_sessions(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    connection, _ = generated
    (ties,) = _rows(
        connection,
        "SELECT count(*) FROM (SELECT customer_id, ts FROM e GROUP BY ALL HAVING count(*) > 1)",
    )[0]
    assert ties == 0
    (close,) = _rows(
        connection,
        """
        WITH s AS (SELECT customer_id, sid, min(ts) AS first, max(ts) AS last
                   FROM e WHERE sid IS NOT NULL GROUP BY ALL),
             g AS (SELECT first - lag(last) OVER (PARTITION BY customer_id ORDER BY first) AS gap
                   FROM s)
        SELECT count(*) FROM g WHERE gap < INTERVAL 30 MINUTE
        """,
    )[0]
    assert close == 0


def test_journeys_cover_every_stage_and_loop(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    connection, truth = generated
    names = set(truth.counts["events_by_name"])
    needed = {
        "ad_impression", "ad_clicked", "search_result_viewed", "page_viewed", "product_viewed",
        "product_added", "checkout_started", "order_completed", "email_opened", "email_clicked",
        "sms_delivered", "push_received", "parcel_delivered", "csat_answered", "nps_answered",
        "review_submitted", "return_requested", "order_refunded", "support_contacted",
        "referral_sent", "identify",
    }  # fmt: skip
    assert needed <= names
    (loops,) = _rows(
        connection,
        """
        SELECT count(DISTINCT sid) FROM (
            SELECT sid, name,
                   lag(json_extract_string(properties, '$.path')) OVER w AS came_from
            FROM e WHERE sid IS NOT NULL
            WINDOW w AS (PARTITION BY sid ORDER BY ts))
        WHERE name = 'product_viewed' AND came_from = '/warenkorb'
        """,
    )[0]
    assert loops > 0, "customers go back from the cart to products"


def test_kpi_catalog_inputs_are_all_generated(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    _, truth = generated
    names = set(truth.counts["events_by_name"])
    for metric in CATALOG:
        assert set(metric.needs) <= names, metric.id


def _holds(condition: dict[str, Any], properties: dict[str, Any]) -> bool:
    key, op, value = condition["property"], condition.get("op", "eq"), condition.get("value")
    if key not in properties:
        return False
    actual = properties[key]
    checks = {
        "eq": lambda: actual == value,
        "ne": lambda: actual != value,
        "in": lambda: actual in value,
        "not_in": lambda: actual not in value,
        "contains": lambda: str(value) in str(actual),
        "regex": lambda: re.search(str(value), str(actual)) is not None,
        "exists": lambda: True,
        "gt": lambda: actual > value,
        "gte": lambda: actual >= value,
        "lt": lambda: actual < value,
        "lte": lambda: actual <= value,
    }
    return bool(checks[op]())


def test_demo_map_touchpoints_find_their_events(
    generated: tuple[duckdb.DuckDBPyConnection, DemoTruth],
) -> None:
    """Every touchpoint rule of the demo maps matches generated events (future-state maps
    describe what does not exist yet, so they are left out)."""
    connection, _ = generated
    events = connection.execute(
        "SELECT name, channel, device, properties FROM e WHERE name <> 'ad_impression'"
    ).fetchall()
    events += connection.execute(
        "SELECT name, channel, device, properties FROM e WHERE name = 'ad_impression' LIMIT 5000"
    ).fetchall()
    by_name: dict[str, list[tuple[str, str, str, dict[str, Any]]]] = {}
    for n, c, d, p in events:
        by_name.setdefault(n, []).append((n, c, d, json.loads(p)))
    unmatched = []
    for name, text in demo_map_texts().items():
        data = YAML(typ="safe").load(text)
        if data["type"] == "future-state":
            continue
        for touchpoint in data["touchpoints"]:
            rule = touchpoint.get("match")
            if not rule:
                continue
            wanted = rule.get("event") or list(by_name)
            candidates = [e for n in ([wanted] if isinstance(wanted, str) else wanted)
                          for e in by_name.get(n, [])]  # fmt: skip
            if not any(_matches(rule, event) for event in candidates):
                unmatched.append(f"{name}: {touchpoint['id']}")
    assert unmatched == []


def _matches(rule: dict[str, Any], event: tuple[str, str, str, dict[str, Any]]) -> bool:
    name, channel, device, properties = event
    for field, actual in (("event", name), ("channel", channel), ("device", device)):
        wanted = rule.get(field)
        if wanted is not None and actual not in ([wanted] if isinstance(wanted, str) else wanted):
            return False
    return all(_holds(condition, properties) for condition in rule.get("where", []))
