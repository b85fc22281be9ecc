"""Shared fixtures: the SDK in test mode, real collector processes, real databases."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import sdk
from sdk import _guard
from sdk.scope import global_scope
from sdk.transports import _retry
from tests.support import Collector, postgres_database, start_collector


@pytest.fixture(autouse=True)
def _sdk_test_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Re-raise what the SDK's guard swallows, never really wait between retries, and spool
    into this test's own directory (never the user's cache, never another test's reports)."""
    monkeypatch.setenv("BUGRELAY_SPOOL_DIR", str(tmp_path / "spool"))
    _guard.set_testing(reraise=True)
    _retry.set_testing(no_wait=True)
    yield
    sdk.close(timeout=5)
    global_scope().clear()
    _guard.set_testing(reraise=False)
    _retry.set_testing(no_wait=False)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture(scope="session")
def database_url(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh, empty database of each kind, shared by the session's collectors."""
    if database_kind == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'bugrelay.sqlite3'}"
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(scope="session")
def collector(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """A real `bugrelay serve` process on a loopback port, with a demo project."""
    with start_collector(tmp_path_factory.mktemp("collector"), database_url) as running:
        yield running


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """A run in which nothing passed is a failure, whatever pytest's own verdict."""
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is None or exitstatus != 0:
        return
    if not reporter.stats.get("passed"):
        session.exitstatus = pytest.ExitCode.NO_TESTS_COLLECTED
