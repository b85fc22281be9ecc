"""Rate limits: one behaviour for the three backends, replicas sharing buckets, a backend that is
down, the table kept small, and a real collector refusing a flood with 429."""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest
import redis
import requests
from sqlalchemy import Engine, text

from collector_server.ratelimit import (
    DatabaseRateLimiter,
    FailOpen,
    MemoryRateLimiter,
    Rate,
    RateLimitBackendError,
    RateLimiter,
    RedisRateLimiter,
    make_rate_limiter,
)
from collector_server.settings import Settings, SettingsError
from collector_server.store import Store
from collector_server.store.db import make_engine
from tests.support import (
    Collector,
    free_port,
    postgres_database,
    run_concurrently,
    run_python,
    start_collector,
)

REDIS_URL = os.environ.get("BUGRELAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
SLOW = Rate(25, 1e6)  # a token comes back every 11 hours: none during a test on a real clock


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# --- the backends, each made as often as a test wants replicas ---------------------------------


@pytest.fixture(scope="module")
def sqlite_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('ratelimit') / 'db.sqlite3'}"
    Store.open(url).close()  # migrated: rate_buckets exists
    return url


@pytest.fixture(scope="module")
def postgresql_url() -> Iterator[str]:
    with postgres_database() as url:
        Store.open(url).close()
        yield url


@pytest.fixture(scope="module")
def redis_url() -> str:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {exc}")
    finally:
        client.close()
    return REDIS_URL


@dataclass
class Backend:
    """Makes limiters ("replicas") that share one store of buckets, and keys no other test uses."""

    kind: str
    url: str = ""
    tag: str = field(default_factory=lambda: secrets.token_hex(4))
    made: list[RateLimiter] = field(default_factory=list)
    engines: list[Engine] = field(default_factory=list)

    @property
    def prefix(self) -> str:
        return f"bugrelay-test:{self.tag}:"

    def key(self, name: str) -> str:
        return f"ip:{self.tag}-{name}"

    def make(self, clock: Callable[[], float] | None = None) -> RateLimiter:
        limiter: RateLimiter
        if self.kind == "memory":
            limiter = MemoryRateLimiter(clock=clock) if clock else MemoryRateLimiter()
        elif self.kind == "redis":
            limiter = RedisRateLimiter(self.url, prefix=self.prefix, clock=clock, fail_open=False)
        else:
            engine = make_engine(self.url)  # a replica has its own engine
            self.engines.append(engine)
            limiter = DatabaseRateLimiter(engine, clock=clock, cleanup_every=10**9, fail_open=False)
        self.made.append(limiter)
        return limiter

    async def close(self) -> None:
        for limiter in self.made:
            await limiter.close()
        for engine in self.engines:
            engine.dispose()
        if self.kind == "redis":
            client = redis.Redis.from_url(self.url)
            for key in client.scan_iter(match=self.prefix + "*"):
                client.delete(key)
            client.close()


async def open_backend(request: pytest.FixtureRequest) -> Backend:
    kind: str = request.param
    url = "" if kind == "memory" else request.getfixturevalue(f"{kind}_url")
    return Backend(kind, url)


POSTGRESQL = pytest.param("postgresql", marks=pytest.mark.postgres)


@pytest.fixture(params=["memory", "sqlite", POSTGRESQL, "redis"])
async def backend(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Backend]:
    opened = await open_backend(request)
    yield opened
    await opened.close()


@pytest.fixture(params=["sqlite", POSTGRESQL, "redis"])
async def shared(request: pytest.FixtureRequest, anyio_backend: str) -> AsyncIterator[Backend]:
    opened = await open_backend(request)
    yield opened
    await opened.close()


# --- one behaviour, every backend ---------------------------------------------------------------


@pytest.mark.anyio
async def test_a_bucket_allows_its_burst_then_refuses_with_the_wait(backend: Backend) -> None:
    limiter, a, rate = backend.make(FakeClock()), backend.key("a"), Rate(3, 60)
    assert [await limiter.take(a, rate) for _ in range(3)] == [0, 0, 0]
    assert await limiter.take(a, rate) == pytest.approx(20)  # one token per 20 s
    assert await limiter.take(a, rate) == pytest.approx(20)  # a refusal takes nothing


@pytest.mark.anyio
async def test_a_bucket_refills_at_its_rate_up_to_its_capacity(backend: Backend) -> None:
    clock = FakeClock()
    limiter, a, rate = backend.make(clock), backend.key("a"), Rate(3, 60)
    assert [await limiter.take(a, rate) for _ in range(3)] == [0, 0, 0]
    clock.now += 5
    assert await limiter.take(a, rate) == pytest.approx(15)
    clock.now += 15
    assert await limiter.take(a, rate) == 0
    assert await limiter.take(a, rate) == pytest.approx(20)
    clock.now += 50  # 2.5 tokens
    assert [await limiter.take(a, rate) for _ in range(2)] == [0, 0]
    assert await limiter.take(a, rate) == pytest.approx(10)
    clock.now += 1e6  # full, and no fuller than full
    assert [await limiter.take(a, rate) for _ in range(3)] == [0, 0, 0]
    assert await limiter.take(a, rate) == pytest.approx(20)


@pytest.mark.anyio
async def test_keys_have_their_own_buckets(backend: Backend) -> None:
    limiter, rate = backend.make(FakeClock()), Rate(1, 60)
    a, b = backend.key("a"), backend.key("b")
    assert [await limiter.take(a, rate), await limiter.take(b, rate)] == [0, 0]
    assert await limiter.take(a, rate) == pytest.approx(60)
    assert await limiter.take(b, rate) == pytest.approx(60)


@pytest.mark.anyio
async def test_each_call_brings_its_own_rate(backend: Backend) -> None:
    limiter = backend.make(FakeClock())
    small, large = backend.key("small"), backend.key("large")
    assert [await limiter.take(small, Rate(1, 60)) for _ in range(2)] == [0, pytest.approx(60)]
    assert [await limiter.take(large, Rate(5, 60)) for _ in range(5)] == [0] * 5
    # The project's rate went up: the empty bucket now refills at 100 a minute.
    assert await limiter.take(small, Rate(100, 60)) == pytest.approx(0.6)


@pytest.mark.anyio
async def test_a_key_that_is_empty_or_too_long_is_refused_by_name(backend: Backend) -> None:
    limiter = backend.make(FakeClock())
    for key in ("", "ip:" + "x" * 200):
        with pytest.raises(ValueError, match="1 to 200 characters"):
            await limiter.take(key, Rate(1, 60))


# --- replicas share buckets ----------------------------------------------------------------------


@pytest.mark.anyio
async def test_two_replicas_share_one_bucket(shared: Backend) -> None:
    clock = FakeClock()
    replicas, a, rate = [shared.make(clock), shared.make(clock)], shared.key("a"), Rate(5, 60)
    answers = [await replicas[n % 2].take(a, rate) for n in range(8)]
    assert answers == [0] * 5 + [pytest.approx(12)] * 3
    clock.now += 12  # one token, for whichever replica asks first
    assert await replicas[1].take(a, rate) == 0
    assert await replicas[0].take(a, rate) == pytest.approx(12)


@pytest.mark.anyio
async def test_concurrent_takes_from_two_replicas_allow_exactly_the_capacity(
    shared: Backend,
) -> None:
    """On the backend's own clock; the database's blocking calls run in threads, at once."""
    replicas, a = [shared.make(), shared.make()], shared.key("a")
    answers: list[float] = []

    async def take(limiter: RateLimiter) -> None:
        answers.append(await limiter.take(a, SLOW))

    async with anyio.create_task_group() as tasks:
        for n in range(4 * SLOW.capacity):
            tasks.start_soon(take, replicas[n % 2])
    assert len(answers) == 4 * SLOW.capacity
    assert answers.count(0) == SLOW.capacity
    assert all(wait > 0 for wait in answers if wait)


def test_the_memory_limiter_is_thread_safe() -> None:
    limiter = MemoryRateLimiter()
    answers: list[float] = []

    def take() -> None:
        for _ in range(10):
            answers.append(limiter.take_nowait("ip:203.0.113.7", SLOW))

    run_concurrently(take, threads=20)
    assert len(answers) == 200
    assert answers.count(0) == SLOW.capacity


def test_the_memory_limiter_forgets_the_least_recently_used_bucket() -> None:
    limiter, rate = MemoryRateLimiter(max_keys=2, clock=FakeClock()), Rate(1, 60)
    for key in ("ip:a", "ip:b", "ip:a"):  # a used last
        limiter.take_nowait(key, rate)
    limiter.take_nowait("ip:c", rate)  # b goes
    assert len(limiter) == 2
    assert limiter.take_nowait("ip:a", rate) > 0
    assert limiter.take_nowait("ip:b", rate) == 0  # forgotten, so full again


def test_the_number_of_memory_buckets_is_bounded() -> None:
    limiter = MemoryRateLimiter(max_keys=100, clock=FakeClock())
    for i in range(1000):
        limiter.take_nowait(f"ip:address-{i}", Rate(1, 60))
    assert len(limiter) == 100


# --- Redis ---------------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_redis_bucket_expires_when_it_would_be_full_again(redis_url: str) -> None:
    backend = Backend("redis", redis_url)
    try:
        limiter, a, rate = backend.make(FakeClock()), backend.key("a"), Rate(3, 60)
        client = redis.Redis.from_url(redis_url)
        await limiter.take(a, rate)  # 2 tokens left: full in 20 s
        assert 0 < client.pttl(backend.prefix + a) <= 21_000
        await limiter.take(a, rate)  # 1 left: full in 40 s
        assert 20_000 < client.pttl(backend.prefix + a) <= 41_000
        await limiter.take(a, rate)  # empty: full in 60 s
        assert await limiter.take(a, rate) > 0  # refused: the bucket is left as it was
        assert 40_000 < client.pttl(backend.prefix + a) <= 61_000
        client.close()
    finally:
        await backend.close()


@pytest.mark.anyio
async def test_redis_down_lets_requests_through_counts_them_and_warns_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    errors: list[RateLimitBackendError] = []
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0", on_backend_error=errors.append)
    with caplog.at_level(logging.WARNING, logger="bugrelay.collector"):
        answers = [await limiter.take("ip:203.0.113.7", Rate(1, 60)) for _ in range(3)]
    await limiter.close()
    assert answers == [0, 0, 0]
    assert limiter.backend_errors == 3
    assert len(errors) == 3
    assert "Redis at redis://127.0.0.1:" in str(errors[0])
    warnings = [r.getMessage() for r in caplog.records if "not enforced" in r.getMessage()]
    assert len(warnings) == 1, warnings


@pytest.mark.anyio
async def test_redis_errors_become_one_error_of_ours_when_failing_closed() -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{free_port()}/0", fail_open=False)
    with pytest.raises(RateLimitBackendError, match="Redis at") as raised:
        await limiter.take("ip:203.0.113.7", Rate(1, 60))
    await limiter.close()
    assert isinstance(raised.value.__cause__, redis.RedisError)


def test_a_failing_backend_is_logged_at_most_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock, errors = FakeClock(), list[RateLimitBackendError]()
    guard = FailOpen(on_error=errors.append, clock=clock)
    error = RateLimitBackendError("Redis at redis://cache:6379: connection refused")
    with pytest.raises(RateLimitBackendError):
        FailOpen(enabled=False).failed(error)
    with caplog.at_level(logging.WARNING, logger="bugrelay.collector"):
        assert guard.failed(error) == 0
        assert guard.skipping()  # not asked again for a second
        assert guard.skipped() == 0
        clock.now += 2
        assert not guard.skipping()
        assert guard.failed(error) == 0  # within the minute: counted, not logged
        clock.now += 60
        assert guard.failed(error) == 0
    assert guard.errors == len(errors) == 4
    warnings = [r.getMessage() for r in caplog.records]
    assert len(warnings) == 2, warnings
    assert "(3 request(s) let through since the last warning)" in warnings[1]


# --- the database --------------------------------------------------------------------------------


@pytest.mark.anyio
async def test_a_database_that_is_down_lets_requests_through_and_counts_them() -> None:
    engine = make_engine(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nothing")
    errors: list[RateLimitBackendError] = []
    limiter = DatabaseRateLimiter(engine, on_backend_error=errors.append)
    assert [await limiter.take("ip:203.0.113.7", Rate(1, 60)) for _ in range(2)] == [0, 0]
    assert limiter.backend_errors == 2
    assert "rate_buckets in postgresql+psycopg://" in str(errors[0])
    strict = DatabaseRateLimiter(engine, fail_open=False)
    with pytest.raises(RateLimitBackendError, match="rate_buckets"):
        await strict.take("ip:203.0.113.7", Rate(1, 60))
    engine.dispose()


@pytest.fixture(params=["sqlite", POSTGRESQL])
def fresh_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An engine on a new, migrated database of its own (the cleanup counts every row)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        engine = Store.open(url).engine
        yield engine
        engine.dispose()
        return
    with postgres_database() as url:
        engine = Store.open(url).engine
        yield engine
        engine.dispose()


def bucket_keys(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return {row[0] for row in connection.execute(text("SELECT key FROM rate_buckets"))}


@pytest.mark.anyio
async def test_idle_buckets_are_deleted_a_bounded_batch_at_a_time(fresh_engine: Engine) -> None:
    clock, rate = FakeClock(), Rate(3, 60)
    limiter = DatabaseRateLimiter(
        fresh_engine, clock=clock, idle_after=0, cleanup_every=10**9, fail_open=False
    )
    for n in range(5):
        await limiter.take(f"ip:old-{n}", rate)
    clock.now += 30
    assert [await limiter.take("ip:recent", rate) for _ in range(3)] == [0, 0, 0]
    clock.now += 31  # the old ones idle 61 s: full; the recent one idle 31 s: not yet
    assert [await limiter.delete_idle(batch=2) for _ in range(4)] == [2, 2, 1, 0]
    assert bucket_keys(fresh_engine) == {"ip:recent"}
    assert await limiter.take("ip:recent", rate) == 0  # 1.55 tokens: it kept its state
    assert await limiter.take("ip:recent", rate) == pytest.approx(9)


@pytest.mark.anyio
async def test_idle_means_longer_than_the_longest_period_asked_about(
    fresh_engine: Engine,
) -> None:
    clock = FakeClock()
    limiter = DatabaseRateLimiter(
        fresh_engine, clock=clock, idle_after=0, cleanup_every=10**9, fail_open=False
    )
    await limiter.take("key:1", Rate(6000, 3600))
    await limiter.take("ip:a", Rate(3, 60))
    clock.now += 120  # ip:a is full, but a row does not say which rate it had
    assert await limiter.delete_idle() == 0
    clock.now += 3600
    assert await limiter.delete_idle() == 2


@pytest.mark.anyio
async def test_every_so_many_takes_a_replica_deletes_idle_buckets(fresh_engine: Engine) -> None:
    clock, rate = FakeClock(), Rate(3, 60)
    limiter = DatabaseRateLimiter(
        fresh_engine, clock=clock, idle_after=0, cleanup_every=3, fail_open=False
    )
    await limiter.take("ip:a", rate)
    await limiter.take("ip:b", rate)
    clock.now += 61
    assert bucket_keys(fresh_engine) == {"ip:a", "ip:b"}
    await limiter.take("ip:c", rate)  # the third take
    assert bucket_keys(fresh_engine) == {"ip:c"}


# --- choosing a backend --------------------------------------------------------------------------


@pytest.mark.anyio
async def test_make_rate_limiter_picks_redis_then_the_database_then_memory(
    tmp_path: Path,
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    choices: dict[tuple[str | None, bool], type] = {
        ("redis://127.0.0.1:6379/0", True): RedisRateLimiter,
        ("redis://127.0.0.1:6379/0", False): RedisRateLimiter,
        (None, True): DatabaseRateLimiter,
        (None, False): MemoryRateLimiter,
    }
    for (url, shared), kind in choices.items():
        limiter = make_rate_limiter(engine=engine, redis_url=url, shared=shared)
        assert type(limiter) is kind
        await limiter.close()
    engine.dispose()


def test_rates_need_the_standard_library_only() -> None:
    code = (
        "import sys; from collector_server.ratelimit import Rate; Rate.parse('600/60'); "
        "loaded = {'sqlalchemy', 'redis', 'anyio'} & set(sys.modules); "
        "assert not loaded, loaded"
    )
    result = run_python(["-c", code], dict(os.environ))
    assert result.returncode == 0, result.stderr


# --- settings, and a real collector ----------------------------------------------------------


@pytest.mark.parametrize("value", ["600", "x/60", "0/60", "10/0", "10/-1", "10/abc"])
def test_bad_rates_are_refused_by_name(value: str, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="BUGRELAY_RATE_LIMIT_PER_IP"):
        Settings.from_env(
            {"BUGRELAY_DATA_DIR": str(tmp_path), "BUGRELAY_RATE_LIMIT_PER_IP": value},
            need_admin_token=False,
        )


def test_rate_limiting_can_be_turned_off(tmp_path: Path) -> None:
    env = {"BUGRELAY_DATA_DIR": str(tmp_path)}
    assert Settings.from_env(env, need_admin_token=False).rate_limit
    off = Settings.from_env({**env, "BUGRELAY_RATE_LIMIT": "off"}, need_admin_token=False)
    assert not off.rate_limit
    with pytest.raises(SettingsError, match="BUGRELAY_RATE_LIMIT must be 'on' or 'off'"):
        Settings.from_env({**env, "BUGRELAY_RATE_LIMIT": "maybe"}, need_admin_token=False)


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    data_dir = tmp_path_factory.mktemp("limited")
    with start_collector(
        data_dir,
        f"sqlite:///{data_dir / 'db.sqlite3'}",
        BUGRELAY_RATE_LIMIT="on",
        BUGRELAY_RATE_LIMIT_PER_IP="1000/3600",
        BUGRELAY_RATE_LIMIT_PER_KEY="3/3600",
    ) as running:
        yield running


def send(collector: Collector, key: str) -> requests.Response:
    body = {"id": str(uuid.uuid4()), "created_at": "2026-11-25T10:00:00Z", "title": "flood"}
    return requests.post(
        collector.reports_url, json=body, headers={"X-BugRelay-Key": key}, timeout=30
    )


def test_a_flood_from_one_key_gets_429_with_retry_after(limited: Collector) -> None:
    answers = [send(limited, limited.public_key) for _ in range(4)]
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    refused = answers[-1]
    assert refused.json()["error"]["code"] == "rate_limited"
    assert "3 requests per 3600 s for project" in refused.json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) >= 1000
    metrics = requests.get(limited.url + "/metrics", timeout=10).text
    assert 'bugrelay_reports_refused_total{reason="rate_limited"} 1.0' in metrics
