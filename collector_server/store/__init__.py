"""Storage: one :class:`Store` over SQLite (default) or PostgreSQL, same code for both."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from collector_server.pipeline import Assessment
from collector_server.pipeline.severity import rank
from collector_server.store.db import BEGIN_OPTION, make_engine, migrate
from collector_server.store.tables import groups, projects, ratings, reports
from sdk.models import Rating, Report

# A group's status -> what its reporters are told (GET .../reports/{id}/status).
REPORTER_STATUS = {
    "open": "received",
    "in_progress": "in_progress",
    "fixed": "fixed",
    "wont_fix": "wont_fix",
}


MAX_PROJECT_NAME = 100


class ProjectExistsError(ValueError):
    """A project with that name exists already."""


class InvalidProjectNameError(ValueError):
    """A project name that is blank or too long."""


class ReportIdConflictError(ValueError):
    """The report id is already stored under another project."""


class ReportNotFoundError(LookupError):
    """No such report in this project."""


class AlreadyRatedError(ValueError):
    """The report has a rating already; a report is rated once."""


class InvalidCursorError(ValueError):
    """A pagination cursor that this store did not make."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def _encode_cursor(*parts: str | int) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursorError("the cursor is not one this collector made") from None
    if (
        not isinstance(parts, list)
        or len(parts) != len(types)
        or not all(
            isinstance(p, t) and not isinstance(p, bool) for p, t in zip(parts, types, strict=True)
        )
    ):
        raise InvalidCursorError("the cursor is not one this collector made")
    return parts


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    public_key: str
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Stored:
    report_id: str
    group_id: int
    created: bool  # False: the id was stored before (an idempotent repeat)


def _utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Store:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
        # SQLite has one writer at a time. Writers of this process queue on a lock, which wakes
        # the next one at once, instead of on SQLite's busy handler, which polls with sleeps;
        # other processes still wait on busy_timeout.
        self._write_lock = (
            threading.Lock() if engine.dialect.name == "sqlite" else contextlib.nullcontext()
        )

    @classmethod
    def open(cls, database_url: str, *, upgrade: bool = True) -> Store:
        engine = make_engine(database_url)
        if upgrade:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- projects ---------------------------------------------------------------------------

    def create_project(self, name: str) -> Project:
        if not name.strip() or len(name) > MAX_PROJECT_NAME or name != name.strip():
            raise InvalidProjectNameError(
                f"a project name has 1 to {MAX_PROJECT_NAME} characters and no surrounding "
                f"spaces, not {name!r}"
            )
        public_key, created_at = secrets.token_hex(16), datetime.now(UTC)
        try:
            with self._write() as conn:
                inserted = conn.execute(
                    projects.insert().values(
                        name=name, public_key=public_key, created_at=created_at
                    )
                ).inserted_primary_key
        except IntegrityError:
            raise ProjectExistsError(f"a project named {name!r} exists already") from None
        assert inserted is not None
        return Project(int(inserted[0]), name, public_key, created_at)

    def get_project(self, project_id: int) -> Project | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(projects).where(projects.c.id == project_id)).first()
        return self._project(row._mapping) if row else None

    def project_by_name(self, name: str) -> Project | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(projects).where(projects.c.name == name)).first()
        return self._project(row._mapping) if row else None

    def list_projects(self) -> list[Project]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(projects).order_by(projects.c.id)).all()
        return [self._project(row._mapping) for row in rows]

    @staticmethod
    def _project(row: Any) -> Project:
        return Project(
            id=int(row["id"]),
            name=row["name"],
            public_key=row["public_key"],
            created_at=_utc(row["created_at"]),
        )

    # -- reports ----------------------------------------------------------------------------

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

    def _upsert_group(
        self, conn: Connection, project_id: int, report: Report, assessment: Assessment
    ) -> int:
        now = datetime.now(UTC)
        severity = assessment.severity
        statement = self._insert(groups).values(
            project_id=project_id,
            fingerprint=assessment.fingerprint,
            title=(report.title or report.description or "")[:200] or "(untitled)",
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
            received_at=_utc(row.received_at).isoformat(),
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

    # -- lists and groups (admin) -----------------------------------------------------------

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
            received, last_id = _decode_cursor(cursor, (str, str))
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
                "created_at": _utc(row.created_at).isoformat(),
                "received_at": _utc(row.received_at).isoformat(),
            }
            for row in rows[:limit]
        ]
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = _encode_cursor(_utc(last.received_at).isoformat(), last.id)
        return Page(items, next_cursor)

    def list_groups(self, project_id: int, limit: int, cursor: str | None = None) -> Page:
        """Groups of a project, newest first (by when they were opened)."""
        query = (
            select(groups)
            .where(groups.c.project_id == project_id)
            .order_by(groups.c.id.desc())
            .limit(limit + 1)
        )
        if cursor is not None:
            (last_id,) = _decode_cursor(cursor, (int,))
            query = query.where(groups.c.id < last_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        items = [self._group(row._mapping) for row in rows[:limit]]
        next_cursor = _encode_cursor(int(rows[limit - 1].id)) if len(rows) > limit else None
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
            "first_seen": _utc(row["first_seen"]).isoformat(),
            "last_seen": _utc(row["last_seen"]).isoformat(),
            "fixed_in": row["fixed_in"],
            "fingerprint": row["fingerprint"],
            "tickets": [],  # filled by the forwarders (one per configured backend)
        }
