"""Tracking links of a sent message: the open pixel, signed click redirects and survey answers.

Each link carries a token signed with the workspace's secret (``signing.signer``, purpose
``tracking``) naming the message (its outbox idempotency key ``<flow>.<run>.<step>``), the
customer, the link's kind and, for a click, the target URL. The server trusts only what the
signature covers: a click token whose URL was changed does not verify, so the redirect can lead
nowhere but where the email pointed (no open redirect).

Templates get ``track_click(url)`` and ``survey_url(score)`` (``survey_url(score, "csat")`` for
a CSAT answer); the channel appends ``pixel_html`` to HTML emails.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from journeykit.workspace import Workspace

PURPOSE = "tracking"
OPEN, CLICK, SURVEY = "o", "c", "s"
SURVEYS: dict[str, tuple[int, int]] = {"nps": (0, 10), "csat": (1, 5)}
"""Survey kind → the allowed scores; the answer is recorded as ``<kind>_answered``, the event
the map's NPS and CSAT KPIs count."""


class BadToken(ValueError):
    """A token that is not ours, was changed, or is of another kind."""


@dataclass(frozen=True)
class Tracked:
    """What a verified token says."""

    kind: str
    key: str
    customer_id: str
    url: str | None = None
    survey: str | None = None

    @property
    def flow_id(self) -> str:
        return self.key.split(".")[0]

    @property
    def step_id(self) -> str:
        return self.key.rsplit(".", 1)[-1]

    def properties(self) -> dict[str, Any]:
        """The event properties every feedback event of this message carries."""
        return {"flow": self.flow_id, "step": self.step_id, "message_key": self.key}


class TokenSigner:
    """Signs and verifies token payloads (an itsdangerous serializer's ``dumps``/``loads``)."""

    def __init__(self, dumps: Callable[[Any], str], loads: Callable[[str], Any]) -> None:
        self._dumps = dumps
        self._loads = loads

    def dumps(self, payload: dict[str, str]) -> str:
        return self._dumps(payload)

    def loads(self, token: str) -> Tracked:
        try:
            payload = self._loads(token)
            return Tracked(
                kind=str(payload["t"]),
                key=str(payload["k"]),
                customer_id=str(payload["c"]),
                url=payload.get("u"),
                survey=payload.get("q"),
            )
        except Exception as error:  # itsdangerous' BadSignature, a payload of another shape
            raise BadToken("the link is not valid (changed or not from this workspace)") from error


def workspace_signer(workspace: Workspace) -> TokenSigner:
    """The token signer of ``workspace`` (its secret lives in ``data/``)."""
    from journeykit.flows.signing import signer

    serializer = signer(workspace, PURPOSE)
    return TokenSigner(serializer.dumps, serializer.loads)


class Tracker:
    """Builds the tracking links of messages, under ``base_url`` (the server's public address)."""

    def __init__(self, base_url: str, signer: TokenSigner) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer

    def token(self, kind: str, key: str, customer_id: str, **extra: str) -> str:
        return self.signer.dumps({"t": kind, "k": key, "c": customer_id, **extra})

    def click_url(self, key: str, customer_id: str, url: str) -> str:
        """A redirect to ``url`` (http or https) that records the click first."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"track_click needs an http(s) URL, not {url!r}")
        return f"{self.base_url}/t/c/{self.token(CLICK, key, customer_id, u=url)}"

    def survey_url(self, key: str, customer_id: str, score: int, survey: str = "nps") -> str:
        """The link that answers ``survey`` with ``score``."""
        if survey not in SURVEYS:
            raise ValueError(f"survey_url knows the surveys {', '.join(SURVEYS)}, not {survey!r}")
        low, high = SURVEYS[survey]
        if not low <= int(score) <= high:
            raise ValueError(f"a {survey} score is {low}–{high}, not {score}")
        token = self.token(SURVEY, key, customer_id, q=survey)
        return f"{self.base_url}/t/s/{token}?score={int(score)}"

    def pixel_html(self, key: str, customer_id: str) -> str:
        """The invisible 1×1 image that records an open when the mail client loads it."""
        src = f"{self.base_url}/t/o/{self.token(OPEN, key, customer_id)}.gif"
        return f'<img src="{src}" width="1" height="1" alt="" style="display:block;border:0">'

    def helpers(self, key: str, customer_id: str) -> dict[str, Callable[..., str]]:
        """The template functions of one message."""

        def track_click(url: str) -> str:
            return _permanent(lambda: self.click_url(key, customer_id, url))

        def survey_url(score: int, survey: str = "nps") -> str:
            return _permanent(lambda: self.survey_url(key, customer_id, score, survey))

        return {"track_click": track_click, "survey_url": survey_url}

    def with_pixel(self, html: str, key: str, customer_id: str) -> str:
        """``html`` with the open pixel just before ``</body>`` (else at the end)."""
        pixel = self.pixel_html(key, customer_id)
        at = html.lower().rfind("</body>")
        return html + pixel if at < 0 else html[:at] + pixel + html[at:]


def read_token(signer: TokenSigner, token: str, kind: str) -> Tracked:
    """The verified token of ``kind``; ``BadToken`` for anything else (also a click without an
    http(s) URL or a survey of an unknown kind)."""
    tracked = signer.loads(token)
    if tracked.kind != kind:
        raise BadToken("the link is of another kind")
    if kind == CLICK and (
        not isinstance(tracked.url, str) or urlsplit(tracked.url).scheme not in ("http", "https")
    ):
        raise BadToken("the link has no valid target")
    if kind == SURVEY and tracked.survey not in SURVEYS:
        raise BadToken("the link names no known survey")
    return tracked


def template_helpers(tracker: Tracker | None, key: str, customer_id: str) -> dict[str, Any]:
    """``track_click`` and ``survey_url`` for one message; without a tracker (no public URL)
    links stay as they are and a survey link is a permanent failure naming the fix."""
    if tracker is not None:
        return tracker.helpers(key, customer_id)

    def survey_url(score: int, survey: str = "nps") -> str:
        from journeykit.flows.dispatch import PermanentFailure

        raise PermanentFailure(
            "survey_url needs the server's public address — run the worker inside "
            "`journeykit serve` or set JOURNEYKIT_PUBLIC_URL"
        )

    return {"track_click": lambda url: url, "survey_url": survey_url}


def _permanent(make: Callable[[], str]) -> str:
    """A link, or the template's misuse (a bad URL or score) as a failure no retry can fix."""
    try:
        return make()
    except (ValueError, TypeError) as error:
        from journeykit.flows.dispatch import PermanentFailure

        raise PermanentFailure(f"a tracking link in the template: {error}") from error
