"""Projects and their keys, cached so that the request path does not read the database.

Every client request needs its project (the key, the allowed origins, the limits). A cached
entry is used for ``ttl`` seconds; after that, one cheap read of the project's ``version``
counter tells whether it changed (a rotation, a revocation, ``bugrelay project set`` from any
process or replica), and only then is the project read again. So a change takes effect on every
collector within ``ttl`` seconds, and within this process at once when made through it
(:meth:`ProjectCache.invalidate`). Unknown ids are cached too, in a bounded LRU, so that a flood
of made-up project ids costs one read per id per ``ttl``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from collector_server.store import Project, Store

MAX_ID = 2**63 - 1  # a BIGINT: larger ids in a path name no project and reach no query
DEFAULT_TTL = 2.0


@dataclass(slots=True)
class _Entry:
    project: Project | None
    checked_at: float


class ProjectCache:
    def __init__(
        self,
        store: Store,
        *,
        ttl: float = DEFAULT_TTL,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._ttl = ttl
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._pending: dict[int, asyncio.Task[Project | None]] = {}  # reads in flight
        self._generation = 0  # of invalidations: a read begun before one is not cached

    async def get(self, project_id: int) -> Project | None:
        if not 1 <= project_id <= MAX_ID:
            return None
        now = self._clock()
        with self._lock:
            entry = self._entries.get(project_id)
            if entry is not None:
                self._entries.move_to_end(project_id)
                if now - entry.checked_at < self._ttl:
                    return entry.project
        loop = asyncio.get_running_loop()
        pending = self._pending.get(project_id)
        if pending is None or pending.get_loop() is not loop:
            # One read for every request that needs this project now, so that an expiry under
            # load is one query, not one per request in flight; a task of its own, so that a
            # request that goes away does not cancel it for the others.
            pending = loop.create_task(self._read(project_id, entry, now))
            self._pending[project_id] = pending
        return await asyncio.shield(pending)

    async def _read(self, project_id: int, entry: _Entry | None, now: float) -> Project | None:
        generation = self._generation
        try:
            project = await run_in_threadpool(self._refresh, project_id, entry)
        finally:
            with self._lock:
                if self._pending.get(project_id) is asyncio.current_task():
                    del self._pending[project_id]
        with self._lock:
            if generation == self._generation:  # else invalidated meanwhile: maybe stale
                self._entries[project_id] = _Entry(project, now)
                self._entries.move_to_end(project_id)
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return project

    def _refresh(self, project_id: int, entry: _Entry | None) -> Project | None:
        if entry is not None and entry.project is not None:
            version = self._store.project_version(project_id)
            if version == entry.project.version:
                return entry.project
        return self._store.get_project(project_id)

    def invalidate(self, project_id: int | None = None) -> None:
        with self._lock:
            self._generation += 1
            if project_id is None:
                self._pending.clear()
            else:
                self._pending.pop(project_id, None)
            if project_id is None:
                self._entries.clear()
            else:
                self._entries.pop(project_id, None)
