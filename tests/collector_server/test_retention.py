"""The retention job deletes old reports (and their attachments), and keeps their groups."""

from __future__ import annotations

import json
import os
import secrets
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from collector_server.attachments import (
    BLOB_GRACE_SECONDS,
    AttachmentLimits,
    DirectoryBlobs,
    check_attachment,
)
from collector_server.pipeline import assess
from collector_server.retention import run_retention
from collector_server.settings import Settings
from collector_server.store import Store
from collector_server.store.reports import NewReport
from collector_server.store.tables import reports
from sdk.models import Report
from tests.support import collector_env, run_cli


def store_report(store: Store, project_id: int, title: str, age: timedelta) -> str:
    report = Report.model_validate(
        {"id": str(uuid.uuid4()), "created_at": datetime.now(UTC).isoformat(), "title": title}
    )
    stored = store.ingest(
        NewReport(project_id, report, assess(report), report.model_dump_json(exclude_none=True))
    )
    with store.engine.begin() as conn:
        conn.execute(
            update(reports)
            .where(reports.c.id == stored.report_id)
            .values(received_at=datetime.now(UTC) - age)
        )
    return stored.report_id


def test_old_reports_go_and_their_groups_stay(database_url: str, tmp_path: Path) -> None:
    store = Store.open(database_url)
    try:
        keep = store.create_project(f"keep-{secrets.token_hex(3)}")
        short = store.create_project(f"short-{secrets.token_hex(3)}")
        forever = store.create_project(f"forever-{secrets.token_hex(3)}")
        store.update_project(short.name, {"retention_days": 7})
        store.update_project(forever.name, {"retention_days": 0})
        old_default = store_report(store, keep.id, "same problem", timedelta(days=100))
        recent_default = store_report(store, keep.id, "same problem", timedelta(days=10))
        old_short = store_report(store, short.id, "short", timedelta(days=8))
        recent_short = store_report(store, short.id, "short", timedelta(days=6))
        ancient = store_report(store, forever.id, "forever", timedelta(days=3650))

        env = collector_env(tmp_path / "data", database_url)
        result = run_cli(env, "retention", "run")
        assert result.returncode == 0, result.stderr
        counts = json.loads(result.stdout)
        assert counts["per_project"].get(keep.name) == 1
        assert counts["per_project"].get(short.name) == 1
        assert forever.name not in counts["per_project"]

        assert store.get_report(keep.id, old_default) is None
        assert store.get_report(keep.id, recent_default) is not None
        assert store.get_report(short.id, old_short) is None
        assert store.get_report(short.id, recent_short) is not None
        assert store.get_report(forever.id, ancient) is not None
        group = store.list_groups(keep.id, 10).items[0]
        assert group["report_count"] == 2  # the facts of the group outlive its reports

        again = run_cli(env, "retention", "run")
        assert json.loads(again.stdout)["per_project"].get(keep.name) is None
    finally:
        store.close()


def test_files_no_attachment_uses_any_more_go_unless_young(
    database_url: str, tmp_path: Path
) -> None:
    store = Store.open(database_url)
    try:
        store.blobs = DirectoryBlobs(tmp_path / "blobs")
        project = store.create_project(f"files-{secrets.token_hex(3)}")
        store.update_project(project.name, {"retention_days": 7})
        old, young = (
            check_attachment(name, "text/plain", secrets.token_bytes(32), AttachmentLimits())
            for name in ("old.log", "young.log")
        )
        for item in (old, young):
            report = Report.model_validate(
                {"id": str(uuid.uuid4()), "created_at": datetime.now(UTC).isoformat(), "title": "x"}
            )
            stored = store.ingest(
                NewReport(
                    project.id,
                    report,
                    assess(report),
                    report.model_dump_json(exclude_none=True),
                    attachments=[item],
                )
            )
            with store.engine.begin() as conn:
                conn.execute(
                    update(reports)
                    .where(reports.c.id == stored.report_id)
                    .values(received_at=datetime.now(UTC) - timedelta(days=8))
                )
        aged = time.time() - BLOB_GRACE_SECONDS - 1
        os.utime(store.blobs.file(old.sha256), (aged, aged))

        result = run_retention(store, Settings.from_env({"BUGRELAY_DATA_DIR": str(tmp_path)}))
        assert (result.reports, result.attachments) == (2, 2)
        assert not store.blobs.file(old.sha256).exists()
        # Written in the last hour: an upload of the same bytes may be about to name it.
        assert store.blobs.file(young.sha256).exists()
    finally:
        store.close()
