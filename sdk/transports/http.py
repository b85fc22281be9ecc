"""Delivery to a BugRelay collector over HTTP(S), with requests and tenacity.

Retries (exponential backoff with jitter) on connection errors, timeouts, 408, 429 and 5xx,
waiting at least what ``Retry-After`` asks and sending nothing else until then. Other 4xx answers
cannot be fixed by retrying: the report is logged once and counted as lost (``rejected``).
The report id travels in the body and is the collector's idempotency key, so a retry after a lost
answer never stores a report twice.
"""

from __future__ import annotations

import email.utils
import gzip
import random
import threading
import time
from typing import TYPE_CHECKING

import tenacity

from sdk._guard import logger
from sdk._version import __version__
from sdk.dsn import Dsn
from sdk.transports._retry import retrying, sleep
from sdk.transports.base import Transport
from sdk.transports.worker import BackgroundWorker

if TYPE_CHECKING:
    import requests

GZIP_THRESHOLD = 1024
MAX_ATTEMPTS = 6
MAX_BACKOFF = 60.0
RETRY_STATUSES = frozenset({408, 429}) | frozenset(range(500, 600))


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
    def __init__(self, dsn: Dsn, *, queue_size: int = 100, timeout: float = 10.0) -> None:
        super().__init__()
        self._dsn = dsn
        self._timeout = timeout
        self._worker = BackgroundWorker(queue_size)
        self._session: requests.Session | None = None
        self._paused_until = 0.0
        self._session_lock = threading.Lock()

    def send(self, payload: bytes, report_id: str) -> bool:
        if self._worker.submit(lambda: self._deliver(payload, report_id)):
            return True
        self.record_lost("queue_full")
        return False

    def flush(self, timeout: float) -> bool:
        return self._worker.flush(timeout)

    def close(self, timeout: float) -> None:
        self.flush(timeout)
        self._worker.kill()

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

    def _deliver(self, payload: bytes, report_id: str) -> None:
        body = self.prepare(payload)
        if body is None:
            return
        headers = {"Content-Type": "application/json"}
        if len(body) > GZIP_THRESHOLD:
            body = gzip.compress(body, compresslevel=6)
            headers["Content-Encoding"] = "gzip"
        try:
            for attempt in retrying(retry_on=_RetryableError, attempts=MAX_ATTEMPTS, wait=_wait):
                with attempt:
                    self._post_once(body, headers, report_id)
        except _RetryableError as exc:
            logger.warning("BugRelay could not deliver report %s: %s", report_id, exc.reason)
            self.record_lost("network_error")

    def _post_once(self, body: bytes, headers: dict[str, str], report_id: str) -> None:
        import requests  # noqa: PLC0415

        pause = self._paused_until - time.monotonic()
        sleep(pause)
        try:
            response = self._get_session().post(
                self._dsn.reports_url, data=body, headers=headers, timeout=self._timeout
            )
        except requests.RequestException as exc:
            raise _RetryableError(f"{type(exc).__name__}: {exc}") from exc
        status = response.status_code
        if status in RETRY_STATUSES:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                self._paused_until = time.monotonic() + retry_after
            raise _RetryableError(f"HTTP {status}", retry_after)
        if status >= 400:
            logger.error(
                "BugRelay collector refused report %s with HTTP %s: %s",
                report_id,
                status,
                response.text[:500],
            )
            self.record_lost("rejected")
