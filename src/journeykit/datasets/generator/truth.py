"""The generator's recorded truth: what was planted (parameters) and what the data shows (realised).

Realised values are counted from the finished events of every chunk — the same rows the files
contain — with the definitions written into the truth file, so an analysis can be checked against
them exactly. Customers are the ``customer_id`` a perfect identity resolution finds (see
``arrow.py``); two devices of one person that are never linked count as two customers, as they
would for any analysis.

Definitions (also in the JSON):

- mobile checkout drop-off, per device of the ``checkout_started``: completed when the same
  session (``properties.session_id``) has a later ``order_completed``; and, funnel-style, customers
  with a ``checkout_started`` on the device who have an ``order_completed`` within 7 days after one
  of those checkouts;
- shipping-cost abandonment: ``product_added`` events, abandoned when the same customer has no
  ``order_completed`` within 24 hours after it (the KPI's definition), split by whether the
  session has a ``page_viewed`` of ``/versandkosten``;
- email campaign lift: customers with a ``campaign_assigned`` event of the campaign, by
  ``properties.group``, purchasers when they have an ``order_completed`` within the window after
  the assignment.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from journeykit.datasets.generator.catalog import DEVICES, EVENT_NAMES, PATHS, Name
from journeykit.datasets.generator.config import GeneratorConfig
from journeykit.datasets.generator.messaging import HOLDOUT, TREATMENT
from journeykit.datasets.generator.personas import PERSONA_IDS
from journeykit.datasets.generator.simulate import Chunk
from journeykit.datasets.generator.world import World

I64 = npt.NDArray[np.int64]
B = npt.NDArray[np.bool_]

FORMAT = 1
DAY = 86_400
DEFINITIONS = {
    "mobile_checkout_dropoff": (
        "Per device of the checkout_started event: checkouts = checkout_started events; orders = "
        "those whose session (properties.session_id) has a later order_completed. funnel_7d: "
        "customers (customer_id) with a checkout_started on the device; converted = those with "
        "an order_completed at most 7 days after one of these checkouts."
    ),
    "shipping_cost_abandonment": (
        "carts = product_added events; abandoned = no order_completed of the same customer_id "
        "within 24 hours after the product_added; viewed = the product_added's session "
        "(properties.session_id) has a page_viewed with properties.path '/versandkosten'."
    ),
    "email_campaign_lift": (
        "customers = customer_id with a campaign_assigned event of the campaign, by "
        "properties.group (treatment|holdout); purchasers = those with an order_completed at "
        "most window_days after their campaign_assigned event; lift = treatment rate − holdout "
        "rate."
    ),
}


class Effect(BaseModel):
    """One planted effect: its causal parameters and the values realised in the data."""

    model_config = ConfigDict(extra="forbid")

    description: str
    definition: str
    parameter: dict[str, Any]
    realised: dict[str, Any]


class DemoTruth(BaseModel):
    """What the generator did, for checking analyses against it (``truth.json``)."""

    model_config = ConfigDict(extra="forbid")

    format: int = FORMAT
    generator: str = "journeykit.datasets.generator"
    config: dict[str, Any]
    counts: dict[str, Any]
    effects: dict[str, Effect]
    files: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="Written files (relative path → events, bytes)."
    )

    def to_json(self) -> str:
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"

    def write(self, path: Path | str) -> Path:
        target = Path(path)
        target.write_text(self.to_json(), encoding="utf-8")
        return target

    @classmethod
    def read(cls, path: Path | str) -> DemoTruth:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))


class Tally:
    """Counters summed over chunks; ``truth()`` turns them into a DemoTruth."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.counts: Counter[str] = Counter()
        self.by_name: Counter[str] = Counter()
        self.by_persona: Counter[str] = Counter()
        self.money: dict[str, float] = {"revenue": 0.0, "refunds": 0.0, "ad_cost": 0.0}
        self.checkout = np.zeros((3, 2), dtype=np.int64)  # device × (checkouts, orders)
        self.funnel = np.zeros((3, 2), dtype=np.int64)  # device × (customers, converted)
        self.carts = np.zeros((2, 2), dtype=np.int64)  # viewed × (carts, abandoned)
        self.campaign = np.zeros((2, 2), dtype=np.int64)  # group × (customers, purchasers)

    def add(self, chunk: Chunk) -> None:
        ev = chunk.events
        batch = chunk.batch
        self.counts["events"] += len(ev)
        self.counts["customers"] += len(chunk.customers)
        self.counts["identified_customers"] += int((chunk.identity.known_ts < 2**62).sum())
        self.counts["resolved_customers"] += len(set(batch.column("customer_id").to_pylist()))
        self.counts["sessions"] += len(np.unique(ev.session[ev.session >= 0]))
        names, counts = np.unique(ev.name, return_counts=True)
        for name, count in zip(names.tolist(), counts.tolist(), strict=True):
            self.by_name[EVENT_NAMES[name]] += count
        for persona in chunk.customers.persona.tolist():
            self.by_persona[PERSONA_IDS[persona]] += 1
        placed = ev.name == Name.ORDER_COMPLETED
        refunded = ev.name == Name.ORDER_REFUNDED
        self.money["revenue"] += float(ev.revenue[placed].sum())
        self.money["refunds"] -= float(ev.revenue[refunded].sum())
        self.money["ad_cost"] += float(np.nansum(ev.cost))
        customer = _customer_keys(chunk)
        self._checkout(chunk, customer)
        self._carts(chunk, customer)
        self._campaign(chunk, customer)

    def _checkout(self, chunk: Chunk, customer: I64) -> None:
        ev = chunk.events
        started = np.flatnonzero(ev.name == Name.CHECKOUT_STARTED)
        placed = ev.name == Name.ORDER_COMPLETED
        last_order = np.full(max(int(ev.session.max(initial=0)) + 1, 1), -1, dtype=np.int64)
        with_session = placed & (ev.session >= 0)
        np.maximum.at(last_order, ev.session[with_session], ev.ts[with_session])
        completed = last_order[ev.session[started]] > ev.ts[started]
        device = ev.device[started].astype(np.int64)
        np.add.at(self.checkout[:, 0], device, 1)
        np.add.at(self.checkout[:, 1], device, completed.astype(np.int64))
        converted = _followed(
            customer[placed], ev.ts[placed], customer[started], ev.ts[started], 7 * DAY
        )
        key = customer[started] * 3 + device
        unique_keys, inverse = np.unique(key, return_inverse=True)
        any_converted = np.zeros(len(unique_keys), dtype=bool)
        np.logical_or.at(any_converted, inverse, converted)
        np.add.at(self.funnel[:, 0], unique_keys % 3, 1)
        np.add.at(self.funnel[:, 1], unique_keys % 3, any_converted.astype(np.int64))

    def _carts(self, chunk: Chunk, customer: I64) -> None:
        ev = chunk.events
        added = np.flatnonzero(ev.name == Name.PRODUCT_ADDED)
        placed = ev.name == Name.ORDER_COMPLETED
        shipping = (ev.name == Name.PAGE_VIEWED) & (ev.a == PATHS.code["/versandkosten"])
        viewed_sessions = np.unique(ev.session[shipping & (ev.session >= 0)])
        viewed = np.isin(ev.session[added], viewed_sessions).astype(np.int64)
        followed = _followed(customer[placed], ev.ts[placed], customer[added], ev.ts[added], DAY)
        np.add.at(self.carts[:, 0], viewed, 1)
        np.add.at(self.carts[:, 1], viewed, (~followed).astype(np.int64))

    def _campaign(self, chunk: Chunk, customer: I64) -> None:
        ev = chunk.events
        code = self.world.campaign_code(self.world.config.effects.campaign)
        assigned = np.flatnonzero((ev.name == Name.CAMPAIGN_ASSIGNED) & (ev.campaign == code))
        placed = ev.name == Name.ORDER_COMPLETED
        window = self.world.config.effects.window_days * DAY
        bought = _followed(
            customer[placed], ev.ts[placed], customer[assigned], ev.ts[assigned], window
        )
        group = np.where(ev.b[assigned] == HOLDOUT, HOLDOUT, TREATMENT)
        np.add.at(self.campaign[:, 0], group, 1)
        np.add.at(self.campaign[:, 1], group, bought.astype(np.int64))

    def truth(self, config: GeneratorConfig) -> DemoTruth:
        return DemoTruth(
            config=config.model_dump(mode="json"),
            counts=self._counts(),
            effects={
                "mobile_checkout_dropoff": self._checkout_effect(config),
                "shipping_cost_abandonment": self._shipping_effect(config),
                "email_campaign_lift": self._campaign_effect(config),
            },
        )

    def _counts(self) -> dict[str, Any]:
        counts: dict[str, Any] = dict(self.counts)
        counts["orders"] = self.by_name["order_completed"]
        counts["revenue"] = round(self.money["revenue"], 2)
        counts["refunds"] = round(self.money["refunds"], 2)
        counts["ad_cost"] = round(self.money["ad_cost"], 2)
        counts["events_by_name"] = dict(sorted(self.by_name.items()))
        counts["customers_by_persona"] = dict(sorted(self.by_persona.items()))
        return counts

    def _checkout_effect(self, config: GeneratorConfig) -> Effect:
        effects = config.effects
        session = {DEVICES[d]: _rate(self.checkout[d], "checkouts", "orders") for d in range(3)}
        funnel = {DEVICES[d]: _rate(self.funnel[d], "customers", "converted") for d in range(3)}
        return Effect(
            description=(
                "Mobile checkout drop-off: a checkout_started on a phone ends in an order less "
                "often than on a desktop."
            ),
            definition=DEFINITIONS["mobile_checkout_dropoff"],
            parameter={
                "completion_desktop": effects.checkout_completion_desktop,
                "completion_tablet": effects.checkout_completion_tablet,
                "completion_mobile": round(effects.checkout_completion_mobile, 6),
                "gap_points": round(effects.mobile_checkout_gap * 100, 6),
            },
            realised={
                "session": session,
                "gap_points": _gap(session["desktop"], session["mobile"]),
                "funnel_7d": funnel,
                "funnel_7d_gap_points": _gap(funnel["desktop"], funnel["mobile"]),
            },
        )

    def _shipping_effect(self, config: GeneratorConfig) -> Effect:
        viewed = _rate(self.carts[1], "carts", "abandoned")
        not_viewed = _rate(self.carts[0], "carts", "abandoned")
        return Effect(
            description=(
                "Shipping-cost abandonment: customers who look at /versandkosten leave their "
                "cart more often."
            ),
            definition=DEFINITIONS["shipping_cost_abandonment"],
            parameter={"exit_multiplier": config.effects.shipping_exit_multiplier},
            realised={
                "viewed": viewed,
                "not_viewed": not_viewed,
                "difference_points": _gap(viewed, not_viewed),
            },
        )

    def _campaign_effect(self, config: GeneratorConfig) -> Effect:
        effects = config.effects
        treatment = _rate(self.campaign[TREATMENT], "customers", "purchasers")
        holdout = _rate(self.campaign[HOLDOUT], "customers", "purchasers")
        lift = _gap(treatment, holdout)
        base = holdout["rate"]
        return Effect(
            description=(
                f"Email campaign '{effects.campaign}' with a random holdout: treated customers "
                "buy more often within the window."
            ),
            definition=DEFINITIONS["email_campaign_lift"],
            parameter={
                "campaign": effects.campaign,
                "send_local": effects.campaign_send.isoformat(),
                "holdout_share": effects.holdout_share,
                "persuasion": effects.persuasion,
                "window_days": effects.window_days,
            },
            realised={
                "treatment": treatment,
                "holdout": holdout,
                "lift_points": lift,
                "relative_lift": (
                    None if lift is None or not base else round(lift / 100 / base, 6)
                ),
            },
        )


def _customer_keys(chunk: Chunk) -> I64:
    """An integer per resolved customer of the chunk (the customer_id as a number)."""
    ev = chunk.events
    linked = chunk.identity.identified(ev.cust, ev.slot)
    base = ev.cust.astype(np.int64) * 3
    return np.where(linked, base + 2, base + np.maximum(ev.slot, 0)).astype(np.int64)


def _followed(target_key: I64, target_ts: I64, key: I64, ts: I64, window: int) -> B:
    """Whether each (key, ts) has a target event of the same key in [ts, ts + window]."""
    shift = np.int64(1) << 40
    targets = np.sort(target_key * shift + target_ts)
    position = np.searchsorted(targets, key * shift + ts, side="left")
    found = position < len(targets)
    nxt = targets[np.minimum(position, len(targets) - 1)] if len(targets) else np.zeros(len(key))
    return np.asarray(found & (nxt <= key * shift + ts + window), dtype=bool)


def _rate(pair: I64, total_name: str, hits_name: str) -> dict[str, Any]:
    """``{total_name: n, hits_name: k, "rate": k / n}`` from a (n, k) counter row."""
    total, hits = int(pair[0]), int(pair[1])
    return {total_name: total, hits_name: hits, "rate": round(hits / total, 6) if total else None}


def _gap(high: dict[str, Any], low: dict[str, Any]) -> float | None:
    if high["rate"] is None or low["rate"] is None:
        return None
    return round(float(high["rate"] - low["rate"]) * 100, 4)
