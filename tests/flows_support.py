"""Helpers of the flow engine tests: the abandoned-cart flow, events, stores on each backend."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine, select

from journeykit.flows import state
from journeykit.flows.assignment import in_holdout
from journeykit.flows.engine import FlowEvent
from journeykit.flows.model import Flow
from journeykit.flows.scenarios import Scenario, scenario_text
from journeykit.store.operational import CORE_MIGRATIONS, engine_for_url, migrate_operational

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday
_ids = itertools.count()


def cart_flow(holdout: float = 0) -> Flow:
    """The English abandoned-cart scenario: wait 1h, email, wait for a click 1d, wait to 10:00,
    last-call email; converted by an order within 3 days."""
    data = yaml.safe_load(scenario_text(Scenario("abandoned-cart"), "en"))
    data["holdout"] = holdout
    return Flow.model_validate(data)


def event(customer: str, name: str, at: datetime, **properties: Any) -> FlowEvent:
    return FlowEvent(f"e{next(_ids)}", at, customer, name, properties)


def customers(flow_id: str, percent: float, held: bool, count: int) -> list[str]:
    """``count`` customer ids whose stable holdout assignment is ``held``."""
    found = (f"c{i}" for i in itertools.count())
    return list(
        itertools.islice(
            (c for c in found if in_holdout(flow_id, "flow", c, percent) is held), count
        )
    )


def sqlite_db(tmp_path: Path) -> Engine:
    engine = engine_for_url(f"sqlite:///{tmp_path / 'ops.sqlite'}", tmp_path)
    migrate_operational(engine, CORE_MIGRATIONS, state.FLOW_MIGRATIONS)
    return engine


def outbox_rows(db: Engine) -> list[Any]:
    with db.connect() as connection:
        return list(connection.execute(select(state.outbox).order_by(state.outbox.c.id)))


def run_rows(db: Engine) -> list[Any]:
    with db.connect() as connection:
        return list(connection.execute(select(state.runs).order_by(state.runs.c.id)))


def fresh_postgres(url: str, tmp_path: Path) -> Engine:
    """The PostgreSQL store with empty flow tables (one database shared by the session)."""
    engine = engine_for_url(url, tmp_path)
    state.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS schema_version")
    migrate_operational(engine, CORE_MIGRATIONS, state.FLOW_MIGRATIONS)
    return engine


HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def kill_flow() -> Flow:
    """Two mails a second apart: the flow the SIGKILL test runs (template ``hello``)."""
    return Flow.model_validate(
        {
            "id": "kill",
            "name": "Kill test",
            "stage": "retention",
            "locales": ["en"],
            "trigger": {"type": "event", "event": "signup"},
            "steps": [
                {
                    "id": "a",
                    "type": "send",
                    "channel": "email",
                    "template": "hello",
                    "transactional": True,
                },
                {"id": "pause", "type": "wait", "duration": "1s"},
                {
                    "id": "b",
                    "type": "send",
                    "channel": "email",
                    "template": "hello",
                    "transactional": True,
                },
            ],
        }
    )


def write_hello_template(templates: Path) -> None:
    folder = templates / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    parts = {
        "subject": "Hello from {{ shop.name }}",
        "txt": "Hi {{ event.email }}",
        "html": "<p>Hi</p>",
    }
    for part, text in parts.items():
        (folder / f"en.{part}.j2").write_text(text, encoding="utf-8")
