"""Identity: links from identify calls and from events with both ids, resolved retroactively."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from events_support import ingest, new_workspace, table
from journeykit.events.identity import NoSuchIdentity, explain_identity, resolve
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


def test_regrouped_pairs_keep_each_pair_s_first_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pairs seen again and again across batches are regrouped on the way; links do not change."""
    from journeykit.events.ingest import ingest_files, normalise, options_for

    records = [
        event(minute % 60, f"step_{minute}", anonymous=f"v{minute % 3}", user=f"U{minute % 2}")
        for minute in range(40)
    ]
    path = jsonl(tmp_path / "visits.jsonl", *records)

    def links(folder: Path) -> list[tuple[object, ...]]:
        workspace = new_workspace(folder)
        options = options_for(workspace, progress=False, batch_rows=3)
        ingest_files(workspace, [path], options=options)
        rows = table(workspace, "identity_links").to_pylist()
        return sorted((r["anonymous_id"], r["user_id"], r["event_name"]) for r in rows)

    expected = links(tmp_path / "plain")
    monkeypatch.setattr(normalise, "_PAIRS_REGROUP_FLOOR", 1)  # regroup after most batches
    assert links(tmp_path / "regrouped") == expected
    assert expected == [
        ("v0", "U0", "step_0"),
        ("v0", "U1", "step_3"),
        ("v1", "U0", "step_4"),
        ("v1", "U1", "step_1"),
        ("v2", "U0", "step_2"),
        ("v2", "U1", "step_5"),
    ]
