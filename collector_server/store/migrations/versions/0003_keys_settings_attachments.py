"""Per-project settings and rotated keys, attachments out of the JSON, shared rate buckets,
scrubbed-field records, and the optional CES / NPS answers of a rating.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_PROJECT_COLUMNS = (
    ("allowed_origins", sa.JSON()),
    ("rate_limit", sa.String(32)),
    ("retention_days", sa.Integer()),
    ("max_json_bytes", sa.Integer()),
    ("max_attachment_bytes", sa.Integer()),
    ("max_attachments", sa.Integer()),
    ("scrubbing", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch:
        for name, type_ in _PROJECT_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "project_keys",
        sa.Column("public_key", sa.String(64), nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("public_key", name="pk_project_keys"),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_project_keys_project_id_projects",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_project_keys_project", "project_keys", ["project_id"])
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("scrubbed_fields", sa.JSON(), nullable=True))
    with op.batch_alter_table("ratings") as batch:
        batch.add_column(sa.Column("effort", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("recommend", sa.Integer(), nullable=True))
    op.create_table(
        "attachments",
        sa.Column("id", Id, primary_key=True, autoincrement=True),
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=True),
        sa.Column("height", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_attachments"),
        sa.UniqueConstraint("report_id", "name", name="uq_attachments_report_id"),
        sa.ForeignKeyConstraint(
            ["report_id"],
            ["reports.id"],
            name="fk_attachments_report_id_reports",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_attachments_project_id_projects",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_attachments_project_created", "attachments", ["project_id", "created_at"])
    op.create_table(
        "rate_buckets",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_rate_buckets"),
    )


def downgrade() -> None:
    op.drop_table("rate_buckets")
    op.drop_index("ix_attachments_project_created", table_name="attachments")
    op.drop_table("attachments")
    with op.batch_alter_table("ratings") as batch:
        batch.drop_column("recommend")
        batch.drop_column("effort")
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("scrubbed_fields")
    op.drop_index("ix_project_keys_project", table_name="project_keys")
    op.drop_table("project_keys")
    with op.batch_alter_table("projects") as batch:
        batch.drop_column("version")
        for name, _type in reversed(_PROJECT_COLUMNS):
            batch.drop_column(name)
