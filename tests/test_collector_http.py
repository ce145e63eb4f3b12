"""The HTTP contract of the collector against a real server process: status codes and bodies."""

from __future__ import annotations

import gzip
import json
import sqlite3
from collections.abc import Iterator

import httpx
import pytest

from collector_harness import (
    CollectorServer,
    create_key,
    journeykit,
    revoke_key,
    running_collector,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CollectorServer, str]]:
    """One server for the module, and a write key for it."""
    from journeykit.workspace import init_workspace

    root = init_workspace(tmp_path_factory.mktemp("collector") / "ws").root
    key = create_key(root, "test-source")
    with running_collector(root) as server:
        yield server, key


@pytest.fixture
def client(served: tuple[CollectorServer, str]) -> Iterator[httpx.Client]:
    server, key = served
    with httpx.Client(base_url=server.url, auth=(key, ""), timeout=10) as session:
        yield session


def message(message_id: str, **fields: object) -> dict[str, object]:
    base: dict[str, object] = {
        "type": "track",
        "event": "Product Viewed",
        "anonymousId": "anon-1",
        "messageId": message_id,
        "timestamp": "2026-11-26T10:00:00.000Z",
        "properties": {"product_id": "p1"},
    }
    return {**base, **fields}


def logged(server: CollectorServer, message_id: str) -> list[dict[str, object]]:
    """The append-log entries of ``message_id`` (what a 200 promised is durable)."""
    path = server.workspace / "data" / "ops.sqlite"
    with sqlite3.connect(path) as connection:
        rows = connection.execute(
            "SELECT body FROM collector_log WHERE message_id = ?", (message_id,)
        ).fetchall()
    connection.close()
    return [json.loads(body) for (body,) in rows]


def test_a_batch_is_durable_when_answered(client: httpx.Client, served: tuple) -> None:
    response = client.post("/v1/batch", json={"batch": [message("b-1"), message("b-2")]})
    assert response.status_code == 200
    assert response.json() == {"success": True}
    assert len(logged(served[0], "b-1")) == 1
    assert len(logged(served[0], "b-2")) == 1


def test_every_single_endpoint_accepts_its_type(client: httpx.Client, served: tuple) -> None:
    calls = {
        "track": {"event": "Signed Up"},
        "identify": {"traits": {"email": "a@example.org"}},
        "page": {"name": "Home"},
        "screen": {"name": "Cart"},
        "group": {"groupId": "g1"},
        "alias": {"previousId": "anon-1"},
    }
    for kind, fields in calls.items():
        body = {"userId": "u1", "messageId": f"single-{kind}", **fields}
        assert client.post(f"/v1/{kind}", json=body).status_code == 200, kind
        [stored] = logged(served[0], f"single-{kind}")
        assert stored["type"] == kind


def test_a_resent_message_is_stored_once(client: httpx.Client, served: tuple) -> None:
    batch = {"batch": [message("dup-1"), message("dup-2")]}
    assert client.post("/v1/batch", json=batch).status_code == 200
    assert client.post("/v1/batch", json=batch).status_code == 200
    assert len(logged(served[0], "dup-1")) == 1


def test_write_key_in_the_body(served: tuple) -> None:
    server, key = served
    body = {"batch": [message("wk-1")], "writeKey": key}
    assert httpx.post(f"{server.url}/v1/batch", json=body).status_code == 200


@pytest.mark.parametrize(
    ("auth", "body_key"),
    [(None, None), (("jk_unknown", ""), None), (None, "jk_unknown")],
    ids=["no-key", "unknown-basic", "unknown-body"],
)
def test_unknown_or_missing_key_is_401(
    served: tuple, auth: tuple[str, str] | None, body_key: str | None
) -> None:
    server, _key = served
    body: dict[str, object] = {"batch": [message("nokey-1")]}
    if body_key:
        body["writeKey"] = body_key
    response = httpx.post(f"{server.url}/v1/batch", json=body, auth=auth)
    assert response.status_code == 401
    assert response.json()["code"] == "unauthorized"
    assert response.json()["error"] == (
        "no write key" if auth is None and body_key is None else "unknown or revoked write key"
    )
    assert "journeykit keys create" in response.json()["hint"]
    assert response.headers["WWW-Authenticate"] == 'Basic realm="journeykit"'
    assert logged(server, "nokey-1") == []


def test_a_revoked_key_is_401(served: tuple) -> None:
    server, _key = served
    key = create_key(server.workspace, "short-lived")
    revoke_key(server.workspace, "short-lived")
    response = httpx.post(f"{server.url}/v1/track", json=message("rv-1"), auth=(key, ""))
    assert response.status_code == 401


def test_an_invalid_message_rejects_the_batch_naming_the_field(
    client: httpx.Client, served: tuple
) -> None:
    batch = [message(f"bad-{index}") for index in range(5)]
    batch[3]["timestamp"] = "yesterday"
    response = client.post("/v1/batch", json={"batch": batch})
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == "batch[3].timestamp"
    assert body["error"] == "'yesterday' is not an ISO-8601 time"
    assert "ISO-8601" in body["hint"]
    assert logged(served[0], "bad-0") == []  # all or nothing


def test_malformed_json_is_400(client: httpx.Client) -> None:
    response = client.post("/v1/batch", content=b'{"batch": [', headers={"Content-Type": "x"})
    assert response.status_code == 400
    assert response.json()["error"].startswith("malformed JSON: Expecting value")


def test_a_missing_user_and_anonymous_id_is_400(client: httpx.Client) -> None:
    response = client.post("/v1/track", json={"event": "x", "messageId": "noid"})
    assert response.status_code == 400
    assert response.json()["field"] == "userId"


def test_limits_are_413(client: httpx.Client, served: tuple) -> None:
    big_message = message("big-1", properties={"blob": "x" * (33 * 1024)})
    response = client.post("/v1/track", json=big_message)
    assert response.status_code == 413
    assert response.json()["error"] == "the message is larger than 32768 bytes"
    assert "move large values out of properties" in response.json()["hint"]


def test_an_oversize_batch_is_413_saying_the_limit_and_how_to_split(
    client: httpx.Client, served: tuple
) -> None:
    many = [message(f"many-{index}", properties={"blob": "y" * 20_000}) for index in range(30)]
    response = client.post("/v1/batch", json={"batch": many})
    assert response.status_code == 413
    body = response.json()
    assert body["code"] == "payload_too_large"
    assert body["error"] == "the body is larger than 512000 bytes"
    assert body["field"] == "body"
    assert "split large batches" in body["hint"]
    assert logged(served[0], "many-0") == []  # nothing of a refused batch is kept
    assert client.post("/v1/batch", json={"batch": many[:5]}).status_code == 200
    assert len(logged(served[0], "many-0")) == 1  # the same events, split, are accepted


def test_gzip_bodies_are_accepted(client: httpx.Client, served: tuple) -> None:
    body = gzip.compress(json.dumps({"batch": [message("gz-1")]}).encode())
    response = client.post("/v1/batch", content=body, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 200
    assert len(logged(served[0], "gz-1")) == 1


def test_a_gzip_bomb_is_413_and_the_server_lives_on(client: httpx.Client) -> None:
    bomb = gzip.compress(b"[" + b" " * 30_000_000 + b"]", compresslevel=1)
    response = client.post("/v1/batch", content=bomb, headers={"Content-Encoding": "gzip"})
    assert response.status_code == 413
    body = response.json()
    assert body["error"] == "the decompressed body is larger than 512000 bytes"
    assert "split large batches" in body["hint"]
    assert client.post("/v1/track", json=message("after-bomb")).status_code == 200


def test_an_unknown_content_encoding_is_415(client: httpx.Client) -> None:
    response = client.post("/v1/batch", content=b"{}", headers={"Content-Encoding": "br"})
    assert response.status_code == 415


def test_clock_skew_is_corrected(client: httpx.Client, served: tuple) -> None:
    # The device clock runs 3 h fast: the event happened 1 s before it was sent.
    skewed = message("skew-1", timestamp="2030-01-01T03:00:00.000Z")
    response = client.post(
        "/v1/batch", json={"batch": [skewed], "sentAt": "2030-01-01T03:00:01.000Z"}
    )
    assert response.status_code == 200
    [stored] = logged(served[0], "skew-1")
    received = stored["receivedAt"]
    assert stored["originalTimestamp"] == "2030-01-01T03:00:00.000Z"
    assert _seconds_between(str(stored["timestamp"]), str(received)) == pytest.approx(1.0)


def _seconds_between(earlier: str, later: str) -> float:
    from datetime import datetime

    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


def test_a_key_from_the_cli_is_accepted(served: tuple) -> None:
    """``journeykit keys create`` in a terminal while the server runs: the new key works."""
    server, _key = served
    result = journeykit(server.workspace, "keys", "create", "from-the-cli")
    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    assert result.stdout == key + "\n"
    response = httpx.post(f"{server.url}/v1/track", json=message("cli-1"), auth=(key, ""))
    assert response.status_code == 200


def test_a_browser_preflight_is_answered_without_a_key(served: tuple) -> None:
    """``analytics.js`` on a shop's domain sends a CORS pre-flight before a POST with headers."""
    server, _key = served
    response = httpx.options(
        f"{server.url}/v1/batch",
        headers={
            "Origin": "https://shop.example.de",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in response.headers["Access-Control-Allow-Methods"]
    allowed = {
        name.strip().lower() for name in response.headers["Access-Control-Allow-Headers"].split(",")
    }
    assert {"authorization", "content-type", "content-encoding"} <= allowed


@pytest.mark.parametrize("kind", ["track", "identify", "page", "screen", "group", "alias", "batch"])
def test_every_endpoint_answers_a_preflight(served: tuple, kind: str) -> None:
    server, _key = served
    response = httpx.options(
        f"{server.url}/v1/{kind}",
        headers={"Origin": "https://shop.example.de", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_a_browser_may_read_every_answer(client: httpx.Client, served: tuple) -> None:
    """Success and errors carry CORS headers, so the sender's page sees what went wrong."""
    server, _key = served
    origin = {"Origin": "https://shop.example.de"}
    accepted = client.post("/v1/track", json=message("cors-1"), headers=origin)
    refused = httpx.post(f"{server.url}/v1/track", json=message("cors-2"), headers=origin)
    invalid = client.post("/v1/track", json={"event": "x"}, headers=origin)
    assert [accepted.status_code, refused.status_code, invalid.status_code] == [200, 401, 400]
    for response in (accepted, refused, invalid):
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert len(logged(server, "cors-1")) == 1
