"""Reading a JSON request body within limits: content type, encoding, size, decompressed size.

Split in two so that the CPU work stays off the event loop: :func:`read_body` (async) checks the
headers and reads the bytes up to the limit; :func:`parse_json` (sync, run in a worker thread
for large bodies) decompresses, decodes and parses.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from collector_server.errors import ApiError

PairsHook = Callable[[list[tuple[str, Any]]], Any]
"""A ``json.loads`` ``object_pairs_hook``: builds each object, and may refuse it (ApiError)."""


@dataclass(frozen=True, slots=True)
class Body:
    data: bytes
    gzipped: bool
    limit: int


async def read_json(request: Request, limit: int, pairs_hook: PairsHook | None = None) -> Any:
    """Read and parse a small JSON body in one step (on the event loop)."""
    return parse_json(await read_body(request, limit), pairs_hook)


async def read_body(request: Request, limit: int) -> Body:
    content_type = request.headers.get("content-type", "")
    media_type, _, params = content_type.partition(";")
    if media_type.strip().lower() != "application/json":
        raise ApiError(
            415,
            "unsupported_media_type",
            f"send JSON with Content-Type: application/json, not {content_type or 'nothing'!r}",
        )
    if "charset" in params.lower() and "utf-8" not in params.lower():
        raise ApiError(415, "unsupported_charset", "the body must be encoded as UTF-8")
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip"):
        raise ApiError(
            415,
            "unsupported_encoding",
            f"Content-Encoding must be gzip or identity, not {encoding!r}",
        )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return Body(bytes(body), encoding == "gzip", limit)


def parse_json(body: Body, pairs_hook: PairsHook | None = None) -> Any:
    raw = _gunzip(body.data, body.limit) if body.gzipped else body.data
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(
            400, "invalid_utf8", f"the body is not valid UTF-8 (at byte {exc.start})"
        ) from None
    try:
        return json.loads(text, object_pairs_hook=pairs_hook, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "malformed_json",
            f"the body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except RecursionError:
        raise ApiError(400, "json_too_deep", "the JSON is nested too deeply") from None


def _refuse_constant(name: str) -> Any:
    raise ApiError(
        400, "malformed_json", f"the body is not valid JSON: {name} is not a JSON number"
    )


def _too_large(limit: int) -> ApiError:
    return ApiError(413, "body_too_large", f"the body is larger than the limit of {limit} bytes")


def _gunzip(data: bytes, limit: int) -> bytes:
    """Decompress, refusing as soon as the output passes ``limit`` (a gzip bomb costs nothing)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise ApiError(
            400, "malformed_gzip", f"the gzip body cannot be decompressed: {exc}"
        ) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise ApiError(
            413,
            "decompressed_too_large",
            f"the decompressed body is larger than the limit of {limit} bytes",
        )
    if not inflater.eof:
        raise ApiError(400, "malformed_gzip", "the gzip body is truncated")
    return out
