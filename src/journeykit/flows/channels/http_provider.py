"""One HTTP request to a message provider, and what its answer means for the outbox row.

Every request carries the row's idempotency key in an ``Idempotency-Key`` header, so a provider
that deduplicates (or a receiver that logs it) can tell a repeat after a crash from a new message.
The answer decides the row: 2xx → sent (the provider's id from the body); 408, 429, 5xx and
network errors → ``TransientFailure`` (retried with backoff, ``Retry-After`` honoured); any other
status → ``PermanentFailure`` naming the status and the start of the body.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from journeykit import __version__
from journeykit.flows.dispatch import PermanentFailure
from journeykit.flows.retry import TransientFailure

TRANSIENT_STATUSES = frozenset({408, 425, 429})
EXCERPT = 200  # characters of a provider's error body kept in ``last_error``


@dataclass(frozen=True)
class ProviderRequest:
    """A POST to a provider: a JSON (``json``), form-encoded (``form``) or raw (``content``)
    body, auth and headers."""

    name: str  # the provider as messages name it, e.g. "twilio"
    url: str
    key: str  # the outbox row's idempotency key
    json: Mapping[str, Any] | None = None
    form: Mapping[str, str] | None = None
    content: bytes | None = None
    bearer: str | None = None
    basic: tuple[str, str] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


def post(request: ProviderRequest, timeout: float) -> httpx.Response:
    """Send ``request``; a 2xx answer is returned, anything else raised as a delivery failure."""
    headers = {
        "Idempotency-Key": request.key,
        "User-Agent": f"journeykit/{__version__}",
        **request.headers,
    }
    if request.bearer:
        headers["Authorization"] = f"Bearer {request.bearer}"
    try:
        auth = httpx.BasicAuth(*request.basic) if request.basic else None
        with httpx.Client(timeout=timeout, follow_redirects=False, auth=auth) as client:
            response = client.post(
                request.url,
                json=request.json,
                data=request.form,
                content=request.content,
                headers=headers,
            )
    except httpx.HTTPError as error:
        raise TransientFailure(f"{request.name}: {type(error).__name__}: {error}") from error
    check(request.name, response)
    return response


def check(name: str, response: httpx.Response) -> None:
    """Raise the failure a non-2xx ``response`` means (nothing for 2xx)."""
    status = response.status_code
    if 200 <= status < 300:
        return
    text = " ".join(response.text[:EXCERPT].split())
    message = f"{name} answered {status} {response.reason_phrase}: {text or '(no body)'}"
    if status in TRANSIENT_STATUSES or status >= 500:
        raise TransientFailure(message, retry_after(response.headers.get("Retry-After")))
    raise PermanentFailure(f"{message} — fix the request or the provider settings")


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for: delta-seconds or an HTTP date (None: absent)."""
    if not value:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def provider_id(response: httpx.Response, fields: Sequence[str], default: str) -> str:
    """The provider's id of the message: the first of ``fields`` in the JSON body, else
    ``default`` (the idempotency key) when the body has none."""
    try:
        body = response.json()
    except ValueError:
        return default
    if isinstance(body, Mapping):
        for name in fields:
            value = body.get(name)
            if isinstance(value, str | int) and str(value):
                return str(value)
    return default
