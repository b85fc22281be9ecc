"""A :class:`~.render.TicketContent` as a chat alert: a Slack incoming-webhook body (Block Kit)
and a Telegram ``sendMessage`` text (HTML parse mode)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from collector_server.forwarders.neutralise import (
    TELEGRAM_LIMIT,
    slack_plain,
    slack_text,
    telegram_attr,
    telegram_text,
    utf16_len,
)
from collector_server.forwarders.render import TicketContent

# Block Kit limits (docs.slack.dev/reference/block-kit/blocks).
SLACK_HEADER = 150
SLACK_SECTION = 3000
SLACK_FIELD = 2000
SLACK_FIELDS = 10
SLACK_BUTTON_URL = 3000


def _own_url(url: str) -> str | None:
    """One of our URLs, fit for a Slack ``<url|label>`` or a button; None if not http(s)."""
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%-._~")  # no |, <, > or spaces


def to_slack(content: TicketContent) -> dict[str, Any]:
    """An incoming-webhook body: ``text`` (what notifications show) and ``blocks``."""
    url = _own_url(content.group_url)
    title = slack_text(content.title, limit=200, single_line=True)
    fallback = f"[{content.severity.upper()}] {title}"
    if url is not None:
        fallback += f" <{url}|Open in BugRelay>"
    fields = [("Severity", content.severity), ("Kind", content.kind)]
    fields += [(row.name, row.value) for row in content.environment]
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": slack_plain(content.title, limit=SLACK_HEADER) or "Bug report",
            },
        },
        {"type": "section", "text": _mrkdwn(_summary(content), SLACK_SECTION)},
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*{name}*\n", SLACK_FIELD, value) for name, value in fields[:SLACK_FIELDS]
            ],
        },
        {"type": "context", "elements": [_mrkdwn(content.group_line, SLACK_SECTION)]},
    ]
    if url is not None and len(url) <= SLACK_BUTTON_URL:
        button = {
            "type": "button",
            "text": {"type": "plain_text", "text": "Open in BugRelay"},
            "url": url,
        }
        blocks.append({"type": "actions", "elements": [button]})
    return {"text": fallback, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}


def _summary(content: TicketContent) -> str:
    text = content.summary or content.title
    if content.exception is not None and content.summary != content.exception.value:
        exc = content.exception
        text = f"{text}\n\n{exc.type}: {exc.value}" if text else f"{exc.type}: {exc.value}"
    return text


def _mrkdwn(user_text: str, limit: int, value: str | None = None) -> dict[str, str]:
    """A mrkdwn text object. With ``value``, ``user_text`` is our own label (kept as is) and
    ``value`` the user's text, escaped; otherwise ``user_text`` is escaped."""
    if value is None:
        text = slack_text(user_text, limit=limit) or " "
    else:
        text = user_text + (slack_text(value, limit=limit - len(user_text)) or "-")
    return {"type": "mrkdwn", "text": text}


def to_telegram(content: TicketContent) -> str:
    """The HTML text of a ``sendMessage`` (``parse_mode: "HTML"``), at most 4096 UTF-16 units.

    Send it with ``link_preview_options: {"is_disabled": true}``.
    """
    head = [
        f"<b>{telegram_text(content.severity.upper())}</b> · "
        + f"<b>{telegram_text(content.title, limit=300, single_line=True)}</b>",
        f"<i>{telegram_text(content.group_line, single_line=True)}</i>",
    ]
    tail = [f"<code>{telegram_text(content.marker)}</code>"]
    if _own_url(content.group_url) is not None:
        tail.insert(0, f'<a href="{telegram_attr(content.group_url)}">Open in BugRelay</a>')
    fixed = utf16_len("\n\n".join(head + tail))
    budget = TELEGRAM_LIMIT - fixed - 2  # the separator before the body
    body = []
    if content.summary and budget > 20:
        body.append(telegram_text(content.summary, limit=min(budget, 1500)))
        budget -= utf16_len(body[-1]) + 2
    exc = content.exception
    if exc is not None and budget > 40:
        first = exc.value.split("\n", 1)[0]
        line = f"<code>{telegram_text(f'{exc.type}: {first}', limit=budget - 13)}</code>"
        body.append(line)
        budget -= utf16_len(line) + 2
        if exc.frames and budget > 40:
            frames = "\n".join(exc.frames[-5:])
            body.append(f"<pre>{telegram_text(frames, limit=budget - 11)}</pre>")
    return "\n\n".join(head + body + tail)
