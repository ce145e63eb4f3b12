"""Maps for the renderer's tests: generated at any size, deterministic for a given seed."""

from __future__ import annotations

import random
from typing import Any

from journeykit.maps.kpis import CATALOG
from journeykit.maps.model import JourneyMap
from journeykit.maps.vocab import Channel, Device

WORDS = [
    *[
        "Kunde",
        "vergleicht",
        "Preise",
        "Versandkosten",
        "Lieferung",
        "schnell",
        "sicher",
        "bezahlen",
        "Rücksendung",
    ],
    *[
        "Newsletter",
        "Gutschein",
        "Bewertung",
        "Filiale",
        "Beratung",
        "Wartezeit",
        "Formular",
        "Passwort",
    ],
    "Kundenzufriedenheitsbefragung",
    "Donaudampfschifffahrtsgesellschaft",
    "https://example.com/a/very/long/path",
    *["<b>&amp;", '"quoted"', "'single'", "Größe", "Übergröße", "äöüß", "—", "–", "…", "€"],
]


def sentence(rng: random.Random, low: int = 2, high: int = 14) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(low, high)))


def generated_map(
    stages: int, touchpoints: int, seed: int = 0, kind: str = "current-state"
) -> JourneyMap:
    """A map of ``stages`` stages and ``touchpoints`` touchpoints spread over them; lanes filled."""
    rng = random.Random(seed)
    channels, devices = list(Channel), list(Device)
    stage_data: list[dict[str, Any]] = []
    for index in range(stages):
        stage_data.append(_stage(rng, index, kind))
    tps = [
        {
            "id": f"tp-{n}",
            "stage": f"s{n % stages}",
            "name": sentence(rng, 1, 5),
            "channel": channels[n % len(channels)].value,
            "device": devices[n % len(devices)].value,
            **({"description": sentence(rng)} if n % 3 == 0 else {}),
        }
        for n in range(touchpoints)
    ]
    data = {
        "id": f"generated-{stages}-{touchpoints}",
        "title": f"Generated map {stages} × {touchpoints}",
        "type": kind,
        "persona": {
            "name": "Test Persona",
            "description": sentence(rng),
            "quote": sentence(rng),
            "demographics": {"Alter": 40, "Ort": "Köln"},
            "goals": [sentence(rng) for _ in range(2)],
            "frustrations": [sentence(rng) for _ in range(2)],
            "preferred_channels": ["web", "email"],
        },
        "stages": stage_data,
        "touchpoints": tps,
    }
    return JourneyMap.model_validate(data)


def _stage(rng: random.Random, index: int, kind: str) -> dict[str, Any]:
    pain_id = f"pp-{index}"
    stage: dict[str, Any] = {
        "id": f"s{index}",
        "name": sentence(rng, 1, 4),
        "description": sentence(rng),
        "goals": [sentence(rng) for _ in range(rng.randint(0, 2))],
        "actions": [sentence(rng) for _ in range(rng.randint(1, 3))],
        "thoughts": [sentence(rng) for _ in range(rng.randint(0, 2))],
        "emotion": {
            "planned": rng.randint(-2, 2),
            "label": sentence(rng, 1, 3),
            "measured": round(rng.uniform(-2, 2), 2),
        },
        "pain_points": [
            {
                "id": pain_id,
                "description": sentence(rng),
                "friction": rng.choice(["interaction", "emotional", "cognitive"]),
                "severity": rng.randint(1, 5),
                "evidence": sentence(rng),
            }
        ],
        "opportunities": [
            {
                "id": f"op-{index}",
                "description": sentence(rng),
                "addresses": [pain_id],
                "owner": sentence(rng, 1, 2),
                "status": rng.choice(["idea", "planned", "in-progress", "done"]),
            }
        ],
        "kpis": [
            {"metric": metric.id, "target": 0.25 if metric.unit.value == "ratio" else 1234.5}
            for metric in rng.sample(CATALOG, 2)
        ],
    }
    if kind == "service-blueprint":
        for lane in ("frontstage", "backstage", "support"):
            stage[lane] = [sentence(rng) for _ in range(rng.randint(1, 2))]
    if kind == "day-in-the-life":
        stage["slot"] = f"{index % 24:02d}:00-{index % 24:02d}:45"
    return stage
