"""Per-context user, tags and action trail.

The current scope lives in a ``ContextVar``: code that runs inside :func:`isolation_scope` (one
web request, one task) records into its own copy, so concurrent requests in one async server do
not mix their trails. Outside of any isolation scope everything goes to one process-wide scope.

Actions are stored as tuples and turned into wire dicts only when a report is built: recording an
action is an ``append`` to a bounded ``deque``, and memory stays bounded whatever the host does.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

# (unix time, category, message, level, data)
ActionTuple = tuple[float, str, str, str, dict[str, Any] | None]

DEFAULT_MAX_ACTIONS = 100


class Scope:
    __slots__ = ("actions", "tags", "user")

    def __init__(self, max_actions: int = DEFAULT_MAX_ACTIONS) -> None:
        self.actions: deque[ActionTuple] = deque(maxlen=max_actions)
        self.user: dict[str, Any] | None = None
        self.tags: dict[str, str] = {}

    def fork(self) -> Scope:
        child = Scope(self.actions.maxlen or DEFAULT_MAX_ACTIONS)
        child.actions.extend(self.actions)
        child.user = dict(self.user) if self.user is not None else None
        child.tags = dict(self.tags)
        return child

    def add_action(
        self, message: str, category: str, level: str, data: dict[str, Any] | None
    ) -> None:
        self.actions.append((time.time(), category, message, level, data))

    def clear(self) -> None:
        self.actions.clear()
        self.user = None
        self.tags = {}

    def resize(self, max_actions: int) -> None:
        if self.actions.maxlen != max_actions:
            self.actions = deque(self.actions, maxlen=max_actions)

    def snapshot_actions(self) -> list[dict[str, Any]]:
        return [
            {
                "timestamp": datetime.fromtimestamp(ts, UTC).isoformat(),
                "category": category,
                "message": message,
                "level": level,
                "data": data,
            }
            for ts, category, message, level, data in list(self.actions)
        ]


_global_scope = Scope()
_current: ContextVar[Scope | None] = ContextVar("bugrelay_scope", default=None)


def current_scope() -> Scope:
    return _current.get() or _global_scope


def global_scope() -> Scope:
    return _global_scope


@contextmanager
def isolation_scope() -> Iterator[Scope]:
    """Record user, tags and actions of the enclosed code into a copy of the current scope."""
    scope = current_scope().fork()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
