"""A :class:`~.render.TicketContent` as an Atlassian Document Format v1 document (Jira).

User text only ever goes into ``text`` nodes (plain, or with the ``code`` mark); the only
``link`` marks point at our own URLs, and no ``mention``, ``inlineCard`` or ``emoji`` node is
ever built.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from collector_server.forwarders.neutralise import adf_text
from collector_server.forwarders.render import TicketContent

Node = dict[str, Any]


def to_adf(content: TicketContent) -> Node:
    """The description of the Jira issue for ``content`` (``{"version": 1, "type": "doc"}``)."""
    blocks: list[Node] = [
        _paragraph(
            _text(f"Severity: {content.severity}", strong=True),
            _text(f" ({'; '.join(content.severity_reasons)})" if content.severity_reasons else ""),
        ),
        _paragraph(_text(content.group_line)),
    ]
    if content.summary:
        blocks.append(_heading("Summary"))
        blocks.extend(_paragraph(*_lines(part)) for part in content.summary.split("\n\n"))
    if content.steps:
        blocks.append(_heading("Steps (the last actions before the report)"))
        blocks.append(_list("orderedList", [[_text(step)] for step in content.steps]))
    if content.environment:
        blocks.append(_heading("Environment"))
        blocks.append(_table([(r.name, _text(r.value, code=r.code)) for r in content.environment]))
    if content.exception is not None:
        exc = content.exception
        blocks.append(_heading("Exception"))
        blocks.append(_paragraph(_text(exc.type, code=True), _text(": "), *_lines(exc.value)))
        blocks.extend(_paragraph(_text(f"Raised from {cause}")) for cause in exc.chain)
        count = f"{len(exc.frames)} of {exc.in_app_count} in-app frames ({exc.frame_count} in all)"
        blocks.append(_paragraph(_text(count + (", innermost last" if exc.frames else ""))))
        if exc.frames:
            blocks.append(_code("\n".join(exc.frames)))
    if content.logs:
        blocks.append(_heading("Last log lines"))
        blocks.append(_code("\n".join(content.logs)))
    if content.failed_requests:
        blocks.append(_heading("Failed requests"))
        blocks.append(_list("bulletList", [[_text(r, code=True)] for r in content.failed_requests]))
    if content.attachments:
        blocks.append(_heading("Attachments"))
        items = [
            [_link(item.name, item.url), _text(f" ({item.content_type}, {item.size} bytes)")]
            for item in content.attachments
        ]
        blocks.append(_list("bulletList", items))
    blocks.append({"type": "rule"})
    blocks.append(
        _paragraph(
            _link("Open the group in BugRelay", content.group_url),
            _text(" · "),
            _text(content.marker, code=True),
        )
    )
    return {"version": 1, "type": "doc", "content": blocks}


def _text(text: str, *, code: bool = False, strong: bool = False) -> Node | None:
    clean = adf_text(text)
    if not clean:
        return None  # ADF text nodes cannot be empty
    node: Node = {"type": "text", "text": clean}
    if code:
        node["marks"] = [{"type": "code"}]
    elif strong:
        node["marks"] = [{"type": "strong"}]
    return node


def _link(label: str, url: str) -> Node | None:
    """A link to one of our URLs; anything but http(s) is shown as code, not linked."""
    if urlsplit(url).scheme not in ("http", "https"):
        return _text(f"{label} {url}", code=True)
    node = _text(label) or _text(url)
    if node is not None:
        node["marks"] = [{"type": "link", "attrs": {"href": url}}]
    return node


def _lines(text: str) -> list[Node | None]:
    nodes: list[Node | None] = []
    for n, line in enumerate(text.split("\n")):
        if n:
            nodes.append({"type": "hardBreak"})
        nodes.append(_text(line))
    return nodes


def _paragraph(*inline: Node | None) -> Node:
    return {"type": "paragraph", "content": [node for node in inline if node is not None]}


def _heading(title: str) -> Node:
    return {"type": "heading", "attrs": {"level": 3}, "content": [{"type": "text", "text": title}]}


def _code(text: str) -> Node:
    node = _text(text)
    return {"type": "codeBlock", "attrs": {"language": "text"}, "content": [node] if node else []}


def _list(kind: str, items: list[list[Node | None]]) -> Node:
    return {
        "type": kind,
        "content": [{"type": "listItem", "content": [_paragraph(*item)]} for item in items],
    }


def _table(rows: list[tuple[str, Node | None]]) -> Node:
    def cell(kind: str, node: Node | None) -> Node:
        return {"type": kind, "content": [_paragraph(node)]}

    return {
        "type": "table",
        "content": [
            {
                "type": "tableRow",
                "content": [cell("tableHeader", _text(name)), cell("tableCell", value)],
            }
            for name, value in rows
        ],
    }
