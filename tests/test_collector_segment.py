"""The real Segment Python client against a real collector: exactly once, also across a crash."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from collector_harness import CollectorServer, create_key, running_collector, stored_event_ids

segment = pytest.importorskip("segment.analytics", reason="pip install segment-analytics-python")

DOCS = Path(__file__).parents[1] / "docs" / "collector.md"


class Errors(list[object]):
    """The client's ``on_error``: what it gave up on (should stay empty)."""

    def __call__(self, error: object, batch: object) -> None:
        self.append(error)


@pytest.fixture(autouse=True)
def _quiet_segment_logger() -> Iterator[None]:
    """The client logs each failed attempt while the server is down; that is expected."""
    logger = logging.getLogger("segment")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[CollectorServer, str]]:
    """A running collector (flushing every second, the default) and a write key for it."""
    from journeykit.workspace import init_workspace

    root = init_workspace(tmp_path_factory.mktemp("segment") / "ws").root
    key = create_key(root, "python-client")
    with running_collector(root, flush_interval=1.0) as server:
        yield server, key


def client_for(server: CollectorServer, key: str, errors: Errors) -> segment.Client:
    return segment.Client(
        write_key=key,
        host=server.url,
        upload_interval=0.05,
        upload_size=50,
        max_retries=12,
        gzip=True,
        on_error=errors,
        timeout=5,
    )


def send_mixed(client: segment.Client, ids: list[str], pause: float = 0.0) -> None:
    """track, identify and page calls, one per id, in that rotation."""
    for number, message_id in enumerate(ids):
        user = f"user-{number % 7}"
        if number % 3 == 0:
            client.track(user, "Order Completed", {"revenue": 9.5}, message_id=message_id)
        elif number % 3 == 1:
            client.identify(user, {"email": f"{user}@example.org"}, message_id=message_id)
        else:
            client.page(user, "Shop", "Home", {"path": "/"}, message_id=message_id)
        if pause:
            time.sleep(pause)


def wait_stored(root: Path, ids: list[str], timeout: float = 30.0) -> Counter[str]:
    """The stored ids once all of ``ids`` are there (or the timeout passed).

    Polls twice a second: each look opens the DuckDB file, which the flusher then waits for.
    """
    deadline = time.monotonic() + timeout
    while True:
        stored = stored_event_ids(root, prefix=ids[0].rsplit("-", 1)[0])
        if set(ids) <= set(stored) or time.monotonic() > deadline:
            return stored
        time.sleep(0.5)


def test_track_identify_page_arrive_exactly_once_within_5_seconds(
    served: tuple[CollectorServer, str],
) -> None:
    server, key = served
    errors = Errors()
    client = client_for(server, key, errors)
    send_mixed(client, ["warm-up-0"])
    client.flush()
    wait_stored(server.workspace, ["warm-up-0"])  # the flusher process is up
    ids = [f"plain-{number}" for number in range(300)]
    send_mixed(client, ids)
    client.shutdown()
    began = time.monotonic()
    stored = wait_stored(server.workspace, ids)
    visible_after = time.monotonic() - began
    assert errors == []
    assert sorted(stored) == sorted(ids)
    assert set(stored.values()) == {1}
    assert visible_after < 5.0


def docs_block(language: str, starting: str) -> str:
    """The block of docs/collector.md fenced as ``language`` that starts with ``starting``."""
    blocks = re.findall(rf"```{language}\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    return next(block for block in blocks if block.startswith(starting))


def test_the_examples_in_the_docs_work(served: tuple[CollectorServer, str]) -> None:
    """The Python and curl examples of docs/collector.md, run as written (key and port swapped)."""
    server, key = served
    python = docs_block("python", "import segment.analytics")
    curl = docs_block("bash", "curl -u")
    for old, new in {"jk_…": key, "http://127.0.0.1:8000": server.url}.items():
        python, curl = python.replace(old, new), curl.replace(old, new)
    ran = subprocess.run([sys.executable, "-c", python], capture_output=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    answered = subprocess.run(["bash", "-c", curl], capture_output=True, timeout=60)
    assert answered.stdout == b'{"success":true}', answered.stderr
    deadline = time.monotonic() + 30
    while orders_of(server.workspace, "user-42") < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert orders_of(server.workspace, "user-42") == 2


def orders_of(root: Path, user: str) -> int:
    from journeykit.store import open_analytic
    from journeykit.workspace import load_workspace

    with open_analytic(load_workspace(root)) as store:
        events = store.table("events")
        mine = events.filter((events.user_id == user) & (events.name == "order_completed"))
        return int(store.scalar(mine.count()))


def test_exactly_once_when_the_server_is_killed_while_the_client_sends(tmp_path: Path) -> None:
    from journeykit.workspace import init_workspace

    root = init_workspace(tmp_path / "ws").root
    key = create_key(root, "python-client")
    ids = [f"crash-{number}" for number in range(800)]
    errors = Errors()
    server = CollectorServer(root)
    server.start()
    try:
        client = client_for(server, key, errors)
        sender = threading.Thread(target=send_mixed, args=(client, ids, 0.002))
        sender.start()
        time.sleep(0.6)
        server.kill()  # mid-stream: batches in flight, some answered, some not
        server.start()  # same port; the client retries what was not answered
        sender.join()
        client.shutdown()
        stored = wait_stored(root, ids)
    finally:
        server.stop()
    assert errors == []
    assert sorted(stored) == sorted(ids)
    assert set(stored.values()) == {1}
