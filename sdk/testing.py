"""Helpers for testing an app that uses the BugRelay SDK.

    from sdk.testing import capture_reports

    def test_save_button_reports_a_bug():
        with capture_reports() as reports:
            app.click_save()
        assert reports[0].title == "Save does nothing"

Reports go through the same finalisation as with the real transport (validation against wire
schema v1, trimming to its limits), so what a test sees is exactly what the collector would get.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sdk._guard import busy
from sdk.models import Report
from sdk.transports.base import Transport


class CapturingTransport(Transport):
    """Keeps every report in memory instead of sending it."""

    def __init__(self) -> None:
        super().__init__()
        self.reports: list[Report] = []
        self._lock = threading.Lock()

    def send(self, payload: bytes, report_id: str) -> bool:
        with busy():  # the worker's half, run here at once: not the app's logging
            body = self.prepare(payload)
        if body is None:
            return False
        with self._lock:
            self.reports.append(Report.model_validate_json(body))
        return True

    def flush(self, timeout: float) -> bool:
        return True


@contextmanager
def capture_reports() -> Iterator[list[Report]]:
    """Route reports made inside the block into a list, then restore the previous client."""
    import sdk  # noqa: PLC0415
    from sdk.client import Client  # noqa: PLC0415
    from sdk.options import Options  # noqa: PLC0415

    transport = CapturingTransport()
    previous = sdk._swap_client(None)
    base = previous.options if previous is not None else Options()
    options = dataclasses.replace(base, transport=transport)
    sdk._swap_client(Client(options))
    try:
        yield transport.reports
    finally:
        sdk._swap_client(previous)
