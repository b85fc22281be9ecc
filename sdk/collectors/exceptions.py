"""The exception being handled when a report is made (``report_bug`` inside ``except``)."""

from __future__ import annotations

import os
import sys
import sysconfig
import traceback
from types import TracebackType
from typing import TYPE_CHECKING, ClassVar

from sdk.collectors import Draft

if TYPE_CHECKING:
    from sdk.client import Client

MAX_FRAMES = 100


def _library_roots() -> tuple[str, ...]:
    paths = sysconfig.get_paths()
    roots = {paths[k] for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    return tuple(sorted(os.path.realpath(p) + os.sep for p in roots))


class ExceptionCollector:
    name: ClassVar[str] = "exceptions"

    def __init__(self) -> None:
        self._library_roots: tuple[str, ...] = ()

    def setup(self, client: Client) -> None:
        self._library_roots = _library_roots()

    def apply(self, draft: Draft) -> None:
        if "exception" in draft:
            return
        exc = sys.exception()
        if exc is not None:
            draft["exception"] = self.describe(exc, handled=True)

    def describe(self, exc: BaseException, *, handled: bool) -> dict[str, object]:
        return {
            "type": type(exc).__qualname__,
            "module": type(exc).__module__,
            "value": str(exc),
            "handled": handled,
            "frames": self._frames(exc.__traceback__),
        }

    def _frames(self, tb: TracebackType | None) -> list[dict[str, object]]:
        frames = []
        for frame, lineno in traceback.walk_tb(tb):
            path = frame.f_code.co_filename
            frames.append(
                {
                    "module": frame.f_globals.get("__name__"),
                    "function": frame.f_code.co_qualname,
                    "file": path,
                    "line": lineno,
                    "in_app": self._in_app(path),
                }
            )
        return frames[-MAX_FRAMES:]

    def _in_app(self, path: str) -> bool:
        if path.startswith("<"):
            return False
        real = os.path.realpath(path)
        return not real.startswith(self._library_roots) and "site-packages" not in real
