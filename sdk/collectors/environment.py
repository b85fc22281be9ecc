"""Runtime, OS, device and app release: facts read once at set-up, copied into every report."""

from __future__ import annotations

import os
import platform
import sys
from typing import TYPE_CHECKING, Any, ClassVar

from sdk.collectors import Draft

if TYPE_CHECKING:
    from sdk.client import Client

_OS_NAMES = {"darwin": "macOS", "win32": "Windows", "linux": "Linux"}


class EnvironmentCollector:
    name: ClassVar[str] = "environment"

    def __init__(self) -> None:
        self._context: dict[str, dict[str, Any]] = {}

    def setup(self, client: Client) -> None:
        options = client.options
        uname = platform.uname()
        app = {
            "name": options.app_name,
            "release": options.release,
            "environment": options.environment,
        }
        self._context = {
            "app": {k: v for k, v in app.items() if v is not None},
            "runtime": {
                "name": platform.python_implementation(),
                "version": platform.python_version(),
            },
            "os": {
                "name": _OS_NAMES.get(sys.platform, uname.system or sys.platform),
                "version": uname.release or None,
            },
            "device": {
                "family": "desktop",
                "arch": uname.machine or None,
                "cpu_count": os.cpu_count(),
            },
        }

    def apply(self, draft: Draft) -> None:
        for key, values in self._context.items():
            if not values:
                continue
            section = draft.setdefault(key, {})
            for field, value in values.items():
                section.setdefault(field, value)
