"""The ways a request to the collector fails, each an HTTP status with a JSON body.

The body names the field (``batch[3].timestamp``) and how to fix it, the same *what, where, how to
fix* as every journeykit error, so a developer wiring a client sees the mistake in the response.
"""

from __future__ import annotations

from typing import Any


class CollectorRequestError(Exception):
    """A rejected request: nothing of it was written."""

    status = 400
    code = "invalid_request"

    def __init__(self, error: str, field: str | None = None, hint: str | None = None) -> None:
        self.error = error
        self.field = field
        self.hint = hint
        super().__init__(f"{field}: {error}" if field else error)

    def body(self) -> dict[str, Any]:
        """The JSON document of the response (``code`` is what Segment's clients log)."""
        return {"error": self.error, "field": self.field, "hint": self.hint, "code": self.code}


class InvalidRequest(CollectorRequestError):
    """Malformed JSON or a missing/invalid field (400)."""


class InvalidBatch(InvalidRequest):
    """Several messages of a batch are invalid; the first is named, all are listed (400)."""

    def __init__(self, problems: list[InvalidRequest], shown: int = 20) -> None:
        first = problems[0]
        self.problems = problems
        self.shown = shown
        super().__init__(first.error, first.field, first.hint)

    def body(self) -> dict[str, Any]:
        listed = [
            {"error": problem.error, "field": problem.field, "hint": problem.hint}
            for problem in self.problems[: self.shown]
        ]
        return {**super().body(), "problems": listed, "problem_count": len(self.problems)}


class Unauthorized(CollectorRequestError):
    """No write key, or one that is unknown or revoked (401)."""

    status = 401
    code = "unauthorized"


class PayloadTooLarge(CollectorRequestError):
    """A message over 32 KB or a body over 500 KB, also after decompression (413)."""

    status = 413
    code = "payload_too_large"


class UnsupportedEncoding(CollectorRequestError):
    """A ``Content-Encoding`` other than gzip or identity (415)."""

    status = 415
    code = "unsupported_encoding"
