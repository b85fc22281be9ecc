"""Groups: one per problem, counted in the same transaction that stores each of its reports."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select, update

from collector_server.pipeline import Assessment
from collector_server.pipeline.severity import rank
from collector_server.store._base import (
    Page,
    StoreBase,
    column_text,
    decode_cursor,
    encode_cursor,
    utc,
)
from collector_server.store.tables import groups
from sdk.models import Report


class GroupStore(StoreBase):
    def _upsert_group(
        self, conn: Connection, project_id: int, report: Report, assessment: Assessment
    ) -> int:
        now = datetime.now(UTC)
        severity = assessment.severity
        statement = self._insert(groups).values(
            project_id=project_id,
            fingerprint=assessment.fingerprint,
            title=column_text(report.title or report.description or "", 200) or "(untitled)",
            status="open",
            severity=severity.level,
            severity_reasons=severity.reasons,
            report_count=1,
            first_seen=now,
            last_seen=now,
        )
        upsert = statement.on_conflict_do_update(
            index_elements=[groups.c.project_id, groups.c.fingerprint],
            set_={"report_count": groups.c.report_count + 1, "last_seen": now},
        ).returning(groups.c.id, groups.c.severity)
        row = conn.execute(upsert).one()
        if rank(severity.level) > rank(row.severity):
            conn.execute(
                update(groups)
                .where(groups.c.id == row.id)
                .values(severity=severity.level, severity_reasons=severity.reasons)
            )
        return int(row.id)

    def list_groups(self, project_id: int, limit: int, cursor: str | None = None) -> Page:
        """Groups of a project, newest first (by when they were opened)."""
        query = (
            select(groups)
            .where(groups.c.project_id == project_id)
            .order_by(groups.c.id.desc())
            .limit(limit + 1)
        )
        if cursor is not None:
            (last_id,) = decode_cursor(cursor, (int,))
            query = query.where(groups.c.id < last_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        items = [self._group(row._mapping) for row in rows[:limit]]
        next_cursor = encode_cursor(int(rows[limit - 1].id)) if len(rows) > limit else None
        return Page(items, next_cursor)

    def get_group(self, project_id: int, group_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(groups).where(groups.c.id == group_id, groups.c.project_id == project_id)
            ).first()
        return self._group(row._mapping) if row else None

    @staticmethod
    def _group(row: Any) -> dict[str, Any]:
        return {
            "id": int(row["id"]),
            "project_id": int(row["project_id"]),
            "title": row["title"],
            "status": row["status"],
            "severity": row["severity"],
            "severity_reasons": row["severity_reasons"],
            "report_count": int(row["report_count"]),
            "first_seen": utc(row["first_seen"]).isoformat(),
            "last_seen": utc(row["last_seen"]).isoformat(),
            "fixed_in": row["fixed_in"],
            "fingerprint": row["fingerprint"],
            "tickets": [],  # filled by the forwarders (one per configured backend)
        }
