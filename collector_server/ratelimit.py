"""Token buckets per client address and per project key, in this process's memory.

Each bucket holds up to ``capacity`` tokens and refills at ``capacity / period`` tokens per
second; a request takes one. The defaults (600 per minute per address, 6,000 per minute per
project key, each with a full minute of burst) never refuse an honest app's traffic and stop a
runaway loop or a flood. ``BUGRELAY_RATE_LIMIT=off`` turns both off.

With several collectors behind a load balancer each keeps its own buckets, so the effective
limit is the per-process limit times the number of collectors.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    capacity: int
    period: float  # seconds

    @classmethod
    def parse(cls, value: str) -> Rate:
        """``"600/60"``: 600 requests per 60 seconds."""
        count, _, seconds = value.partition("/")
        if not count.strip().isdigit() or int(count) < 1:
            raise ValueError(f"{value!r} is not a rate like 600/60 (requests/seconds)")
        try:
            period = float(seconds)
        except ValueError:
            raise ValueError(f"{value!r} is not a rate like 600/60 (requests/seconds)") from None
        if not period > 0:
            raise ValueError(f"{value!r}: the period must be more than 0 seconds")
        return cls(int(count), period)

    def __str__(self) -> str:
        return f"{self.capacity} requests per {self.period:g} s"


class TokenBuckets:
    """One bucket per key; the least recently used are forgotten beyond ``max_keys``."""

    def __init__(
        self, rate: Rate, *, max_keys: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self._refill = rate.capacity / rate.period
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # key -> (tokens, at)
        self._max_keys = max_keys
        self._clock = clock
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        """0 when ``key`` may go ahead (and a token is taken), else the seconds to wait."""
        now = self._clock()
        with self._lock:
            tokens, at = self._buckets.pop(key, (float(self.rate.capacity), now))
            tokens = min(float(self.rate.capacity), tokens + (now - at) * self._refill)
            wait = 0.0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = (1 - tokens) / self._refill
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > self._max_keys:
                self._buckets.popitem(last=False)
        return wait


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
