"""The one factory for retry policies, so that tests can switch all waiting off."""

from __future__ import annotations

import time
from collections.abc import Callable

import tenacity

_no_wait = False


def set_testing(*, no_wait: bool) -> None:
    """With ``no_wait=True`` every retry policy made here retries at once (for tests)."""
    global _no_wait  # noqa: PLW0603
    _no_wait = no_wait


def retrying(
    *,
    retry_on: type[BaseException] | tuple[type[BaseException], ...],
    attempts: int,
    wait: Callable[[tenacity.RetryCallState], float],
) -> tenacity.Retrying:
    return tenacity.Retrying(
        stop=tenacity.stop_after_attempt(attempts),
        retry=tenacity.retry_if_exception_type(retry_on),
        wait=wait,
        sleep=sleep,
        reraise=True,
    )


def shortened(seconds: float) -> float:
    """``seconds`` to wait between rounds of an outage: at most 0.05 when tests switched waiting
    off (a loop that must not spin hot, not a retry policy)."""
    return min(seconds, 0.05) if _no_wait else seconds


requested: list[float] = []  # with waiting off: what would have been slept, for tests to check


def sleep(seconds: float) -> None:
    """Sleep, unless tests switched waiting off (then only note how long it would have been)."""
    if seconds <= 0:
        return
    if _no_wait:
        if len(requested) < 10_000:
            requested.append(seconds)
        return
    time.sleep(seconds)
