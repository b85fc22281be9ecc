"""Per-project settings: what `bugrelay project set` may change, checked before it is stored.

Each setting is NULL in the database until set, meaning "the collector's default" (from its
``BUGRELAY_*`` variable); the value ``default`` on the command line restores that. Standard
library only at import time: the command line reads this module before it knows whether the
server extra is installed.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from collector_server.settings import Settings
    from collector_server.store import Project

MAX_ORIGINS = 100
DEFAULT = "default"


def normalise_origin(origin: str) -> str | None:
    """``scheme://host[:port]`` in lower case without a default port; None if not an origin."""
    parts = urlsplit(origin.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    default = {"http": 80, "https": 443}[parts.scheme]
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{parts.scheme}://{host}" + (f":{port}" if port and port != default else "")


def origin_pattern(pattern: str) -> str:
    """An allowed origin (``https://shop.example``, ``https://*.example.com``), normalised."""
    wildcard = "://*." in pattern
    candidate = pattern.replace("://*.", "://wildcard.") if wildcard else pattern
    normal = normalise_origin(candidate)
    if normal is None:
        raise ValueError(
            f"{pattern!r} is not an origin like https://shop.example or https://*.example.com"
        )
    return normal.replace("://wildcard.", "://*.") if wildcard else normal


def origin_allowed(origin: str, allowed: Sequence[str]) -> bool:
    """True when ``allowed`` is empty (any origin) or ``origin`` matches one of its patterns."""
    if not allowed:
        return True
    normal = normalise_origin(origin)
    if normal is None:
        return False
    for pattern in allowed:
        if pattern == normal:
            return True
        scheme, _, host = pattern.partition("://*.")
        if host and normal.startswith(f"{scheme}://") and normal.endswith("." + host):
            return True
    return False


def _origins(value: str) -> list[str] | None:
    items = [item.strip() for item in value.split(",") if item.strip()]
    if items in ([], ["*"]):
        return None
    if len(items) > MAX_ORIGINS:
        raise ValueError(f"--origins: at most {MAX_ORIGINS} origins, not {len(items)}")
    try:
        return sorted({origin_pattern(item) for item in items})
    except ValueError as exc:
        raise ValueError(f"--origins: {exc}") from None


def _rate(value: str) -> str:
    from collector_server.ratelimit import Rate  # noqa: PLC0415

    try:
        rate = Rate.parse(value)
    except ValueError as exc:
        raise ValueError(f"--rate-limit: {exc}") from None
    return f"{rate.capacity}/{rate.period:g}"


def _integer(flag: str, minimum: int, maximum: int) -> Callable[[str], int]:
    def parse(value: str) -> int:
        if not value.strip().isdigit() or not minimum <= int(value) <= maximum:
            raise ValueError(
                f"{flag} must be an integer from {minimum} to {maximum}, not {value!r}"
            )
        return int(value)

    return parse


def _scrubbing(value: str) -> dict[str, Any]:
    from collector_server.pipeline.scrub import ScrubSettings  # noqa: PLC0415

    try:
        data = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"--scrubbing must be a JSON object: {exc.msg}") from None
    if not isinstance(data, dict):
        raise ValueError("--scrubbing must be a JSON object")
    try:
        return ScrubSettings.from_mapping(data).to_mapping()  # names stripped, each once
    except ValueError as exc:
        raise ValueError(f"--scrubbing: {exc}") from None


def _default_scrubbing() -> dict[str, Any]:
    from collector_server.pipeline.scrub import ScrubSettings  # noqa: PLC0415

    return ScrubSettings().to_mapping()


@dataclass(frozen=True, slots=True)
class Setting:
    name: str  # the column and the Project attribute
    flag: str
    parse: Callable[[str], Any]
    help: str
    default: Callable[[Settings], Any]  # the collector's default for it


SETTINGS = (
    Setting(
        "allowed_origins",
        "--origins",
        _origins,
        "browser origins that may post, comma-separated (https://shop.example,"
        "https://*.example.com); '*' or 'default': any origin",
        lambda _s: None,
    ),
    Setting(
        "rate_limit",
        "--rate-limit",
        _rate,
        "requests per key, as count/seconds (6000/60)",
        lambda s: f"{s.rate_per_key.capacity}/{s.rate_per_key.period:g}",
    ),
    Setting(
        "retention_days",
        "--retention-days",
        _integer("--retention-days", 0, 36_500),
        "days reports and attachments are kept (0: forever)",
        lambda s: s.retention_days,
    ),
    Setting(
        "max_json_bytes",
        "--max-json-bytes",
        _integer("--max-json-bytes", 1024, 64 * 1024 * 1024),
        "the largest report JSON, in bytes",
        lambda s: s.max_json_bytes,
    ),
    Setting(
        "max_attachment_bytes",
        "--max-attachment-bytes",
        _integer("--max-attachment-bytes", 1, 1024 * 1024 * 1024),
        "the largest attachment, in bytes",
        lambda s: s.max_attachment_bytes,
    ),
    Setting(
        "max_attachments",
        "--max-attachments",
        _integer("--max-attachments", 0, 100),
        "attachments per report",
        lambda s: s.max_attachments,
    ),
    Setting(
        "scrubbing",
        "--scrubbing",
        _scrubbing,
        "server-side scrubbing as JSON (see docs/scrubbing.md)",
        lambda _s: _default_scrubbing(),
    ),
)


def add_setting_arguments(parser: argparse.ArgumentParser) -> None:
    for setting in SETTINGS:
        parser.add_argument(setting.flag, dest=f"set_{setting.name}", help=setting.help)


def parse_cli_settings(args: Mapping[str, Any]) -> dict[str, Any]:
    """The changes the command line asks for; ``default`` becomes None (the default)."""
    changes: dict[str, Any] = {}
    for setting in SETTINGS:
        value = args.get(f"set_{setting.name}")
        if value is None:
            continue
        changes[setting.name] = None if value.strip() == DEFAULT else setting.parse(value)
    return changes


def effective_settings(settings: Settings, project: Project) -> dict[str, Any]:
    """Each setting's value for the project, and whether it is the collector's default."""
    shown: dict[str, Any] = {}
    for setting in SETTINGS:
        own = getattr(project, setting.name)
        if isinstance(own, tuple):
            own = list(own) or None
        shown[setting.name] = {
            "value": setting.default(settings) if own is None else own,
            "default": own is None,
        }
    return shown
