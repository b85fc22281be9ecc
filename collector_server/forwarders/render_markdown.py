"""A :class:`~.render.TicketContent` as a GitHub or GitLab issue body (Markdown)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from collector_server.forwarders.neutralise import (
    Flavour,
    fenced_code,
    inline_code,
    markdown_inline,
    markdown_text,
    url_code,
)
from collector_server.forwarders.render import TicketContent

MAX_BODY = 65_536  # GitHub's limit for an issue body, in characters
COLLAPSE_AFTER = 5  # a list or block longer than this many lines goes into <details>
_OMITTED = "_This section was left out to keep the issue within the tracker's size limit._"


def own_link(label: str, url: str) -> str:
    """A Markdown link to one of *our* URLs (the dashboard, an attachment); ``label`` is
    neutralised. A URL that is not http(s) is shown as code instead of linked."""
    if urlsplit(url).scheme not in ("http", "https"):
        return f"{label} {url_code(url)}"
    target = quote(url, safe=":/?#!$&'*+,;=%-._~")  # no spaces, parentheses or <>
    target = target.replace("(", "%28").replace(")", "%29")
    return f"[{label}]({target})"


def to_markdown(content: TicketContent, flavour: Flavour = "github") -> str:
    """The issue body: severity and counts, summary, steps, environment table, exception,
    logs, failed requests, attachments, and a footer with the group link and marker; every
    piece of user text neutralised for ``flavour``; at most :data:`MAX_BODY` characters."""
    head = _head(content, flavour)
    footer = _footer(content)
    sections = [
        _summary(content, flavour),
        _steps(content, flavour),
        _environment(content, flavour),
        _exception(content, flavour),
        _logs(content, flavour),
        _requests(content),
        _attachments(content, flavour),
    ]
    budget = MAX_BODY - len(head) - len(footer) - 2 * (len(sections) + 1)
    kept: list[str] = []
    for full in sections:
        section = full
        if len(section) > budget:
            section = section.split("\n", 1)[0] + f"\n\n{_OMITTED}"
        if section and len(section) <= budget:
            kept.append(section)
            budget -= len(section) + 2
    return "\n\n".join([head, *kept, footer]) + "\n"


def _head(content: TicketContent, flavour: Flavour) -> str:
    severity = f"**Severity: {content.severity}**"
    if content.severity_reasons:
        reasons = "; ".join(content.severity_reasons)
        severity += " (" + markdown_inline(reasons, flavour, limit=1000) + ")"
    return f"{severity}  \n{markdown_inline(content.group_line, flavour)}"


def _summary(content: TicketContent, flavour: Flavour) -> str:
    if not content.summary:
        return ""
    return f"### Summary\n\n{markdown_text(content.summary, flavour)}"


def _steps(content: TicketContent, flavour: Flavour) -> str:
    if not content.steps:
        return ""
    items = "\n".join(
        f"{n}. {markdown_inline(step, flavour)}" for n, step in enumerate(content.steps, 1)
    )
    return "### Steps (the last actions before the report)\n\n" + _collapse(
        items, f"{len(content.steps)} actions", len(content.steps)
    )


def _environment(content: TicketContent, flavour: Flavour) -> str:
    if not content.environment:
        return ""
    rows = ["| | |", "|---|---|"]
    for row in content.environment:
        value = (
            url_code(row.value, table=True)
            if row.code
            else markdown_inline(row.value, flavour, table=True)
        )
        rows.append(f"| {row.name} | {value} |")
    return "### Environment\n\n" + "\n".join(rows)


def _exception(content: TicketContent, flavour: Flavour) -> str:
    exc = content.exception
    if exc is None:
        return ""
    first, _, rest = exc.value.partition("\n")
    parts = [f"### Exception\n\n{inline_code(exc.type)}: {markdown_inline(first, flavour)}"]
    if rest.strip():
        parts.append(fenced_code(rest, flavour))
    for cause in exc.chain:
        parts.append(f"Raised from {markdown_inline(cause, flavour)}")
    shown = f"{len(exc.frames)} of {exc.in_app_count} in-app frames ({exc.frame_count} in all)"
    if exc.frames:
        block = fenced_code("\n".join(exc.frames), flavour, language="text")
        parts.append(_collapse(block, f"{shown}, innermost last", len(exc.frames)))
    else:
        parts.append(f"_No in-app frames ({exc.frame_count} in all)._")
    return "\n\n".join(parts)


def _logs(content: TicketContent, flavour: Flavour) -> str:
    if not content.logs:
        return ""
    block = fenced_code("\n".join(content.logs), flavour, language="text")
    return "### Last log lines\n\n" + _collapse(
        block, f"{len(content.logs)} log lines", len(content.logs)
    )


def _requests(content: TicketContent) -> str:
    if not content.failed_requests:
        return ""
    items = "\n".join(f"- {inline_code(line)}" for line in content.failed_requests)
    return "### Failed requests\n\n" + items


def _attachments(content: TicketContent, flavour: Flavour) -> str:
    if not content.attachments:
        return ""
    items = []
    for item in content.attachments:
        label = markdown_inline(item.name, flavour, limit=100)
        meta = markdown_inline(f"{item.content_type}, {_size(item.size)}", flavour)
        items.append(f"- {own_link(label, item.url)} ({meta})")
    return "### Attachments\n\n" + "\n".join(items)


def _footer(content: TicketContent) -> str:
    return f"---\n{own_link('Open the group in BugRelay', content.group_url)} · `{content.marker}`"


def _collapse(block: str, summary: str, lines: int) -> str:
    if lines <= COLLAPSE_AFTER:
        return block
    return f"<details>\n<summary>{summary}</summary>\n\n{block}\n\n</details>"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f} MB"


__all__ = ["MAX_BODY", "own_link", "to_markdown"]
