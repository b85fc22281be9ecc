"""Rate limits: the token bucket itself, and a real collector refusing a flood with 429."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from collector_server.ratelimit import Rate, TokenBuckets
from collector_server.settings import Settings, SettingsError
from tests.support import Collector, start_collector


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_bucket_allows_its_burst_then_refills_at_its_rate() -> None:
    clock = FakeClock()
    buckets = TokenBuckets(Rate(3, 60), clock=clock)
    assert [buckets.take("a") for _ in range(3)] == [0, 0, 0]
    assert buckets.take("a") == pytest.approx(20)  # one token per 20 s
    assert buckets.take("b") == 0  # other keys have their own bucket
    clock.now += 20
    assert buckets.take("a") == 0
    assert buckets.take("a") > 0


def test_the_number_of_buckets_is_bounded() -> None:
    buckets = TokenBuckets(Rate(1, 60), max_keys=100, clock=FakeClock())
    for i in range(1000):
        buckets.take(f"address-{i}")
    assert len(buckets._buckets) == 100


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
