"""What was acknowledged stays: a collector killed by SIGKILL; two collectors on one database."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy.engine import make_url

from tests.support import Collector, postgres_database, run_concurrently, start_collector

TS = "2026-11-25T10:00:00Z"


def body(title: str = "durable", report_id: str | None = None) -> dict[str, str]:
    return {"id": report_id or str(uuid.uuid4()), "created_at": TS, "title": title}


def test_every_acknowledged_report_survives_a_sigkill(database_url: str, tmp_path: Path) -> None:
    acknowledged: list[str] = []
    with_attachment: list[str] = []
    enough = threading.Event()
    stop = threading.Event()
    with start_collector(tmp_path, database_url) as victim:
        session_key = victim.public_key

        def flood() -> None:
            session = requests.Session()
            sent = 0
            while not stop.is_set():
                report = body(f"flood {uuid.uuid4()}")
                sent += 1
                with_file = sent % 3 == 0  # every third report comes with an attachment
                try:
                    if with_file:
                        answer = session.post(
                            victim.reports_url,
                            files={
                                "report": (None, json.dumps(report), "application/json"),
                                "log": ("app.log", report["id"].encode(), "text/plain"),
                            },
                            headers={"X-BugRelay-Key": session_key},
                            timeout=10,
                        )
                    else:
                        answer = session.post(
                            victim.reports_url,
                            json=report,
                            headers={"X-BugRelay-Key": session_key},
                            timeout=10,
                        )
                except requests.RequestException:
                    continue  # the collector died mid-request: not acknowledged
                if answer.status_code == 202:
                    acknowledged.append(report["id"])
                    if with_file:
                        with_attachment.append(report["id"])
                    if len(acknowledged) >= 150:
                        enough.set()

        threads = [threading.Thread(target=flood) for _ in range(4)]
        for thread in threads:
            thread.start()
        assert enough.wait(120), "the collector did not acknowledge 150 reports"
        victim.process.send_signal(signal.SIGKILL)  # mid-flood: requests are in flight
        victim.process.wait()
        stop.set()
        for thread in threads:
            thread.join()
        project_id = victim.project_id

    if make_url(database_url).get_backend_name() == "sqlite":
        database = make_url(database_url).database
        assert database is not None
        with sqlite3.connect(database) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)

    with start_collector(tmp_path / "again", database_url) as revived:
        assert revived.project_id == project_id
        missing = [rid for rid in acknowledged if revived.get_report(rid).status_code != 200]
        assert missing == []
        assert with_attachment
        for rid in with_attachment:
            (stored,) = revived.get_report(rid).json()["attachments"]
            served = requests.get(
                stored["url"],
                headers={"Authorization": f"Bearer {revived.admin_token}"},
                timeout=10,
            )
            assert (stored["name"], served.content) == ("app.log", rid.encode())


def test_two_collectors_on_one_database_store_once_and_count_exactly(
    collector: Collector, database_url: str, tmp_path: Path
) -> None:
    with start_collector(tmp_path, database_url) as second:
        assert (second.project_id, second.public_key) == (
            collector.project_id,
            collector.public_key,
        )
        title = f"Two replicas {uuid.uuid4()}"
        shared = body(title)
        results: list[requests.Response] = []
        targets = iter([collector, second] * 4)
        lock = threading.Lock()

        def send() -> None:
            with lock:
                target = next(targets)
            for i in range(10):
                payload = shared if i == 0 else body(title)
                results.append(target.post_report(payload))

        run_concurrently(send, 8)
        statuses = sorted(r.status_code for r in results)
        # 8 senders each sent the shared report once: one stored, seven repeats.
        assert statuses == [200] * 7 + [202] * (len(results) - 7)
        group_ids = {r.json()["group_id"] for r in results}
        assert len(group_ids) == 1
        group = second.admin_get(
            f"/api/v1/projects/{second.project_id}/groups/{group_ids.pop()}"
        ).json()
        assert group["report_count"] == len(results) - 7


@pytest.mark.postgres
def test_two_collectors_share_one_projects_rate_limit(tmp_path: Path) -> None:
    """On PostgreSQL the per-key buckets live in the database: two replicas together let
    through the project's rate, not twice it."""
    with (
        postgres_database() as url,
        start_collector(tmp_path / "a", url, BUGRELAY_RATE_LIMIT="on") as first,
        start_collector(tmp_path / "b", url, BUGRELAY_RATE_LIMIT="on") as second,
    ):
        # Set before either collector has served (and cached) the project.
        result = first.cli("project", "set", "demo", "--rate-limit", "20/3600")
        assert result.returncode == 0, result.stderr
        answers = [target.post_report(body("rate")) for target in [first, second] * 30]
        statuses = [a.status_code for a in answers]
        assert statuses.count(202) == 20
        assert statuses.count(429) == 40
        assert statuses[:20] == [202] * 20  # both replicas took from one bucket
        refused = next(a for a in answers if a.status_code == 429)
        assert int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["error"]["code"] == "rate_limited"
