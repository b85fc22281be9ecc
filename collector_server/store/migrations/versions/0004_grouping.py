"""Near-duplicate grouping and group facts: the similarity index and its statistics, merges,
aliases, reporters, releases, severity overrides and the explanation of each assignment.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"], ["projects.id"], name=f"fk_{table}_project_id_projects", ondelete="CASCADE"
    )


def _group_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["group_id"], ["groups.id"], name=f"fk_{table}_group_id_groups", ondelete="CASCADE"
    )


def upgrade() -> None:
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("merged_into", Id, nullable=True))
        batch.add_column(sa.Column("severity_override", sa.String(16), nullable=True))
        batch.add_column(sa.Column("reporters", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(
            sa.Column("users_affected", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("profile", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("facts", sa.JSON(), nullable=True))
    with op.batch_alter_table("reports") as batch:
        batch.add_column(sa.Column("grouping", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reporter", sa.String(200), nullable=True))
    op.create_table(
        "group_aliases",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("group_id", Id, nullable=False),
        sa.PrimaryKeyConstraint("project_id", "fingerprint", name="pk_group_aliases"),
        _project_fk("group_aliases"),
        _group_fk("group_aliases"),
    )
    op.create_table(
        "group_reporters",
        sa.Column("group_id", Id, nullable=False),
        sa.Column("reporter", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("group_id", "reporter", name="pk_group_reporters"),
        _group_fk("group_reporters"),
    )
    op.create_table(
        "project_reporters",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("reporter", sa.String(200), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "reporter", name="pk_project_reporters"),
        _project_fk("project_reporters"),
    )
    op.create_index("ix_project_reporters_seen", "project_reporters", ["project_id", "last_seen"])
    op.create_table(
        "project_releases",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("release", sa.String(100), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "release", name="pk_project_releases"),
        _project_fk("project_releases"),
    )
    op.create_table(
        "group_terms",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("token", sa.String(80), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", "token", name="pk_group_terms"),
        _project_fk("group_terms"),
    )
    op.create_table(
        "group_index_stats",
        sa.Column("project_id", Id, nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("project_id", name="pk_group_index_stats"),
        _project_fk("group_index_stats"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE group_index ("
            " group_id BIGINT PRIMARY KEY REFERENCES groups (id) ON DELETE CASCADE,"
            " tokens tsvector NOT NULL)"
        )
        op.execute("CREATE INDEX ix_group_index_tokens ON group_index USING gin (tokens)")
    else:
        # rowid = the group's id; tokens are already project-scoped, stemmed and lower case.
        op.execute(
            "CREATE VIRTUAL TABLE group_index USING fts5("
            "tokens, tokenize = 'unicode61 remove_diacritics 0', detail = column)"
        )


def downgrade() -> None:
    op.execute("DROP TABLE group_index")
    for table in (
        "group_index_stats",
        "group_terms",
        "project_releases",
        "project_reporters",
        "group_reporters",
        "group_aliases",
    ):
        op.drop_table(table)
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("reporter")
        batch.drop_column("grouping")
    with op.batch_alter_table("groups") as batch:
        for name in (
            "facts",
            "profile",
            "users_affected",
            "reporters",
            "severity_override",
            "merged_into",
        ):
            batch.drop_column(name)
