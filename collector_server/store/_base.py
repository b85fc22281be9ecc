"""What every part of the store shares: the engine, the write transaction, cursors, errors."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import chain
from typing import Any

from sqlalchemy import Column, Connection, Dialect, Engine

from collector_server.store.db import BEGIN_OPTION


class InvalidCursorError(ValueError):
    """A pagination cursor that this store did not make."""


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: str | None


def encode_cursor(*parts: str | int) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, types: tuple[type, ...]) -> list[Any]:
    try:
        parts = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise InvalidCursorError("the cursor is not one this collector made") from None
    if (
        not isinstance(parts, list)
        or len(parts) != len(types)
        or not all(
            isinstance(p, t) and not isinstance(p, bool) for p, t in zip(parts, types, strict=True)
        )
        # We never make one with a NUL; PostgreSQL refuses it in text, and Python's
        # fromisoformat ignores what follows it.
        or any(isinstance(p, str) and "\x00" in p for p in parts)
    ):
        raise InvalidCursorError("the cursor is not one this collector made")
    return parts


def column_text(value: str, limit: int | None = None) -> str:
    """Text for a column, cut to ``limit`` if given: PostgreSQL text cannot hold NUL, so it becomes
    U+FFFD there (the full report, as JSON, keeps it escaped as ``\\u0000``)."""
    return value[:limit].replace("\x00", "\ufffd")


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def driver_json(value: Any) -> Any:
    """A JSON column as read with driver SQL: SQLite hands back its text, psycopg the value."""
    return json.loads(value) if isinstance(value, str) else value


def driver_time(value: Any) -> datetime:
    """A timestamp column as read with driver SQL: SQLite hands back its text, psycopg the
    datetime; in UTC either way."""
    return utc(datetime.fromisoformat(value) if isinstance(value, str) else value)


class DriverSql:
    """For the hot path of the intake: statements in the driver's own SQL, and the values
    converted as SQLAlchemy's column types convert them. SQLAlchemy's handling of each
    statement and of each row costs more there than the database's work does."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self.mark = _PARAMETER_MARKS[dialect.paramstyle]

    def marks(self, count: int) -> str:
        """``count`` parameters, comma-separated: ``?, ?, ?``."""
        return ", ".join([self.mark] * count)

    def insert(
        self,
        conn: Connection,
        table: str,
        columns: Sequence[str],
        rows: Sequence[Sequence[Any]],
        tail: str = "",
        *,
        tail_params: Sequence[Any] = (),
    ) -> list[Any]:
        """Insert ``rows`` (values in the order of ``columns``) in as few statements as the
        parameter limit allows, with ``tail`` (``ON CONFLICT ... RETURNING ...``, with its own
        parameters ``tail_params``) after each; the rows that ``RETURNING`` answers.

        Not ``executemany``: SQLite's driver runs that row by row, letting go of the GIL and
        waiting to take it again for every row, behind the threads that answer requests.
        """
        returned: list[Any] = []
        per_statement = max(1, (MAX_PARAMETERS - len(tail_params)) // len(columns))
        row_marks = f"({self.marks(len(columns))})"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            values = ", ".join([row_marks] * len(chunk))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}{tail}"  # noqa: S608
            result = conn.exec_driver_sql(sql, (*chain.from_iterable(chunk), *tail_params))
            if result.returns_rows:
                returned.extend(result)
        return returned

    def converter(self, column: Column[Any]) -> Callable[[Any], Any]:
        """What SQLAlchemy makes of a Python value for ``column`` before the driver gets it."""
        convert = column.type.dialect_impl(self.dialect).bind_processor(self.dialect)
        return convert or _unchanged


MAX_PARAMETERS = 999  # in one statement: SQLite's limit before 3.32 (32766 since)
_PARAMETER_MARKS = {"qmark": "?", "format": "%s", "pyformat": "%s"}  # SQLite, psycopg


def _unchanged(value: Any) -> Any:
    return value


class StoreBase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._driver = DriverSql(engine.dialect)
        # SQLite has one writer at a time. Writers of this process queue on a lock, which wakes
        # the next one at once, instead of on SQLite's busy handler, which polls with sleeps;
        # other processes still wait on busy_timeout.
        self._write_lock = (
            threading.Lock() if self.dialect == "sqlite" else contextlib.nullcontext()
        )

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._write_lock, self.engine.connect() as conn:
            conn.execution_options(**{BEGIN_OPTION: "IMMEDIATE"})
            with conn.begin():
                yield conn
