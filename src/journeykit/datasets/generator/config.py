"""The generator's knobs: one pydantic model, every field documented.

The configuration is part of the data's identity: the same configuration (seed included) gives
byte-identical files, and the truth file repeats it so a reader knows exactly what was generated.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

#: Mean events per customer at the default settings (measured); used to size a run by events.
EVENTS_PER_CUSTOMER = 108.0


class EffectsConfig(BaseModel):
    """The planted effects: causal parameters the generator applies and records in the truth."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    checkout_completion_desktop: float = Field(
        default=0.72,
        ge=0,
        le=1,
        description="Probability that a checkout_started on desktop ends in order_completed.",
    )
    checkout_completion_tablet: float = Field(
        default=0.66, ge=0, le=1, description="The same on a tablet."
    )
    mobile_checkout_gap: float = Field(
        default=0.22,
        ge=0,
        le=1,
        description="Planted effect (a): mobile completion is this much (absolute) below desktop.",
    )
    shipping_exit_multiplier: float = Field(
        default=2.5,
        ge=1,
        description=(
            "Planted effect (b): after a customer has seen /versandkosten in a session, the "
            "probability to leave at each later page is multiplied by this factor."
        ),
    )
    campaign: str = Field(
        default="herbstaktion-2024", description="Planted effect (c): the email campaign's name."
    )
    campaign_send: datetime = Field(
        default=datetime(2024, 10, 17, 10, 0),
        description="When the campaign is sent (local time of the shop's time zone).",
    )
    holdout_share: float = Field(
        default=0.2, gt=0, lt=1, description="Share of eligible customers held out (no email)."
    )
    persuasion: float = Field(
        default=0.12,
        ge=0,
        le=1,
        description=(
            "Probability that a treated customer is persuaded: they click and come back with "
            "the intent to buy. The lift in purchase rate is this times the checkout completion "
            "times the share who would not have bought anyway."
        ),
    )
    window_days: int = Field(
        default=14, ge=1, le=90, description="Days after the send in which purchases count."
    )

    @property
    def checkout_completion_mobile(self) -> float:
        """Mobile completion: desktop minus the planted gap."""
        return max(0.0, self.checkout_completion_desktop - self.mobile_checkout_gap)


class GeneratorConfig(BaseModel):
    """Everything that decides what the demo data generator produces."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=42, ge=0, description="Random seed; same seed → identical files.")
    customers: int = Field(
        default=2_000, ge=1, le=5_000_000, description="Number of simulated customers."
    )
    start: date = Field(default=date(2024, 1, 1), description="First day of the period.")
    end: date = Field(default=date(2024, 12, 31), description="Last day of the period (inclusive).")
    timezone: str = Field(default="Europe/Berlin", description="The shop's local time zone.")
    currency: str = Field(default="EUR", pattern=r"^[A-Z]{3}$", description="Order currency.")
    persona_mix: dict[str, float] = Field(
        default_factory=lambda: {"anna": 0.38, "markus": 0.22, "lena": 0.28, "sabine": 0.12},
        description="Share of customers per persona id (normalised; see personas.py).",
    )
    two_device_share: float = Field(
        default=0.35,
        ge=0,
        le=1,
        description="Share of customers who use a second device (anonymous until they log in).",
    )
    effects: EffectsConfig = Field(default_factory=EffectsConfig, description="Planted effects.")
    chunk_customers: int = Field(
        default=2_500,
        ge=100,
        le=200_000,
        description=(
            "Customers simulated and written together; bounds memory. Part of the seed: "
            "changing it changes the data."
        ),
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone '{value}' — use e.g. 'Europe/Berlin'") from None
        return value

    @field_validator("persona_mix")
    @classmethod
    def _known_personas(cls, value: dict[str, float]) -> dict[str, float]:
        from journeykit.datasets.generator.personas import PERSONAS

        unknown = sorted(set(value) - set(PERSONAS))
        if unknown:
            raise ValueError(f"unknown persona {unknown[0]!r} — use some of {sorted(PERSONAS)}")
        if not value or sum(value.values()) <= 0 or min(value.values()) < 0:
            raise ValueError("persona shares must be non-negative and sum to more than 0")
        return value

    @model_validator(mode="after")
    def _period(self) -> GeneratorConfig:
        if self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self

    @property
    def days(self) -> int:
        """Length of the period in days."""
        return (self.end - self.start).days + 1

    @property
    def chunks(self) -> int:
        """How many chunks the customers are simulated in."""
        return math.ceil(self.customers / self.chunk_customers)

    def campaign_send_local(self) -> datetime:
        """The campaign send time as an aware datetime in the shop's zone."""
        return self.effects.campaign_send.replace(tzinfo=ZoneInfo(self.timezone))

    @classmethod
    def for_events(cls, events: int, **fields: object) -> GeneratorConfig:
        """A configuration sized to produce about ``events`` events (±10 %)."""
        customers = max(1, round(events / EVENTS_PER_CUSTOMER))
        return cls.model_validate({**fields, "customers": customers})


def local_midnight(day: date) -> datetime:
    """Naive midnight of a day (helper for calendar arithmetic)."""
    return datetime.combine(day, time())
