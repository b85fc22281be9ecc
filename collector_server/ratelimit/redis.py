"""Buckets in Redis: shared by every collector on one Redis (``BUGRELAY_REDIS_URL``).

A bucket is a hash ``<prefix><key>`` with ``tokens`` and ``at`` (seconds since the epoch, by the
Redis server's clock, so collectors whose clocks differ agree). One Lua script refills it and
takes a token atomically; on a take it expires when it would be full again, so idle buckets
vanish on their own. The script is sent by its SHA (``EVALSHA``), and loaded again when Redis
answers ``NOSCRIPT`` (after a restart or ``SCRIPT FLUSH``).

Redis errors stop here: they become :class:`RateLimitBackendError`, and by default the request
is let through (see :class:`~collector_server.ratelimit.FailOpen`).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import redis.asyncio
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from collector_server.ratelimit.base import (
    FailOpen,
    OnBackendError,
    RateLimitBackendError,
    check_key,
)
from collector_server.ratelimit.rate import Rate

DEFAULT_PREFIX = "bugrelay:rl:"
DEFAULT_TIMEOUT = 0.5  # seconds to connect, and to wait for an answer

# KEYS[1]: the bucket. ARGV: capacity, tokens per second, now ("": the server's clock).
# Answers the wait in seconds as a string ("0": allowed); Lua numbers would be cut to integers.
TAKE_SCRIPT = """
local capacity = tonumber(ARGV[1])
local per_second = tonumber(ARGV[2])
local now
if ARGV[3] == '' then
  local time = redis.call('TIME')
  now = tonumber(time[1]) + tonumber(time[2]) / 1000000
else
  now = tonumber(ARGV[3])
end
local bucket = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(bucket[1])
local at = tonumber(bucket[2])
if tokens == nil or at == nil then
  tokens = capacity
  at = now
end
tokens = math.min(capacity, tokens + math.max(0, now - at) * per_second)
if tokens < 1 then
  return string.format('%.17g', (1 - tokens) / per_second)
end
tokens = tokens - 1
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens),
  'at', string.format('%.17g', math.max(at, now)))
local full_in_ms = math.ceil((capacity - tokens) / per_second * 1000) + 1000
redis.call('PEXPIRE', KEYS[1], string.format('%d', full_in_ms))
return '0'
"""


class RedisRateLimiter:
    """Token buckets in the Redis at ``url``, under keys that start with ``prefix``.

    ``clock`` (seconds since the epoch) replaces the Redis server's clock, for tests.
    """

    def __init__(
        self,
        url: str,
        *,
        prefix: str = DEFAULT_PREFIX,
        clock: Callable[[], float] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        fail_open: bool = True,
        on_backend_error: OnBackendError | None = None,
    ) -> None:
        self._client = redis.asyncio.Redis.from_url(
            url,
            socket_connect_timeout=timeout,
            socket_timeout=timeout,
            retry=Retry(NoBackoff(), retries=1),  # once, for a connection Redis closed
        )
        self._script = self._client.register_script(TAKE_SCRIPT)
        self._prefix = prefix
        self._clock = clock
        self.label = _without_password(url)
        self.guard = FailOpen(enabled=fail_open, on_error=on_backend_error)

    @property
    def backend_errors(self) -> int:
        """Requests let through because Redis failed, since the start."""
        return self.guard.errors

    async def take(self, key: str, rate: Rate) -> float:
        check_key(key)
        if self.guard.skipping():
            return self.guard.skipped()
        try:
            return await self._take(key, rate)
        except RateLimitBackendError as exc:
            return self.guard.failed(exc)

    async def _take(self, key: str, rate: Rate) -> float:
        now = "" if self._clock is None else repr(self._clock())
        try:
            answer = await self._script(
                keys=[self._prefix + key], args=[rate.capacity, repr(rate.per_second), now]
            )
        except RedisError as exc:
            raise RateLimitBackendError(f"Redis at {self.label}: {exc}") from exc
        try:
            return float(answer)
        except (TypeError, ValueError) as exc:
            raise RateLimitBackendError(
                f"Redis at {self.label} answered {answer!r}, not a number of seconds"
            ) from exc

    async def close(self) -> None:
        await self._client.aclose()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return parts._replace(netloc=f"{parts.username or ''}:***@{host}").geturl()
