"""One daemon thread with a bounded queue: the only place SDK work waits."""

from __future__ import annotations

import contextlib
import os
import queue
import threading
import time
from collections.abc import Callable

from sdk._guard import capture_internal_exceptions, mark_sdk_thread

Job = Callable[[], None]


class BackgroundWorker:
    def __init__(self, queue_size: int = 100, name: str = "bugrelay.worker") -> None:
        self._queue: queue.Queue[Job | None] = queue.Queue(maxsize=queue_size)
        self._name = name
        self._thread: threading.Thread | None = None
        self._thread_pid: int | None = None
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0

    def submit(self, job: Job) -> bool:
        """Queue ``job``; False (at once, never waiting) when the queue is full."""
        self._ensure_thread()
        with self._lock:
            try:
                self._queue.put_nowait(job)
            except queue.Full:
                return False
            self._pending += 1
        return True

    def flush(self, timeout: float) -> bool:
        """Wait until every submitted job has run, or ``timeout`` seconds have passed."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
        return True

    def kill(self) -> None:
        """Stop the thread after the jobs already queued (does not wait)."""
        with self._lock:
            if self._thread is not None:
                # When the queue is full the thread is left alone: a daemon, it dies with us.
                with contextlib.suppress(queue.Full):
                    self._queue.put_nowait(None)
                self._thread = None

    def _ensure_thread(self) -> None:
        # A fork()ed child inherits the queue but not the thread: start its own.
        if self._thread is not None and self._thread_pid == os.getpid():
            return
        with self._lock:
            if self._thread is not None and self._thread_pid == os.getpid():
                return
            thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            thread.start()
            self._thread, self._thread_pid = thread, os.getpid()

    def _run(self) -> None:
        mark_sdk_thread()
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                with capture_internal_exceptions():
                    job()
            finally:
                with self._idle:
                    self._pending -= 1
                    if not self._pending:
                        self._idle.notify_all()
