"""Recent log records, and log records at INFO and above as steps of the action trail.

``logging.Logger.callHandlers`` is wrapped once per process (chained: the app's handlers run
first, exactly as before), so records are seen whatever handlers the app configures later
(``dictConfig`` replaces the root logger's handlers; it does not undo this). For each record the
hook does a few comparisons and appends one compact row to the current scope's ``logs`` ring and,
at ``action_log_level`` and above, to its action trail. Messages are formatted on the worker, when
a report is made; a record whose arguments are not plain values (str, int, float, bool, None) is
formatted at once, so a mutable argument changed later cannot change what the report says.

The SDK's own loggers, urllib3's and Sentry's are ignored, as are the app's ``ignore_loggers``;
what runs on the SDK's threads is never recorded, and the hook never recurses.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from sdk._guard import _state, internal_error
from sdk.collectors import DidNotEnable, Draft
from sdk.options import level_number
from sdk.scope import ORIGIN_LOG, ActionRow, current_scope

if TYPE_CHECKING:
    from sdk.client import Client

IGNORED_LOGGERS = ("bugrelay", "urllib3", "sentry_sdk.errors")
_PLAIN = frozenset({str, int, float, bool, type(None)})
_NEVER = 1 << 30


class LoggingCollector:
    name: ClassVar[str] = "logs"

    def __init__(self) -> None:
        self._logs_level = _NEVER
        self._action_level = _NEVER
        self._min_level = _NEVER
        self._ignored: tuple[str, ...] = IGNORED_LOGGERS
        self._by_name: dict[str, bool] = {}
        self._filter: Callable[[ActionRow], ActionRow | None] | None = None

    def setup(self, client: Client) -> None:
        options = client.options
        if options.max_logs:
            self._logs_level = level_number(options.log_level)
        if options.action_log_level is not None:
            self._action_level = level_number(options.action_log_level)
        self._min_level = min(self._logs_level, self._action_level)
        if self._min_level == _NEVER:
            raise DidNotEnable("max_logs is 0 and action_log_level is None")
        self._ignored = IGNORED_LOGGERS + tuple(options.ignore_loggers)
        if options.before_action is not None:
            self._filter = client.filter_action
        _install()

    def apply(self, draft: Draft) -> None:
        pass  # the rows are in the scope's buffers, which the client snapshots

    def record(self, record: logging.LogRecord) -> None:
        """Called for every record a logger handles (host thread, hot path)."""
        levelno = record.levelno
        if levelno < self._min_level:
            return
        name = record.name
        ignored = self._by_name.get(name)
        if ignored is None:
            ignored = self._is_ignored(name)
        if ignored:
            return
        msg: Any = record.msg
        args: Any = record.args
        if type(msg) is not str or (args and not _plain(args)) or record.exc_info:
            msg, args = _formatted(record), None
        args = args or None
        scope = current_scope()
        if levelno >= self._logs_level:
            scope.logs.append((record.created, levelno, name, msg, args))
        if levelno >= self._action_level:
            row: ActionRow | None = (record.created, "log", msg, levelno, name, args, ORIGIN_LOG)
            if self._filter is not None:
                row = self._filter(row)  # type: ignore[arg-type]
            if row is not None:
                scope.actions.append(row)

    def _is_ignored(self, name: str) -> bool:
        ignored = any(name == p or name.startswith(p + ".") for p in self._ignored)
        if len(self._by_name) > 10_000:  # an app that makes a logger per request: stay bounded
            self._by_name.clear()
        self._by_name[name] = ignored
        return ignored


def _plain(args: Any) -> bool:
    if type(args) is not tuple:
        return False
    return all(type(a) in _PLAIN for a in args)


def _formatted(record: logging.LogRecord) -> str:
    try:
        message = record.getMessage()
    except Exception:  # the app's format string does not match its arguments, as logging says
        message = f"{record.msg!s} {record.args!r}"
    if record.exc_info and record.exc_info[1] is not None:
        exc = record.exc_info[1]
        message = f"{message}\n{type(exc).__qualname__}: {exc}"
    return message


_installed = False


def _install() -> None:
    # Once per process, by a flag: another library (Sentry) may have wrapped ours since, so the
    # method found now need not be ours even though ours is in the chain.
    global _installed  # noqa: PLW0603
    if _installed:
        return
    _installed = True
    original = logging.Logger.callHandlers
    sdk_module = sys.modules["sdk"]

    def callHandlers(self: logging.Logger, record: logging.LogRecord) -> None:
        try:
            return original(self, record)
        finally:
            client = sdk_module._client
            if client is not None and not _state.busy:
                collector = client.collector_by_name.get("logs")
                if collector is not None:
                    _state.busy = True
                    try:
                        collector.record(record)
                    except Exception:
                        internal_error()
                    finally:
                        _state.busy = False

    callHandlers.__wrapped__ = original  # type: ignore[attr-defined]
    logging.Logger.callHandlers = callHandlers  # type: ignore[method-assign]
