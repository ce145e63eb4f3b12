"""A bare flow worker for the SIGKILL test: advance due runs and send mail, forever.

Run as ``python tests/flows_kill_worker.py DB_URL SMTP_PORT TEMPLATES``; the test kills it with
SIGKILL at random moments and starts it again. Leases last one second so a successor takes over
quickly. The test puts ``tests/`` on ``PYTHONPATH`` for ``flows_support``.
"""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path

from flows_support import kill_flow
from journeykit.flows.channels.email import EmailChannel, Shop, SmtpSettings
from journeykit.flows.clock import SystemClock
from journeykit.flows.dispatch import dispatch
from journeykit.flows.engine import FlowEngine
from journeykit.store.operational import engine_for_url

LEASE = timedelta(seconds=1)


def main(url: str, port: str, templates: str) -> None:
    db = engine_for_url(url, Path("."))
    engine = FlowEngine(db, [kill_flow()], SystemClock(), lease=LEASE)
    smtp = SmtpSettings("127.0.0.1", int(port), "Kill <kill@kill.example>", timeout=5)
    channel = EmailChannel(smtp, Path(templates), Shop("Kill", "https://kill.example"))
    while True:
        engine.run_due(limit=5)
        dispatch(db, {"email": channel}, engine.clock, engine.owner, lease=LEASE, limit=5)
        time.sleep(0.02)


if __name__ == "__main__":
    main(*sys.argv[1:4])
