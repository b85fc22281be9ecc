"""The context signals grouping compares besides the words: where, what was clicked, what failed.

Each signal is normalised so that two reports of one problem give equal values whatever the
user, the record ids or the moment: numbers, UUIDs, hex ids and quoted values become
placeholders; query strings and fragments are dropped.

- ``route``: the page's path (``/orders/:id/edit``) from ``browser.url``, else the ``route``,
  ``screen`` or ``component`` tag (desktop and mobile apps name their screen that way).
- ``elements``: the targets of the last clicks in the action trail (``button#save``).
- ``requests``: failed requests of the trail, ``METHOD /path STATUS`` (status 400 and above, or
  no response at all, or status 0 as browsers report a blocked request:
  ``POST /api/save failed``).
- ``errors``: error messages from the console and the logs (level error and critical), and the
  exception's type and message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from sdk.models import Report

MAX_ELEMENTS = 3  # the last clicks matter; earlier ones are how the user got there
MAX_SIGNALS = 5
_CLICK_CATEGORIES = ("ui.click", "click", "ui.tap", "tap")
_TARGET_KEYS = ("target", "selector", "element", "xpath", "label")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
_HEX = re.compile(r"\b(?:0x)?(?=[0-9a-f]*\d)[0-9a-f]{8,}\b", re.IGNORECASE)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`|«[^»]*»")
_SPACE = re.compile(r"\s+")
_SEGMENT_ID = re.compile(r"^(?:\d+|[0-9a-f]{8,}|[0-9a-f-]{36}|[A-Za-z0-9_-]{20,})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Signals:
    route: str | None
    elements: tuple[str, ...]
    requests: tuple[str, ...]
    errors: tuple[str, ...]
    release: str | None
    environment: str | None


def normalise_message(message: str, limit: int = 120) -> str:
    """A message with its variable parts replaced: ids, numbers and quoted values."""
    text = _UUID.sub("<id>", message)
    text = _QUOTED.sub("<value>", text)
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    return _SPACE.sub(" ", text).strip().casefold()[:limit]


def normalise_path(path: str) -> str:
    """``/orders/1234/edit?x=1`` -> ``/orders/:id/edit``."""
    segments = [":id" if _SEGMENT_ID.match(s) else s.casefold() for s in path.split("/") if s]
    return "/" + "/".join(segments)


def _path_of(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return normalise_path(url.split("?", 1)[0])
    path = parts.path
    if parts.fragment.startswith("/"):  # hash routing: https://app.example/#/settings
        path = parts.fragment.split("?", 1)[0]
    return normalise_path(path)


def route_of(report: Report) -> str | None:
    """The report's route or screen, normalised (see the module's docstring)."""
    if report.browser is not None and report.browser.url:
        return _path_of(str(report.browser.url))
    for key in ("route", "screen", "component"):
        value = report.tags.get(key)
        if value:
            return f"{key}:{normalise_message(str(value), 80)}"
    return None


def _elements(report: Report) -> tuple[str, ...]:
    found: list[str] = []
    for action in reversed(report.actions):
        if action.category not in _CLICK_CATEGORIES:
            continue
        data = action.data or {}
        target = next((data[k] for k in _TARGET_KEYS if isinstance(data.get(k), str)), None)
        value = normalise_message(str(target or action.message), 80)
        if value and value not in found:
            found.append(value)
        if len(found) >= MAX_ELEMENTS:
            break
    return tuple(found)


def _requests(report: Report) -> tuple[str, ...]:
    found: list[str] = []
    for request in report.network:
        if request.status and request.status < 400:
            continue
        outcome = str(request.status) if request.status else "failed"  # 0: blocked, no answer
        value = f"{request.method.upper()} {_path_of(str(request.url))} {outcome}"
        if value not in found:
            found.append(value)
    return tuple(found[-MAX_SIGNALS:])


def _errors(report: Report) -> tuple[str, ...]:
    found: list[str] = []
    for entry in report.logs:
        if entry.level in ("error", "critical") and entry.message:
            value = normalise_message(entry.message)
            if value and value not in found:
                found.append(value)
    exc = report.exception
    if exc is not None:
        value = normalise_message(f"{exc.type}: {exc.value}")
        if value not in found:
            found.append(value)
    return tuple(found[-MAX_SIGNALS:])


def signals(report: Report) -> Signals:
    app = report.app
    return Signals(
        route=route_of(report),
        elements=_elements(report),
        requests=_requests(report),
        errors=_errors(report),
        release=app.release if app is not None else None,
        environment=app.environment if app is not None else None,
    )
