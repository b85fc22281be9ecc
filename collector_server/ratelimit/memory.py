"""Buckets in this process's memory: for one collector (the SQLite default)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from collector_server.ratelimit.base import check_key
from collector_server.ratelimit.rate import Rate

DEFAULT_MAX_KEYS = 100_000


class MemoryRateLimiter:
    """One bucket per key, the least recently used forgotten beyond ``max_keys`` (a forgotten
    bucket comes back full). Thread-safe; never waits for I/O.

    Each process has its own buckets: N collectors behind a load balancer let N times the rate
    through. Use :class:`~collector_server.ratelimit.DatabaseRateLimiter` or
    :class:`~collector_server.ratelimit.RedisRateLimiter` to share them.
    """

    def __init__(
        self, *, max_keys: int = DEFAULT_MAX_KEYS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if max_keys < 1:
            raise ValueError(f"max_keys must be at least 1, not {max_keys}")
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()

    async def take(self, key: str, rate: Rate) -> float:
        return self.take_nowait(key, rate)

    def take_nowait(self, key: str, rate: Rate) -> float:
        """:meth:`take` for synchronous callers (and threads)."""
        check_key(key)
        capacity = float(rate.capacity)
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (capacity, now))
            tokens = min(capacity, tokens + max(0.0, now - at) * rate.per_second)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / rate.per_second
            self._buckets[key] = (tokens, max(at, now))
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        """The number of buckets held."""
        return len(self._buckets)

    async def close(self) -> None:
        with self._lock:
            self._buckets.clear()
