"""Runtime, OS and device: facts read once at set-up, copied into every report.

Only what is known is sent; a field the platform cannot tell is left out, never guessed. The host
name is sent as a salted hash (enough to tell hosts apart, not to name them) unless the app set
``send_default_pii=True``. The app's release and environment are the release collector's.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from sdk.collectors import Draft, fill

if TYPE_CHECKING:
    from sdk.client import Client
    from sdk.options import Options

MAX_VALUE = 100  # sdk.models.MAX_SHORT, not imported: pydantic stays out of the host's start-up

# Files a container runtime leaves at the root: Docker, and Podman (and other OCI runtimes).
CONTAINER_MARKERS = ("/.dockerenv", "/run/.containerenv")

HOSTNAME_SALT = "bugrelay"  # when there is no DSN to take the public key from

_OS_NAMES = {"darwin": "macOS", "win32": "Windows", "linux": "Linux", "android": "Android"}
_MOBILE = ("android", "ios")


class EnvironmentCollector:
    name: ClassVar[str] = "environment"

    def __init__(self, *, container_markers: Sequence[str] = CONTAINER_MARKERS) -> None:
        self._container_markers = tuple(container_markers)
        self._context: dict[str, dict[str, Any]] = {}

    def setup(self, client: Client) -> None:
        options = client.options
        in_container = "KUBERNETES_SERVICE_HOST" in os.environ or any(
            os.path.exists(marker) for marker in self._container_markers
        )
        edition = platform.win32_edition() if sys.platform == "win32" else None
        device: dict[str, Any] = {
            "family": device_family(sys.platform, os.environ, in_container, edition),
            "arch": platform.machine(),
            "hostname": _hostname(options),
            "cpu_count": os.cpu_count(),
            "memory_mb": _memory_mb(),
        }
        runtime = {"name": platform.python_implementation(), "version": platform.python_version()}
        self._context = {
            "runtime": _known(runtime),
            "os": _known(_os_facts()),
            "device": _known(device),
        }

    def apply(self, draft: Draft) -> None:
        for key, values in self._context.items():
            if values:
                fill(draft, key, values)


def device_family(
    sys_platform: str,
    environ: Mapping[str, str],
    in_container: bool,
    windows_edition: str | None = None,
) -> str:
    """``mobile`` on Android and iOS; ``server`` in a container, on Windows Server, and on a
    Unix with no display (neither ``DISPLAY`` nor ``WAYLAND_DISPLAY``); otherwise ``desktop``."""
    if sys_platform in _MOBILE:
        return "mobile"
    if in_container:
        return "server"
    if sys_platform == "win32":
        return "server" if "server" in (windows_edition or "").lower() else "desktop"
    if sys_platform == "darwin":
        return "desktop"
    if environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"):
        return "desktop"
    return "server"


def _os_facts() -> dict[str, str | None]:
    if sys.platform == "darwin":
        version = platform.mac_ver()[0]
    elif sys.platform == "win32":
        version = platform.version()
    else:
        version = platform.release()  # on Linux and the BSDs, the kernel's release
    return {
        "name": _OS_NAMES.get(sys.platform) or platform.system() or sys.platform,
        "version": version,
        "build": _linux_distribution() if sys.platform == "linux" else None,
    }


def _linux_distribution() -> str | None:
    """The distribution's name, e.g. ``Debian GNU/Linux 13 (trixie)``."""
    try:
        return platform.freedesktop_os_release().get("PRETTY_NAME")
    except OSError:  # neither /etc/os-release nor /usr/lib/os-release
        return None


def _memory_mb() -> int | None:
    """Total physical memory, where ``sysconf`` tells it (Linux, macOS, the BSDs; not Windows)."""
    names = getattr(os, "sysconf_names", {})
    if "SC_PAGE_SIZE" not in names or "SC_PHYS_PAGES" not in names:
        return None
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (OSError, ValueError):
        return None
    return total // (1024 * 1024) if total > 0 else None


def _hostname(options: Options) -> str | None:
    name = platform.node()
    if not name:
        return None
    if options.send_default_pii:
        return name
    import hashlib  # noqa: PLC0415  (loads OpenSSL: only when hashing)

    salt = options.dsn.public_key if options.dsn is not None else HOSTNAME_SALT
    return hashlib.sha256(f"{salt}:{name}".encode()).hexdigest()[:16]


def _known(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields that are known (not None, not empty), strings cut to the schema's limit."""
    return {
        key: value[:MAX_VALUE] if isinstance(value, str) else value
        for key, value in values.items()
        if value is not None and value != ""
    }
