"""Browser origins per project: CORS for the client routes, checked before anything else.

A page on another origin may post reports (the widget) only when the project allows its origin
(``bugrelay project set NAME --origins https://shop.example,https://*.example.com``; none set:
any origin, like Sentry's ``*``). The preflight (``OPTIONS``) is answered here, without a key,
since browsers send none with it; the request itself is checked again, so a client that skips
the preflight gets the same 403. Requests without an ``Origin`` header (apps, servers, curl) are
not browsers' and pass untouched; the key decides for them.

Only the client routes take part, each with its one method (:data:`CLIENT_METHODS`: POST a
report, GET its status, POST a rating, PUT an attachment, POST client reports); the admin routes
never answer a cross-origin browser, not even those on a client route's path (``GET .../reports``,
``GET .../attachments/{name}``).
"""

from __future__ import annotations

import json
import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from collector_server.project_settings import origin_allowed
from collector_server.state import AppState

CLIENT_ROUTES = re.compile(
    r"^/api/v1/projects/(?P<id>[0-9]{1,19})/(?:(?P<reports>reports)|(?P<client_report>client-report)"
    r"|reports/[^/]+/(?:(?P<status>status)|(?P<rating>rating)|(?P<attachments>attachments)/[^/]+))$"
)
CLIENT_METHODS = {  # what a page may do on each client route; the rest is the operator's
    "reports": "POST",
    "client_report": "POST",
    "status": "GET",
    "rating": "POST",
    "attachments": "PUT",
}
ALLOWED_HEADERS = "content-type, content-encoding, x-bugrelay-key, x-bugrelay-discarded"
EXPOSED_HEADERS = "Retry-After"
PREFLIGHT_MAX_AGE = "600"


class CorsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = _origin(scope) if scope["type"] == "http" else None
        match = CLIENT_ROUTES.match(scope["path"]) if origin is not None else None
        if match is None or origin is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        method = CLIENT_METHODS[match.lastgroup or ""]
        preflight = scope["method"] == "OPTIONS" and "access-control-request-method" in headers
        asked = headers["access-control-request-method"] if preflight else scope["method"]
        if asked.upper() not in (method, "HEAD" if method == "GET" else method):
            # An admin route on the same path (GET .../reports, GET .../attachments/...): no
            # CORS, so no page on another origin can read it; the route answers as it would.
            await self.app(scope, receive, send)
            return
        state: AppState = scope["app"].state.bugrelay
        project = await state.projects.get(int(match["id"]))
        # An unknown project: let the route answer (401), with CORS headers so a page can read it.
        allowed = project is None or origin_allowed(origin, project.allowed_origins)
        if not allowed:
            state.metrics.refused.labels(reason="origin_not_allowed").inc()
            await _refuse(send, origin, match["id"])
            return
        if preflight:
            await _preflight(send, origin, headers, method)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                response_headers["Access-Control-Allow-Origin"] = origin
                response_headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
                response_headers.add_vary_header("Origin")
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _origin(scope: Scope) -> str | None:
    """The ``Origin`` header (its first), read without building a ``Headers``: most requests
    (apps, servers) have none, and this runs for every request."""
    for name, value in scope["headers"]:
        if name == b"origin":
            origin: str = value.decode("latin-1")
            return origin
    return None


async def _preflight(send: Send, origin: str, headers: Headers, method: str) -> None:
    requested = headers.get("access-control-request-headers", "")
    wanted = {h.strip().lower() for h in requested.split(",") if h.strip()}
    allowed = {h.strip() for h in ALLOWED_HEADERS.split(",")}
    response_headers = [
        (b"access-control-allow-origin", origin.encode("latin-1")),
        (b"access-control-allow-methods", f"{method}, OPTIONS".encode()),
        (b"access-control-allow-headers", ", ".join(sorted(allowed | wanted & allowed)).encode()),
        (b"access-control-max-age", PREFLIGHT_MAX_AGE.encode()),
        (b"vary", b"Origin"),
        (b"content-length", b"0"),
    ]
    await send({"type": "http.response.start", "status": 204, "headers": response_headers})
    await send({"type": "http.response.body", "body": b""})


async def _refuse(send: Send, origin: str, project_id: str) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "origin_not_allowed",
                "message": (
                    f"project {project_id} does not take reports from pages on {origin!r}; "
                    "the operator lists allowed origins with `bugrelay project set --origins`"
                ),
            }
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 403,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Origin"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
