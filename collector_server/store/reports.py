"""Reports: stored once each (the client's id is the idempotency key), in their group."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from collector_server.pipeline import Assessment
from collector_server.store._base import InvalidCursorError, Page, decode_cursor, encode_cursor, utc
from collector_server.store.groups import GroupStore
from collector_server.store.tables import groups, ratings, reports
from sdk.models import Rating, Report

# A group's status -> what its reporters are told (GET .../reports/{id}/status).
REPORTER_STATUS = {
    "open": "received",
    "in_progress": "in_progress",
    "fixed": "fixed",
    "wont_fix": "wont_fix",
}


class ReportIdConflictError(ValueError):
    """The report id is already stored under another project."""


class ReportNotFoundError(LookupError):
    """No such report in this project."""


class AlreadyRatedError(ValueError):
    """The report has a rating already; a report is rated once."""


@dataclass(frozen=True, slots=True)
class Stored:
    report_id: str
    group_id: int
    created: bool  # False: the id was stored before (an idempotent repeat)


class ReportStore(GroupStore):
    def ingest(self, project_id: int, report: Report, assessment: Assessment) -> Stored:
        """Store ``report`` once, in its group, in one transaction; a repeated id stores nothing."""
        report_id = str(report.id)
        existing = self._existing(project_id, report_id)
        if existing is not None:
            return existing
        try:
            with self._write() as conn:
                group_id = self._upsert_group(conn, project_id, report, assessment)
                conn.execute(
                    reports.insert().values(
                        id=report_id,
                        project_id=project_id,
                        group_id=group_id,
                        kind=report.kind,
                        title=report.title[:200],
                        severity=assessment.severity.level,
                        severity_reasons=assessment.severity.reasons,
                        created_at=report.created_at.astimezone(UTC),
                        received_at=datetime.now(UTC),
                        payload=report.model_dump_json(exclude_none=True),
                    )
                )
        except IntegrityError:
            # A concurrent request stored the same id first: its answer is ours.
            existing = self._existing(project_id, report_id)
            if existing is None:
                raise
            return existing
        return Stored(report_id, group_id, created=True)

    def _existing(self, project_id: int, report_id: str) -> Stored | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(reports.c.project_id, reports.c.group_id).where(reports.c.id == report_id)
            ).first()
        if row is None:
            return None
        if int(row.project_id) != project_id:
            raise ReportIdConflictError(f"report id {report_id} is used by another project")
        return Stored(report_id, int(row.group_id), created=False)

    def get_report(self, project_id: int, report_id: str) -> dict[str, Any] | None:
        """The stored report as the admin API shows it: the wire fields plus what we added."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(reports).where(reports.c.id == report_id, reports.c.project_id == project_id)
            ).first()
        if row is None:
            return None
        body: dict[str, Any] = json.loads(row.payload)
        body.update(
            project_id=int(row.project_id),
            group_id=int(row.group_id),
            severity=row.severity,
            severity_reasons=row.severity_reasons,
            received_at=utc(row.received_at).isoformat(),
        )
        return body

    def count_reports(self, project_id: int) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(reports)
                    .where(reports.c.project_id == project_id)
                ).scalar_one()
            )

    def report_status(self, project_id: int, report_id: str) -> dict[str, Any] | None:
        """What the reporter may know: the status of the report's group, nothing else."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(groups.c.status, groups.c.fixed_in)
                .select_from(reports.join(groups, reports.c.group_id == groups.c.id))
                .where(reports.c.id == report_id, reports.c.project_id == project_id)
            ).first()
        if row is None:
            return None
        status = REPORTER_STATUS.get(row.status, "received")
        return {
            "id": report_id,
            "status": status,
            "fixed_in": row.fixed_in if status == "fixed" else None,
        }

    def add_rating(self, project_id: int, report_id: str, rating: Rating) -> None:
        """Store the reporter's rating; a second rating of one report is refused."""
        try:
            with self._write() as conn:
                found = conn.execute(
                    select(reports.c.id).where(
                        reports.c.id == report_id, reports.c.project_id == project_id
                    )
                ).first()
                if found is None:
                    raise ReportNotFoundError(f"no report {report_id} in project {project_id}")
                conn.execute(
                    ratings.insert().values(
                        report_id=report_id,
                        project_id=project_id,
                        score=rating.score,
                        comment=rating.comment,
                        created_at=datetime.now(UTC),
                    )
                )
        except IntegrityError:
            raise AlreadyRatedError(f"report {report_id} was rated already") from None

    def list_reports(self, project_id: int, limit: int, cursor: str | None = None) -> Page:
        """Reports of a project, newest first; ``cursor`` continues after the previous page."""
        query = (
            select(
                reports.c.id,
                reports.c.group_id,
                reports.c.kind,
                reports.c.title,
                reports.c.severity,
                reports.c.created_at,
                reports.c.received_at,
            )
            .where(reports.c.project_id == project_id)
            .order_by(reports.c.received_at.desc(), reports.c.id.desc())
            .limit(limit + 1)
        )
        if cursor is not None:
            received, last_id = decode_cursor(cursor, (str, str))
            try:
                received_at = datetime.fromisoformat(received)
            except ValueError:
                raise InvalidCursorError("the cursor is not one this collector made") from None
            query = query.where(
                or_(
                    reports.c.received_at < received_at,
                    and_(reports.c.received_at == received_at, reports.c.id < last_id),
                )
            )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        items = [
            {
                "id": row.id,
                "group_id": int(row.group_id),
                "kind": row.kind,
                "title": row.title,
                "severity": row.severity,
                "created_at": utc(row.created_at).isoformat(),
                "received_at": utc(row.received_at).isoformat(),
            }
            for row in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor(utc(last.received_at).isoformat(), last.id)
        return Page(items, next_cursor)
