"""What every part of the store shares: the engine, the write transaction, cursors, errors."""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.dialects import postgresql, sqlite

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
    ):
        raise InvalidCursorError("the cursor is not one this collector made")
    return parts


def column_text(value: str, limit: int) -> str:
    """Text for a column, cut to ``limit``: PostgreSQL text cannot hold NUL, so it becomes
    U+FFFD there (the full report, as JSON, keeps it escaped as ``\\u0000``)."""
    return value[:limit].replace("\x00", "\ufffd")


def utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; everything we store is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class StoreBase:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        self._insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
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
