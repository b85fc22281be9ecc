"""Attachments: stored with their report (one transaction) or added to it later, once each.

A report's attachments have unique names. Adding one by name again with the same bytes is an
idempotent repeat (an upload that was retried); with other bytes, a conflict. The bytes go where
:attr:`AttachmentStore.blobs` says (see :mod:`collector_server.attachments`): in the row, or,
with ``data`` NULL, in a blob store under their sha256.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select
from sqlalchemy.exc import IntegrityError

from collector_server.attachments import (
    AttachmentLimits,
    BlobStore,
    DatabaseBlobs,
    NewAttachment,
)
from collector_server.store._base import StoreBase, utc
from collector_server.store.reports import ReportNotFoundError
from collector_server.store.tables import attachments, reports

_INFO = (
    attachments.c.name,
    attachments.c.content_type,
    attachments.c.size,
    attachments.c.sha256,
    attachments.c.width,
    attachments.c.height,
    attachments.c.created_at,
)


class AttachmentConflictError(ValueError):
    """The report has an attachment of that name already, with other bytes."""


class TooManyAttachmentsError(ValueError):
    """The report has as many attachments as its project allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the report has {limit} attachments, the limit per report")
        self.limit = limit


@dataclass(frozen=True, slots=True)
class StoredAttachment:
    name: str
    content_type: str
    size: int
    sha256: str
    width: int | None
    height: int | None
    created_at: datetime
    data: bytes | None  # None: the blob store has lost them (or is not the one they went to)

    def info(self) -> dict[str, Any]:
        return _info(self)


class AttachmentStore(StoreBase):
    _blobs: BlobStore | None = None

    @property
    def blobs(self) -> BlobStore:
        """Where new attachments' bytes go (default: :class:`DatabaseBlobs`)."""
        if self._blobs is None:
            self._blobs = DatabaseBlobs(self.engine)
        return self._blobs

    @blobs.setter
    def blobs(self, blobs: BlobStore) -> None:
        self._blobs = blobs

    def insert_attachments(
        self,
        conn: Connection,
        project_id: int,
        report_id: str,
        items: Sequence[NewAttachment],
    ) -> None:
        """Insert a new report's attachments in ``conn``'s transaction (the report's own).

        The names must be unique (:func:`~collector_server.attachments.check_attachment_set`);
        a repeated name fails the transaction with an ``IntegrityError``.
        """
        if not items:
            return
        blobs = self.blobs
        now = datetime.now(UTC)
        rows = []
        for item in items:
            if not blobs.in_database:
                blobs.put(item.sha256, item.data)  # before the row that names it
            rows.append(
                {
                    "report_id": report_id,
                    "project_id": project_id,
                    "name": item.name,
                    "content_type": item.content_type,
                    "size": item.size,
                    "sha256": item.sha256,
                    "width": item.width,
                    "height": item.height,
                    "created_at": now,
                    "data": item.data if blobs.in_database else None,
                }
            )
        conn.execute(attachments.insert(), rows)

    def add_attachment(
        self, project_id: int, report_id: str, item: NewAttachment, limits: AttachmentLimits
    ) -> bool:
        """Add one attachment to a stored report; False when it was there already (a repeat).

        Raises :class:`ReportNotFoundError` (no such report in this project),
        :class:`AttachmentConflictError` (the name is taken by other bytes) or
        :class:`TooManyAttachmentsError` (the report has ``limits.max_count`` already).
        """
        try:
            return self._add(project_id, report_id, item, limits)
        except IntegrityError:
            # Another upload of the same name committed between our check and our insert; its
            # row is visible now, and decides: a repeat, or a conflict.
            return self._add(project_id, report_id, item, limits)

    def _add(
        self, project_id: int, report_id: str, item: NewAttachment, limits: AttachmentLimits
    ) -> bool:
        with self._write() as conn:
            # The report's row lock (PostgreSQL) serialises uploads to one report, so that two
            # at once cannot both pass the count check; SQLite writers are serial anyway.
            found = conn.execute(
                select(reports.c.id)
                .where(reports.c.id == report_id, reports.c.project_id == project_id)
                .with_for_update()
            ).first()
            if found is None:
                raise ReportNotFoundError(f"no report {report_id} in project {project_id}")
            existing = conn.execute(
                select(attachments.c.sha256).where(
                    attachments.c.report_id == report_id, attachments.c.name == item.name
                )
            ).scalar_one_or_none()
            if existing is not None:
                if existing == item.sha256:
                    return False
                raise AttachmentConflictError(
                    f"report {report_id} has an attachment named {item.name!r} already, with "
                    f"other content (sha256 {existing}); use another name"
                )
            count = conn.execute(
                select(func.count())
                .select_from(attachments)
                .where(attachments.c.report_id == report_id)
            ).scalar_one()
            if count >= limits.max_count:
                raise TooManyAttachmentsError(limits.max_count)
            self.insert_attachments(conn, project_id, report_id, [item])
        return True

    def list_attachments(self, project_id: int, report_id: str) -> list[dict[str, Any]]:
        """The report's attachments' metadata (no bytes), in the order they were stored."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(*_INFO)
                .where(
                    attachments.c.report_id == report_id,
                    attachments.c.project_id == project_id,
                )
                .order_by(attachments.c.id)
            ).all()
        return [_info(row) for row in rows]

    def get_attachment(self, project_id: int, report_id: str, name: str) -> StoredAttachment | None:
        """One attachment with its bytes; None when the report has none of that name."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(*_INFO, attachments.c.data).where(
                    attachments.c.report_id == report_id,
                    attachments.c.project_id == project_id,
                    attachments.c.name == name,
                )
            ).first()
        if row is None:
            return None
        # Rows keep their bytes where they were stored: in the row, or in the blob store.
        data = bytes(row.data) if row.data is not None else self.blobs.get(row.sha256)
        return StoredAttachment(
            name=row.name,
            content_type=row.content_type,
            size=int(row.size),
            sha256=row.sha256,
            width=row.width,
            height=row.height,
            created_at=utc(row.created_at),
            data=data,
        )


def _info(row: Any) -> dict[str, Any]:
    return {
        "name": row.name,
        "content_type": row.content_type,
        "size": int(row.size),
        "sha256": row.sha256,
        "width": row.width,
        "height": row.height,
        "created_at": utc(row.created_at).isoformat(),
    }
