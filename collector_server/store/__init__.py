"""Storage: one :class:`Store` over SQLite (default) or PostgreSQL, same code for both."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from collector_server.pipeline import Assessment
from collector_server.pipeline.severity import rank
from collector_server.store.db import BEGIN_OPTION, make_engine, migrate
from collector_server.store.tables import groups, projects, reports
from sdk.models import Report


class ProjectExistsError(ValueError):
    """A project with that name exists already."""


class ReportIdConflictError(ValueError):
    """The report id is already stored under another project."""


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
        with self.engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    # -- projects ---------------------------------------------------------------------------

    def create_project(self, name: str) -> Project:
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
