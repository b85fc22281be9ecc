from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable

from sdk._guard import logger

Prepare = Callable[[bytes], bytes]

# Why a report was given up on: the reasons the collector takes in ``X-BugRelay-Discarded``
# (collector_server/client_reports.py; a test keeps the two equal). docs/delivery.md explains each.
DISCARD_REASONS = frozenset(
    {
        "queue_full",
        "spool_full",
        "expired",
        "invalid",
        "rejected",
        "network_error",
        "corrupted",
        "torn",
    }
)


class DropReport(Exception):  # a signal, not an error: its name does not end in Error
    """Raised by the preparer for a report that is not to be sent.

    ``lost=False`` when the app chose it (``before_send`` returned None): not counted as lost.
    """

    def __init__(self, reason: str, *, lost: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.lost = lost


class Transport(ABC):
    """Takes serialised report drafts and delivers them somewhere.

    Implementations must not block in :meth:`send` (enqueue and return) and must not raise. Off
    the host thread (on their worker), they turn a draft into the final wire JSON with
    :meth:`prepare`. Reports a transport had to give up on are counted with :meth:`record_lost`,
    never dropped silently.
    """

    def __init__(self) -> None:
        self._lost: Counter[str] = Counter()
        self._lost_lock = threading.Lock()
        self._prepare: Prepare | None = None

    @abstractmethod
    def send(self, payload: bytes, report_id: str) -> bool:
        """Accept one report draft (JSON bytes) for delivery; False when it could not be."""

    @abstractmethod
    def flush(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for accepted reports to be delivered."""

    def close(self, timeout: float) -> None:  # noqa: B027  (optional hook)
        """Flush what can be flushed in ``timeout`` and release resources."""

    def bind(self, prepare: Prepare) -> None:
        """Called by the client: how drafts become wire JSON (expand, scrub, validate...)."""
        self._prepare = prepare

    def prepare(self, payload: bytes) -> bytes | None:
        """The wire JSON for a draft from :meth:`send`, or None when it is not to be sent.

        Call it on the transport's worker, never on the host thread. A report that cannot be
        made valid is counted as lost (``invalid``); one dropped by ``before_send`` is not.
        """
        prepare = self._prepare
        if prepare is None:
            from sdk._prepare import Preparer  # noqa: PLC0415

            prepare = self._prepare = Preparer()
        try:
            return prepare(payload)
        except DropReport as drop:
            if drop.lost:
                self.record_lost(drop.reason)
            else:
                logger.debug("report dropped (%s)", drop.reason)
            return None

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
