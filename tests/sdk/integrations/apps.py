"""One small shop app, written for each web framework the middleware supports.

Every app has the same routes: ``/page`` (HTML; logs a line and tells the SDK who the user
is), ``/csp`` (HTML under a strict CSP with a nonce), ``/optout`` (HTML that asks not to get the
widget), ``/data.json`` (JSON), ``/fail`` (500 after logging an error) and ``/boom`` (raises).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import sdk

PAGE = "<!doctype html><html><head><title>Shop</title></head><body><h1>Cart</h1></body></html>"
NONCE = "r4nd0mN0nce"
CSP = f"default-src 'self'; script-src 'self' 'nonce-{NONCE}'; style-src 'self'"
log = logging.getLogger("shop.cart")


def view_page() -> None:
    log.warning("cart loaded for %s with 3 items", "ann")
    sdk.set_user(id="u-42", plan="pro")


def view_fail() -> None:
    log.error("payment backend timed out after %d ms", 3000)


def view_boom() -> None:
    raise RuntimeError("boom in the checkout handler")


def starlette_app() -> Any:
    from starlette.applications import Starlette  # noqa: PLC0415
    from starlette.requests import Request  # noqa: PLC0415
    from starlette.responses import HTMLResponse, JSONResponse, Response  # noqa: PLC0415
    from starlette.routing import Route  # noqa: PLC0415

    def page(_: Request) -> Response:
        view_page()
        return HTMLResponse(PAGE)

    def csp(_: Request) -> Response:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP})

    def optout(_: Request) -> Response:
        return HTMLResponse(PAGE, headers={"X-BugRelay-Inject": "off"})

    def data(_: Request) -> Response:
        return JSONResponse({"items": 3})

    def fail(_: Request) -> Response:
        view_fail()
        return JSONResponse({"error": "timeout"}, status_code=500)

    def boom(_: Request) -> Response:
        view_boom()
        return Response()

    routes = [
        Route("/page", page),
        Route("/csp", csp),
        Route("/optout", optout),
        Route("/data.json", data),
        Route("/fail", fail),
        Route("/boom", boom),
    ]
    return Starlette(routes=routes)


def fastapi_app() -> Any:
    from fastapi import FastAPI  # noqa: PLC0415
    from fastapi.responses import HTMLResponse, JSONResponse  # noqa: PLC0415

    app = FastAPI()

    @app.get("/page", response_class=HTMLResponse)
    async def page() -> str:
        view_page()
        return PAGE

    @app.get("/csp")
    def csp() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"Content-Security-Policy": CSP})

    @app.get("/optout")
    def optout() -> HTMLResponse:
        return HTMLResponse(PAGE, headers={"X-BugRelay-Inject": "off"})

    @app.get("/data.json")
    def data() -> dict[str, int]:
        return {"items": 3}

    @app.get("/fail")
    def fail() -> JSONResponse:
        view_fail()
        return JSONResponse({"error": "timeout"}, status_code=500)

    @app.get("/boom")
    def boom() -> None:
        view_boom()

    return app


def flask_app() -> Any:
    from flask import Flask, Response, jsonify  # noqa: PLC0415

    app = Flask("shop")

    @app.get("/page")
    def page() -> str:
        view_page()
        return PAGE

    @app.get("/csp")
    def csp() -> Response:
        return Response(PAGE, headers={"Content-Security-Policy": CSP}, mimetype="text/html")

    @app.get("/optout")
    def optout() -> Response:
        return Response(PAGE, headers={"X-BugRelay-Inject": "off"}, mimetype="text/html")

    @app.get("/data.json")
    def data() -> Response:
        return jsonify(items=3)

    @app.get("/fail")
    def fail() -> tuple[Response, int]:
        view_fail()
        return jsonify(error="timeout"), 500

    @app.get("/boom")
    def boom() -> str:
        view_boom()
        return ""

    app.config["PROPAGATE_EXCEPTIONS"] = True  # let the crash reach the WSGI middleware
    return app


def django_app() -> Any:
    import django  # noqa: PLC0415
    from django.conf import settings  # noqa: PLC0415

    if not settings.configured:
        settings.configure(
            DEBUG=False,
            DEBUG_PROPAGATE_EXCEPTIONS=True,  # let the crash reach the WSGI middleware
            SECRET_KEY="tests-only",
            ALLOWED_HOSTS=["127.0.0.1", "localhost"],
            ROOT_URLCONF="tests.sdk.integrations.django_urls",
            MIDDLEWARE=[],
            INSTALLED_APPS=[],
            LOGGING_CONFIG=None,
        )
        django.setup()
    from django.core.wsgi import get_wsgi_application  # noqa: PLC0415

    return get_wsgi_application()


ASGI_APPS: dict[str, Callable[[], Any]] = {"starlette": starlette_app, "fastapi": fastapi_app}
WSGI_APPS: dict[str, Callable[[], Any]] = {"flask": flask_app, "django": django_app}
