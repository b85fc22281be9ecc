"""The reporter loop: a group's fixed-in release, ratings, and an index for group lists.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("fixed_in", sa.String(100), nullable=True))
    op.create_index("ix_groups_project_id_desc", "groups", ["project_id", "id"])
    op.create_table(
        "ratings",
        sa.Column("report_id", sa.String(36), nullable=False),
        sa.Column("project_id", Id, nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("report_id", name="pk_ratings"),
        sa.ForeignKeyConstraint(
            ["report_id"], ["reports.id"], name="fk_ratings_report_id_reports", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name="fk_ratings_project_id_projects",
            ondelete="CASCADE",
        ),
    )


def downgrade() -> None:
    op.drop_table("ratings")
    op.drop_index("ix_groups_project_id_desc", table_name="groups")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("fixed_in")
