"""The project cache on a real SQLite store: reads the database once per ``ttl`` and project,
sees changes made by another process within ``ttl``, and one read serves a crowd."""

from __future__ import annotations

import asyncio
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from collector_server.project_cache import MAX_ID, ProjectCache
from collector_server.store import Project, Store


class CountingStore(Store):
    """The real store, counting (and optionally holding up) the reads the cache makes."""

    calls: Counter[str]
    gate: threading.Event

    def project_version(self, project_id: int) -> int | None:
        self.calls["version"] += 1
        self.gate.wait(10)
        return super().project_version(project_id)

    def get_project(self, project_id: int) -> Project | None:
        self.calls["project"] += 1
        self.gate.wait(10)
        return super().get_project(project_id)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def stores(tmp_path: Path) -> Any:
    url = f"sqlite:///{tmp_path / 'cache.sqlite3'}"
    store = CountingStore.open(url)
    store.calls = Counter()
    store.gate = threading.Event()
    store.gate.set()
    other = Store.open(url, upgrade=False)  # another collector on the same database
    yield store, other
    store.close()
    other.close()


def test_a_project_is_read_once_per_ttl_and_changes_elsewhere_are_seen(stores: Any) -> None:
    store, other = stores
    project = store.create_project("shop")
    clock = Clock()
    cache = ProjectCache(store, ttl=2.0, clock=clock)

    async def scenario() -> None:
        assert await cache.get(project.id) == project
        assert await cache.get(project.id) == project
        assert store.calls == {"project": 1}
        other.update_project("shop", {"allowed_origins": ["https://shop.example"]})
        clock.now += 1.9
        cached = await cache.get(project.id)  # within ttl: the cached one
        assert cached.allowed_origins == project.allowed_origins
        clock.now += 0.2
        changed = await cache.get(project.id)
        assert list(changed.allowed_origins) == ["https://shop.example"]
        assert store.calls == {"project": 2, "version": 1}
        clock.now += 2.1
        assert await cache.get(project.id) == changed  # unchanged: only the version is read
        assert store.calls == {"project": 2, "version": 2}

    asyncio.run(scenario())


def test_invalidate_reads_again_at_once(stores: Any) -> None:
    store, _ = stores
    project = store.create_project("shop")
    cache = ProjectCache(store, ttl=60.0, clock=Clock())

    async def scenario() -> None:
        await cache.get(project.id)
        rotated = store.rotate_key("shop", timedelta(0))
        cache.invalidate(project.id)
        assert (await cache.get(project.id)).public_key == rotated.public_key
        assert store.calls["project"] == 2

    asyncio.run(scenario())


def test_unknown_and_impossible_ids(stores: Any) -> None:
    store, _ = stores
    cache = ProjectCache(store, ttl=60.0, clock=Clock())

    async def scenario() -> None:
        for _ in range(3):
            assert await cache.get(424242) is None
        assert store.calls == {"project": 1}  # an unknown id is cached too
        for impossible in (0, -1, MAX_ID + 1):
            assert await cache.get(impossible) is None
        assert store.calls == {"project": 1}  # never reaches a query

    asyncio.run(scenario())


def test_a_crowd_after_expiry_makes_one_read_and_a_leaver_does_not_spoil_it(
    stores: Any,
) -> None:
    store, _ = stores
    project = store.create_project("shop")
    clock = Clock()
    cache = ProjectCache(store, ttl=2.0, clock=clock)

    async def scenario() -> None:
        await cache.get(project.id)
        clock.now += 5
        store.gate.clear()  # the read is slow: every request arrives while it runs
        crowd = [asyncio.create_task(cache.get(project.id)) for _ in range(50)]
        await asyncio.sleep(0.05)
        crowd[0].cancel()  # the request that started the read goes away
        store.gate.set()
        results = await asyncio.gather(*crowd[1:])
        assert all(found == project for found in results)
        with pytest.raises(asyncio.CancelledError):
            await crowd[0]
        assert store.calls == {"project": 1, "version": 1}

    asyncio.run(scenario())
