"""Projects and their ingest keys: creation, per-project settings, rotation and revocation.

A project has one current public key (``projects.public_key``) and, after a rotation, the keys
it had before in ``project_keys``, each working until its grace period ends. Revoking ends that
at once. Every change bumps ``projects.version``, which each collector's project cache checks.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from collector_server.store._base import StoreBase, utc
from collector_server.store.tables import project_keys, projects

MAX_PROJECT_NAME = 100
SETTINGS = (
    "allowed_origins",
    "rate_limit",
    "retention_days",
    "max_json_bytes",
    "max_attachment_bytes",
    "max_attachments",
    "scrubbing",
)
"""The per-project settings :meth:`ProjectStore.update_project` may change (None: default)."""


class ProjectExistsError(ValueError):
    """A project with that name exists already."""


class InvalidProjectNameError(ValueError):
    """A project name that is blank or too long."""


class ProjectNotFoundError(LookupError):
    """No project by that name or id."""


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    public_key: str
    created_at: datetime
    previous_keys: Mapping[str, datetime] = field(default_factory=dict)  # key -> expires at
    allowed_origins: tuple[str, ...] = ()  # empty: any origin
    rate_limit: str | None = None
    retention_days: int | None = None
    max_json_bytes: int | None = None
    max_attachment_bytes: int | None = None
    max_attachments: int | None = None
    scrubbing: Mapping[str, Any] | None = None
    version: int = 1

    def key_matches(self, key: str, now: datetime | None = None) -> bool:
        """True for the current key, or a previous one still in its grace period."""
        if secrets.compare_digest(self.public_key.encode(), key.encode()):
            return True
        expires = self.previous_keys.get(key)
        return expires is not None and expires > (now or datetime.now(UTC))

    def settings(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in SETTINGS}


def new_public_key() -> str:
    return secrets.token_hex(16)


class ProjectStore(StoreBase):
    def create_project(self, name: str) -> Project:
        if not name.strip() or len(name) > MAX_PROJECT_NAME or name != name.strip():
            raise InvalidProjectNameError(
                f"a project name has 1 to {MAX_PROJECT_NAME} characters and no surrounding "
                f"spaces, not {name!r}"
            )
        public_key, created_at = new_public_key(), datetime.now(UTC)
        try:
            with self._write() as conn:
                inserted = conn.execute(
                    projects.insert().values(
                        name=name, public_key=public_key, created_at=created_at, version=1
                    )
                ).inserted_primary_key
        except IntegrityError:
            raise ProjectExistsError(f"a project named {name!r} exists already") from None
        assert inserted is not None
        return Project(int(inserted[0]), name, public_key, created_at)

    def get_project(self, project_id: int) -> Project | None:
        with self.engine.connect() as conn:
            return self._load(conn, projects.c.id == project_id)

    def project_by_name(self, name: str) -> Project | None:
        with self.engine.connect() as conn:
            return self._load(conn, projects.c.name == name)

    def project_version(self, project_id: int) -> int | None:
        """The project's change counter (one indexed read), None when there is no such project."""
        with self.engine.connect() as conn:
            value = conn.execute(
                select(projects.c.version).where(projects.c.id == project_id)
            ).scalar_one_or_none()
        return None if value is None else int(value)

    def project_id_for_key(self, key: str) -> int | None:
        """The project a key (current, or previous and still in grace) belongs to."""
        now = datetime.now(UTC)
        with self.engine.connect() as conn:
            found = conn.execute(
                select(projects.c.id).where(projects.c.public_key == key)
            ).scalar_one_or_none()
            if found is None:
                found = conn.execute(
                    select(project_keys.c.project_id).where(
                        project_keys.c.public_key == key, project_keys.c.expires_at > now
                    )
                ).scalar_one_or_none()
        return None if found is None else int(found)

    def list_projects(self) -> list[Project]:
        with self.engine.connect() as conn:
            ids = conn.execute(select(projects.c.id).order_by(projects.c.id)).scalars().all()
            loaded = [self._load(conn, projects.c.id == pid) for pid in ids]
        return [p for p in loaded if p is not None]

    def update_project(self, name: str, changes: Mapping[str, Any]) -> Project:
        """Change per-project settings (names in :data:`SETTINGS`; None restores the default)."""
        unknown = set(changes) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown project settings: {', '.join(sorted(unknown))}")
        values = dict(changes)
        if "allowed_origins" in values and values["allowed_origins"] is not None:
            values["allowed_origins"] = list(values["allowed_origins"])
        with self._write() as conn:
            project_id = self._id_for_update(conn, name)
            conn.execute(
                update(projects)
                .where(projects.c.id == project_id)
                .values(**values, version=projects.c.version + 1)
            )
            loaded = self._load(conn, projects.c.id == project_id)
        assert loaded is not None
        return loaded

    def rotate_key(self, name: str, grace: timedelta) -> Project:
        """A new current key; the old one keeps working for ``grace`` (0: not at all)."""
        now = datetime.now(UTC)
        with self._write() as conn:
            project_id = self._id_for_update(conn, name)
            old_key = conn.execute(
                select(projects.c.public_key).where(projects.c.id == project_id)
            ).scalar_one()
            conn.execute(
                delete(project_keys).where(
                    project_keys.c.project_id == project_id, project_keys.c.expires_at <= now
                )
            )
            if grace > timedelta(0):
                conn.execute(
                    project_keys.insert().values(
                        public_key=old_key, project_id=project_id, expires_at=now + grace
                    )
                )
            conn.execute(
                update(projects)
                .where(projects.c.id == project_id)
                .values(public_key=new_public_key(), version=projects.c.version + 1)
            )
            loaded = self._load(conn, projects.c.id == project_id)
        assert loaded is not None
        return loaded

    def revoke_keys(self, name: str, *, current: bool) -> Project:
        """End the grace period of every previous key now; with ``current``, replace the
        current key too (a leaked key), so that no key the project had before works."""
        with self._write() as conn:
            project_id = self._id_for_update(conn, name)
            conn.execute(delete(project_keys).where(project_keys.c.project_id == project_id))
            values: dict[str, Any] = {"version": projects.c.version + 1}
            if current:
                values["public_key"] = new_public_key()
            conn.execute(update(projects).where(projects.c.id == project_id).values(**values))
            loaded = self._load(conn, projects.c.id == project_id)
        assert loaded is not None
        return loaded

    def _id_for_update(self, conn: Connection, name: str) -> int:
        query = select(projects.c.id).where(projects.c.name == name)
        if self.dialect == "postgresql":
            query = query.with_for_update()
        project_id = conn.execute(query).scalar_one_or_none()
        if project_id is None:
            raise ProjectNotFoundError(f"no project named {name!r}")
        return int(project_id)

    @staticmethod
    def _load(conn: Connection, where: Any) -> Project | None:
        row = conn.execute(select(projects).where(where)).first()
        if row is None:
            return None
        now = datetime.now(UTC)
        keys = {
            key: utc(expires)
            for key, expires in conn.execute(
                select(project_keys.c.public_key, project_keys.c.expires_at).where(
                    project_keys.c.project_id == row.id
                )
            ).all()
            if utc(expires) > now
        }
        return Project(
            id=int(row.id),
            name=row.name,
            public_key=row.public_key,
            created_at=utc(row.created_at),
            previous_keys=keys,
            allowed_origins=tuple(row.allowed_origins or ()),
            rate_limit=row.rate_limit,
            retention_days=row.retention_days,
            max_json_bytes=row.max_json_bytes,
            max_attachment_bytes=row.max_attachment_bytes,
            max_attachments=row.max_attachments,
            scrubbing=row.scrubbing,
            version=int(row.version),
        )
