"""Identity: links from identify calls and from events with both ids, resolved retroactively."""

from __future__ import annotations

import itertools
import json
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from events_support import ingest, new_workspace, table
from journeykit.events.compute import compute_connection
from journeykit.events.identity import (
    Identities,
    NoSuchIdentity,
    explain_identity,
    extended,
    resolve,
)
from journeykit.events.ingest import writer
from journeykit.events.ingest.alone import AnonymousAlone
from journeykit.events.ingest.pairs import FirstPairs
from journeykit.store import open_analytic
from journeykit.workspace import Workspace


def jsonl(path: Path, *events: dict[str, object]) -> Path:
    path.write_text("\n".join(json.dumps(e) for e in events) + "\n", encoding="utf-8")
    return path


def event(minute: int, name: str, anonymous: str | None = None, user: str | None = None):  # type: ignore[no-untyped-def]
    record: dict[str, object] = {"ts": f"2024-03-01T10:{minute:02d}:00Z", "name": name}
    if anonymous:
        record["anonymous_id"] = anonymous
    if user:
        record["user_id"] = user
    return record


def customers(workspace: Workspace) -> dict[tuple[object, object, object], object]:
    rows = table(workspace, "events").to_pylist()
    return {(r["name"], r["anonymous_id"], r["user_id"]): r["customer_id"] for r in rows}


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return new_workspace(tmp_path)


def test_earlier_anonymous_events_join_the_customer(workspace: Workspace, tmp_path: Path) -> None:
    browsing = jsonl(
        tmp_path / "browsing.jsonl",
        event(1, "page_viewed", anonymous="v1"),
        event(2, "product_viewed", anonymous="v1"),
        event(3, "page_viewed", anonymous="v9"),
    )
    ingest(workspace, browsing)
    assert set(customers(workspace).values()) == {"v1", "v9"}
    login = jsonl(tmp_path / "login.jsonl", event(5, "identify", anonymous="v1", user="U7"))
    ingest(workspace, login)
    assert customers(workspace) == {
        ("page_viewed", "v1", None): "U7",
        ("product_viewed", "v1", None): "U7",
        ("page_viewed", "v9", None): "v9",
        ("identify", "v1", "U7"): "U7",
    }
    [link] = table(workspace, "identity_links").to_pylist()
    assert (link["anonymous_id"], link["user_id"], link["event_name"]) == ("v1", "U7", "identify")


def test_a_shared_device_merges_users_to_the_smallest_id(
    workspace: Workspace, tmp_path: Path
) -> None:
    first = jsonl(
        tmp_path / "a.jsonl",
        event(1, "order_completed", anonymous="tablet", user="U2"),
        event(2, "page_viewed", anonymous="phone", user="U2"),
    )
    second = jsonl(
        tmp_path / "b.jsonl",
        event(3, "page_viewed", anonymous="laptop", user="U1"),
        event(4, "signed_in", anonymous="tablet", user="U1"),
    )
    ingest(workspace, first)
    assert set(customers(workspace).values()) == {"U2"}
    ingest(workspace, second)
    assert set(customers(workspace).values()) == {"U1"}


def test_the_customer_id_does_not_depend_on_the_order(tmp_path: Path) -> None:
    files = [
        jsonl(tmp_path / "1.jsonl", event(1, "a", anonymous="x", user="U5")),
        jsonl(tmp_path / "2.jsonl", event(2, "b", anonymous="y", user="U3")),
        jsonl(tmp_path / "3.jsonl", event(3, "c", anonymous="x", user="U3")),
        jsonl(tmp_path / "4.jsonl", event(4, "d", anonymous="y")),
    ]
    forwards = new_workspace(tmp_path, "forwards")
    backwards = new_workspace(tmp_path, "backwards")
    for path in files:
        ingest(forwards, path)
    for path in reversed(files):
        ingest(backwards, path)
    assert customers(forwards) == customers(backwards)
    assert set(customers(forwards).values()) == {"U3"}


def test_components_are_computed_vectorised() -> None:
    links = pa.table(
        {
            "anonymous_id": ["a1", "a2", "a2", "a3", "a4"],
            "user_id": ["U2", "U2", "U1", "U9", "U9"],
        }
    )
    resolved = resolve(links).customers.to_pylist()
    owner = {(row["kind"], row["id"]): row["customer_id"] for row in resolved}
    assert owner == {
        ("a", "a1"): "U1",
        ("a", "a2"): "U1",
        ("u", "U2"): "U1",
        ("u", "U1"): "U1",
        ("a", "a3"): "U9",
        ("a", "a4"): "U9",
        ("u", "U9"): "U9",
    }


def test_identity_show_explains_the_merge(workspace: Workspace, tmp_path: Path) -> None:
    path = jsonl(
        tmp_path / "merge.jsonl",
        event(1, "page_viewed", anonymous="phone"),
        event(2, "signed_in", anonymous="phone", user="U1"),
        event(3, "order_completed", anonymous="desk", user="U1"),
    )
    ingest(workspace, path)
    with open_analytic(workspace) as store:
        explained = explain_identity(store, "phone")
        assert explained.customer_id == "U1"
        assert explained.user_ids == ["U1"]
        assert explained.anonymous_ids == ["desk", "phone"]
        assert explained.events == {"user:U1": 2, "anonymous:desk": 1, "anonymous:phone": 2}
        assert [(link["anonymous_id"], link["event_name"]) for link in explained.links] == [
            ("phone", "signed_in"),
            ("desk", "order_completed"),
        ]
        assert {link["source_file"] for link in explained.links} == {str(path)}
        with pytest.raises(NoSuchIdentity, match="no event has the user id or anonymous id 'X'"):
            explain_identity(store, "X")


def test_pairs_seen_again_across_batches_keep_their_first_event(tmp_path: Path) -> None:
    """Pairs repeated in every small batch are linked once, with their first event."""
    from journeykit.events.ingest import ingest_files, options_for

    records = [
        event(minute % 60, f"step_{minute}", anonymous=f"v{minute % 3}", user=f"U{minute % 2}")
        for minute in range(40)
    ]
    path = jsonl(tmp_path / "visits.jsonl", *records)
    workspace = new_workspace(tmp_path / "ws")
    ingest_files(workspace, [path], options=options_for(workspace, progress=False, batch_rows=3))
    rows = table(workspace, "identity_links").to_pylist()
    assert sorted((r["anonymous_id"], r["user_id"], r["event_name"]) for r in rows) == [
        ("v0", "U0", "step_0"),
        ("v0", "U1", "step_3"),
        ("v1", "U0", "step_4"),
        ("v1", "U1", "step_1"),
        ("v2", "U0", "step_2"),
        ("v2", "U1", "step_5"),
    ]


class _CoarsePairs(FirstPairs):
    """First halves of the keys from 2 values only: most different pairs share one."""

    keys_sql = FirstPairs.keys_sql.replace(
        "hash(anonymous_id, user_id)", "hash(anonymous_id, user_id) % 2"
    )


_ID = st.sampled_from([None, "v0", "v1", "v2", "ä3"])
_USER = st.sampled_from([None, "U0", "U1", "ü2"])


@given(
    batches=st.lists(st.lists(st.tuples(_ID, _USER), max_size=12), max_size=6),
    known=st.sets(st.tuples(_ID.filter(bool), _USER.filter(bool)), max_size=3),
    coarse=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_first_pairs_match_a_plain_loop(
    batches: list[list[tuple[str | None, str | None]]],
    known: set[tuple[str, str]],
    coarse: bool,
) -> None:
    """Each new pair once, with its first event, in order — also when key halves collide."""
    connection = compute_connection()
    pairs = (_CoarsePairs if coarse else FirstPairs)(connection)
    expected: dict[tuple[str, str], str] = {}
    row = 0
    for batch in batches:
        rows = [(a, u, f"e{row + i}") for i, (a, u) in enumerate(batch)]
        for anonymous, user, event_id in rows:
            if anonymous and user and (anonymous, user) not in known:
                expected.setdefault((anonymous, user), event_id)
        pairs.add(_pair_events(rows, row))
        row += len(rows)
    found = pairs.take_new(
        pa.table(
            {
                "anonymous_id": [a for a, _ in known] or pa.array([], pa.string()),
                "user_id": [u for _, u in known] or pa.array([], pa.string()),
            }
        )
    )
    got = [(r["anonymous_id"], r["user_id"], r["event_id"]) for r in found.to_pylist()]
    assert got == [(a, u, e) for (a, u), e in expected.items()]
    connection.close()


def _pair_events(rows: list[tuple[str | None, str | None, str]], start: int) -> pa.Table:
    return pa.table(
        {
            "event_id": pa.array([e for _, _, e in rows], pa.string()),
            "ts": pa.array(
                [datetime(2024, 3, 1, tzinfo=UTC)] * len(rows), pa.timestamp("us", "UTC")
            ),
            "anonymous_id": pa.array([a for a, _, _ in rows], pa.string()),
            "user_id": pa.array([u for _, u, _ in rows], pa.string()),
            "name": pa.array(["login"] * len(rows), pa.string()),
            "_row": pa.array(range(start + 1, start + len(rows) + 1), pa.int64()),
        }
    )


def test_an_anonymous_visit_before_the_login_in_the_same_file(tmp_path: Path) -> None:
    """The link comes after the anonymous events of the same input: they join the customer too."""
    workspace = new_workspace(tmp_path)
    visit = jsonl(
        tmp_path / "visit.jsonl",
        event(1, "page_viewed", anonymous="v1"),
        event(2, "signed_in", anonymous="v1", user="U7"),
        event(3, "page_viewed", anonymous="v2"),
    )
    ingest(workspace, visit)
    assert customers(workspace) == {
        ("page_viewed", "v1", None): "U7",
        ("signed_in", "v1", "U7"): "U7",
        ("page_viewed", "v2", None): "v2",
    }


@given(
    records=st.lists(st.tuples(_ID, _USER).filter(lambda ids: any(ids)), min_size=1, max_size=14),
    cuts=st.sets(st.integers(1, 13), max_size=2),
)
@settings(max_examples=20, deadline=None)
def test_customer_ids_match_a_plain_union_find(
    tmp_path_factory: pytest.TempPathFactory,
    records: list[tuple[str | None, str | None]],
    cuts: set[int],
) -> None:
    """Whatever the split into files: each event's customer is its component's smallest id.

    Also with the update filtered to ids seen alone, as for large inputs (``LARGE_INPUT``).
    """
    folder = tmp_path_factory.mktemp("union")
    events = [
        event(minute, f"e{minute}", anonymous=a, user=u) for minute, (a, u) in enumerate(records)
    ]
    bounds = [0, *sorted(c for c in cuts if c < len(events)), len(events)]
    files = [
        jsonl(folder / f"{index}.jsonl", *events[start:end])
        for index, (start, end) in enumerate(itertools.pairwise(bounds))
    ]
    for large_from in (writer.LARGE_INPUT, 0):
        workspace = new_workspace(folder / f"from-{large_from}")
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(writer, "LARGE_INPUT", large_from)
            for path in files:
                ingest(workspace, path)
        stored = {r["name"]: r["customer_id"] for r in table(workspace, "events").to_pylist()}
        assert stored == _reference_customers(records)


def _reference_customers(records: list[tuple[str | None, str | None]]) -> dict[str, str]:
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def root(node: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(node, node) != node:
            node = parent[node]
        return node

    for anonymous, user in records:
        if anonymous and user:
            parent[root(("a", anonymous))] = root(("u", user))
    members: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for node in list(parent):
        members.setdefault(root(node), []).append(node)
    chosen = {
        top: min([n for n in nodes if n[0] == "u"] or nodes, key=lambda n: n[1])[1]
        for top, nodes in members.items()
    }
    result = {}
    for minute, (anonymous, user) in enumerate(records):
        node = ("u", user) if user else ("a", anonymous or "")
        result[f"e{minute}"] = chosen[root(node)] if node in parent else node[1]
    return result


@given(batches=st.lists(st.lists(st.tuples(_ID, _USER), max_size=10), max_size=5))
@settings(max_examples=40, deadline=None)
def test_ids_seen_alone_are_never_missed(
    batches: list[list[tuple[str | None, str | None]]],
) -> None:
    """``may_contain`` is true for every anonymous id seen without a user id (no false "no")."""
    connection = compute_connection()
    alone = AnonymousAlone(connection)
    for batch in batches:
        alone.add(_pair_events([(a, u, "e") for a, u in batch], 0))
    seen = sorted({a for batch in batches for a, u in batch if a and not u})
    others = sorted({a for batch in batches for a, _ in batch if a} - set(seen))
    assert alone.may_contain(pa.array(seen, pa.string())).all()
    assert not alone.may_contain(pa.array(others, pa.string())).any()  # no collisions here
    connection.close()


_LINK = st.tuples(
    st.sampled_from(["a1", "a2", "a3", "a4", "U1", "x"]),
    st.sampled_from(["U1", "U2", "U3", "a2", "x"]),
)


@given(st.lists(st.lists(_LINK, max_size=6), min_size=1, max_size=5))
@settings(max_examples=200, deadline=None)
def test_extending_resolves_as_resolving_all_links(batches: list[list[tuple[str, str]]]) -> None:
    """Links added input by input (only the touched components resolved again) give every id
    the customer that resolving all links at once gives — also where a user id is spelled like
    another component's anonymous id."""
    identities = resolve(_pairs([]))
    for batch in batches:
        extension = extended(identities, _pairs(batch))
        before, after = _owners(identities), _owners(extension.after)
        moved = {
            (kind, row["key"]): row["value"]
            for kind, table in extension.changes.items()
            for row in table.to_pylist()
        }
        assert moved == {
            key: owner for key, owner in after.items() if before.get(key, key[1]) != owner
        }
        identities = extension.after
    everything = resolve(_pairs([link for batch in batches for link in batch]))
    assert _owners(identities) == _owners(everything)
    assert identities.links.num_rows == everything.links.num_rows


def _pairs(links: list[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {
            "anonymous_id": pa.array([a for a, _ in links], pa.string()),
            "user_id": pa.array([u for _, u in links], pa.string()),
        }
    )


def _owners(identities: Identities) -> dict[tuple[str, str], str]:
    rows = identities.customers.to_pylist()
    owners = {(row["kind"], row["id"]): row["customer_id"] for row in rows}
    assert len(owners) == len(rows)  # each id once
    return owners
