"""``GET /widget.js`` and its screenshot chunk: the browser widget, for any page to load.

The files are built from ``widget/`` into the SDK package (:mod:`sdk.integrations.assets`),
which the SDK's middleware serves the same way on the app's own origin.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from collector_server.api._doc import Answer, operation
from sdk.integrations import assets

_SCRIPT = Answer("The script.", {"type": "string"}, media_type="application/javascript")


def _serve(request: Request, name: str) -> Response:
    answer = assets.respond(
        name, request.headers.get("if-none-match"), request.headers.get("accept-encoding")
    )
    response = Response(answer.body, status_code=answer.status)
    response.headers.update(dict(answer.headers))
    return response


@operation(
    "getWidget",
    summary='The browser widget: `<script src=".../widget.js" data-dsn="..." async>`.',
    description="Cached for an hour, then revalidated by its ETag (304).",
    responses={200: _SCRIPT, 304: Answer("The client's copy is current.")},
)
async def widget(request: Request) -> Response:
    return _serve(request, "widget.js")


@operation(
    "getWidgetScreenshot",
    summary="The widget's screenshot chunk, loaded by the widget only when a screenshot is taken.",
    responses={200: _SCRIPT, 304: Answer("The client's copy is current.")},
)
async def widget_screenshot(request: Request) -> Response:
    return _serve(request, "widget-screenshot.js")
