"""Buckets in the ``rate_buckets`` table: shared by every collector on one PostgreSQL database.

A request is one ``INSERT ... ON CONFLICT DO UPDATE ... WHERE <a token is there> RETURNING``:
the database refills the bucket, takes a token and answers with a row, in one statement that
concurrent collectors serialise on the bucket's row. No row back means refused; only then a
second statement, in the same transaction and under the row lock the first one took, reads the
bucket for the wait. Times are the database's clock (``now()``) on PostgreSQL, so collectors
whose clocks differ agree; on SQLite (one machine, one writer at a time) this machine's.

A bucket idle for longer than its rate's period is full, and a full bucket is the same as no
row. So every ``cleanup_every`` requests, a collector deletes up to ``2 * cleanup_every`` rows
idle for longer than ``idle_after`` or the longest period it has been asked about, whichever is
longer: the table holds about one row per key seen in that time.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Callable

import anyio.to_thread
from sqlalchemy import Engine, TextClause, text
from sqlalchemy.exc import SQLAlchemyError

from collector_server.ratelimit.base import (
    FailOpen,
    OnBackendError,
    RateLimitBackendError,
    check_key,
)
from collector_server.ratelimit.rate import Rate
from collector_server.store.db import BEGIN_OPTION

logger = logging.getLogger("bugrelay.collector")

DEFAULT_IDLE_AFTER = 3600.0
DEFAULT_CLEANUP_EVERY = 1000

# dialect -> (greatest, least, the database's clock in seconds since the epoch)
_DIALECTS = {
    "postgresql": ("greatest", "least", "CAST(extract(epoch FROM now()) AS double precision)"),
    "sqlite": ("max", "min", None),
}


class DatabaseRateLimiter:
    """Token buckets in the ``rate_buckets`` table of ``engine`` (PostgreSQL or SQLite).

    ``clock`` (seconds since the epoch) replaces the database's clock, for tests; on SQLite it
    defaults to :func:`time.time`. :meth:`close` leaves ``engine`` to its owner.
    """

    def __init__(
        self,
        engine: Engine,
        *,
        clock: Callable[[], float] | None = None,
        idle_after: float = DEFAULT_IDLE_AFTER,
        cleanup_every: int = DEFAULT_CLEANUP_EVERY,
        fail_open: bool = True,
        on_backend_error: OnBackendError | None = None,
    ) -> None:
        dialect = engine.dialect.name
        if dialect not in _DIALECTS:
            raise ValueError(f"rate limits in a database need PostgreSQL or SQLite, not {dialect}")
        if cleanup_every < 1:
            raise ValueError(f"cleanup_every must be at least 1, not {cleanup_every}")
        greatest, least, server_now = _DIALECTS[dialect]
        if clock is None and server_now is None:
            clock = time.time
        self._engine = engine
        self._label = f"rate_buckets in {engine.url.render_as_string(hide_password=True)}"
        self._clock = clock
        self._idle_after = idle_after
        self._longest_period = 0.0
        self._cleanup_every = cleanup_every
        self._takes = itertools.count(1)
        self.guard = FailOpen(enabled=fail_open, on_error=on_backend_error)

        now = "CAST(:now AS double precision)" if clock is not None else server_now
        refilled = (
            f"{least}(:capacity, rate_buckets.tokens"
            f" + {greatest}(0.0, excluded.updated_at - rate_buckets.updated_at) * :per_second)"
        )
        # Only the fragments above are formatted in; the values are bound parameters.
        self._take_sql: TextClause = text(
            f'INSERT INTO rate_buckets ("key", tokens, updated_at)'  # noqa: S608
            f" VALUES (:key, :capacity - 1, {now})"
            f' ON CONFLICT ("key") DO UPDATE SET tokens = {refilled} - 1,'
            f" updated_at = {greatest}(rate_buckets.updated_at, excluded.updated_at)"
            f" WHERE {refilled} >= 1"
            f" RETURNING tokens"
        )
        self._bucket_sql: TextClause = text(
            f'SELECT tokens, updated_at, {now} FROM rate_buckets WHERE "key" = :key'  # noqa: S608
        )
        idle = f"updated_at < {now} - :idle"
        self._cleanup_sql: TextClause = text(
            f'DELETE FROM rate_buckets WHERE {idle} AND "key" IN'  # noqa: S608
            f' (SELECT "key" FROM rate_buckets WHERE {idle} LIMIT :batch)'
        )

    @property
    def backend_errors(self) -> int:
        """Requests let through because the database failed, since the start."""
        return self.guard.errors

    async def take(self, key: str, rate: Rate) -> float:
        check_key(key)
        if self.guard.skipping():
            return self.guard.skipped()
        try:
            return await anyio.to_thread.run_sync(self._take_blocking, key, rate)
        except RateLimitBackendError as exc:
            return self.guard.failed(exc)

    async def delete_idle(self, batch: int | None = None) -> int:
        """Delete up to ``batch`` (default ``2 * cleanup_every``) idle buckets; how many were."""
        return await anyio.to_thread.run_sync(self._delete_idle_blocking, batch)

    async def close(self) -> None:
        """Nothing to let go of: the engine belongs to its owner."""

    def _params(self, **params: object) -> dict[str, object]:
        if self._clock is not None:
            params["now"] = self._clock()
        return params

    def _take_blocking(self, key: str, rate: Rate) -> float:
        self._longest_period = max(self._longest_period, rate.period)
        params = self._params(key=key, capacity=float(rate.capacity), per_second=rate.per_second)
        try:
            with self._engine.connect() as connection:
                connection.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})  # SQLite: one writer
                with connection.begin():
                    if connection.execute(self._take_sql, params).first() is not None:
                        wait = 0.0
                    else:
                        tokens, at, now = connection.execute(self._bucket_sql, params).one()
                        refilled = min(rate.capacity, tokens + max(0.0, now - at) * rate.per_second)
                        # Above 0 even if a token came in between (a refusal always waits).
                        wait = max((1 - refilled) / rate.per_second, 1e-6)
        except SQLAlchemyError as exc:
            raise RateLimitBackendError(f"{self._label}: {_reason(exc)}") from exc
        if next(self._takes) % self._cleanup_every == 0:
            try:
                self._delete_idle_blocking(None)
            except RateLimitBackendError as exc:
                logger.warning("idle rate-limit buckets were not deleted: %s", exc)
        return wait

    def _delete_idle_blocking(self, batch: int | None) -> int:
        idle = max(self._idle_after, self._longest_period)
        params = self._params(idle=idle, batch=batch or 2 * self._cleanup_every)
        try:
            with self._engine.connect() as connection, connection.begin():
                deleted: int = connection.execute(self._cleanup_sql, params).rowcount
        except SQLAlchemyError as exc:
            raise RateLimitBackendError(f"{self._label}: {_reason(exc)}") from exc
        return deleted


def _reason(exc: SQLAlchemyError) -> str:
    """The driver's message, without SQLAlchemy's statement and link."""
    reason = str(getattr(exc, "orig", None) or exc).strip()
    return reason.splitlines()[0] if reason else type(exc).__name__
