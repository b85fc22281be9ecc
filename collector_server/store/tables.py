"""The database tables (SQLAlchemy Core). Changes here need an Alembic migration."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# BigInteger on PostgreSQL, but INTEGER on SQLite, where only "INTEGER PRIMARY KEY" autoincrements.
Id = BigInteger().with_variant(Integer(), "sqlite")

projects = Table(
    "projects",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(100), nullable=False, unique=True),
    Column("public_key", String(64), nullable=False, unique=True),  # the current ingest key
    Column("created_at", DateTime(timezone=True), nullable=False),
    # Per-project settings (`bugrelay project set`); NULL: the collector's default.
    Column("allowed_origins", JSON, nullable=True),  # browser origins; NULL or []: any
    Column("rate_limit", String(32), nullable=True),  # "6000/60": requests per key per seconds
    Column("retention_days", Integer, nullable=True),
    Column("max_json_bytes", Integer, nullable=True),
    Column("max_attachment_bytes", Integer, nullable=True),
    Column("max_attachments", Integer, nullable=True),
    Column("scrubbing", JSON, nullable=True),  # collector_server.pipeline.scrub settings
    # Bumped on every change, so that each replica's cache can see it is stale.
    Column("version", Integer, nullable=False, server_default="1"),
)

# Keys a project had before its current one: they keep working until ``expires_at`` (the grace
# period of a rotation); revoking deletes them.
project_keys = Table(
    "project_keys",
    metadata,
    Column("public_key", String(64), primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_project_keys_project", "project_id"),
)

groups = Table(
    "groups",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("fingerprint", String(64), nullable=False),
    Column("title", String(200), nullable=False),
    Column("status", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("severity_reasons", JSON, nullable=False),
    Column("report_count", Integer, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("fixed_in", String(100), nullable=True),
    UniqueConstraint("project_id", "fingerprint"),
    Index("ix_groups_project_id_desc", "project_id", "id"),
)

reports = Table(
    "reports",
    metadata,
    Column("id", String(36), primary_key=True),  # the client's UUID: the idempotency key
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("title", String(200), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("severity_reasons", JSON, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Column("payload", Text, nullable=False),  # the validated wire-schema JSON, as stored
    # Paths of the fields whose values the collector's scrubbing replaced (never the values).
    Column("scrubbed_fields", JSON, nullable=True),
    Index("ix_reports_project_received", "project_id", "received_at"),
    Index("ix_reports_group", "group_id"),
)

ratings = Table(
    "ratings",
    metadata,
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("score", Integer, nullable=False),
    Column("comment", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("effort", Integer, nullable=True),  # customer effort, 1..7
    Column("recommend", Integer, nullable=True),  # would recommend, 0..10 (NPS)
)

# Files beside a report: screenshots, logs. The bytes live in ``data`` (the database store,
# which every replica reads) or, with ``data`` NULL, in the directory store under ``sha256``.
attachments = Table(
    "attachments",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("report_id", String(36), ForeignKey("reports.id", ondelete="CASCADE"), nullable=False),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(100), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("size", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("width", Integer, nullable=True),  # images only
    Column("height", Integer, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("data", LargeBinary, nullable=True),
    UniqueConstraint("report_id", "name"),
    Index("ix_attachments_project_created", "project_id", "created_at"),
)

# Token buckets shared by every collector on one database (PostgreSQL replicas without Redis).
rate_buckets = Table(
    "rate_buckets",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("tokens", Float, nullable=False),
    Column("updated_at", Float, nullable=False),  # seconds since the epoch
)
