"""Group commit: concurrent reports written by one writer, one durable transaction per batch.

A durable commit costs a disk flush (SQLite ``synchronous=FULL``; PostgreSQL
``synchronous_commit=on``), which is what limits a database that commits once per report. The
request handlers hand their prepared reports to :class:`GroupCommitter` and wait; its writer
thread takes everything that queued up while the previous batch was committing, writes it in
one transaction (:meth:`ReportStore.ingest_many`) and only then answers each waiting request.
Under light load a batch is one report and nothing waits longer than before; under heavy load
batches grow by themselves and one flush covers many reports. Nothing is acknowledged before its
batch committed. The coroutines of a batch are woken together, with one call into their event
loop; a request that was cancelled while it waited leaves its report stored, and the writer on.

SQLite has one writer per database, so one thread; PostgreSQL takes several writer threads (each
its own connection and transaction) to overlap commits.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import TypeAlias

from collector_server.store.reports import NewReport, ReportStore, Stored

logger = logging.getLogger("bugrelay.collector")

DEFAULT_MAX_BATCH = 256
_STOP = None

Outcome: TypeAlias = Stored | BaseException
# Who waits for a report: a thread (a Future) or a coroutine (its event loop and an asyncio
# future, answered from the loop's own thread).
Waiter: TypeAlias = "Future[Stored] | tuple[asyncio.AbstractEventLoop, asyncio.Future[Stored]]"
Job: TypeAlias = tuple[NewReport, Waiter]


class WriterClosedError(RuntimeError):
    """The collector is shutting down and takes no more reports."""


class GroupCommitter:
    def __init__(
        self,
        store: ReportStore,
        *,
        writers: int | None = None,
        max_batch: int = DEFAULT_MAX_BATCH,
        on_batch: Callable[[int], None] | None = None,
    ) -> None:
        self._store = store
        self._max_batch = max_batch
        self._on_batch = on_batch
        self._queue: queue.SimpleQueue[Job | None] = queue.SimpleQueue()
        count = writers or (1 if store.dialect == "sqlite" else 4)
        self._closed = False
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, name=f"bugrelay-writer-{n}", daemon=True)
            for n in range(count)
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, item: NewReport) -> Future[Stored]:
        future: Future[Stored] = Future()
        self._put((item, future))
        return future

    async def ingest(self, item: NewReport) -> Stored:
        """Store ``item`` in the next batch; returns once that batch committed."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Stored] = loop.create_future()
        self._put((item, (loop, waiter)))
        return await waiter

    def _put(self, job: Job) -> None:
        with self._lock:
            if self._closed:
                raise WriterClosedError("the collector is shutting down")
            self._queue.put(job)

    def close(self, timeout: float = 30) -> None:
        """Write what is queued, then stop the writers."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _ in self._threads:
                self._queue.put(_STOP)
        for thread in self._threads:
            thread.join(timeout)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is _STOP:
                    stop = True
                    break
                batch.append(job)
            _answer(self._write(batch))
            if stop:
                return

    def _write(self, batch: list[Job]) -> list[tuple[Waiter, Outcome]]:
        try:
            results = self._store.ingest_many([item for item, _ in batch])
        except Exception as exc:
            # The database failed. Alone, the report hears why; in a batch, each is tried on
            # its own, so that one report the database refuses does not fail the others.
            if len(batch) == 1:
                logger.warning("a report could not be stored: %r", exc)
                return [(batch[0][1], exc)]
            return [answer for job in batch for answer in self._write([job])]
        if self._on_batch is not None:
            self._on_batch(len(batch))
        return [(waiter, result) for (_, waiter), result in zip(batch, results, strict=True)]


def _answer(answers: list[tuple[Waiter, Outcome]]) -> None:
    """Wake the waiters: each event loop once for all of its coroutines in the batch."""
    by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Stored], Outcome]]] = {}
    for waiter, outcome in answers:
        if isinstance(waiter, Future):
            if waiter.set_running_or_notify_cancel():  # False: cancelled, nobody waits
                _settle(waiter, outcome)
        else:
            loop, future = waiter
            by_loop.setdefault(loop, []).append((future, outcome))
    for loop, settled in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody waits
            loop.call_soon_threadsafe(_settle_all, settled)


def _settle_all(settled: list[tuple[asyncio.Future[Stored], Outcome]]) -> None:
    for future, outcome in settled:
        if not future.cancelled():  # a cancelled request: its report is stored all the same
            _settle(future, outcome)


def _settle(future: Future[Stored] | asyncio.Future[Stored], outcome: Outcome) -> None:
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
