"""Identity: which user ids and anonymous ids belong to one customer, and that customer's id.

Every event that carries both a ``user_id`` and an ``anonymous_id`` — an ``identify`` call, a
login, an order placed by a visitor — links the two (``identity_links``: one row per pair, with
the first event and batch that showed it). The ids joined by links form connected components;
each component is one customer. Its ``customer_id`` is chosen deterministically, whatever the
order the data arrived in: the smallest user id of the component (by code point), or — for a
component of anonymous ids only — its smallest anonymous id. An id in no link is its own customer.

Components are computed vectorised (scipy's connected components over the link table), never
row by row. When new links change the customer of ids that already have stored events, those
events get the new ``customer_id`` (``changed_customers`` + ``AnalyticStore.update_from``), so a
visitor's anonymous browsing before the first login counts for the customer retroactively.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journeykit.errors import JourneykitError
from journeykit.store.analytic import AnalyticStore

USER, ANONYMOUS = "u", "a"
PAIR_SCHEMA = pa.schema([("anonymous_id", pa.string()), ("user_id", pa.string())])
CUSTOMER_SCHEMA = pa.schema(
    [("kind", pa.string()), ("id", pa.string()), ("customer_id", pa.string())]
)


@dataclass(frozen=True)
class Identities:
    """All links of a store and the customer id of every id that appears in one."""

    links: pa.Table  # PAIR_SCHEMA
    customers: pa.Table  # CUSTOMER_SCHEMA: kind "u"/"a", id, customer_id

    def lookup(self, kind: str, *, moved_only: bool = False) -> pa.Table:
        """``key`` → ``value`` (customer id) for the ids of one kind.

        ``moved_only`` keeps the ids whose customer id is not the id itself — the only ones a
        lookup changes anything for.
        """
        rows = self.customers.filter(pc.equal(self.customers["kind"], kind))
        if moved_only:
            rows = rows.filter(pc.not_equal(rows["id"], rows["customer_id"]))
        return pa.table({"key": rows["id"], "value": rows["customer_id"]})


def resolve(links: pa.Table) -> Identities:
    """The components of ``links`` and each id's customer id (see the module docstring)."""
    links = links.select(["anonymous_id", "user_id"]).cast(PAIR_SCHEMA).combine_chunks()
    if links.num_rows == 0:
        return Identities(links, CUSTOMER_SCHEMA.empty_table())
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    anons = links["anonymous_id"].dictionary_encode().combine_chunks()
    users = links["user_id"].dictionary_encode().combine_chunks()
    n_anons, n_users = len(anons.dictionary), len(users.dictionary)
    size = n_anons + n_users
    rows = anons.indices.to_numpy()
    cols = users.indices.to_numpy() + n_anons
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(size, size))
    _, labels = connected_components(graph, directed=False)
    customer = _customer_per_label(labels, anons.dictionary, users.dictionary)
    ids = pa.concat_arrays([anons.dictionary, users.dictionary])
    kinds = pa.array(np.repeat(np.array([ANONYMOUS, USER]), [n_anons, n_users]), pa.string())
    table = pa.table(
        {"kind": kinds, "id": ids, "customer_id": customer.take(pa.array(labels))},
        schema=CUSTOMER_SCHEMA,
    )
    return Identities(links, table)


def _customer_per_label(labels: np.ndarray, anons: pa.Array, users: pa.Array) -> pa.Array:
    """Per component: its smallest user id, else its smallest anonymous id (by code point)."""
    n_anons = len(anons)
    count = int(labels.max()) + 1
    chosen = np.full(count, -1, dtype=np.int64)
    for offset, values in ((n_anons, users), (0, anons)):
        order = np.asarray(pc.sort_indices(values))  # rank of each id by code point
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        best = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(best, labels[offset : offset + len(values)], rank)
        open_labels = (chosen < 0) & (best != np.iinfo(np.int64).max)
        chosen[open_labels] = offset + order[best[open_labels]]
    everything = pa.concat_arrays([anons, users])
    return everything.take(pa.array(chosen))


_CACHE: dict[str, Identities] = {}


def stored_identities(store: AnalyticStore) -> Identities:
    """The store's links resolved; cached per store while the link count is unchanged."""
    links = store.table("identity_links")
    count = int(store.scalar(links.count()))
    cached = _CACHE.get(store.url)
    if cached is not None and cached.links.num_rows == count:
        return cached
    resolved = resolve(store.fetch(links.select("anonymous_id", "user_id")))
    _CACHE[store.url] = resolved
    return resolved


def remember(store: AnalyticStore, identities: Identities) -> None:
    """Cache ``identities`` as the store's (after its links were committed)."""
    _CACHE[store.url] = identities


def forget(store: AnalyticStore) -> None:
    """Drop the cache of ``store`` (after a rolled-back write)."""
    _CACHE.pop(store.url, None)


def extended(identities: Identities, pairs: pa.Table) -> Identities:
    """``identities`` with ``pairs`` (anonymous_id, user_id) linked too."""
    if pairs.num_rows == 0:
        return identities
    links = pa.concat_tables([identities.links, pairs.select(PAIR_SCHEMA.names).cast(PAIR_SCHEMA)])
    return resolve(links)


def changed_customers(before: Identities, after: Identities) -> dict[str, pa.Table]:
    """Per kind, ``key`` → ``value`` for ids whose customer id differs from before.

    Before a link an id was in no component (its own customer) or in a smaller one.
    """
    changes: dict[str, pa.Table] = {}
    for kind in (USER, ANONYMOUS):
        now = after.lookup(kind)
        old = before.lookup(kind)
        position = pc.index_in(now["key"], value_set=old["key"])
        previous = pc.coalesce(pc.take(old["value"], position), now["key"])
        moved = pc.not_equal(previous, now["value"])
        changes[kind] = now.filter(moved)
    return changes


def apply_changes(store: AnalyticStore, changes: dict[str, pa.Table]) -> int:
    """Give stored events of changed ids their new customer id; returns the ids changed.

    An event with a user id belongs to that user's customer, so anonymous ids update only the
    events without a user id.
    """
    store.update_from("events", "customer_id", "user_id", changes[USER])
    store.update_from(
        "events", "customer_id", "anonymous_id", changes[ANONYMOUS], only_null="user_id"
    )
    return sum(mapping.num_rows for mapping in changes.values())


class NoSuchIdentity(JourneykitError):
    """``identity show ID`` with an ID no event carries."""

    def __init__(self, identifier: str) -> None:
        self.identifier = identifier
        super().__init__(
            f"no event has the user id or anonymous id '{identifier}' — check the id (ids are "
            "case-sensitive); `journeykit events stats` shows what is stored"
        )


@dataclass(frozen=True)
class IdentityExplanation:
    """Why ids belong to one customer: the component, its links and where they came from."""

    query: str
    customer_id: str
    user_ids: list[str]
    anonymous_ids: list[str]
    links: list[dict[str, Any]]  # anonymous_id, user_id, event_id, event_name, event_ts, batch…
    events: dict[str, int]  # events per id of the component

    def as_json(self) -> dict[str, Any]:
        links = [
            {key: value.isoformat() if hasattr(value, "isoformat") else value
             for key, value in link.items()}
            for link in self.links
        ]  # fmt: skip
        return {
            "id": self.query,
            "customer_id": self.customer_id,
            "user_ids": self.user_ids,
            "anonymous_ids": self.anonymous_ids,
            "links": links,
            "events": self.events,
        }


def explain_identity(store: AnalyticStore, identifier: str) -> IdentityExplanation:
    """The component of ``identifier`` (a user or an anonymous id) with its evidence."""
    identities = stored_identities(store)
    customers = identities.customers
    mine = customers.filter(pc.equal(customers["id"], identifier))
    if mine.num_rows:
        customer = str(mine["customer_id"][0])
        members = customers.filter(pc.equal(customers["customer_id"], customer))
    else:
        members = CUSTOMER_SCHEMA.empty_table()
        customer = identifier
    users = sorted(_ids(members, USER))
    anons = sorted(_ids(members, ANONYMOUS))
    counts = _event_counts(store, users or [identifier], anons or [identifier])
    if not mine.num_rows and not any(counts.values()):
        raise NoSuchIdentity(identifier)
    if not mine.num_rows:
        kinds = [key for key, value in counts.items() if value]
        users = [identifier] if any(k.startswith("user:") for k in kinds) else []
        anons = [identifier] if any(k.startswith("anonymous:") for k in kinds) else []
        counts = {key: value for key, value in counts.items() if value}
    return IdentityExplanation(
        identifier, customer, users, anons, _links_of(store, users, anons), counts
    )


def _ids(members: pa.Table, kind: str) -> list[str]:
    return [str(v) for v in members.filter(pc.equal(members["kind"], kind))["id"].to_pylist()]


def _event_counts(store: AnalyticStore, users: list[str], anons: list[str]) -> dict[str, int]:
    events = store.table("events")
    counts: dict[str, int] = {}
    for label, column, ids in (("user", "user_id", users), ("anonymous", "anonymous_id", anons)):
        chosen = events.filter(events[column].isin(ids))
        grouped = store.fetch(chosen.group_by(column).aggregate(n=chosen.count()))
        found = dict(zip(grouped[column].to_pylist(), grouped["n"].to_pylist(), strict=True))
        counts.update({f"{label}:{value}": int(found.get(value, 0)) for value in ids})
    return counts


def _links_of(store: AnalyticStore, users: list[str], anons: list[str]) -> list[dict[str, Any]]:
    if not users or not anons:
        return []
    links = store.table("identity_links")
    batches = store.table("ingest_batches").select("batch_id", "source_file")
    chosen = links.filter(links.user_id.isin(users) | links.anonymous_id.isin(anons))
    joined = chosen.left_join(batches, "batch_id").select(
        "anonymous_id", "user_id", "event_id", "event_name", "event_ts", "batch_id",
        "source_file", "linked_at",
    )  # fmt: skip
    return list(store.fetch(joined.order_by(["linked_at", "event_ts"])).to_pylist())
