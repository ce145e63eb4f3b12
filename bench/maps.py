"""Benchmark: a 12-stage × 200-touchpoint map — load+validate, render SVG, render PDF.

Prints medians of 5 runs and the ratio to a plain ``ruamel.yaml`` load of the same file (the
baseline, run in the same process). Targets (issue 3): validate < 300 ms, SVG < 1 s, PDF < 5 s.

    .venv/bin/python bench/maps.py [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from journeykit.maps.io import load_map, map_to_yaml
from journeykit.maps.model import JourneyMap
from journeykit.maps.render import render_pdf, render_svg

CHANNELS = ["web", "app", "email", "sms", "push", "ads", "social", "search", "store", "chat"]
DEVICES = ["desktop", "mobile", "tablet", "any"]


def big_map(stages: int = 12, touchpoints_per_stage: int = 200) -> JourneyMap:
    """A synthetic map with every lane filled, as large as the issue asks."""
    stage_list: list[dict[str, Any]] = []
    touchpoints: list[dict[str, Any]] = []
    for s in range(stages):
        sid = f"stage-{s + 1:02d}"
        stage_list.append(
            {
                "id": sid,
                "name": f"Phase {s + 1}: Informieren und vergleichen",
                "goals": [
                    f"Ziel {g} der Phase {s + 1}: schnell das Richtige finden" for g in range(3)
                ],
                "actions": [
                    f"Aktion {a}: vergleicht Preise und liest Bewertungen" for a in range(3)
                ],
                "thoughts": ["Lohnt sich das wirklich? Die Versandkosten sind unklar."],
                "emotion": {"planned": (s % 5) - 2, "label": "gemischt"},
                "pain_points": [
                    {
                        "id": f"pp-{s}-{p}",
                        "description": "Formular auf dem Handy zu lang, Fehlermeldungen unklar",
                        "friction": ["interaction", "emotional", "cognitive"][p % 3],
                        "severity": (s + p) % 5 + 1,
                    }
                    for p in range(3)
                ],
                "opportunities": [
                    {
                        "id": f"opp-{s}",
                        "description": "Express-Checkout mit gespeicherten Daten anbieten",
                        "addresses": [f"pp-{s}-0"],
                        "owner": "Team Checkout",
                    }
                ],
                "kpis": [
                    {"metric": "conversion_rate", "target": 0.03},
                    {"metric": "nps", "target": 40},
                ],
            }
        )
        for t in range(touchpoints_per_stage):
            touchpoints.append(
                {
                    "id": f"tp-{s}-{t}",
                    "stage": sid,
                    "name": f"Touchpoint {t} – Produktseite Variante {t % 7}",
                    "channel": CHANNELS[t % len(CHANNELS)],
                    "device": DEVICES[t % len(DEVICES)],
                    "match": {
                        "event": "page_viewed",
                        "where": [{"property": "path", "op": "contains", "value": f"/seite-{t}"}],
                    },
                }
            )
    return JourneyMap.model_validate(
        {
            "id": "bench",
            "title": "Benchmark-Map 12 × 200",
            "persona": {"name": "Anna, 34"},
            "stages": stage_list,
            "touchpoints": touchpoints,
        }
    )


def median_seconds(action: Callable[[], object], runs: int) -> float:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    journey_map = big_map()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.yaml"
        path.write_text(map_to_yaml(journey_map), encoding="utf-8")
        size_kb = path.stat().st_size / 1024
        baseline = median_seconds(lambda: YAML(typ="rt").load(path.read_text("utf-8")), args.runs)
        validate = median_seconds(lambda: load_map(path), args.runs)
        svg = median_seconds(lambda: render_svg(journey_map, "de"), args.runs)
        pdf = median_seconds(
            lambda: render_pdf(journey_map, Path(tmp) / "bench.pdf", "de"), args.runs
        )
    rows = [
        ("ruamel.yaml round-trip load (baseline)", baseline, None),
        ("load + validate", validate, 0.300),
        ("render SVG", svg, 1.0),
        ("render PDF (Chromium)", pdf, 5.0),
    ]
    print(f"map: 12 stages × 200 touchpoints, {size_kb:.0f} KiB YAML; median of {args.runs} runs")
    print(f"{'step':<40} {'median':>10} {'× baseline':>11} {'target':>8}  ok")
    for name, seconds, target in rows:
        ratio = seconds / baseline
        target_text = f"{target * 1000:.0f} ms" if target else "—"
        verdict = "" if target is None else ("yes" if seconds < target else "NO")
        print(f"{name:<40} {seconds * 1000:>7.0f} ms {ratio:>10.2f}× {target_text:>8}  {verdict}")


if __name__ == "__main__":
    main()
