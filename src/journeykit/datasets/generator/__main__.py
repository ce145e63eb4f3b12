"""``python -m journeykit.datasets.generator``: generate demo data from a shell (bench, make demo).

    python -m journeykit.datasets.generator OUT [--customers N | --events N] [--seed S]
        [--format demo|parquet|german-csv]

``demo`` writes the source-file mix into the folder OUT; ``parquet`` and ``german-csv`` write one
file OUT. The truth goes to stdout as JSON; a progress bar to stderr when it is a terminal.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from journeykit.datasets.generator.config import GeneratorConfig
from journeykit.datasets.generator.files import (
    generate_demo_files,
    write_german_csv,
    write_parquet,
)
from journeykit.datasets.generator.progress import terminal_progress


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m journeykit.datasets.generator")
    parser.add_argument("out", type=Path, help="folder (demo) or file (parquet, german-csv)")
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--customers", type=int, help="number of customers")
    size.add_argument("--events", type=int, help="about this many events")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", choices=("demo", "parquet", "german-csv"), default="demo")
    args = parser.parse_args(argv)
    if args.events:
        config = GeneratorConfig.for_events(args.events, seed=args.seed)
    else:
        config = GeneratorConfig(seed=args.seed, customers=args.customers or 2_000)
    writer = {
        "demo": generate_demo_files,
        "parquet": write_parquet,
        "german-csv": write_german_csv,
    }[args.format]
    with terminal_progress(f"{args.format} → {args.out}", config.customers) as progress:
        truth = writer(args.out, config, progress)
    sys.stdout.write(truth.to_json())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
