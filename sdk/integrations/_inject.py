"""Putting the widget's tag into the app's HTML pages.

Only complete, uncompressed ``text/html`` answers of a success status are touched, and only
once (a page that already loads ``widget.js`` is left as it is). The tag goes before
``</head>`` (so that it starts loading early and sees the page's own scripts' console output
and errors), else before ``</body>``, else at the end. Under a Content-Security-Policy with a
script nonce the tag carries that nonce, so a strict CSP needs no change; a policy that would
block the tag anyway (``script-src`` without ``'self'`` or a nonce) is left alone rather than
broken.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

MAX_HTML_BYTES = 4 * 2**20  # a larger page is passed through as it streams, untouched
_HEAD_END = re.compile(rb"</head\s*>", re.IGNORECASE)
_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_NONCE = re.compile(r"'nonce-([A-Za-z0-9+/=_-]+)'")
_ALREADY = re.compile(rb"<script[^>]*/widget\.js", re.IGNORECASE)


def is_html(content_type: str | None) -> bool:
    return content_type is not None and content_type.split(";")[0].strip().lower() == "text/html"


def script_tag(src: str, attributes: Mapping[str, str | None], nonce: str | None) -> bytes:
    """``<script src=... data-...=... nonce=... async></script>``, every value escaped."""
    parts = [f'<script src="{html.escape(src)}"']
    for name, value in attributes.items():
        if value is not None:
            parts.append(f' data-{name}="{html.escape(value)}"')
    if nonce:
        parts.append(f' nonce="{html.escape(nonce)}"')
    parts.append(" async></script>")
    return "".join(parts).encode()


def csp_script_nonce(policy: str | None) -> tuple[bool, str | None]:
    """(may a same-origin script run under this policy, the nonce to give it)."""
    if not policy:
        return True, None
    directives: dict[str, str] = {}
    for part in policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives.setdefault(name.lower(), value)
    sources = directives.get("script-src-elem", directives.get("script-src"))
    if sources is None:
        sources = directives.get("default-src")
    if sources is None:
        return True, None
    match = _NONCE.search(sources)
    if match is not None:
        return True, match.group(1)
    tokens = sources.split()
    return "'self'" in tokens or "*" in tokens, None


def inject(page: bytes, tag: bytes) -> bytes:
    """The page with the tag in it (unchanged when it already loads the widget)."""
    if _ALREADY.search(page):
        return page
    head = _HEAD_END.search(page)
    if head is not None:
        return page[: head.start()] + tag + page[head.start() :]
    bodies = list(_BODY_END.finditer(page))
    if bodies:
        at = bodies[-1].start()
        return page[:at] + tag + page[at:]
    return page + tag
