"""The plug-in point, the one error of the shared backends, and what they do when it happens."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Protocol

from collector_server.ratelimit.rate import Rate

logger = logging.getLogger("bugrelay.collector")

MAX_KEY_LENGTH = 200  # rate_buckets.key is a String(200)
LOG_EVERY = 60.0  # seconds between two warnings about a failing backend
SKIP_AFTER_ERROR = 1.0  # seconds a failed backend is not asked again (no stall per request)

OnBackendError = Callable[["RateLimitBackendError"], None]


class RateLimiter(Protocol):
    """Token buckets by key: ``"ip:203.0.113.7"``, ``"key:<project id>"``.

    A bucket holds up to ``rate.capacity`` tokens and refills at ``rate.per_second``; a request
    takes one. The rate comes with each call, because projects may have their own.
    """

    async def take(self, key: str, rate: Rate) -> float:
        """0.0 when ``key`` may go ahead (a token is taken), else the seconds until a token is
        there (nothing is taken)."""
        ...

    async def close(self) -> None:
        """Let go of connections; the limiter is not used afterwards."""
        ...


class RateLimitBackendError(Exception):
    """The shared backend (Redis, the database) could not be asked.

    Raised by ``take`` only when the limiter was made with ``fail_open=False``. By default the
    limiter lets the request through instead, counts it and logs (see :class:`FailOpen`).
    """


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValueError(
            f"a rate-limit key must have 1 to {MAX_KEY_LENGTH} characters, not {len(key)}"
        )


class FailOpen:
    """A shared limiter's answer while its backend fails: let the request through.

    An honest report is never refused because Redis or the database is down. Each request let
    through is counted (:attr:`errors`, and ``on_error`` for a metric); a warning is logged at
    most once every :data:`LOG_EVERY` seconds; after a failure the backend is not asked again
    for :data:`SKIP_AFTER_ERROR` seconds, so an unreachable server does not add a timeout to
    every request. With ``enabled=False`` the error is raised instead.
    """

    def __init__(
        self,
        *,
        enabled: bool = True,
        on_error: OnBackendError | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.enabled = enabled
        self.errors = 0  # requests let through because the backend failed, since the start
        self._on_error = on_error
        self._clock = clock
        self._last_error: RateLimitBackendError | None = None
        self._skip_until = float("-inf")
        self._next_log = float("-inf")
        self._unlogged = 0

    def skipping(self) -> bool:
        """True while the backend failed a moment ago: :meth:`skipped` answers instead."""
        return self.enabled and self._clock() < self._skip_until

    def failed(self, error: RateLimitBackendError) -> float:
        """The backend just failed: 0.0 (let through), or ``error`` raised when not enabled."""
        self._last_error = error
        if not self.enabled:
            raise error
        self._skip_until = self._clock() + SKIP_AFTER_ERROR
        return self._let_through(error)

    def skipped(self) -> float:
        assert self._last_error is not None
        return self._let_through(self._last_error)

    def _let_through(self, error: RateLimitBackendError) -> float:
        self.errors += 1
        self._unlogged += 1
        if self._on_error is not None:
            self._on_error(error)
        now = self._clock()
        if now >= self._next_log:
            logger.warning(
                "rate limits are not enforced (%d request(s) let through since the last "
                "warning): %s",
                self._unlogged,
                error,
            )
            self._next_log = now + LOG_EVERY
            self._unlogged = 0
        return 0.0
