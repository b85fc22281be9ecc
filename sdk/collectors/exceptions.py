"""The exception being handled when a report is made (``report_bug`` inside ``except``).

On the host thread only the frames' names, files and lines are taken (a walk of the traceback,
no file system access). The worker decides which frames are the app's own (:class:`InApp`) and
reads their source lines.

The exceptions it was raised from travel in ``chain``, nearest first and the root cause last
(the collector groups a crash by its root cause): ``__cause__`` (``raise ... from exc``), else
``__context__`` (raised while handling another) unless ``__suppress_context__`` (``from None``)
says not to. A chain longer than :data:`MAX_CHAIN` keeps its first ``MAX_CHAIN - 1`` links and the
root cause; a cycle ends it. Walking the chain is guarded: if it fails, the exception is still
reported, without its chain.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
import traceback
from collections.abc import Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar

from sdk._guard import capture_internal_exceptions
from sdk.collectors import Draft

if TYPE_CHECKING:
    from sdk.client import Client

MAX_FRAMES = 100
MAX_CHAIN = 10  # sdk.models.MAX_CHAIN (not imported: pydantic stays off the host thread)
_MAX_CHAIN_WALK = 1_000  # links followed looking for the root cause
MAX_CODE = 500
_LIBRARY_DIRS = ("site-packages", "dist-packages")


class ExceptionCollector:
    name: ClassVar[str] = "exceptions"

    def setup(self, client: Client) -> None:
        pass

    def apply(self, draft: Draft) -> None:
        if "exception" in draft:
            return
        exc = sys.exception()
        if exc is not None:
            draft["exception"] = describe(exc, handled=True)


def describe(exc: BaseException, *, handled: bool) -> dict[str, Any]:
    """An exception for the draft: frames travel as compact rows under ``_frames``, the
    exceptions it was raised from under ``chain``."""
    described = _describe_one(exc)
    described["handled"] = handled
    with capture_internal_exceptions():
        chain = [_describe_one(cause) for cause in causes(exc)]
        if chain:
            described["chain"] = chain
    return described


def _describe_one(exc: BaseException) -> dict[str, Any]:
    return {
        "type": type(exc).__qualname__,
        "module": type(exc).__module__,
        "value": _value(exc),
        "_frames": frame_rows(exc.__traceback__),
    }


def causes(exc: BaseException) -> list[BaseException]:
    """The exceptions ``exc`` was raised from, nearest first, the root cause last; at most
    :data:`MAX_CHAIN` (the first ``MAX_CHAIN - 1`` and the root cause)."""
    chain: list[BaseException] = []
    seen = {id(exc)}
    current: BaseException | None = exc
    while current is not None and len(chain) < _MAX_CHAIN_WALK:
        cause = current.__cause__
        if cause is None and not current.__suppress_context__:
            cause = current.__context__
        if cause is None or id(cause) in seen:
            break
        seen.add(id(cause))
        chain.append(cause)
        current = cause
    if len(chain) > MAX_CHAIN:
        chain = [*chain[: MAX_CHAIN - 1], chain[-1]]
    return chain


def _value(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # an app exception whose __str__ fails: still report it
        return f"<{type(exc).__qualname__}: str() failed>"


def frame_rows(tb: TracebackType | None) -> list[tuple[str | None, str, str, int]]:
    """``(module, function, file, line)`` per frame, oldest first, the newest MAX_FRAMES."""
    rows = [
        (frame.f_globals.get("__name__"), frame.f_code.co_qualname, frame.f_code.co_filename, line)
        for frame, line in traceback.walk_tb(tb)
    ]
    return rows[-MAX_FRAMES:]


class InApp:
    """Whether a frame is the app's own code: not the standard library, not an installed package.

    ``include`` and ``exclude`` are module-name prefixes that decide first (``exclude`` wins).
    """

    def __init__(self, include: Iterable[str] = (), exclude: Iterable[str] = ()) -> None:
        self._include = tuple(include)
        self._exclude = tuple(exclude)
        paths = sysconfig.get_paths()
        roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
        roots |= {os.path.dirname(os.__file__)}
        self._roots = tuple(sorted(os.path.realpath(p) + os.sep for p in roots))
        self._by_path: dict[str, bool] = {}

    def __call__(self, module: str | None, path: str) -> bool:
        if module and _matches(module, self._exclude):
            return False
        if module and _matches(module, self._include):
            return True
        known = self._by_path.get(path)
        if known is None:
            known = self._by_path[path] = self._path_in_app(path)
            if len(self._by_path) > 10_000:
                self._by_path.clear()
        return known

    def _path_in_app(self, path: str) -> bool:
        if not path or path.startswith("<"):
            return False
        real = os.path.realpath(path)
        parts = real.split(os.sep)
        return not real.startswith(self._roots) and not any(d in parts for d in _LIBRARY_DIRS)

    def frames(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Wire frames for compact rows, with the source line of each."""
        frames = []
        for module, function, path, line in rows:
            frame: dict[str, Any] = {
                "module": module,
                "function": function,
                "file": path,
                "line": line,
                "in_app": self(module, path),
            }
            code = linecache.getline(path, line).strip() if path and line else ""
            if code:
                frame["code"] = code[:MAX_CODE]
            frames.append(frame)
        return frames


def _matches(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)
