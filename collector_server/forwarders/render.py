"""The content of a ticket, built once from a group and one of its reports, for every backend.

:func:`build_ticket_content` picks what a developer wants to read (summary, steps from the action
trail, environment, last log lines, the exception's in-app frames, failed requests, attachments,
the group's counts) into a :class:`TicketContent`. Its text is cleaned of control characters and
cut to size but not escaped: the renderers (:func:`~.render_markdown.to_markdown`,
:func:`~.render_adf.to_adf`, :func:`~.render_chat.to_slack`, :func:`~.render_chat.to_telegram`)
neutralise it for their target with :mod:`.neutralise`. The footer marker
(``bugrelay-group:<project_id>:<group_id>``) is what a forwarder searches for before opening a
ticket, so that one group never gets two.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from collector_server.forwarders.neutralise import clean, truncate

MAX_TITLE = 255
MAX_STEPS = 15
MAX_LOGS = 20
MAX_FRAMES = 15
MAX_REQUESTS = 10
MAX_RELEASES = 5
MAX_SUMMARY = 10_000
MAX_LINE = 500  # one step, log line, frame or request

MARKER_PREFIX = "bugrelay-group"
_MARKER_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True)
class EnvironmentRow:
    name: str
    value: str
    code: bool = False  # shown verbatim (a URL from the report), never as a link


@dataclass(frozen=True)
class ExceptionSummary:
    type: str
    value: str
    frames: tuple[str, ...]  # in-app frames, innermost last, at most MAX_FRAMES
    frame_count: int  # all frames, in app or not
    in_app_count: int
    chain: tuple[str, ...]  # "Type: value" of the exceptions it was raised from, root last


@dataclass(frozen=True)
class AttachmentLink:
    name: str
    url: str  # ours: the collector's attachment URL
    content_type: str
    size: int


@dataclass(frozen=True)
class TicketContent:
    title: str
    severity: str
    severity_reasons: tuple[str, ...]
    kind: str
    summary: str
    steps: tuple[str, ...]
    environment: tuple[EnvironmentRow, ...]
    logs: tuple[str, ...]
    exception: ExceptionSummary | None
    failed_requests: tuple[str, ...]
    attachments: tuple[AttachmentLink, ...]
    group_line: str
    group_url: str  # ours: the group's page in the dashboard
    marker: str


def group_marker(project_id: object, group_id: object) -> str:
    """The stable, greppable marker of a group: ``bugrelay-group:<project_id>:<group_id>``."""
    project = _MARKER_UNSAFE.sub("", str(project_id))
    group = _MARKER_UNSAFE.sub("", str(group_id))
    return f"{MARKER_PREFIX}:{project}:{group}"


def build_ticket_content(
    group: Mapping[str, Any],
    report: Mapping[str, Any],
    *,
    group_url: str,
    attachment_url: Callable[[str], str],
) -> TicketContent:
    """The ticket for ``group`` (as the store returns it) with ``report`` (a stored wire-v1
    report) as its example."""
    exception = _exception(_map(report, "exception"))
    return TicketContent(
        title=_title(group, report, exception),
        severity=_text(group, "severity") or "medium",
        severity_reasons=tuple(
            truncate(clean(str(r), single_line=True), MAX_LINE)
            for r in _seq(group, "severity_reasons")
        ),
        kind=_text(report, "kind") or "bug",
        summary=_summary(report, exception),
        steps=_steps(_seq(report, "actions")),
        environment=_environment(report),
        logs=_logs(_seq(report, "logs")),
        exception=exception,
        failed_requests=_requests(_seq(report, "network")),
        attachments=tuple(
            AttachmentLink(
                name=_line(item, "name"),
                url=attachment_url(str(item.get("name", ""))),
                content_type=_line(item, "content_type") or "application/octet-stream",
                size=_int(item, "size"),
            )
            for item in _maps(report, "attachments")
        ),
        group_line=_group_line(group),
        group_url=group_url,
        marker=group_marker(group.get("project_id", ""), group.get("id", "")),
    )


# --- picking ---------------------------------------------------------------------------------


def _title(
    group: Mapping[str, Any], report: Mapping[str, Any], exception: ExceptionSummary | None
) -> str:
    for candidate in (_text(group, "title"), _text(report, "title")):
        if candidate.strip():
            return truncate(clean(candidate, single_line=True), MAX_TITLE)
    if exception is not None:
        return truncate(clean(f"{exception.type}: {exception.value}", single_line=True), MAX_TITLE)
    first = (_text(report, "description").strip().splitlines() or ["Bug report"])[0]
    return truncate(clean(first, single_line=True), MAX_TITLE)


def _summary(report: Mapping[str, Any], exception: ExceptionSummary | None) -> str:
    text = _text(report, "description").strip() or _text(report, "title").strip()
    if not text and exception is not None:
        text = f"{exception.type}: {exception.value}"
    return truncate(clean(text), MAX_SUMMARY)


def _steps(actions: Sequence[Any]) -> tuple[str, ...]:
    steps = []
    for action in actions[-MAX_STEPS:]:
        if isinstance(action, Mapping):
            category = _line(action, "category") or "default"
            message = _line(action, "message")
            steps.append(truncate(f"{category}: {message}" if message else category, MAX_LINE))
    return tuple(steps)


def _environment(report: Mapping[str, Any]) -> tuple[EnvironmentRow, ...]:
    app, browser = _map(report, "app"), _map(report, "browser")
    os_, device, runtime = _map(report, "os"), _map(report, "device"), _map(report, "runtime")
    release = _join(
        _line(app, "release"), f"(build {_line(app, 'build')})" if _line(app, "build") else ""
    )
    rows = [
        ("Release", release, False),
        ("Environment", _line(app, "environment"), False),
        ("Browser", _join(_line(browser, "name"), _line(browser, "version")), False),
        ("OS", _join(_line(os_, "name"), _line(os_, "version")), False),
        (
            "Device",
            _join(_line(device, "family"), _line(device, "model"), _line(device, "arch")),
            False,
        ),
        ("Runtime", _join(_line(runtime, "name"), _line(runtime, "version")), False),
        ("URL", truncate(_line(browser, "url"), MAX_LINE), True),
    ]
    return tuple(EnvironmentRow(name, value, code) for name, value, code in rows if value)


def _logs(logs: Sequence[Any]) -> tuple[str, ...]:
    lines = []
    for entry in logs[-MAX_LOGS:]:
        if isinstance(entry, Mapping):
            logger = _line(entry, "logger")
            head = _join(_line(entry, "timestamp"), (_line(entry, "level") or "info").upper())
            body = f"[{logger}] {_line(entry, 'message')}" if logger else _line(entry, "message")
            lines.append(truncate(f"{head} {body}", MAX_LINE))
    return tuple(lines)


def _exception(info: Mapping[str, Any]) -> ExceptionSummary | None:
    if not info:
        return None
    frames = _maps(info, "frames")
    in_app = [frame for frame in frames if frame.get("in_app") is True]
    chain = tuple(
        truncate(_join(_line(item, "type") + ":", _line(item, "value")), MAX_LINE)
        for item in _maps(info, "chain")
    )
    return ExceptionSummary(
        type=_line(info, "type") or "Error",
        value=truncate(clean(_text(info, "value")), 2_000),
        frames=tuple(_frame(frame) for frame in in_app[-MAX_FRAMES:]),
        frame_count=len(frames),
        in_app_count=len(in_app),
        chain=chain,
    )


def _frame(frame: Mapping[str, Any]) -> str:
    where = _line(frame, "file") or _line(frame, "module") or "?"
    if isinstance(frame.get("line"), int):
        where += f":{frame['line']}"
    text = f"{where} in {_line(frame, 'function') or '?'}"
    code = _line(frame, "code").strip()
    return truncate(f"{text}\n    {code}" if code else text, MAX_LINE)


def _requests(network: Sequence[Any]) -> tuple[str, ...]:
    lines = []
    for request in network[-MAX_REQUESTS:]:
        if isinstance(request, Mapping):
            status = request.get("status")
            outcome = str(status) if isinstance(status, int) else "no response"
            if _line(request, "error"):
                outcome += f" ({_line(request, 'error')})"
            duration = request.get("duration_ms")
            took = f", {duration:.0f} ms" if isinstance(duration, int | float) else ""
            lines.append(
                truncate(
                    f"{_line(request, 'method')} {_line(request, 'url')} → {outcome}{took}",
                    MAX_LINE,
                )
            )
    return tuple(lines)


def _group_line(group: Mapping[str, Any]) -> str:
    reporters, reports = _int(group, "reporters"), _int(group, "report_count")
    parts = [
        f"{reporters} reporter{'' if reporters == 1 else 's'}",
        f"{reports} report{'' if reports == 1 else 's'}",
        f"first seen {_when(_text(group, 'first_seen'))}",
        f"last seen {_when(_text(group, 'last_seen'))}",
    ]
    releases = [clean(str(r), single_line=True) for r in _seq(group, "releases") if str(r)]
    if releases:
        shown = ", ".join(releases[-MAX_RELEASES:])
        more = len(releases) - MAX_RELEASES
        parts.append(f"releases {shown}" + (f" (+{more} more)" if more > 0 else ""))
    return " · ".join(parts)


def _when(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return clean(iso, single_line=True) or "unknown"
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


# --- reading the stored dicts ----------------------------------------------------------------


def _map(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    return value if isinstance(value, Mapping) else {}


def _seq(data: Mapping[str, Any], key: str) -> Sequence[Any]:
    value = data.get(key)
    return value if isinstance(value, list | tuple) else ()


def _maps(data: Mapping[str, Any], key: str) -> list[Mapping[str, Any]]:
    return [item for item in _seq(data, key) if isinstance(item, Mapping)]


def _text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    return value if isinstance(value, str) else ""


def _line(data: Mapping[str, Any], key: str) -> str:
    return clean(_text(data, key), single_line=True)


def _int(data: Mapping[str, Any], key: str) -> int:
    value = data.get(key)
    if isinstance(value, bool):
        return 0
    if isinstance(value, int):
        return value
    return len(value) if isinstance(value, list | tuple) else 0


def _join(*parts: str) -> str:
    return " ".join(part for part in parts if part)
