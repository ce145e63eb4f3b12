"""A real local HTTP provider for the SMS, push and webhook tests: records every request.

``LocalProvider`` is a ``ThreadingHTTPServer`` in a thread. Each request is recorded (path,
headers, body, status, monotonic time) and answered from a per-idempotency-key script of
statuses, else with a random 503 at ``fail_rate``, else 201 with ids in the shapes of the
generic provider (``id``), Twilio (``sid``) and FCM (``name``). ``accept_delay`` holds the answer
back after the message counts as accepted, like a slow provider: the window in which a killed
worker has had its message accepted but not yet committed that.
"""

from __future__ import annotations

import contextlib
import json
import random
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from journeykit.flows.model import Flow


@dataclass(frozen=True)
class Received:
    """One request as the provider saw it, and how it answered."""

    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    status: int
    at: float  # time.monotonic() when answered

    @property
    def key(self) -> str:
        return self.headers.get("idempotency-key", "")

    @property
    def accepted(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


class LocalProvider:
    """Start with ``with LocalProvider() as provider:``; ``provider.url`` is its base URL."""

    def __init__(self, fail_rate: float = 0.0, seed: int = 1, accept_delay: float = 0.0) -> None:
        self.received: list[Received] = []
        self.accept_delay = accept_delay
        self.script: dict[str, deque[Answer]] = {}
        self.fail_rate = fail_rate
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> LocalProvider:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def answer(self, key: str, *answers: Answer) -> None:
        """Answer the next requests carrying ``key`` with ``answers`` in turn, then 201."""
        self.script.setdefault(key, deque()).extend(answers)

    def accepted(self) -> list[Received]:
        with self._lock:
            return [r for r in self.received if r.accepted]

    def respond(self, path: str, headers: dict[str, str], body: bytes) -> Answer:
        with self._lock:
            queue = self.script.get(headers.get("idempotency-key", ""))
            if queue:
                answer = queue.popleft()
            elif self.fail_rate and self._rng.random() < self.fail_rate:
                answer = Answer(503, body='{"error": "try later"}')
            else:
                n = len(self.received) + 1
                ids = {"id": f"p{n}", "sid": f"SM{n:032d}", "name": f"projects/x/messages/{n}"}
                answer = Answer(201, body=json.dumps(ids))
            self.received.append(Received(path, headers, body, answer.status, time.monotonic()))
        return answer


def _handler(provider: LocalProvider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            answer = provider.respond(self.path, headers, body)
            if 200 <= answer.status < 300 and provider.accept_delay:
                time.sleep(provider.accept_delay)
            data = answer.body.encode()
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the test output is the assertions."""

        def handle(self) -> None:
            # a worker killed mid-request (what the SIGKILL test does) leaves a broken pipe
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                super().handle()

    return Handler


def message_flow(webhook_url: str, flow_id: str = "http", pause: str = "1s") -> Flow:
    """SMS, a pause, a webhook and a push: transactional, so caps and quiet hours stay out."""
    send = {"type": "send", "template": "hello", "transactional": True}
    return Flow.model_validate(
        {
            "id": flow_id,
            "name": "HTTP channels",
            "stage": "retention",
            "locales": ["en"],
            "trigger": {"type": "event", "event": "signup"},
            "steps": [
                {"id": "text", "channel": "sms", **send},
                {"id": "pause", "type": "wait", "duration": pause},
                {"id": "hook", "type": "webhook", "url": webhook_url, "body": {"action": "add"}},
                {"id": "note", "channel": "push", **send},
            ],
        }
    )


def write_templates(templates: Path) -> None:
    """``hello``: the SMS/push text and the push title."""
    folder = templates / "hello"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "en.txt.j2").write_text("Hi {{ event.first_name }}, from {{ shop.name }}\n", "utf-8")
    (folder / "en.subject.j2").write_text("Hello {{ event.first_name }}\n", "utf-8")


def keys_of(received: list[Received]) -> Iterator[str]:
    return (r.key for r in received)
