"""One batch of run advances: what it reads once and what it writes at the end.

Advancing runs one statement at a time spent most of its time in round trips: the run row, the
customer's traits (up to three times), the messages sent for the caps, the timer (delete and
insert). A ``Batch`` reads the runs, traits and sent messages of all its customers with one query
each (lazily, the first time a step needs them), keeps what the batch itself writes in view (a
send counts for the next cap check, an ``update_profile`` for the next condition), and writes run
updates, timers and outbox rows with one executemany per kind when the batch ends — still in the
caller's transaction, so a worker that dies commits nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, delete, select, update

from journeykit.flows import state


def held_leases(connection: Connection, claims: Sequence[state.Claim]) -> set[int]:
    """The run ids among ``claims`` whose lease is still ours (locked on PostgreSQL): one query
    for the batch instead of one per run."""
    timers = state.timers
    query = select(timers.c.run_id, timers.c.lease_owner).where(
        timers.c.run_id.in_([claim.run_id for claim in claims])
    )
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    found = {row.run_id: row.lease_owner for row in connection.execute(query)}
    return {claim.run_id for claim in claims if found.get(claim.run_id) == claim.owner}


class Batch:
    """Reads and writes of the runs of ``customers`` within one transaction."""

    def __init__(self, connection: Connection, customers: Iterable[str]) -> None:
        self.connection = connection
        self.customers = sorted(set(customers))
        self._traits: dict[str, dict[str, Any]] | None = None
        self._sent: dict[str, dict[str, list[datetime]]] = {}
        self._saves: list[dict[str, Any]] = []
        self._timers: list[dict[str, Any]] = []
        self._dropped: list[int] = []
        self._outbox: list[dict[str, Any]] = []

    # --- reads ----------------------------------------------------------------------------

    def traits(self, customer_id: str) -> dict[str, Any]:
        """The customer's stored traits (as this batch left them)."""
        if self._traits is None:
            self._traits = {}
            query = select(state.traits.c.customer_id, state.traits.c.traits).where(
                state.traits.c.customer_id.in_(self.customers)
            )
            for row in self.connection.execute(query):
                self._traits[row.customer_id] = dict(state.load_json(row.traits))
        if customer_id not in self._traits:
            return (
                {}
                if customer_id in self.customers
                else state.customer_traits(self.connection, customer_id)
            )
        return self._traits[customer_id]

    def save_traits(self, customer_id: str, values: dict[str, Any], now: datetime) -> None:
        state.save_traits(self.connection, customer_id, values, now)
        self.traits(customer_id)
        assert self._traits is not None
        self._traits[customer_id] = dict(values)

    def sent_times(self, customer_id: str, channel: str) -> list[datetime]:
        """When the customer's messages on ``channel`` went out or are due to (all flows)."""
        if channel not in self._sent:
            found: dict[str, list[datetime]] = {}
            query = (
                select(state.runs.c.customer_id, state.outbox.c.created_at)
                .join(state.runs, state.runs.c.id == state.outbox.c.run_id)
                .where(
                    and_(
                        state.runs.c.customer_id.in_(self.customers),
                        state.outbox.c.channel == channel,
                        state.outbox.c.status.in_(["pending", "sent"]),
                    )
                )
            )
            for row in self.connection.execute(query):
                found.setdefault(row.customer_id, []).append(row.created_at)
            self._sent[channel] = found
        return list(self._sent[channel].get(customer_id, []))

    # --- writes (at flush) ----------------------------------------------------------------

    def save_run(self, values: Mapping[str, Any]) -> None:
        """Update a run row: ``values`` has ``id`` and every column ``flush`` writes."""
        self._saves.append(dict(values))

    def set_timer(self, run_id: int, due_at: datetime) -> None:
        """Move the claimed run's existing timer to ``due_at`` and release its lease."""
        self._timers.append({"b_run": run_id, "b_due": due_at})

    def drop_timer(self, run_id: int) -> None:
        self._dropped.append(run_id)

    def add_outbox(self, customer_id: str, values: Mapping[str, Any]) -> None:
        self._outbox.append(dict(values))
        if values["status"] in ("pending", "sent") and values["channel"] in self._sent:
            self._sent[values["channel"]].setdefault(customer_id, []).append(values["created_at"])

    def flush(self) -> None:
        """Write what the batch collected (one executemany per kind of write)."""
        runs, timers = state.runs, state.timers
        if self._outbox:
            self.connection.execute(state.outbox.insert(), self._outbox)
        if self._saves:
            columns = [key for key in self._saves[0] if key != "id"]
            self.connection.execute(
                update(runs)
                .where(runs.c.id == bindparam("b_id"))
                .values({column: bindparam(f"b_{column}") for column in columns}),
                [{f"b_{key}": value for key, value in save.items()} for save in self._saves],
            )
        if self._timers:
            self.connection.execute(
                update(timers)
                .where(timers.c.run_id == bindparam("b_run"))
                .values(due_at=bindparam("b_due"), lease_owner=None, lease_until=None, attempts=0),
                self._timers,
            )
        if self._dropped:
            self.connection.execute(delete(timers).where(timers.c.run_id.in_(self._dropped)))
        self._outbox, self._saves, self._timers, self._dropped = [], [], [], []
