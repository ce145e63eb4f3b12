"""``python -m journeykit.events.collector``: the collector alone, without the web app.

For a dedicated ingestion host, the tests and the benchmark; ``journeykit serve`` serves the same
endpoints inside the web app.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    """Serve the collector of a workspace until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m journeykit.events.collector")
    parser.add_argument("--workspace", "-w", type=Path, default=None, help="workspace folder")
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    parser.add_argument("--flush-interval", type=float, default=None, help="seconds per flush")
    args = parser.parse_args(argv)

    import uvicorn

    from journeykit.events.collector import CollectorConfig, create_collector_app
    from journeykit.workspace import find_workspace

    overrides = (
        {} if args.flush_interval is None else {"flush_interval_seconds": args.flush_interval}
    )
    config = CollectorConfig.model_validate(overrides)
    app = create_collector_app(find_workspace(args.workspace), config)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
