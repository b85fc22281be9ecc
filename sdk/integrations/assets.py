"""The widget's built files, served by the collector and by the SDK's middleware alike.

``widget/build.mjs`` writes them into ``static/`` beside this module, and they ship inside the
Python package, so serving the widget needs no Node. Each file is read once and kept with its
gzip form and an ETag; :func:`respond` answers a GET for one of them (304 on a matching
``If-None-Match``, the gzip form when the client accepts it).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
NAMES = ("widget.js", "widget-screenshot.js")
CONTENT_TYPE = "application/javascript; charset=utf-8"
# No version in the URL (the page's one tag stays the same across upgrades): an hour in caches,
# then a revalidation that the ETag answers with a 304.
CACHE_CONTROL = "public, max-age=3600"


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes
    etag: str


@dataclass(frozen=True, slots=True)
class AssetResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


@cache
def asset(name: str) -> Asset:
    """One built file by name; ``KeyError`` for a name that is not one of :data:`NAMES`."""
    if name not in NAMES:
        raise KeyError(name)
    body = (STATIC_DIR / name).read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:32]
    return Asset(body, gzip.compress(body, compresslevel=9, mtime=0), f'"{digest}"')


def respond(name: str, if_none_match: str | None, accept_encoding: str | None) -> AssetResponse:
    """The answer to ``GET <name>``: the file, or 304 when the client's copy is current."""
    item = asset(name)
    headers = [
        ("Content-Type", CONTENT_TYPE),
        ("Cache-Control", CACHE_CONTROL),
        ("ETag", item.etag),
        ("Vary", "Accept-Encoding"),
        ("X-Content-Type-Options", "nosniff"),
        # Any page may load the widget from the collector (a script needs no CORS to run, but
        # a page with COEP require-corp needs this to load it at all).
        ("Cross-Origin-Resource-Policy", "cross-origin"),
        ("Access-Control-Allow-Origin", "*"),
    ]
    if if_none_match is not None and item.etag in {t.strip() for t in if_none_match.split(",")}:
        return AssetResponse(304, headers, b"")
    if accept_encoding is not None and "gzip" in accept_encoding.lower():
        headers.append(("Content-Encoding", "gzip"))
        body = item.gzipped
    else:
        body = item.body
    headers.append(("Content-Length", str(len(body))))
    return AssetResponse(200, headers, body)
