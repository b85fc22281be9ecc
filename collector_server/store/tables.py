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
    # Grouping (migration 0004). ``merged_into``: the group an operator merged this one into;
    # its reports moved there and its fingerprints lead there. ``severity_override``: the level
    # an operator set, which re-evaluation keeps. ``profile``: what near-duplicate grouping
    # compares (collector_server.pipeline.grouping.Profile). ``facts``: releases,
    # environments and routes seen, and the most severe report's assessment.
    Column("merged_into", Id, nullable=True),
    Column("severity_override", String(16), nullable=True),
    Column("reporters", Integer, nullable=False, server_default="0"),
    Column("users_affected", Integer, nullable=False, server_default="0"),
    Column("profile", JSON, nullable=True),
    Column("facts", JSON, nullable=True),
    UniqueConstraint("project_id", "fingerprint"),
    Index("ix_groups_project_id_desc", "project_id", "id"),
)

# Fingerprints that lead to a group besides its own: a merged group's, and the exact text of
# a report that joined by similarity (so its repeats need no search).
group_aliases = Table(
    "group_aliases",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("fingerprint", String(64), primary_key=True),
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), nullable=False),
)

# Who reported a group (user id, email, session or the report itself): distinct reporters.
group_reporters = Table(
    "group_reporters",
    metadata,
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("reporter", String(200), primary_key=True),
)

# A project's reporters and when each last reported: the "share of active reporters" rule.
project_reporters = Table(
    "project_reporters",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("reporter", String(200), primary_key=True),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Index("ix_project_reporters_seen", "project_id", "last_seen"),
)

# Releases in the order a project first saw them: "a new group right after a release".
project_releases = Table(
    "project_releases",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("release", String(100), primary_key=True),
    Column("first_seen", DateTime(timezone=True), nullable=False),
)

# The similarity index's statistics: in how many indexed groups each token is (document
# frequency), and per project the number of indexed groups and their total term weight.
# The index itself is ``group_index`` (FTS5 on SQLite, tsvector + GIN on PostgreSQL), made by
# migration 0004 in each database's own DDL (see store/search.py).
group_terms = Table(
    "group_terms",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("token", String(80), primary_key=True),
    Column("documents", Integer, nullable=False),
)
group_index_stats = Table(
    "group_index_stats",
    metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("documents", Integer, nullable=False),
)
SEARCH_INDEX = "group_index"  # not in this metadata: its DDL differs per database

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
    # Why the report is in its group: method, score, signals (migration 0004).
    Column("grouping", JSON, nullable=True),
    Column("reporter", String(200), nullable=True),  # see group_reporters
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
