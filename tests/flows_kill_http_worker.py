"""A bare flow worker for the HTTP SIGKILL test: advance due runs, deliver SMS/webhook/push.

Run as ``python tests/flows_kill_http_worker.py DB_URL PROVIDER_URL TEMPLATES`` with
``JOURNEYKIT_WEBHOOK_SECRET`` set; the test kills it with SIGKILL at random moments after it
printed ``ready`` and starts it again. The channels come from ``[flows]`` settings as
``journeykit worker`` builds them; leases last one second and retries come after about a
second, so a successor takes over quickly. The test puts ``tests/`` on ``PYTHONPATH`` for
``http_provider_support``.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

from http_provider_support import message_flow
from journeykit.flows.channels.configured import http_channels
from journeykit.flows.channels.email import Shop
from journeykit.flows.clock import SystemClock
from journeykit.flows.dispatch import dispatch
from journeykit.flows.engine import FlowEngine
from journeykit.flows.settings import FlowsSection
from journeykit.store.operational import engine_for_url

LEASE = timedelta(seconds=1)
FLOW = "killhttp"


def settings(url: str) -> FlowsSection:
    return FlowsSection.model_validate(
        {
            "retry": {"first_delay": "1s", "multiplier": 1, "max_delay": "1s", "max_attempts": 50},
            "sms": {"url": f"{url}/sms", "timeout": 5},
            "push": {"url": f"{url}/push", "timeout": 5},
            "webhook": {"timeout": 5},
        }
    )


def main(db_url: str, url: str, templates: str) -> None:
    db = engine_for_url(db_url, Path("."))
    engine = FlowEngine(db, [message_flow(f"{url}/hooks", FLOW)], SystemClock(), lease=LEASE)
    channels = http_channels(settings(url), Path(templates), Shop("Kill", "https://kill.example"))
    print("ready", flush=True)  # imports take seconds on a busy machine: the test waits for this
    while True:
        engine.run_due(limit=5)
        dispatch(db, channels, engine.clock, engine.owner, lease=LEASE, limit=5)
        time.sleep(0.02)


if __name__ == "__main__":
    main(*sys.argv[1:4])
