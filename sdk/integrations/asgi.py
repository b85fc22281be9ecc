"""ASGI middleware (Starlette, FastAPI, any ASGI app): the widget on every page, joined reports.

    from sdk.integrations.asgi import BugRelayMiddleware
    app.add_middleware(BugRelayMiddleware)            # Starlette / FastAPI
    app = BugRelayMiddleware(app, widget={"lang": "ru"})  # any ASGI app

It injects the widget's tag into HTML pages, serves the widget and its same-origin endpoint
under ``/_bugrelay/``, records every request as an action of its browser session, reports a
crash that escapes the app, and joins the widget's reports with the session's server trail.
Options: see :class:`sdk.integrations._web.WebIntegration` and docs/integrations.md.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from sdk.integrations._inject import MAX_HTML_BYTES, inject
from sdk.integrations._relay import Answer, error, max_body
from sdk.integrations._web import WebIntegration

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BugRelayMiddleware:
    def __init__(self, app: ASGIApp, **options: Any) -> None:
        self.app = app
        self.web = WebIntegration(**options)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        path: str = scope.get("path", "")
        method: str = scope.get("method", "GET")
        session_id, new_session = self.web.session(headers.get("cookie"))
        subpath = self.web.subpath(path)
        if subpath is not None:
            known = None if new_session else session_id
            await self._widget_route(method, subpath, headers, known, (receive, send))
            return
        secure = scope.get("scheme") == "https"
        cookie = self.web.set_cookie(session_id, secure) if new_session else None
        page = _PageRewriter(self.web, path if method == "GET" else None, send, cookie)
        with self.web.serving(session_id, scope, method, path, page):
            await self.app(scope, receive, page.send)

    async def _widget_route(
        self,
        method: str,
        subpath: str,
        headers: dict[str, str],
        session_id: str | None,
        channel: tuple[Receive, Send],
    ) -> None:
        receive, send = channel
        limit = max_body(method, subpath)
        body = await _read_body(receive, limit)
        if body is None:
            answer = error(413, "body_too_large", f"the body exceeds {limit} bytes")
        else:
            # Parsing, validation and the collector proxy may take a while: not on the loop.
            answer = await asyncio.to_thread(
                self.web.relay.handle, method, subpath, headers, body, session_id
            )
        await _send_answer(send, answer)


class _PageRewriter:
    """The app's ``send``, with the widget's tag put into an HTML page and the session cookie."""

    def __init__(
        self, web: WebIntegration, path: str | None, send: Send, cookie: str | None
    ) -> None:
        self.web = web
        self.path = path
        self.downstream = send
        self.cookie = cookie
        self.status: int | None = None
        self.start: Message | None = None  # held while an HTML page is buffered
        self.tag: bytes | None = None
        self.chunks: list[bytes] = []
        self.size = 0

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.status = int(message["status"])
            raw = list(message.get("headers", []))
            if self.cookie is not None:
                raw.append((b"set-cookie", self.cookie.encode("latin-1")))
            message = {**message, "headers": raw}
            names = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in raw}
            self.tag = (  # only a GET's page: a HEAD has no body to put the tag in
                None
                if self.path is None
                else self.web.tag_for(self.path, self.status, names.get("content-type"), names)
            )
            if self.tag is None:
                await self.downstream(message)
            else:
                self.start = message
            return
        if kind != "http.response.body" or self.start is None:
            await self.downstream(message)
            return
        self.chunks.append(message.get("body", b""))
        self.size += len(self.chunks[-1])
        more = message.get("more_body", False)
        if self.size > MAX_HTML_BYTES:  # too big to hold: pass it on untouched
            await self._release(more)
        elif not more:
            page = inject(b"".join(self.chunks), self.tag or b"")
            start, self.start = self.start, None
            headers = [(k, v) for k, v in start["headers"] if k.lower() != b"content-length"]
            headers.append((b"content-length", str(len(page)).encode()))
            await self.downstream({**start, "headers": headers})
            await self.downstream({"type": "http.response.body", "body": page})

    async def _release(self, more: bool) -> None:
        start, self.start = self.start, None
        assert start is not None
        await self.downstream(start)
        chunks, self.chunks = self.chunks, []
        for index, chunk in enumerate(chunks):
            last = index == len(chunks) - 1
            await self.downstream(
                {"type": "http.response.body", "body": chunk, "more_body": more or not last}
            )


def _headers(scope: Scope) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in scope.get("headers", []):
        name = key.decode("latin-1").lower()
        text = value.decode("latin-1")
        headers[name] = f"{headers[name]}; {text}" if name == "cookie" and name in headers else text
    return headers


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The request body, or None when it is longer than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def _send_answer(send: Send, answer: Answer) -> None:
    headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers]
    if answer.status != 204 and not any(k == b"content-length" for k, _ in headers):
        headers.append((b"content-length", str(len(answer.body)).encode()))
    if not any(k == b"cache-control" for k, _ in headers):
        headers.append((b"cache-control", b"no-store"))
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": answer.body})
