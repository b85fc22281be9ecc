"""The server's side of each browser session: its recent requests, log lines and user.

The middleware gives every browser a session id (a cookie) and records each request of that
session, with what the app logged while serving it, into that session's small trail here. When
the widget on one of its pages sends a report, the report is joined with this trail: the
developer sees the server's view of the same failure beside the browser's.

Memory is bounded twice: each session keeps at most a few dozen rows of each kind, and at most
``max_sessions`` sessions are kept, the least recently seen going first (and any unseen for
``ttl`` seconds).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict

from sdk.scope import ActionRow, Scope

COOKIE_NAME = "bugrelay_sid"
SESSION_ACTIONS = 50
SESSION_LOGS = 100
SESSION_NETWORK = 20


def new_session_id() -> str:
    return secrets.token_urlsafe(18)


def valid_session_id(value: str | None) -> bool:
    return value is not None and 16 <= len(value) <= 64 and value.isascii() and value.isprintable()


def public_session_id(session_id: str) -> str:
    """What a report carries as ``links.session_id``: a digest, never the cookie's value."""
    return hashlib.sha256(session_id.encode()).hexdigest()[:32]


class SessionTrail(Scope):
    """A session's rows and user: a small :class:`Scope` that also knows when it was seen."""

    __slots__ = ("seen",)

    def __init__(self) -> None:
        super().__init__(SESSION_ACTIONS, SESSION_LOGS, SESSION_NETWORK)
        self.seen = time.monotonic()


class SessionTrails:
    """Session id → :class:`SessionTrail`, bounded; safe to use from many threads."""

    def __init__(self, max_sessions: int = 1000, ttl: float = 1800.0) -> None:
        self.max_sessions = max_sessions
        self.ttl = ttl
        self._trails: OrderedDict[str, SessionTrail] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._trails)

    def get(self, session_id: str) -> SessionTrail | None:
        with self._lock:
            trail = self._trails.get(session_id)
            if trail is not None and time.monotonic() - trail.seen > self.ttl:
                del self._trails[session_id]
                return None
            return trail

    def request_scope(self, session_id: str, base: Scope) -> Scope:
        """A scope for one request of this session: the session's rows and user, the app's
        process-wide tags, buffers the size the app configured."""
        scope = Scope(
            base.actions.maxlen or SESSION_ACTIONS,
            base.logs.maxlen or SESSION_LOGS,
            base.network.maxlen or SESSION_NETWORK,
        )
        scope.tags = dict(base.tags)
        scope.user = dict(base.user) if base.user else None
        trail = self.get(session_id)
        if trail is not None:
            scope.actions.extend(trail.actions)
            scope.logs.extend(trail.logs)
            scope.network.extend(trail.network)
            if trail.user:
                scope.user = {**(scope.user or {}), **trail.user}
        return scope

    def record(self, session_id: str, scope: Scope, since: float, request: ActionRow) -> None:
        """Keep what one request added to its scope (rows stamped at or after ``since``), the
        request itself as an action, and the user the app set while serving it."""
        with self._lock:
            trail = self._trails.pop(session_id, None) or SessionTrail()
            self._trails[session_id] = trail  # most recently seen last
            trail.seen = time.monotonic()
            trail.actions.extend(row for row in list(scope.actions) if row[0] >= since)
            trail.actions.append(request)
            trail.logs.extend(row for row in list(scope.logs) if row[0] >= since)
            trail.network.extend(row for row in list(scope.network) if row[0] >= since)
            if scope.user:
                trail.user = dict(scope.user)
            self._evict()

    def _evict(self) -> None:
        now = time.monotonic()
        while self._trails:
            oldest_id, oldest = next(iter(self._trails.items()))
            if len(self._trails) <= self.max_sessions and now - oldest.seen <= self.ttl:
                break
            del self._trails[oldest_id]
