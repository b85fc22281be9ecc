"""One daemon thread per transport: the only place SDK work waits.

The host thread hands a report over with :meth:`DeliveryWorker.submit`: with a spool, one append
to the open journal (durable against a killed process the moment ``submit`` returns); without
one (``spool=False``, or a spool that became unusable: disk full, directory not writable), a
bounded in-memory queue. The worker then, in a loop:

1. makes new journal records durable (fsync), evicts what the spool's limits say (counted);
2. delivers, oldest first: what earlier processes left in the spool, then this process's
   reports; a report is marked done only after the collector acknowledged it (or refused it for
   good, counted). A report the collector cannot take yet (outage, 429, 5xx after the transport's
   retries) stays where it is and the worker waits before trying it again;
3. sleeps until the host submits more, or until it is time to look for orphaned journals again.

``flush(timeout)`` waits until every report this process submitted is done.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

from sdk._guard import capture_internal_exceptions, logger, mark_sdk_thread
from sdk.transports import _retry

if TYPE_CHECKING:
    from sdk.transports.spool import Record, Spool

# What became of one delivery: done (with the spool's outcome name), or None: try again later.
Outcome = Literal["delivered", "rejected", "invalid"] | None
Deliver = Callable[[str, bytes], Outcome]
CountLost = Callable[[str, int], None]

BATCH = 50  # reports read from the spool at a time: bounds the worker's memory
RESCAN_INTERVAL = 2.0  # seconds between looks for journals that dead processes left
MAX_OUTAGE_WAIT = 60.0
MAX_UNNOTED = 10_000


class DeliveryWorker:
    def __init__(
        self,
        deliver: Deliver,
        count_lost: CountLost,
        *,
        spool: Spool | None = None,
        queue_size: int = 100,
        name: str = "bugrelay.worker",
    ) -> None:
        self._deliver = deliver
        self._count_lost = count_lost
        self._spool = spool
        self._spool_usable = spool is not None
        self._queue_size = queue_size
        self._memory: deque[tuple[str, bytes]] = deque()
        self._name = name
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._stop = False
        self._own: set[str] = set()  # ids submitted by this process and not done yet
        self._backlog: set[str] = set()  # ids earlier processes left, pending here
        self._scanned = threading.Event()  # the spool was looked at once (or there is none)
        if spool is None:
            self._scanned.set()
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None
        self._outage_wait = 0.0
        self._unnoted: set[str] = set()  # sent, but the spool could not note it

    def start(self) -> None:
        """Start the thread now (with a spool: to replay what earlier processes left before any
        report). Called by the transport once it is fully built: the thread calls back into it."""
        self._ensure_thread()

    @property
    def spooling(self) -> bool:
        return self._spool_usable

    # --- host thread ------------------------------------------------------------------------

    def submit(self, report_id: str, payload: bytes) -> bool:
        """Hand one report over; False (at once, never waiting) when it could not be kept."""
        self._ensure_thread()
        if self._spool_usable and self._spool is not None:
            try:
                with self._lock:  # ours and in the spool at once, as the worker sees it
                    self._spool.append(report_id, payload)
                    self._own.add(report_id)
            except OSError as exc:  # SpoolUnavailable is an OSError: disk full, read-only, gone
                self._spool_usable = False
                logger.warning(
                    "BugRelay cannot write its spool (%s); reports are kept in memory only", exc
                )
            else:
                self._wake.set()
                return True
        with self._lock:
            if len(self._memory) >= self._queue_size:
                self._own.discard(report_id)
                full = True
            else:
                self._memory.append((report_id, payload))
                self._own.add(report_id)
                full = False
        if full:
            self._count_lost("queue_full", 1)
            return False
        self._wake.set()
        return True

    def flush(self, timeout: float) -> bool:
        """Wait until every report this process knows of is done: the ones submitted so far and
        the ones earlier processes left in the spool. False when ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        self._wake.set()
        if not self._scanned.wait(timeout):
            return False
        with self._changed:
            while self._own or self._backlog:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def close(self, timeout: float) -> bool:
        """Flush for up to ``timeout``, then stop; what is not sent stays in the spool."""
        done = self.flush(timeout)
        self._stop = True
        self._wake.set()
        return done

    # --- the worker thread ------------------------------------------------------------------

    def _ensure_thread(self) -> None:
        # A fork()ed child inherits none of the parent's threads: it starts its own worker.
        if self._thread is not None and self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread_pid == os.getpid():
                return
            if self._thread_pid is not None and self._thread_pid != os.getpid():
                self._own = set()  # the parent's reports are the parent's to flush
            thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            thread.start()
            self._thread, self._thread_pid = thread, os.getpid()

    def _run(self) -> None:
        mark_sdk_thread()
        while not self._stop:
            self._wake.clear()
            busy = False
            with capture_internal_exceptions():
                busy = self._round()
            if self._stop:
                break
            if not busy:
                self._wake.wait(RESCAN_INTERVAL if self._spool is not None else None)
        if self._spool is not None:
            with capture_internal_exceptions():
                self._spool.close()

    def _round(self) -> bool:
        """One pass over everything waiting; True when there may be more to do at once."""
        progressed = False
        if self._spool is not None:
            progressed = self._spool_round()
        while not self._stop:
            with self._lock:
                if not self._memory:
                    break
                report_id, payload = self._memory.popleft()  # in flight: no longer queued
            outcome = self._deliver(report_id, payload)
            if outcome is None:
                self._count_lost("network_error", 1)
            self._done(report_id)
            progressed = True
        return progressed and not self._stop

    def _spool_round(self) -> bool:
        spool = self._spool
        assert spool is not None
        try:
            spool.sync()
            for reason, count in spool.enforce_limits().items():
                self._count_lost(reason, count)
            for reason, count in spool.take_problems().items():
                self._count_lost(reason, count)
            # Ours first, then the spool's index: every id in ``waiting`` was appended (under the
            # same lock) before the index is read, so one missing from it was evicted. The host
            # is never kept waiting for the spool's reads.
            with self._lock:
                waiting = set(self._own)
            handled = spool.pending_ids()
            records = spool.pending(limit=BATCH + len(self._unnoted))
            with self._lock:
                self._backlog = handled - self._own
        except OSError as exc:
            logger.warning("BugRelay cannot read its spool (%s)", exc)
            self._scanned.set()
            return False
        self._scanned.set()
        for record in records:
            if self._stop:
                return False
            if not self._deliver_record(spool, record):
                self._wait_out_outage()
                return True  # try the same (oldest) report again now
        self._outage_wait = 0.0
        # Ours but not pending in the spool when we looked (under the lock that appends): evicted
        # by a limit (and counted), or not spooled at all but held in memory.
        with self._lock:
            in_memory = {rid for rid, _ in self._memory}
        gone = waiting - handled - in_memory
        if gone:
            self._done(*gone)
        return bool(records)

    def _deliver_record(self, spool: Spool, record: Record) -> bool:
        outcome: str = "delivered"  # what we told ourselves when the spool could not note it
        if record.report_id not in self._unnoted:
            result = self._deliver(record.report_id, record.payload)
            if result is None:
                return False
            outcome = result
        try:
            spool.ack(record, outcome)
        except OSError as exc:  # disk full: remember it here rather than send it again
            if not self._unnoted:
                logger.warning("BugRelay cannot mark a sent report in its spool (%s)", exc)
            if len(self._unnoted) < MAX_UNNOTED:
                self._unnoted.add(record.report_id)
        else:
            self._unnoted.discard(record.report_id)
        self._done(record.report_id)
        return True

    def _wait_out_outage(self) -> None:
        """The collector cannot take reports now: wait longer each time (reset by a success)."""
        self._outage_wait = min(MAX_OUTAGE_WAIT, max(1.0, self._outage_wait * 2))
        deadline = time.monotonic() + _retry.shortened(self._outage_wait)
        while not self._stop and time.monotonic() < deadline:
            self._wake.wait(deadline - time.monotonic())
            self._wake.clear()

    def _done(self, *report_ids: str) -> None:
        with self._changed:
            for report_id in report_ids:
                self._own.discard(report_id)
                self._backlog.discard(report_id)
            self._changed.notify_all()
