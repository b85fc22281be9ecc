"""``create_app(settings) -> Starlette``: the collector as an ASGI app."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from collector_server.api import admin, attachments, health, intake, openapi, reporter, widget
from collector_server.api._doc import mark_by_method
from collector_server.attachments import blob_store
from collector_server.config import load_policies
from collector_server.cors import CorsMiddleware
from collector_server.errors import (
    ApiError,
    api_error_handler,
    http_error_handler,
    internal_error_handler,
)
from collector_server.metrics import Metrics
from collector_server.project_cache import ProjectCache
from collector_server.ratelimit import make_rate_limiter
from collector_server.retention import retention_loop
from collector_server.settings import Settings
from collector_server.state import AppState
from collector_server.store import Store
from collector_server.store.writer import GroupCommitter

Endpoint = Callable[[Request], Awaitable[Response]]


def by_method(handlers: Mapping[str, Endpoint]) -> Endpoint:
    """One route for several methods, so that a 405 lists all of them in ``Allow``."""

    async def endpoint(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await handlers[method](request)

    endpoint.__name__ = "_".join(h.__name__ for h in handlers.values())
    mark_by_method(endpoint, handlers)  # so that /openapi.json sees each handler
    return endpoint


def create_app(
    settings: Settings, store: Store | None = None, *, background_jobs: bool = False
) -> Starlette:
    """The collector. It opens (and migrates) the database unless given a ``store``.

    Grouping and severity policy come from the TOML file at ``settings.config_path``
    (:mod:`collector_server.config`); a bad file raises ``ConfigError``.
    With ``background_jobs`` (``bugrelay serve``), it also runs the retention job hourly.
    """
    store = store or Store.open(settings.database_url)
    store.blobs = blob_store(settings.attachments, store.engine)
    metrics = Metrics()
    rate_limiter = (
        make_rate_limiter(
            engine=store.engine,
            redis_url=settings.redis_url,
            shared=store.dialect == "postgresql",
            on_backend_error=lambda _error: metrics.rate_limit_backend_errors.inc(),
        )
        if settings.rate_limit
        else None
    )
    state = AppState(
        settings=settings,
        store=store,
        metrics=metrics,
        projects=ProjectCache(store),
        writer=GroupCommitter(store, on_batch=metrics.batch_size.observe),
        rate_limiter=rate_limiter,
        policies=load_policies(settings.config_path),
    )

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        jobs = []
        if background_jobs:
            jobs.append(asyncio.create_task(retention_loop(state.store, settings)))
        try:
            yield
        finally:
            for job in jobs:
                job.cancel()
            await asyncio.gather(*jobs, return_exceptions=True)
            # Uvicorn answered the requests in flight before this; what they queued is written.
            await asyncio.to_thread(state.writer.close)
            if state.rate_limiter is not None:
                await state.rate_limiter.close()
            state.store.close()

    project = "/api/v1/projects/{project_id:int}"
    report = f"{project}/reports/{{report_id}}"
    routes = [
        Route(
            f"{project}/reports",
            by_method({"GET": admin.list_reports, "POST": intake.create_report}),
            methods=["GET", "POST"],
        ),
        Route(f"{project}/client-report", intake.create_client_report, methods=["POST"]),
        Route(report, admin.get_report, methods=["GET"]),
        Route(f"{report}/status", reporter.get_status, methods=["GET"]),
        Route(f"{report}/rating", reporter.post_rating, methods=["POST"]),
        Route(
            f"{report}/attachments/{{name}}",
            by_method({"GET": attachments.get_attachment, "PUT": attachments.put_attachment}),
            methods=["GET", "PUT"],
        ),
        Route(f"{project}/groups", admin.list_groups, methods=["GET"]),
        Route(
            f"{project}/groups/{{group_id:int}}",
            by_method({"GET": admin.get_group, "PATCH": admin.update_group}),
            methods=["GET", "PATCH"],
        ),
        Route(f"{project}/groups/{{group_id:int}}/merge", admin.merge_groups, methods=["POST"]),
        Route(f"{report}/split", admin.split_report, methods=["POST"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/metrics", health.metrics, methods=["GET"]),
        Route("/openapi.json", openapi.openapi, methods=["GET"]),
        Route("/widget.js", widget.widget, methods=["GET"]),
        Route("/widget-screenshot.js", widget.widget_screenshot, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[Middleware(CorsMiddleware)],
        lifespan=lifespan,
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            Exception: internal_error_handler,
        },
    )
    app.state.bugrelay = state
    return app
