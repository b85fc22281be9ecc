"""Storage: one :class:`Store` over SQLite (default) or PostgreSQL, same code for both.

Split by concept: :mod:`.projects` (projects, keys, settings), :mod:`.reports` (reports,
ratings), :mod:`.groups` (groups), :mod:`.search` (the similarity index), :mod:`.curation`
(operators' merges, splits and overrides), :mod:`.attachments` (attachments; their bytes are behind
:class:`collector_server.attachments.BlobStore`); :mod:`._base` holds the engine and the write
transaction.
"""

from __future__ import annotations

from sqlalchemy import text

from collector_server.store._base import InvalidCursorError, Page
from collector_server.store.attachments import (
    AttachmentConflictError,
    AttachmentStore,
    StoredAttachment,
    TooManyAttachmentsError,
)
from collector_server.store.curation import CurationStore
from collector_server.store.db import make_engine, migrate
from collector_server.store.groups import GroupMergeError, GroupNotFoundError
from collector_server.store.projects import (
    InvalidProjectNameError,
    Project,
    ProjectExistsError,
    ProjectNotFoundError,
    ProjectStore,
)
from collector_server.store.reports import (
    AlreadyRatedError,
    ReportIdConflictError,
    ReportNotFoundError,
    ReportStore,
    Stored,
)
from collector_server.store.retention import Deleted, RetentionStore


class Store(AttachmentStore, ProjectStore, ReportStore, CurationStore, RetentionStore):
    @classmethod
    def open(cls, database_url: str, *, upgrade: bool = True) -> Store:
        engine = make_engine(database_url)
        if upgrade:
            migrate(engine)
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))


__all__ = [
    "AlreadyRatedError",
    "AttachmentConflictError",
    "Deleted",
    "GroupMergeError",
    "GroupNotFoundError",
    "InvalidCursorError",
    "InvalidProjectNameError",
    "Page",
    "Project",
    "ProjectExistsError",
    "ProjectNotFoundError",
    "ReportIdConflictError",
    "ReportNotFoundError",
    "Store",
    "Stored",
    "StoredAttachment",
    "TooManyAttachmentsError",
]
