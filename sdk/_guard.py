"""The one guard around everything the SDK runs inside the host app, and the SDK's own logger.

Code that runs in someone else's process must never raise into it. Every entry point wraps its
work in :func:`capture_internal_exceptions`, which logs what went wrong on the ``bugrelay.sdk``
logger (silent unless the app configures it) and carries on. Tests call
``set_testing(reraise=True)`` so that what production swallows fails the test instead.

Hooks on the host's hottest paths (every log record) cannot afford even a context manager; they
use ``try: ... except Exception: internal_error()``, which is the same guard in statement form.

The guard also knows which threads are the SDK's own (the worker) and when SDK code is running
on a host thread (:func:`in_sdk`), so that the logging and HTTP hooks never record what the SDK
itself does and never recurse.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

logger = logging.getLogger("bugrelay.sdk")
logger.addHandler(logging.NullHandler())
logger.propagate = False

_reraise = False


def set_testing(*, reraise: bool) -> None:
    """Make :func:`capture_internal_exceptions` re-raise (for the SDK's own tests)."""
    global _reraise  # noqa: PLW0603
    _reraise = reraise


class _State(threading.local):
    busy = False  # SDK code is running on this thread: hooks must not record it


_state = _State()


def in_sdk() -> bool:
    """True on the SDK's own threads and while SDK code runs on a host thread."""
    return _state.busy


def mark_sdk_thread() -> None:
    """Called first thing on a thread the SDK starts: nothing it does is recorded as the app's."""
    _state.busy = True


class _Busy:
    """``with busy():`` marks the enclosed code as the SDK's (nests; restores the old state)."""

    __slots__ = ("_was",)

    def __enter__(self) -> None:
        self._was = _state.busy
        _state.busy = True

    def __exit__(self, *exc: object) -> None:
        _state.busy = self._was


def busy() -> _Busy:
    return _Busy()


class _Guard:
    __slots__ = ()

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        if exc_type is None or not issubclass(exc_type, Exception):
            return False
        if _reraise:
            return False
        logger.debug("internal error in the BugRelay SDK", exc_info=(exc_type, exc, tb))  # type: ignore[arg-type]
        return True


_GUARD = _Guard()


def capture_internal_exceptions() -> _Guard:
    """``with capture_internal_exceptions(): ...``: an SDK error is logged and swallowed."""
    return _GUARD


def internal_error() -> None:
    """Call inside ``except Exception:``: log the SDK error being handled, or re-raise in tests."""
    if _reraise:
        raise  # noqa: PLE0704  (re-raises the exception being handled by the caller)
    logger.debug("internal error in the BugRelay SDK", exc_info=True)
