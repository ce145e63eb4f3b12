"""The CLI keeps working on the store while a collector flushes into it (DuckDB: one writer).

A real server process receives a steady stream of batches and flushes every 0.5 s; meanwhile
``journeykit events stats`` and ``journeykit ingest`` run in other processes, as in another
terminal. Each must succeed (waiting a moment for the file lock, never failing on it), and every
event — sent over HTTP or ingested from the file — must be in the store exactly once.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import httpx

from collector_harness import create_key, journeykit, running_collector, stored_event_ids


def segment_file(path: Path, count: int) -> Path:
    lines = [
        json.dumps(
            {
                "type": "track",
                "event": "Newsletter Signed Up",
                "userId": f"file-user-{number}",
                "messageId": f"file-{number}",
                "timestamp": "2026-11-20T09:00:00.000Z",
            }
        )
        for number in range(count)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


class Sender(threading.Thread):
    """Posts batches of 20 events back to back until stopped; remembers the acknowledged ids."""

    def __init__(self, url: str, key: str) -> None:
        super().__init__(name="sender")
        self.url = url
        self.key = key
        self.stopping = threading.Event()
        self.acknowledged: list[str] = []

    def run(self) -> None:
        number = 0
        with httpx.Client(base_url=self.url, auth=(self.key, ""), timeout=10) as client:
            while not self.stopping.is_set():
                ids = [f"http-{number + offset}" for offset in range(20)]
                batch = [
                    {"type": "page", "anonymousId": "a1", "name": "Home", "messageId": i}
                    for i in ids
                ]
                if client.post("/v1/batch", json={"batch": batch}).status_code == 200:
                    self.acknowledged.extend(ids)
                number += 20
                time.sleep(0.02)


def test_stats_and_ingest_work_while_the_collector_flushes(tmp_path: Path) -> None:
    from journeykit.workspace import init_workspace

    root = init_workspace(tmp_path / "ws").root
    key = create_key(root, "shop")
    import_file = segment_file(tmp_path / "import.jsonl", 50)
    with running_collector(root, flush_interval=0.5) as server:
        sender = Sender(server.url, key)
        sender.start()
        try:
            time.sleep(1.0)  # the flusher is writing micro-batches now
            ingest = journeykit(root, "ingest", str(import_file), "--format", "segment", "--json")
            stats = journeykit(root, "events", "stats", "--json")
        finally:
            sender.stopping.set()
            sender.join()
        assert ingest.returncode == 0, ingest.stderr
        assert stats.returncode == 0, stats.stderr
        assert json.loads(ingest.stdout) == {
            "read": 50,
            "kept": 50,
            "duplicates": 0,
            "quarantined": 0,
        }
        assert json.loads(stats.stdout)["events"] >= 50
    http = stored_event_ids(root, "http-")  # the server stopped cleanly: the log is drained
    assert sorted(http) == sorted(sender.acknowledged)
    assert set(http.values()) == {1}
    assert stored_event_ids(root, "file-") == {f"file-{n}": 1 for n in range(50)}
