"""Per-context user, tags and buffers: the action trail, recent logs and failed requests.

The current scope lives in a ``ContextVar``: code that runs inside :func:`isolation_scope` (one
web request, one task) records into its own copy, so concurrent requests in one async server do
not mix their trails. Outside of any isolation scope everything goes to one process-wide scope.

Every buffer is a bounded ``deque`` of compact rows (tuples), turned into wire dicts only on the
worker (``sdk._prepare.expand``): recording is one ``append``, taking a report's snapshot is one
``list()`` per buffer, and memory stays bounded whatever the host does. The row layouts are
described in :mod:`sdk.collectors`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# Where an action came from: the worker leaves automatic ones out when Sentry recorded them too.
ORIGIN_MANUAL = 0
ORIGIN_LOG = 1
ORIGIN_HTTP = 2

# (unix time, category, message, level, data, %-args of a log message or None, origin)
ActionRow = tuple[float, str, str, "str | int", Any, "tuple[Any, ...] | None", int]
# (unix time, levelno, logger name, message, %-args or None)
LogRow = tuple[float, int, str, str, "tuple[Any, ...] | None"]
# (unix time, method, url, status or None, duration in ms or None, error or None)
NetworkRow = tuple[float, str, str, "int | None", "float | None", "str | None"]

DEFAULT_MAX_ACTIONS = 100
DEFAULT_MAX_LOGS = 200
DEFAULT_MAX_NETWORK = 30


class Scope:
    __slots__ = ("actions", "logs", "network", "tags", "user")

    def __init__(
        self,
        max_actions: int = DEFAULT_MAX_ACTIONS,
        max_logs: int = DEFAULT_MAX_LOGS,
        max_network: int = DEFAULT_MAX_NETWORK,
    ) -> None:
        self.actions: deque[ActionRow] = deque(maxlen=max_actions)
        self.logs: deque[LogRow] = deque(maxlen=max_logs)
        self.network: deque[NetworkRow] = deque(maxlen=max_network)
        self.user: dict[str, Any] | None = None
        self.tags: dict[str, str] = {}

    def fork(self) -> Scope:
        child = Scope.__new__(Scope)
        child.actions = self.actions.copy()
        child.logs = self.logs.copy()
        child.network = self.network.copy()
        child.user = dict(self.user) if self.user is not None else None
        child.tags = dict(self.tags)
        return child

    def clear(self) -> None:
        self.actions.clear()
        self.logs.clear()
        self.network.clear()
        self.user = None
        self.tags = {}

    def resize(self, max_actions: int, max_logs: int, max_network: int) -> None:
        if self.actions.maxlen != max_actions:
            self.actions = deque(self.actions, maxlen=max_actions)
        if self.logs.maxlen != max_logs:
            self.logs = deque(self.logs, maxlen=max_logs)
        if self.network.maxlen != max_network:
            self.network = deque(self.network, maxlen=max_network)

    def snapshot(self) -> dict[str, list[Any]]:
        """The buffers as lists of rows, oldest first (the draft's ``_trail``)."""
        return {
            "actions": list(self.actions),
            "logs": list(self.logs),
            "network": list(self.network),
        }


_global_scope = Scope()
_current: ContextVar[Scope | None] = ContextVar("bugrelay_scope", default=None)


def current_scope() -> Scope:
    return _current.get() or _global_scope


def global_scope() -> Scope:
    return _global_scope


@contextmanager
def isolation_scope() -> Iterator[Scope]:
    """Record user, tags, actions and logs of the enclosed code into a copy of the current scope."""
    scope = current_scope().fork()
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)


@contextmanager
def using_scope(scope: Scope) -> Iterator[Scope]:
    """Record into ``scope`` in the enclosed code (the web middleware's per-request scope)."""
    token = _current.set(scope)
    try:
        yield scope
    finally:
        _current.reset(token)
