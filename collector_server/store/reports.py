"""Reports: stored once each (the client's id is the idempotency key), in their group."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, and_, func, or_, select
from sqlalchemy.exc import IntegrityError

from collector_server.pipeline import Assessment
from collector_server.store._base import (
    InvalidCursorError,
    Page,
    column_text,
    decode_cursor,
    encode_cursor,
    utc,
)
from collector_server.store.groups import GroupStore
from collector_server.store.tables import groups, ratings, reports
from sdk.models import Rating, Report

# The columns of a new report, in the order of the rows that ingest_many inserts.
_REPORT_COLUMNS = (
    "id",
    "project_id",
    "group_id",
    "kind",
    "title",
    "severity",
    "severity_reasons",
    "created_at",
    "received_at",
    "payload",
    "scrubbed_fields",
    "grouping",
    "reporter",
)

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
class NewReport:
    """A validated, scrubbed and assessed report, ready to store."""

    project_id: int
    report: Report
    assessment: Assessment
    payload: str  # the wire-schema JSON to keep (attachments' bytes taken out)
    scrubbed_fields: Sequence[str] = ()
    attachments: Sequence[Any] = ()  # collector_server.attachments.NewAttachment


@dataclass(frozen=True, slots=True)
class Stored:
    report_id: str
    group_id: int
    created: bool  # False: the id was stored before (an idempotent repeat)


class ReportStore(GroupStore):
    def ingest(self, item: NewReport, *, now: datetime | None = None) -> Stored:
        """Store one report (see :meth:`ingest_many`); raises its error."""
        result = self.ingest_many([item], now=now)[0]
        if isinstance(result, Exception):
            raise result
        return result

    def ingest_many(
        self, items: Sequence[NewReport], *, now: datetime | None = None
    ) -> list[Stored | ReportIdConflictError]:
        """Store each report once, in its group, all in one transaction (a group commit).

        A repeated id stores nothing and answers as its first delivery did (``created`` False),
        also when both copies are in this batch; an id stored under another project is a
        :class:`ReportIdConflictError` for that item alone. Groups are found,
        opened and counted as ``GroupStore`` describes (in one lock order), and reports
        inserted in id order, so that concurrent batches of several collectors on PostgreSQL
        cannot deadlock. When another collector commits one of the same ids or groups first,
        the batch is retried item by item. ``now`` is when they were received (default: now;
        an import or a replay of old reports gives their own time).
        """
        try:
            with self._write() as conn:
                return self._ingest_in(conn, items, now)
        except IntegrityError:
            if len(items) == 1:
                with self._write() as conn:  # the concurrent copy is committed now: a repeat
                    return self._ingest_in(conn, items, now)
        return [self.ingest_many([item], now=now)[0] for item in items]

    def _ingest_in(
        self, conn: Connection, items: Sequence[NewReport], received: datetime | None = None
    ) -> list[Stored | ReportIdConflictError]:
        item_ids = [str(item.report.id) for item in items]
        known: dict[str, tuple[int, int]] = {
            row[0]: (int(row[1]), int(row[2])) for row in self._known_ids(conn, item_ids)
        }
        fresh: dict[str, NewReport] = {}
        for report_id, item in zip(item_ids, items, strict=True):
            if report_id not in known and report_id not in fresh:
                fresh[report_id] = item
        now = received or datetime.now(UTC)
        batch = {
            rid: (item.project_id, item.report, item.assessment) for rid, item in fresh.items()
        }
        placed = self._place(conn, batch, now)
        self._count(conn, batch, placed, now)
        convert = self._report_converters
        received_at = convert["received_at"](now)
        rows = []
        for report_id in sorted(fresh):
            item = fresh[report_id]
            group_id = placed[report_id].group_id
            known[report_id] = (item.project_id, group_id)
            severity = item.assessment.severity
            rows.append(
                (
                    report_id,
                    item.project_id,
                    group_id,
                    item.report.kind,
                    column_text(item.report.title, 200),
                    severity.level,
                    convert["severity_reasons"](severity.reasons),
                    convert["created_at"](item.report.created_at.astimezone(UTC)),
                    received_at,
                    item.payload,
                    convert["scrubbed_fields"](item.scrubbed_fields or None),
                    convert["grouping"](placed[report_id].explanation),
                    item.assessment.reporter,
                )
            )
        self._driver.insert(conn, "reports", _REPORT_COLUMNS, rows)
        for report_id, item in fresh.items():
            if item.attachments:
                self.insert_attachments(conn, item.project_id, report_id, item.attachments)
        results: list[Stored | ReportIdConflictError] = []
        answered: set[str] = set()
        for report_id, item in zip(item_ids, items, strict=True):
            project_id, group_id = known[report_id]
            if project_id != item.project_id:
                results.append(
                    ReportIdConflictError(f"report id {report_id} is used by another project")
                )
                continue
            created = report_id in fresh and report_id not in answered
            answered.add(report_id)
            results.append(Stored(report_id, group_id, created=created))
        return results

    @cached_property
    def _report_converters(self) -> dict[str, Callable[[Any], Any]]:
        return {
            name: self._driver.converter(reports.c[name])
            for name in (
                "severity_reasons",
                "created_at",
                "received_at",
                "scrubbed_fields",
                "grouping",
            )
        }

    def _known_ids(self, conn: Connection, ids: list[str]) -> list[Any]:
        """(id, project id, group id) of those of ``ids`` that are stored."""
        unique = sorted(set(ids))
        if not unique:
            return []
        marks = self._driver.marks(len(unique))
        sql = f"SELECT id, project_id, group_id FROM reports WHERE id IN ({marks})"  # noqa: S608
        return list(conn.exec_driver_sql(sql, tuple(unique)))

    def insert_attachments(
        self, conn: Connection, project_id: int, report_id: str, items: Sequence[Any]
    ) -> None:
        raise NotImplementedError  # provided by AttachmentStore in the composed Store

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
            scrubbed_fields=row.scrubbed_fields or [],
            grouping=row.grouping,
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
                        comment=None if rating.comment is None else column_text(rating.comment),
                        effort=rating.effort,
                        recommend=rating.recommend,
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
