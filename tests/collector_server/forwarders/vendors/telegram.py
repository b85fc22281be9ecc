"""The Telegram Bot API's ``sendMessage``, checked by hand (Telegram publishes no schema).

From core.telegram.org/bots/api: ``chat_id`` (integer or ``@channel`` string) and ``text``
(1-4096 characters after entity parsing) are required; ``parse_mode`` is ``HTML``,
``MarkdownV2`` or ``Markdown``; in HTML only the listed tags and the entities ``&lt; &gt; &amp;
&quot;`` (and numeric ones) may appear, every other ``<``, ``>`` and ``&`` must be escaped; in
MarkdownV2 the characters ``_*[]()~`>#+-=|{}.!`` must be escaped with ``\\`` outside markup
(here only the ones that are never markup are checked: ``#+-={}.!``). Errors answer
``{"ok": false, "error_code": 400, "description": "Bad Request: ..."}``; a flood limit answers
429 with ``parameters.retry_after`` in the body (Telegram sends no ``Retry-After`` header).
"""

from __future__ import annotations

import html
import re
from typing import Any

from tests.collector_server.forwarders.vendors._core import Answer, Call, Route, VendorProfile

HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "tg-emoji", "code", "pre", "blockquote",
}  # fmt: skip
_MARKUP = re.compile(
    r"<(/?)([a-zA-Z][\w-]*)((?:\s[^<>]*)?)>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);"
)
MAX_TEXT = 4096


class TelegramProfile(VendorProfile):
    """``POST /bot{token}/sendMessage``; ``chats`` are the chat ids the bot may write to."""

    name = "telegram"

    def __init__(self, token: str = "123456:fake-bot-token", chats: tuple[str, ...] = ("-1001",)):
        self.token = token
        self.chats = chats
        self.messages: list[dict[str, Any]] = []

    def routes(self) -> list[Route]:
        return [Route("POST", "/bot{token}/sendMessage", self._send, check=send_message_errors)]

    def authorised(self, call: Call) -> bool:
        return call.path.startswith(f"/bot{self.token}/")

    def unauthorised(self, call: Call) -> Answer:
        return Answer(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})

    def not_found(self, call: Call) -> Answer:
        return Answer(404, {"ok": False, "error_code": 404, "description": "Not Found"})

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        return Answer(400, {"ok": False, "error_code": 400, "description": errors[0]})

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        body = {
            "ok": False,
            "error_code": 429,
            "description": f"Too Many Requests: retry after {retry_after}",
            "parameters": {"retry_after": retry_after},
        }
        return Answer(429, body)

    def failure(self, status: int) -> Answer:
        return Answer(status, {"ok": False, "error_code": status, "description": "Bad Gateway"})

    def _send(self, call: Call) -> Answer:
        if str(call.json["chat_id"]) not in self.chats:
            return self.invalid(call, ["Bad Request: chat not found"])
        self.messages.append(call.json)
        result = {
            "message_id": len(self.messages),
            "date": 1767225600 + len(self.messages),
            "chat": {"id": call.json["chat_id"], "type": "supergroup"},
            "text": call.json["text"],
        }
        return Answer(200, {"ok": True, "result": result})


def send_message_errors(call: Call) -> list[str]:
    body = call.json
    if not isinstance(body, dict):
        return ["Bad Request: the body must be a JSON object"]
    chat_id = body.get("chat_id")
    if isinstance(chat_id, bool) or not isinstance(chat_id, int | str) or chat_id == "":
        return ["Bad Request: chat_id is empty"]
    text = body.get("text")
    if not isinstance(text, str) or not text.strip():
        return ["Bad Request: message text is empty"]
    mode = body.get("parse_mode")
    if mode not in (None, "HTML", "MarkdownV2", "Markdown"):
        return [f"Bad Request: unsupported parse_mode {mode!r}"]
    if mode == "HTML":
        if errors := html_errors(text):
            return errors
        text = html.unescape(_MARKUP.sub(lambda m: "" if m.group(2) else m.group(0), text))
    elif mode == "MarkdownV2" and (errors := markdown_v2_errors(text)):
        return errors
    if len(text.encode("utf-16-le")) // 2 > MAX_TEXT:
        return ["Bad Request: message is too long"]
    for flag in ("disable_notification", "protect_content", "disable_web_page_preview"):
        if flag in body and not isinstance(body[flag], bool):
            return [f"Bad Request: {flag} must be a boolean"]
    return []


def html_errors(text: str) -> list[str]:
    """Telegram's "can't parse entities" cases: unknown tags, bad nesting, stray ``<>&``."""
    open_tags: list[str] = []
    position = 0
    for found in _MARKUP.finditer(text):
        stray = re.search(r"[<>&]", text[position : found.start()])
        if stray:
            offset = position + stray.start()
            return [f"Bad Request: can't parse entities: unescaped {stray.group()!r} at {offset}"]
        position = found.end()
        closing, tag = found.group(1), found.group(2)
        if not tag:
            continue
        if tag.lower() not in HTML_TAGS:
            return [f'Bad Request: can\'t parse entities: Unsupported start tag "{tag}"']
        if not closing:
            open_tags.append(tag.lower())
        elif not open_tags or open_tags.pop() != tag.lower():
            return [f'Bad Request: can\'t parse entities: Unexpected end tag "{tag}"']
    stray = re.search(r"[<>&]", text[position:])
    if stray:
        return ["Bad Request: can't parse entities: unescaped " + repr(stray.group())]
    if open_tags:
        return [f"Bad Request: can't parse entities: Can't find end tag for \"{open_tags[-1]}\""]
    return []


def markdown_v2_errors(text: str) -> list[str]:
    # Inside code, pre and a link's URL only ` ) and \ are escaped: leave those parts out.
    text = re.sub(r"```.*?```|`[^`]*`|\]\((?:[^()\\]|\\.)*\)", "]", text, flags=re.DOTALL)
    unescaped = re.search(r"(?<!\\)((?:\\\\)*)([#+\-={}.!])", text)
    if unescaped:
        char = unescaped.group(2)
        return [
            f"Bad Request: can't parse entities: Character '{char}' is reserved and must be "
            "escaped with the preceding '\\'"
        ]
    return []
