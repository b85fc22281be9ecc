"""Groups of a batch: one upsert per group, with the result of storing the reports one by one."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from collector_server.pipeline import assess
from collector_server.store import Store, Stored
from collector_server.store.reports import NewReport
from sdk.models import Report


def item(project_id: int, title: str, **fields: Any) -> NewReport:
    report = Report.model_validate(
        {
            "id": str(uuid.uuid4()),
            "created_at": datetime.now(UTC).isoformat(),
            "title": title,
            **fields,
        }
    )
    return NewReport(project_id, report, assess(report), report.model_dump_json())


ERROR_LOG = {"logs": [{"timestamp": "2026-11-25T10:00:00Z", "level": "error", "message": "boom"}]}
SERVER_ERROR = {"network": [{"method": "GET", "url": "https://api.example/x", "status": 502}]}
BLOCKS = {"impact": "blocks_work"}

# Reports of a few groups (a kind and a normalised title) whose severities rise, fall and tie,
# with other reasons at the same level, so that "the first of the most severe" matters.
REPORTS: list[tuple[str, dict[str, Any]]] = [
    ("Save does nothing", {}),  # medium: the default
    ("Save does nothing", ERROR_LOG),  # medium, other reasons
    ("Save does nothing", BLOCKS),  # high
    ("SAVE does nothing (42)", {**BLOCKS, **ERROR_LOG}),  # high, the same reasons and group
    ("Export hangs", {"kind": "feedback"}),  # low
    ("Export hangs", {"kind": "feedback", **ERROR_LOG}),  # medium
    ("Export hangs", {"kind": "feedback", **SERVER_ERROR}),  # medium, other reasons
    ("Login loops", ERROR_LOG),
    ("Login loops", {}),
    ("Login loops", SERVER_ERROR),
    ("Cart is empty", BLOCKS),
    ("Cart is empty", {}),
]


@pytest.fixture
def store(database_url: str) -> Store:
    return Store.open(database_url)


def stored_groups(store: Store, project_id: int) -> list[dict[str, Any]]:
    keep = ("fingerprint", "title", "severity", "severity_reasons", "report_count")
    items = store.list_groups(project_id, 100).items
    return sorted(({k: g[k] for k in keep} for g in items), key=lambda g: g["fingerprint"])


@pytest.mark.parametrize("existing", [0, 1, 2], ids=["new groups", "one known", "two known"])
def test_a_batch_gives_the_groups_of_one_report_at_a_time(store: Store, existing: int) -> None:
    one_by_one = store.create_project(f"g-{secrets.token_hex(3)}")
    batched = store.create_project(f"g-{secrets.token_hex(3)}")
    for title, fields in [REPORTS[0], REPORTS[4]][:existing]:  # groups known before the batch
        store.ingest(item(one_by_one.id, title, **fields))
        store.ingest(item(batched.id, title, **fields))

    singles = [store.ingest(item(one_by_one.id, title, **fields)) for title, fields in REPORTS]
    results = store.ingest_many([item(batched.id, title, **fields) for title, fields in REPORTS])

    assert stored_groups(store, batched.id) == stored_groups(store, one_by_one.id)
    assert all(isinstance(r, Stored) and r.created for r in results)
    # Reports that share a group one by one share one in the batch, and only those.
    alone = [s.group_id for s in singles]
    together = [r.group_id for r in results if isinstance(r, Stored)]
    pairs = [(i, j) for i in range(len(REPORTS)) for j in range(len(REPORTS))]
    assert [alone[i] == alone[j] for i, j in pairs] == [
        together[i] == together[j] for i, j in pairs
    ]
    store.close()
