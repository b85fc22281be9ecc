"""Run a callback when a module is imported, without importing it ourselves.

The SDK hooks into libraries the app may or may not use (``requests``). Importing them at
``init()`` would cost every app their import time; instead :func:`when_imported` runs the
callback at once when the module is already loaded, or right after the app's own import of it
finishes. One finder sits first on ``sys.meta_path``; it only looks at the names it waits for
and hands everything else on untouched.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import TYPE_CHECKING, Any

from sdk._guard import capture_internal_exceptions

if TYPE_CHECKING:
    from importlib.machinery import ModuleSpec

Callback = Callable[[ModuleType], None]

_waiting: dict[str, list[Callback]] = {}
_lock = threading.Lock()
_local = threading.local()


def when_imported(name: str, callback: Callback) -> None:
    """Call ``callback(module)`` now if ``name`` is imported, else just after it is."""
    with _lock:
        module = sys.modules.get(name)
        if module is None:
            _waiting.setdefault(name, []).append(callback)
            if not any(isinstance(f, _Finder) for f in sys.meta_path):
                sys.meta_path.insert(0, _Finder())
            return
    with capture_internal_exceptions():
        callback(module)


class _Finder:
    """A meta path finder (the protocol needs only ``find_spec``; importlib.abc costs 3 ms)."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> ModuleSpec | None:
        if fullname not in _waiting or getattr(_local, "finding", False):
            return None
        _local.finding = True
        try:
            spec = _find_with_others(self, fullname, path, target)
        finally:
            _local.finding = False
        loader = spec.loader if spec is not None else None
        if loader is None or isinstance(loader, type) or not hasattr(loader, "exec_module"):
            return spec
        loader.exec_module = _after(loader.exec_module, fullname)  # type: ignore[method-assign,assignment]
        return spec


def _find_with_others(
    me: Any, fullname: str, path: Sequence[str] | None, target: ModuleType | None
) -> ModuleSpec | None:
    for finder in sys.meta_path:
        if finder is me or not hasattr(finder, "find_spec"):
            continue
        spec: ModuleSpec | None = finder.find_spec(fullname, path, target)
        if spec is not None:
            return spec
    return None


def _after(exec_module: Callable[[ModuleType], None], name: str) -> Callable[[ModuleType], None]:
    @functools.wraps(exec_module)
    def run(module: ModuleType) -> None:
        exec_module(module)
        with _lock:
            callbacks = _waiting.pop(name, [])
        for callback in callbacks:
            with capture_internal_exceptions():
                callback(module)

    return run
