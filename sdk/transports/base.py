from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter

from sdk._guard import logger


class Transport(ABC):
    """Takes serialised reports and delivers them somewhere.

    Implementations must not block in :meth:`send` (enqueue and return) and must not raise.
    Reports a transport had to give up on are counted with :meth:`record_lost`, never dropped
    silently.
    """

    def __init__(self) -> None:
        self._lost: Counter[str] = Counter()
        self._lost_lock = threading.Lock()

    @abstractmethod
    def send(self, payload: bytes, report_id: str) -> bool:
        """Accept one report (JSON bytes) for delivery; False when it could not be accepted."""

    @abstractmethod
    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for accepted reports to be delivered."""

    def close(self, timeout: float) -> None:  # noqa: B027  (optional hook)
        """Flush what can be flushed in ``timeout`` and release resources."""

    def record_lost(self, reason: str, count: int = 1) -> None:
        with self._lost_lock:
            first = reason not in self._lost
            self._lost[reason] += count
        if first:
            logger.warning("BugRelay dropped a report (%s); further drops are only counted", reason)

    @property
    def lost(self) -> dict[str, int]:
        """Reports given up on so far, by reason (e.g. ``queue_full``, ``rejected``)."""
        with self._lost_lock:
            return dict(self._lost)
