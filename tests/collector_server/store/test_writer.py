"""Group commit: many concurrent reports, few transactions, each answered after its commit."""

from __future__ import annotations

import asyncio
import secrets
import threading
import uuid
from concurrent.futures import Future
from datetime import UTC, datetime

import pytest

from collector_server.pipeline import assess
from collector_server.store import ReportIdConflictError, Store, Stored
from collector_server.store.reports import NewReport
from collector_server.store.writer import GroupCommitter, WriterClosedError
from sdk.models import Report

WORDS = ["save", "login", "search", "upload", "export", "print", "share"]


def item(project_id: int, title: str, report_id: str | None = None) -> NewReport:
    report = Report.model_validate(
        {
            "id": report_id or str(uuid.uuid4()),
            "created_at": datetime.now(UTC).isoformat(),
            "title": title,
        }
    )
    return NewReport(project_id, report, assess(report), report.model_dump_json())


@pytest.fixture
def store(database_url: str) -> Store:
    return Store.open(database_url)


def test_concurrent_reports_share_transactions_and_all_arrive(store: Store) -> None:
    project = store.create_project(f"gc-{secrets.token_hex(3)}")
    batches: list[int] = []
    lock = threading.Lock()

    def on_batch(size: int) -> None:
        with lock:
            batches.append(size)

    writer = GroupCommitter(store, on_batch=on_batch)
    futures: list[Future[Stored]] = []
    # Submitted faster than one commit takes: they queue up while a batch commits.
    for n in range(400):
        futures.append(writer.submit(item(project.id, f"{WORDS[n % 7]} is broken")))
    results = [f.result(timeout=60) for f in futures]
    writer.close()
    assert all(r.created for r in results)
    assert store.count_reports(project.id) == 400
    assert sum(batches) == 400
    assert max(batches) > 1, batches  # one commit covered several reports
    groups = store.list_groups(project.id, 50).items
    assert sorted(g["report_count"] for g in groups) == sorted(
        len(range(n, 400, 7)) for n in range(7)
    )
    store.close()


def test_a_repeat_in_the_same_batch_is_stored_once(store: Store) -> None:
    project = store.create_project(f"gc-{secrets.token_hex(3)}")
    report_id = str(uuid.uuid4())
    first, second = store.ingest_many(
        [item(project.id, "twice", report_id), item(project.id, "twice", report_id)]
    )
    assert isinstance(first, Stored)
    assert isinstance(second, Stored)
    assert (first.created, second.created) == (True, False)
    assert first.group_id == second.group_id
    assert store.count_reports(project.id) == 1
    assert store.list_groups(project.id, 5).items[0]["report_count"] == 1
    store.close()


def test_an_id_of_another_project_fails_that_report_alone(store: Store) -> None:
    one = store.create_project(f"gc-{secrets.token_hex(3)}")
    other = store.create_project(f"gc-{secrets.token_hex(3)}")
    taken = str(uuid.uuid4())
    store.ingest(item(one.id, "first", taken))
    results = store.ingest_many([item(other.id, "a"), item(other.id, "b", taken)])
    assert isinstance(results[0], Stored)
    assert results[0].created
    assert isinstance(results[1], ReportIdConflictError)
    assert store.count_reports(other.id) == 1
    with pytest.raises(ReportIdConflictError):
        store.ingest(item(other.id, "again", taken))
    store.close()


def test_close_writes_what_is_queued_then_refuses(store: Store) -> None:
    project = store.create_project(f"gc-{secrets.token_hex(3)}")
    writer = GroupCommitter(store)
    futures = [writer.submit(item(project.id, "queued")) for _ in range(50)]
    writer.close()
    assert all(f.result(timeout=0).created for f in futures)  # done before close returned
    with pytest.raises(WriterClosedError):
        writer.submit(item(project.id, "late"))
    assert store.count_reports(project.id) == 50
    store.close()


def test_coroutines_are_answered_per_batch_and_a_cancelled_one_stops_nothing(
    store: Store,
) -> None:
    project = store.create_project(f"gc-{secrets.token_hex(3)}")
    writer = GroupCommitter(store)

    async def main() -> list[Stored]:
        tasks = [
            asyncio.create_task(writer.ingest(item(project.id, f"{WORDS[n % 7]} is broken")))
            for n in range(100)
        ]
        await asyncio.sleep(0)  # all of them queued
        tasks[50].cancel()  # a client that went away: its report is stored all the same
        done = await asyncio.gather(*tasks, return_exceptions=True)
        later = await writer.ingest(item(project.id, "afterwards"))  # the writer still runs
        return [r for r in [*done, later] if isinstance(r, Stored)]

    results = asyncio.run(main())
    writer.close()
    assert len(results) == 100
    assert all(r.created for r in results)
    assert store.count_reports(project.id) == 101
    store.close()
