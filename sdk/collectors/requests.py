"""Outgoing HTTP calls made with ``requests``: a step of the action trail each, failed ones also
in the report's ``network`` list.

``requests.Session.send`` (which every ``requests`` call goes through) is wrapped once per
process, when the app imports ``requests`` (or at once if it already has): the SDK does not import
it for an app that does not use it. For each call the wrapper notes method, URL, status and
duration; a status of 400 or more, or no response at all, is a failed request. URLs are stored as
the app used them and scrubbed of secrets on the worker, before anything leaves the process. The
SDK's own sessions and everything on the SDK's threads are not recorded.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from sdk._guard import _state, internal_error
from sdk._import_hooks import when_imported
from sdk.collectors import Draft
from sdk.scope import ORIGIN_HTTP, ActionRow, current_scope

if TYPE_CHECKING:
    from sdk.client import Client

INTERNAL_SESSION_ATTR = "_bugrelay_internal"


class RequestsCollector:
    name: ClassVar[str] = "requests"

    def __init__(self) -> None:
        self._filter: Callable[[ActionRow], ActionRow | None] | None = None

    def setup(self, client: Client) -> None:
        if client.options.before_action is not None:
            self._filter = client.filter_action
        when_imported("requests", _patch)

    def apply(self, draft: Draft) -> None:
        pass  # the rows are in the scope's buffers, which the client snapshots

    def record(
        self,
        *,
        started: float,
        method: str,
        url: str,
        status: int | None,
        duration_ms: float,
        error: str | None,
    ) -> None:
        failed = error is not None or (status is not None and status >= 400)
        level = "error" if error is not None or (status or 0) >= 500 else "info"
        if status is not None and 400 <= status < 500:
            level = "warning"
        data: dict[str, Any] = {"method": method, "url": url, "duration_ms": duration_ms}
        if status is not None:
            data["status_code"] = status
        if error is not None:
            data["error"] = error
        scope = current_scope()
        row: ActionRow | None = (started, "http", "", level, data, None, ORIGIN_HTTP)
        if self._filter is not None:
            row = self._filter(row)  # type: ignore[arg-type]
        if row is not None:
            scope.actions.append(row)
        if failed:
            scope.network.append((started, method, url, status, duration_ms, error))


_patched = False


def _patch(requests: ModuleType) -> None:
    global _patched  # noqa: PLW0603  (once per process: others may wrap ours later)
    if _patched:
        return
    _patched = True
    session_class = requests.sessions.Session
    original = session_class.send
    sdk_module = sys.modules["sdk"]

    @functools.wraps(original)
    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        client = sdk_module._client
        if client is None or _state.busy or getattr(self, INTERNAL_SESSION_ATTR, False):
            return original(self, request, **kwargs)
        collector = client.collector_by_name.get("requests")
        if collector is None:
            return original(self, request, **kwargs)
        started = time.time()
        start = time.perf_counter()
        try:
            response = original(self, request, **kwargs)
        except Exception as exc:
            _record(collector, started, start, request, None, f"{type(exc).__name__}: {exc}")
            raise
        _record(collector, started, start, request, response.status_code, None)
        return response

    session_class.send = send


def _record(  # noqa: PLR0917  (internal: the wrapper's locals, in order)
    collector: RequestsCollector,
    started: float,
    start: float,
    request: Any,
    status: int | None,
    error: str | None,
) -> None:
    duration_ms = round((time.perf_counter() - start) * 1000, 3)
    try:
        collector.record(
            started=started,
            method=str(request.method or "GET"),
            url=str(request.url),
            status=status,
            duration_ms=duration_ms,
            error=error,
        )
    except Exception:
        internal_error()
