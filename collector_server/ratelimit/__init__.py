"""Rate limits: token buckets per client address and per project key.

Each bucket holds up to ``capacity`` tokens and refills at ``capacity / period`` tokens per
second; a request takes one. The defaults (600 per minute per address, 6,000 per minute per
project key, each with a full minute of burst) never refuse an honest app's traffic and stop a
runaway loop or a flood. ``BUGRELAY_RATE_LIMIT=off`` turns both off.

One interface, :class:`RateLimiter` (``await take(key, rate) -> seconds to wait``), three
backends, chosen by :func:`make_rate_limiter`:

- :class:`MemoryRateLimiter`: this process's memory; one collector (SQLite).
- :class:`DatabaseRateLimiter`: the ``rate_buckets`` table, one atomic statement per request;
  shared by every collector on one PostgreSQL database.
- :class:`RedisRateLimiter`: a Lua script in Redis (``BUGRELAY_REDIS_URL``); shared by every
  collector on one Redis.

Errors::

    ValueError                   a key that is empty or longer than 200 characters
    RateLimitBackendError        Redis or the database could not be asked (raised only with
                                 fail_open=False; by default the request is let through,
                                 counted and logged, see FailOpen)

This module and :mod:`.rate` import the standard library only (the command line parses rates
before it knows whether the server extra is installed); the shared backends are imported when
first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collector_server.ratelimit.base import (
    FailOpen,
    OnBackendError,
    RateLimitBackendError,
    RateLimiter,
)
from collector_server.ratelimit.memory import MemoryRateLimiter
from collector_server.ratelimit.rate import Rate, retry_after_header

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from collector_server.ratelimit.database import DatabaseRateLimiter
    from collector_server.ratelimit.redis import RedisRateLimiter

__all__ = [
    "DatabaseRateLimiter",
    "FailOpen",
    "MemoryRateLimiter",
    "Rate",
    "RateLimitBackendError",
    "RateLimiter",
    "RedisRateLimiter",
    "make_rate_limiter",
    "retry_after_header",
]

_LAZY = {
    "DatabaseRateLimiter": "collector_server.ratelimit.database",
    "RedisRateLimiter": "collector_server.ratelimit.redis",
}


def __getattr__(name: str) -> object:
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def make_rate_limiter(
    *,
    engine: Engine,
    redis_url: str | None,
    shared: bool,
    on_backend_error: OnBackendError | None = None,
) -> RateLimiter:
    """Redis when ``redis_url`` is given; else the database when ``shared`` (several collectors
    on one PostgreSQL database); else this process's memory.

    ``on_backend_error`` is called for each request let through because Redis or the database
    failed (count it in a metric); it is not used by the memory limiter, which cannot fail.
    """
    if redis_url:
        from collector_server.ratelimit.redis import RedisRateLimiter  # noqa: PLC0415

        return RedisRateLimiter(redis_url, on_backend_error=on_backend_error)
    if shared:
        from collector_server.ratelimit.database import DatabaseRateLimiter  # noqa: PLC0415

        return DatabaseRateLimiter(engine, on_backend_error=on_backend_error)
    return MemoryRateLimiter()
