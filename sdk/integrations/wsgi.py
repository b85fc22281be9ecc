"""WSGI middleware (Flask, Django, any WSGI app): the widget on every page, joined reports.

    from sdk.integrations.wsgi import BugRelayWSGIMiddleware
    app.wsgi_app = BugRelayWSGIMiddleware(app.wsgi_app)                 # Flask
    application = BugRelayWSGIMiddleware(get_wsgi_application())        # Django (wsgi.py)

The same as the ASGI middleware (:mod:`sdk.integrations.asgi`): the widget's tag in HTML pages,
the widget and its same-origin endpoint under ``/_bugrelay/``, every request an action of its
browser session, escaping crashes reported, the widget's reports joined with the session's
server trail. ``get_user`` receives the WSGI environ.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from http import HTTPStatus
from types import TracebackType
from typing import Any

from sdk.integrations._inject import MAX_HTML_BYTES, inject
from sdk.integrations._relay import error, max_body
from sdk.integrations._web import WebIntegration

Environ = dict[str, Any]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]
StartResponse = Callable[..., Callable[[bytes], object]]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]


class BugRelayWSGIMiddleware:
    def __init__(self, app: WSGIApp, **options: Any) -> None:
        self.app = app
        self.web = WebIntegration(**options)

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        method = environ.get("REQUEST_METHOD", "GET")
        session_id, new_session = self.web.session(environ.get("HTTP_COOKIE"))
        subpath = self.web.subpath(path)
        if subpath is not None:
            return self._widget_route(
                environ, start_response, method, subpath, None if new_session else session_id
            )
        secure = environ.get("wsgi.url_scheme") == "https"
        cookie = self.web.set_cookie(session_id, secure) if new_session else None
        page = _PageRewriter(self.web, path if method == "GET" else None, start_response, cookie)
        with self.web.serving(session_id, environ, method, path, page):
            return page.finish(self.app(environ, page.start_response))

    def _widget_route(
        self,
        environ: Environ,
        start_response: StartResponse,
        method: str,
        subpath: str,
        session_id: str | None,
    ) -> list[bytes]:
        limit = max_body(method, subpath)
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        headers["content-type"] = environ.get("CONTENT_TYPE", "")
        body = _read_body(environ, limit)
        if body is None:
            answer = error(413, "body_too_large", f"the body exceeds {limit} bytes")
        else:
            answer = self.web.relay.handle(method, subpath, headers, body, session_id)
        out = list(answer.headers)
        if answer.status != 204 and not any(k.lower() == "content-length" for k, _ in out):
            out.append(("Content-Length", str(len(answer.body))))
        if not any(k.lower() == "cache-control" for k, _ in out):
            out.append(("Cache-Control", "no-store"))
        start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", out)
        return [answer.body]


class _PageRewriter:
    """The app's ``start_response``, with the widget's tag put into an HTML page."""

    def __init__(
        self,
        web: WebIntegration,
        path: str | None,
        start_response: StartResponse,
        cookie: str | None,
    ) -> None:
        self.web = web
        self.path = path
        self.upstream = start_response
        self.cookie = cookie
        self.status: int | None = None
        self.held: tuple[str, list[tuple[str, str]], ExcInfo | None] | None = None
        self.tag: bytes | None = None
        self.written: list[bytes] = []

    def start_response(
        self, status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None
    ) -> Callable[[bytes], object]:
        self.status = int(status.split(" ", 1)[0])
        headers = list(headers)
        if self.cookie is not None:
            headers.append(("Set-Cookie", self.cookie))
        names = {k.lower(): v for k, v in headers}
        self.tag = (  # only a GET's page: a HEAD has no body to put the tag in
            None
            if self.path is None
            else self.web.tag_for(self.path, self.status, names.get("content-type"), names)
        )
        if self.tag is None:
            return self.upstream(status, headers, exc_info)
        self.held = (status, headers, exc_info)
        return self.written.append  # the legacy write(): held with the body

    def finish(self, result: Iterable[bytes]) -> Iterable[bytes]:
        if self.held is None:
            return result
        chunks = list(self.written)
        size = sum(map(len, chunks))
        iterator = iter(result)
        try:
            for chunk in iterator:
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_HTML_BYTES:  # too big to hold: pass it on untouched
                    status, headers, exc_info = self.held
                    self.upstream(status, headers, exc_info)
                    return _chain(chunks, iterator, result)
        except BaseException:
            _close(result)
            raise
        _close(result)
        page = inject(b"".join(chunks), self.tag or b"")
        status, headers, exc_info = self.held
        headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
        headers.append(("Content-Length", str(len(page))))
        self.upstream(status, headers, exc_info)
        return [page]


def _chain(head: list[bytes], rest: Iterator[bytes], result: Iterable[bytes]) -> Iterator[bytes]:
    try:
        yield from head
        yield from rest
    finally:
        _close(result)


def _close(result: Iterable[bytes]) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def _read_body(environ: Environ, limit: int) -> bytes | None:
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > limit:
        return None
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    if length:
        return bytes(stream.read(length))
    # No length (chunked): read at most one byte past the limit.
    body = bytes(stream.read(limit + 1)) if environ.get("wsgi.input_terminated") else b""
    return None if len(body) > limit else body
