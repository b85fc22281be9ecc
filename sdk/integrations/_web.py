"""What the ASGI and the WSGI middleware share: options, sessions, the tag, request records.

Each request of a browser runs in a scope of its own seeded from its session's trail (so a
crash report made while serving it carries the session's earlier requests), is recorded as an
action (``GET /cart 500``, its duration) and leaves what it added in its session's trail, which
the widget's reports from that browser are joined with. The adapters (:mod:`.asgi`,
:mod:`.wsgi`) only translate their protocol to these calls.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.cookies import CookieError, SimpleCookie
from typing import TYPE_CHECKING, Any, Protocol

from sdk._guard import capture_internal_exceptions
from sdk.integrations._inject import csp_script_nonce, is_html, script_tag
from sdk.integrations._relay import WidgetRelay
from sdk.integrations._sessions import (
    COOKIE_NAME,
    SessionTrails,
    new_session_id,
    valid_session_id,
)
from sdk.scope import ORIGIN_MANUAL, ActionRow, Scope, global_scope, using_scope

if TYPE_CHECKING:
    from sdk.client import Client

DEFAULT_PREFIX = "/_bugrelay"
SKIP_INJECT_HEADER = "x-bugrelay-inject"  # a response with "off" here is left as it is
COOKIE_MAX_AGE = 30 * 86400


def current_client() -> Client | None:
    import sdk  # noqa: PLC0415

    return sdk._client


class HasStatus(Protocol):
    status: int | None  # the answer's status once the app started it


@dataclass(slots=True)
class RequestRecord:
    session_id: str
    scope: Scope
    started: float
    clock: float


class WebIntegration:
    """The middleware's state; ``widget`` holds extra ``data-*`` attributes of the tag
    (``lang``, ``button``, ``shortcut``, ``attach``...)."""

    def __init__(
        self,
        *,
        prefix: str = DEFAULT_PREFIX,
        inject: bool = True,
        widget: Mapping[str, str | bool | None] | None = None,
        exclude_paths: Iterable[str] = (),
        record_requests: bool = True,
        report_crashes: bool = True,
        sessions: SessionTrails | None = None,
        get_user: Callable[[Any], Mapping[str, Any] | None] | None = None,
    ) -> None:
        if not prefix.startswith("/") or prefix.endswith("/"):
            raise ValueError(f"prefix must start with '/' and not end with one: {prefix!r}")
        self.prefix = prefix
        self.inject = inject
        self.widget = {k: _attr(v) for k, v in (widget or {}).items()}
        self.exclude_paths = tuple(exclude_paths)
        self.record_requests = record_requests
        self.report_crashes = report_crashes
        self.sessions = sessions or SessionTrails()
        self.get_user = get_user
        self.relay = WidgetRelay(self.sessions, current_client)

    # -- routing ---------------------------------------------------------------------------

    def subpath(self, path: str) -> str | None:
        """The widget route a path asks for (``report``, ``widget.js``...), or None."""
        if path.startswith(self.prefix + "/"):
            return path[len(self.prefix) + 1 :]
        return None

    def session(self, cookie_header: str | None) -> tuple[str, bool]:
        """(the browser's session id, whether it is new and needs its cookie set)."""
        if cookie_header:
            cookie: SimpleCookie = SimpleCookie()
            with contextlib.suppress(CookieError):
                cookie.load(cookie_header)
            morsel = cookie.get(COOKIE_NAME)
            if morsel is not None and valid_session_id(morsel.value):
                return morsel.value, False
        return new_session_id(), True

    @staticmethod
    def set_cookie(session_id: str, secure: bool) -> str:
        value = f"{COOKIE_NAME}={session_id}; Path=/; Max-Age={COOKIE_MAX_AGE}; HttpOnly"
        return value + ("; Secure; SameSite=Lax" if secure else "; SameSite=Lax")

    # -- one request -----------------------------------------------------------------------

    @contextmanager
    def serving(
        self, session_id: str, request: Any, method: str, path: str, answer: HasStatus
    ) -> Iterator[RequestRecord]:
        """Around the app's handling of one request: its scope (so a crash report, too,
        carries the session's trail), the crash that escapes it, its step in the trail."""
        record = self.begin(session_id, request)
        try:
            with using_scope(record.scope):
                try:
                    yield record
                except Exception as exc:
                    self.crash(exc)
                    answer.status = answer.status or 500
                    raise
        finally:
            self.end(record, method, path, answer.status)

    def begin(self, session_id: str, request: Any) -> RequestRecord:
        scope = self.sessions.request_scope(session_id, global_scope())
        if self.get_user is not None:
            with capture_internal_exceptions():
                user = self.get_user(request)
                if user:
                    scope.user = {**(scope.user or {}), **user}
        return RequestRecord(session_id, scope, time.time(), time.perf_counter())

    def end(self, record: RequestRecord, method: str, path: str, status: int | None) -> None:
        if not self.record_requests or current_client() is None:
            return
        with capture_internal_exceptions():
            duration = round((time.perf_counter() - record.clock) * 1000, 1)
            level = "error" if status is None or status >= 500 else "info"
            if status is not None and 400 <= status < 500:
                level = "warning"
            shown = "failed" if status is None else str(status)
            data = {"method": method, "path": path, "status": status, "duration_ms": duration}
            action: ActionRow = (
                record.started,
                "request",
                f"{method} {path} {shown}",
                level,
                data,
                None,
                ORIGIN_MANUAL,
            )
            self.sessions.record(record.session_id, record.scope, record.started, action)

    def crash(self, exc: BaseException) -> None:
        if not self.report_crashes or current_client() is None:
            return
        with capture_internal_exceptions():
            from sdk.collectors.crashes import report_crash  # noqa: PLC0415

            report_crash(exc)

    # -- the widget's tag ------------------------------------------------------------------

    def tag_for(
        self, path: str, status: int, content_type: str | None, headers: Mapping[str, str]
    ) -> bytes | None:
        """The tag to put into this response, or None to leave it alone."""
        client = current_client()
        wanted = (
            self.inject
            and client is not None
            and 200 <= status < 300
            and is_html(content_type)
            and headers.get("content-encoding", "identity").lower() == "identity"
            and headers.get(SKIP_INJECT_HEADER, "").lower() != "off"
            and not any(path.startswith(p) for p in self.exclude_paths)
        )
        if not wanted or client is None:
            return None
        allowed, nonce = csp_script_nonce(headers.get("content-security-policy"))
        if not allowed:
            return None
        attributes: dict[str, str | None] = {
            "endpoint": self.prefix,
            "release": client.options.release,
            "environment": client.options.environment,
            **self.widget,
        }
        return script_tag(f"{self.prefix}/widget.js", attributes, nonce)


def _attr(value: str | bool | None) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
