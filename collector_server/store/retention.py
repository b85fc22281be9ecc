"""Deleting what is past a project's retention: reports and their attachments, in small batches.

Groups stay, with their counts, first and last seen, severity and tickets: the facts of a
problem outlive the reports that told of it. Each batch is its own short transaction, so that
deleting a year of reports never holds the writer for long.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, select

from collector_server.store._base import StoreBase
from collector_server.store.tables import attachments, reports

RETENTION_BATCH = 500


@dataclass(frozen=True, slots=True)
class Deleted:
    reports: int
    attachments: int
    orphaned_blobs: list[str]  # sha256 of directory-stored files no attachment uses any more


class RetentionStore(StoreBase):
    def delete_reports_before(
        self, project_id: int, cutoff: datetime, limit: int = RETENTION_BATCH
    ) -> Deleted:
        """Delete up to ``limit`` of the project's reports received before ``cutoff``."""
        with self._write() as conn:
            ids = (
                conn.execute(
                    select(reports.c.id)
                    .where(reports.c.project_id == project_id, reports.c.received_at < cutoff)
                    .order_by(reports.c.received_at)
                    .limit(limit)
                )
                .scalars()
                .all()
            )
            if not ids:
                return Deleted(0, 0, [])
            files = (
                conn.execute(
                    select(attachments.c.sha256).where(
                        attachments.c.report_id.in_(ids), attachments.c.data.is_(None)
                    )
                )
                .scalars()
                .all()
            )
            removed_attachments = conn.execute(
                delete(attachments).where(attachments.c.report_id.in_(ids))
            ).rowcount
            conn.execute(delete(reports).where(reports.c.id.in_(ids)))
            orphans = self._unused(conn, set(files))
        return Deleted(len(ids), removed_attachments or 0, sorted(orphans))

    @staticmethod
    def _unused(conn: Connection, shas: Iterable[str]) -> set[str]:
        wanted = set(shas)
        if not wanted:
            return set()
        used = set(
            conn.execute(
                select(attachments.c.sha256).where(attachments.c.sha256.in_(wanted)).distinct()
            ).scalars()
        )
        return wanted - used
