"""Unhandled exceptions, in the main thread and in other threads, as ``kind="crash"`` reports.

``sys.excepthook`` and ``threading.excepthook`` are chained once per process: the hook makes the
report and then calls the hook that was there before (Python's own prints the traceback as
usual). A crash of the main thread is delivered by the exit-time flush (``shutdown_timeout``),
which runs after the hook and before the process ends. ``KeyboardInterrupt`` and ``SystemExit``
are not crashes. Turn this off with ``disabled_collectors=["crashes"]``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from sdk._guard import capture_internal_exceptions
from sdk.collectors import Draft
from sdk.collectors.exceptions import describe

if TYPE_CHECKING:
    from sdk.client import Client

MAX_TITLE = 200

_MARK = "__bugrelay_reported__"  # set on an exception once it was reported
_HOOK = "_bugrelay_hook"  # set on our hook functions
_install_lock = threading.Lock()


class CrashCollector:
    name: ClassVar[str] = "crashes"

    def setup(self, client: Client) -> None:
        _install()

    def apply(self, draft: Draft) -> None:
        pass


def crash_title(exc: BaseException) -> str:
    """``KeyError: 'price'``: the type and the first line of the message."""
    value = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    title = f"{type(exc).__qualname__}: {value}" if value else type(exc).__qualname__
    return title[:MAX_TITLE]


def report_crash(exc: BaseException, thread_name: str | None = None) -> str:
    """Send ``exc`` as a crash report through the current client; returns the report id."""
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        return ""
    client = sys.modules["sdk"]._client
    if client is None or client.collector_by_name.get("crashes") is None:
        return ""
    extra = {"thread": thread_name} if thread_name else None
    report_id: str = client.report(
        crash_title(exc), kind="crash", exception=describe(exc, handled=False), extra=extra
    )
    return report_id


def _install() -> None:
    """Chain our hooks in front of the current ones, unless they are ours already.

    Checked at every ``init()``: an app (or a test runner) that set its own hook after ours gets
    ours chained again in front of it; an exception reported once is never reported twice.
    """
    with _install_lock:
        if not getattr(sys.excepthook, _HOOK, False):
            sys.excepthook = _chain_excepthook(sys.excepthook)
        if not getattr(threading.excepthook, _HOOK, False):
            threading.excepthook = _chain_threading_hook(threading.excepthook)


def _report_once(exc: BaseException, thread_name: str | None = None) -> None:
    if getattr(exc, _MARK, False):
        return
    with capture_internal_exceptions():
        exc.__bugrelay_reported__ = True  # type: ignore[attr-defined]
        report_crash(exc, thread_name)


def _chain_excepthook(previous: Callable[..., Any]) -> Callable[..., Any]:
    def excepthook(
        exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None
    ) -> None:
        _report_once(exc)
        previous(exc_type, exc, tb)

    setattr(excepthook, _HOOK, True)
    return excepthook


def _chain_threading_hook(
    previous: Callable[[threading.ExceptHookArgs], Any],
) -> Callable[[threading.ExceptHookArgs], Any]:
    def threading_excepthook(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is not None:
            _report_once(args.exc_value, args.thread.name if args.thread is not None else None)
        previous(args)

    setattr(threading_excepthook, _HOOK, True)
    return threading_excepthook
