"""A rate (``600/60``: 600 requests per 60 seconds) and the ``Retry-After`` it leads to."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    """A bucket of ``capacity`` tokens that refills at ``capacity / period`` tokens a second."""

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

    @property
    def per_second(self) -> float:
        """Tokens added to a bucket each second."""
        return self.capacity / self.period

    def __str__(self) -> str:
        return f"{self.capacity} requests per {self.period:g} s"


def retry_after_header(wait: float) -> str:
    return str(max(1, math.ceil(wait)))
