"""Identity: which user ids and anonymous ids belong to one customer, and that customer's id.

Every event that carries both a ``user_id`` and an ``anonymous_id`` — an ``identify`` call, a
login, an order placed by a visitor — links the two (``identity_links``: one row per pair, with
the first event and batch that showed it). The ids joined by links form connected components;
each component is one customer. Its ``customer_id`` is chosen deterministically, whatever the
order the data arrived in: the smallest user id of the component (by code point), or — for a
component of anonymous ids only — its smallest anonymous id. An id in no link is its own customer.

Components are computed vectorised (scipy's connected components over the link table), never
row by row; new links resolve again only the components they touch (``extended``). When new
links change the customer of ids that already have stored events, those events get the new
``customer_id`` (``Extension.changes`` + ``AnalyticStore.update_from``), so a visitor's
anonymous browsing before the first login counts for the customer retroactively.
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


@dataclass(frozen=True)
class Extension:
    """The identities after new links, and per kind (``USER``, ``ANONYMOUS``) the ids whose
    customer id changed (``key`` → ``value``, the new customer id)."""

    after: Identities
    changes: dict[str, pa.Table]


def extended(identities: Identities, pairs: pa.Table) -> Extension:
    """``identities`` with ``pairs`` (anonymous_id, user_id) linked too.

    Only the components the pairs touch are resolved again, and only their ids are compared:
    each input (a collector micro-batch, one of many small files) brings a few new links, and
    resolving and comparing every stored link for them grew with the store (3.5 s at 1.2 M
    links). Components are independent, so the others keep their customer ids.
    """
    pairs = pairs.select(PAIR_SCHEMA.names).cast(PAIR_SCHEMA)
    customers = identities.customers
    if pairs.num_rows == 0:
        return Extension(identities, _changes(customers.slice(0, 0), customers.slice(0, 0)))
    links = _compact(pa.concat_tables([identities.links, pairs]))
    affected = _members_of_touched(customers, pairs)
    before = customers.filter(affected)
    anons = before.filter(pc.equal(before["kind"], ANONYMOUS))["id"]
    # Every link of a component has an anonymous id in it, so this takes the whole components.
    local = identities.links.filter(_among(identities.links["anonymous_id"], anons))
    again = resolve(pa.concat_tables([local, pairs])).customers
    kept = customers.filter(pc.invert(affected))
    after = Identities(links, _compact(pa.concat_tables([kept, again])))
    return Extension(after, _changes(before, again))


def _members_of_touched(customers: pa.Table, pairs: pa.Table) -> pa.ChunkedArray:
    """Which rows of ``customers`` are in a component that one of ``pairs`` touches.

    A component is known by its customer id. Two components may share one (a user id that is
    also another component's anonymous id): both are then resolved again, which is harmless.
    """
    kinds = customers["kind"]
    touched = pc.or_(
        pc.and_(pc.equal(kinds, ANONYMOUS), _among(customers["id"], pairs["anonymous_id"])),
        pc.and_(pc.equal(kinds, USER), _among(customers["id"], pairs["user_id"])),
    )
    owners = pc.unique(customers["customer_id"].filter(touched))
    return pc.is_in(customers["customer_id"], value_set=owners)


def _among(values: pa.ChunkedArray, wanted: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.is_in(values, value_set=wanted.combine_chunks())


MAX_CHUNKS = 64


def _compact(table: pa.Table) -> pa.Table:
    """``table`` in one chunk once appends have split it into many (one per input)."""
    chunks = table.column(0).num_chunks if table.num_columns else 0
    return table.combine_chunks() if chunks > MAX_CHUNKS else table


def _changes(before: pa.Table, after: pa.Table) -> dict[str, pa.Table]:
    """Per kind, ``key`` → ``value`` for ids of ``after`` whose customer id differs from
    ``before`` (both ``CUSTOMER_SCHEMA``). An id missing from ``before`` was in no component:
    its own customer."""
    changes: dict[str, pa.Table] = {}
    for kind in (USER, ANONYMOUS):
        now = after.filter(pc.equal(after["kind"], kind))
        old = before.filter(pc.equal(before["kind"], kind))
        position = pc.index_in(now["id"], value_set=old["id"].combine_chunks())
        previous = pc.coalesce(pc.take(old["customer_id"], position), now["id"])
        moved = now.filter(pc.not_equal(previous, now["customer_id"]))
        changes[kind] = pa.table({"key": moved["id"], "value": moved["customer_id"]})
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
