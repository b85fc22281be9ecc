"""The collector's own failures: a JSON 500 without a stack trace, and a Sentry event when asked."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from pathlib import Path

from tests.support import HttpSink, collector_env, run_cli, start_collector


def test_a_broken_database_gives_a_json_500_and_a_sentry_event(tmp_path: Path) -> None:
    sentry = HttpSink()
    try:
        database = tmp_path / "db.sqlite3"
        with start_collector(
            tmp_path, f"sqlite:///{database}", BUGRELAY_SENTRY_DSN=sentry.dsn(key="abc")
        ) as collector:
            with sqlite3.connect(database) as conn:  # pull the floor out from under it
                conn.execute("DROP TABLE ratings")
                conn.execute("DROP TABLE reports")
            body = {"id": str(uuid.uuid4()), "created_at": "2026-11-25T10:00:00Z", "title": "t"}
            response = collector.post_report(body)
            assert response.status_code == 500
            assert response.json() == {
                "error": {
                    "code": "internal_error",
                    "message": "the collector failed; the error is in its log",
                }
            }
            deadline = time.monotonic() + 30
            while not sentry.requests and time.monotonic() < deadline:
                time.sleep(0.05)
        assert "no such table: reports" in collector.log.read_text()
        envelope = sentry.requests[0]
        assert envelope.path == "/api/1/envelope/"
        items = [json.loads(line) for line in envelope.body.splitlines() if line.startswith(b"{")]
        events = [item for item in items if item.get("exception")]
        assert events[0]["exception"]["values"][-1]["type"] == "OperationalError"
        assert events[0]["release"].startswith("bugrelay@")
    finally:
        sentry.close()


def test_a_bad_sentry_dsn_stops_serve_with_a_clear_error(tmp_path: Path) -> None:
    env = collector_env(
        tmp_path, f"sqlite:///{tmp_path / 'db.sqlite3'}", BUGRELAY_SENTRY_DSN="nope"
    )
    result = run_cli(env, "serve", "--port", "1")
    assert result.returncode == 1
    assert "BUGRELAY_SENTRY_DSN is not a valid Sentry DSN" in result.stderr
