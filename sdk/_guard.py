"""The one guard around everything the SDK runs inside the host app, and the SDK's own logger.

Code that runs in someone else's process must never raise into it. Every entry point wraps its
work in :func:`capture_internal_exceptions`, which logs what went wrong on the ``bugrelay.sdk``
logger (silent unless the app configures it) and carries on. Tests call
``set_testing(reraise=True)`` so that what production swallows fails the test instead.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

logger = logging.getLogger("bugrelay.sdk")
logger.addHandler(logging.NullHandler())
logger.propagate = False

_reraise = False


def set_testing(*, reraise: bool) -> None:
    """Make :func:`capture_internal_exceptions` re-raise (for the SDK's own tests)."""
    global _reraise  # noqa: PLW0603
    _reraise = reraise


@contextmanager
def capture_internal_exceptions() -> Iterator[None]:
    try:
        yield
    except Exception:
        if _reraise:
            raise
        logger.debug("internal error in the BugRelay SDK", exc_info=True)
