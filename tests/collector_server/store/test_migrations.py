"""The Alembic migrations build exactly the tables the code declares, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from collector_server.store import Store
from collector_server.store.tables import SEARCH_INDEX, metadata


def _declared(name: str | None, type_: str, parent: object) -> bool:
    """The similarity index is made in each database's own DDL (FTS5 and its shadow tables on
    SQLite, tsvector on PostgreSQL), outside the declared metadata."""
    shadow = {f"{SEARCH_INDEX}_{part}" for part in ("data", "idx", "content", "docsize", "config")}
    return not (type_ == "table" and (name == SEARCH_INDEX or name in shadow))


def test_migrations_match_the_table_definitions(database_url: str) -> None:
    store = Store.open(database_url)  # migrates (idempotent when a collector got there first)
    Store.open(database_url).close()  # and a second run changes nothing
    try:
        with store.engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _declared}
            )
            assert compare_metadata(context, metadata) == []
            tables = set(inspect(conn).get_table_names())
        assert {"projects", "groups", "reports", "alembic_version", SEARCH_INDEX} <= tables
    finally:
        store.close()
