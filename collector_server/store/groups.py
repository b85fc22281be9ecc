"""Groups: one per problem, counted in the same transaction that stores each of its reports."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import Connection, bindparam, select, update

from collector_server.pipeline import Assessment, Severity
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

_GROUP_COLUMNS = (
    "project_id",
    "fingerprint",
    "title",
    "status",
    "severity",
    "severity_reasons",
    "report_count",
    "first_seen",
    "last_seen",
)
_UPSERT = (
    " ON CONFLICT (project_id, fingerprint) DO UPDATE"
    " SET report_count = groups.report_count + excluded.report_count,"
    " last_seen = excluded.last_seen"
    " RETURNING project_id, fingerprint, id, severity"
)

_RAISE_SEVERITY = (
    update(groups)
    .where(groups.c.id == bindparam("group_id"))
    .values(severity=bindparam("new_severity"), severity_reasons=bindparam("new_reasons"))
)


@dataclass(slots=True)
class _GroupDraft:
    """The reports of one batch that share a group: one upsert for all of them."""

    title: str  # the group's title if it is new: the first report's
    severity: Severity  # the first of the most severe reports' (see _upsert_groups)
    count: int


class GroupStore(StoreBase):
    @cached_property
    def _group_converters(self) -> dict[str, Callable[[Any], Any]]:
        return {
            name: self._driver.converter(groups.c[name])
            for name in ("severity_reasons", "first_seen")
        }

    def _upsert_groups(
        self, conn: Connection, items: Iterable[tuple[int, Report, Assessment]], now: datetime
    ) -> dict[tuple[int, str], int]:
        """Count each report in its group, opening the groups that are new; the group id of
        each (project id, fingerprint).

        The result is the one of upserting the reports one by one, in order, in one statement
        for all: a new group takes the title of its first report; the group's severity becomes
        the first of the most severe reports' when that is more severe than the group's. Rows
        are upserted in (project, fingerprint) order (see ``ReportStore.ingest_many``).
        """
        drafts: dict[tuple[int, str], _GroupDraft] = {}
        for project_id, report, assessment in items:
            key = (project_id, assessment.fingerprint)
            draft = drafts.get(key)
            if draft is None:
                drafts[key] = _GroupDraft(
                    column_text(report.title or report.description or "", 200) or "(untitled)",
                    assessment.severity,
                    1,
                )
                continue
            draft.count += 1
            if rank(assessment.severity.level) > rank(draft.severity.level):
                draft.severity = assessment.severity
        if not drafts:
            return {}
        convert = self._group_converters
        seen = convert["first_seen"](now)  # first_seen and last_seen alike
        rows = [
            (
                project_id,
                fingerprint,
                draft.title,
                "open",
                draft.severity.level,
                convert["severity_reasons"](draft.severity.reasons),
                draft.count,
                seen,
                seen,
            )
            for (project_id, fingerprint), draft in sorted(drafts.items())
        ]
        group_ids: dict[tuple[int, str], int] = {}
        raised = []
        # One statement (per MAX_PARAMETERS); RETURNING answers in no promised order.
        for project_id, fingerprint, group_id, severity in self._driver.insert(
            conn, "groups", _GROUP_COLUMNS, rows, _UPSERT
        ):
            key = (int(project_id), fingerprint)
            group_ids[key] = int(group_id)
            draft = drafts[key]
            if rank(draft.severity.level) > rank(severity):  # the upsert leaves it as it was
                raised.append(
                    {
                        "group_id": int(group_id),
                        "new_severity": draft.severity.level,
                        "new_reasons": draft.severity.reasons,
                    }
                )
        if raised:
            conn.execute(_RAISE_SEVERITY, raised)
        return group_ids

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
