"""Reading a request body with a hard size cap, gunzipping it incrementally under the same cap.

The cap applies to what we hold in memory, not to what the client claims: a body without
``Content-Length``, a lying header and a gzip bomb (a few KB that inflate to gigabytes) all stop at
``limit`` bytes with a 413, never after a large allocation.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterator

from journeykit.events.collector.exceptions import (
    InvalidRequest,
    PayloadTooLarge,
    UnsupportedEncoding,
)

GZIP_WBITS = 16 + zlib.MAX_WBITS  # expect a gzip header and trailer
IDENTITY = {"", "identity"}


async def read_body(
    chunks: AsyncIterator[bytes], encoding: str | None, limit: int, declared: str | None = None
) -> bytes:
    """The (decompressed) body; ``PayloadTooLarge`` once it would exceed ``limit`` bytes.

    ``declared`` is the ``Content-Length`` header; a plain body announced larger than the limit is
    refused before reading a byte of it.
    """
    coding = (encoding or "").strip().lower()
    if coding == "gzip":
        return await _read_gzip(chunks, limit)
    if coding not in IDENTITY:
        raise UnsupportedEncoding(
            f"Content-Encoding '{encoding}' is not supported",
            "Content-Encoding",
            "send the body plain or gzip-compressed",
        )
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    return await _read_plain(chunks, limit)


async def _read_plain(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        if len(buffer) > limit:
            raise _too_large(limit)
    return bytes(buffer)


async def _read_gzip(chunks: AsyncIterator[bytes], limit: int) -> bytes:
    inflater = CappedGunzip(limit)
    async for chunk in chunks:
        inflater.feed(chunk)
    return inflater.finish()


class CappedGunzip:
    """A gzip decompressor that never produces more than ``limit`` bytes in total.

    Each input chunk is inflated with ``max_length`` set to the room left (plus one byte, to tell
    "exactly full" from "over"), so memory stays bounded by ``limit`` whatever the ratio.
    Concatenated gzip members (allowed by RFC 1952) are decoded one after another.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.output = bytearray()
        self.inflater = zlib.decompressobj(GZIP_WBITS)
        self.seen_input = False

    def feed(self, data: bytes) -> None:
        """Inflate ``data``; raises ``PayloadTooLarge`` or ``InvalidRequest`` (not gzip)."""
        while data:
            self.seen_input = True
            room = self.limit - len(self.output) + 1
            try:
                self.output += self.inflater.decompress(data, room)
            except zlib.error as error:
                raise _not_gzip(str(error)) from None
            if len(self.output) > self.limit:
                raise _too_large(self.limit, decompressed=True)
            data = self.inflater.unconsumed_tail or self._next_member()

    def _next_member(self) -> bytes:
        if not self.inflater.eof:
            return b""
        rest = self.inflater.unused_data
        if rest:
            self.inflater = zlib.decompressobj(GZIP_WBITS)
        return rest

    def finish(self) -> bytes:
        """The whole body; ``InvalidRequest`` when the gzip stream is empty or cut short."""
        if not self.seen_input:
            return b""
        if not self.inflater.eof:
            raise _not_gzip("the stream ends before the gzip trailer")
        return bytes(self.output)


def _too_large(limit: int, *, decompressed: bool = False) -> PayloadTooLarge:
    what = "decompressed body" if decompressed else "body"
    return PayloadTooLarge(
        f"the {what} is larger than {limit} bytes",
        "body",
        "send at most 500 KB per batch and 32 KB per message; split large batches",
    )


def _not_gzip(reason: str) -> InvalidRequest:
    return InvalidRequest(
        f"the body is not valid gzip ({reason})",
        "body",
        "compress the whole body with gzip, or drop the 'Content-Encoding: gzip' header",
    )
