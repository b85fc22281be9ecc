"""Delivery to a BugRelay collector over HTTP(S), with requests and tenacity.

Retries (exponential backoff with jitter) on connection errors, timeouts, 408, 429 and 5xx,
waiting at least what ``Retry-After`` asks and sending nothing else until then. Other 4xx answers
cannot be fixed by retrying: the report is logged once and counted as lost (``rejected``).
The report id travels in the body and is the collector's idempotency key, so a retry after a lost
answer never stores a report twice. Scheduling, the disk spool and flushing are the
:class:`~sdk.transports.worker.DeliveryWorker`'s; docs/delivery.md states the guarantee.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import random
import threading
import time
from collections import Counter
from typing import TYPE_CHECKING

import tenacity

from sdk._guard import busy, capture_internal_exceptions, logger
from sdk._version import __version__
from sdk.dsn import Dsn
from sdk.transports._retry import retrying, sleep
from sdk.transports.base import DISCARD_REASONS, Transport
from sdk.transports.worker import DeliveryWorker, Outcome

if TYPE_CHECKING:
    import requests

    from sdk.transports.spool import Spool

GZIP_THRESHOLD = 1024
MAX_ATTEMPTS = 6
MAX_BACKOFF = 60.0
RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))
DISCARDED_HEADER = "X-BugRelay-Discarded"
MAX_COUNT = 1_000_000_000  # the collector's limit for one reason in one header


class _RetryableError(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _wait(state: tenacity.RetryCallState) -> float:
    jitter = random.uniform(0.5, 1.0)  # noqa: S311  (not cryptography)
    backoff: float = min(MAX_BACKOFF, 0.5 * 2.0 ** (state.attempt_number - 1)) * jitter
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, _RetryableError) and exc.retry_after is not None:
        return max(backoff, exc.retry_after)
    return backoff


class HttpTransport(Transport):
    """Posts reports to the collector from a :class:`DeliveryWorker`, spooled on disk if given.

    Reports the collector cannot take yet stay in the spool and are tried again later (in memory,
    without a spool, they are given up after :data:`MAX_ATTEMPTS`, counted). Every report given
    up on is counted by reason and the counts travel to the collector in the
    ``X-BugRelay-Discarded`` header of the next report it accepts.
    """

    def __init__(
        self,
        dsn: Dsn,
        *,
        queue_size: int = 100,
        timeout: float = 10.0,
        spool: Spool | None = None,
    ) -> None:
        super().__init__()
        self._dsn = dsn
        self._timeout = timeout
        self._session: requests.Session | None = None
        self._paused_until = 0.0
        self._session_lock = threading.Lock()
        self._spool = spool
        self._untold: Counter[str] = Counter()  # without a spool: counts not yet told
        self._untold_lock = threading.Lock()
        self._batch: _Batch | None = None
        self._worker = DeliveryWorker(
            self._deliver, self.record_lost, spool=spool, queue_size=queue_size
        )
        if spool is not None:
            self._worker.start()

    def send(self, payload: bytes, report_id: str) -> bool:
        return self._worker.submit(report_id, payload)

    def flush(self, timeout: float) -> bool:
        return self._worker.flush(timeout)

    def close(self, timeout: float) -> None:
        """Flush for ``timeout``; then, if counts of lost reports are still untold and time is
        left, tell the collector on their own (no report is coming to carry them)."""
        deadline = time.monotonic() + timeout
        idle = self._worker.close(timeout)
        remaining = deadline - time.monotonic()
        if idle and remaining > 0.05:  # idle: no report in flight could carry the same counts
            with busy(), capture_internal_exceptions():
                self._tell_counts(min(remaining, self._timeout))

    def _tell_counts(self, timeout: float) -> None:
        import requests  # noqa: PLC0415

        counts = self._discarded()
        if not counts:
            return
        try:
            response = self._get_session().post(
                self._dsn.client_report_url, json={"discarded": counts}, timeout=timeout
            )
        except requests.RequestException as exc:
            logger.debug("BugRelay could not tell the collector its losses: %s", exc)
            return
        if response.status_code == 204:
            self._told(counts)

    def record_lost(self, reason: str, count: int = 1) -> None:
        super().record_lost(reason, count)
        if self._spool is not None and self._worker.spooling:
            try:
                self._spool.add_counts({reason: count})
            except OSError:
                pass  # the spool went away: keep the count in memory instead
            else:
                return
        with self._untold_lock:
            self._untold[reason] += count

    def _discarded(self) -> dict[str, int]:
        counts: Counter[str] = Counter()
        if self._spool is not None:
            with contextlib.suppress(OSError):  # unreadable: what memory holds is still told
                counts.update(self._spool.counts())
        with self._untold_lock:
            counts.update(self._untold)
        return {r: n for r, n in counts.items() if n > 0 and r in DISCARD_REASONS}

    def _told(self, counts: dict[str, int]) -> None:
        """The collector accepted a report carrying ``counts``: they are not to be sent again."""
        left = Counter(counts)
        with self._untold_lock:
            for reason in list(left):
                taken = min(left[reason], self._untold[reason])
                self._untold[reason] -= taken
                left[reason] -= taken
            self._untold = +self._untold
        left = +left
        if left and self._spool is not None:
            try:
                self._spool.subtract_counts(left)
            except OSError:
                logger.debug("BugRelay could not update its spool's counts", exc_info=True)

    def _get_session(self) -> requests.Session:
        # requests is imported here, on the worker, so that sdk.init() stays cheap for the host.
        with self._session_lock:
            if self._session is None:
                import requests  # noqa: PLC0415

                session = requests.Session()
                # Our own deliveries are not the app's HTTP calls (see collectors/requests.py).
                session._bugrelay_internal = True  # type: ignore[attr-defined]
                session.headers.update(
                    {
                        "User-Agent": f"bugrelay-python/{__version__}",
                        "X-BugRelay-Key": self._dsn.public_key,
                    }
                )
                self._session = session
            return self._session

    def _deliver(self, report_id: str, payload: bytes) -> Outcome:
        """On the worker: one report to the collector, with retries. None: try again later."""
        body = self.prepare(payload)
        if body is None:
            return "invalid"  # counted by prepare(), or dropped by the app's before_send
        headers = {"Content-Type": "application/json"}
        if len(body) > GZIP_THRESHOLD:
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        batch = self._batch_for(report_id)
        if batch.counts:
            headers[DISCARDED_HEADER] = batch.header()
        try:
            for attempt in retrying(retry_on=_RetryableError, attempts=MAX_ATTEMPTS, wait=_wait):
                with attempt:
                    response = self._post_once(body, headers, batch)
        except _RetryableError as exc:
            logger.warning("BugRelay could not deliver report %s yet: %s", report_id, exc.reason)
            return None
        status = response.status_code
        if status == 400 and batch.counts and _error_code(response) == "invalid_discarded_header":
            logger.error("BugRelay's loss counts were refused: %s", response.text[:500])
            batch.counts = {}  # never let the counts cost the report: send it without them
            return self._deliver(report_id, payload)
        self._batch = None
        if status >= 400:
            logger.error(
                "BugRelay collector refused report %s with HTTP %s: %s",
                report_id,
                status,
                response.text[:500],
            )
            self.record_lost("rejected")
            return "rejected"
        # 202: stored now, the counts with it. 200: stored before; the counts were counted only
        # if an earlier try of this batch got no answer (that lost answer was the 202).
        if batch.counts and (status == 202 or batch.unanswered):
            self._told(batch.counts)
        return "delivered"

    def _batch_for(self, report_id: str) -> _Batch:
        """The loss counts that travel with this report: fixed at its first try, so that every
        retry carries the same ones and new counts wait for a later report."""
        if self._batch is None or self._batch.report_id != report_id:
            self._batch = _Batch(report_id, self._discarded())
        return self._batch

    def _post_once(self, body: bytes, headers: dict[str, str], batch: _Batch) -> requests.Response:
        import requests  # noqa: PLC0415

        pause = self._paused_until - time.monotonic()
        sleep(pause)
        if not batch.counts:
            headers.pop(DISCARDED_HEADER, None)
        try:
            response = self._get_session().post(
                self._dsn.reports_url, data=body, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            batch.unanswered = batch.unanswered or bool(batch.counts)
            raise _RetryableError(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                self._paused_until = time.monotonic() + retry_after
            raise _RetryableError(f"HTTP {status}", retry_after)
        return response


class _Batch:
    """Loss counts sent with one report, and whether a try of it may have been counted unseen."""

    __slots__ = ("counts", "report_id", "unanswered")

    def __init__(self, report_id: str, counts: dict[str, int]) -> None:
        self.report_id = report_id
        self.counts = {reason: min(n, MAX_COUNT) for reason, n in counts.items() if n > 0}
        self.unanswered = False

    def header(self) -> str:
        return ", ".join(f"{reason}={n}" for reason, n in sorted(self.counts.items()))


def _error_code(response: requests.Response) -> str | None:
    try:
        code = response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None
    return code if isinstance(code, str) else None
