"""``create_app(settings) -> Starlette``: the collector as an ASGI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from collector_server.api import admin, health, intake, openapi, reporter
from collector_server.errors import (
    ApiError,
    api_error_handler,
    http_error_handler,
    internal_error_handler,
)
from collector_server.metrics import Metrics
from collector_server.ratelimit import TokenBuckets
from collector_server.settings import Settings
from collector_server.state import AppState
from collector_server.store import Store


def create_app(settings: Settings, store: Store | None = None) -> Starlette:
    """The collector. It opens (and migrates) the database unless given a ``store``."""
    state = AppState(
        settings=settings,
        store=store or Store.open(settings.database_url),
        metrics=Metrics(),
    )
    if settings.rate_limit:
        state.per_ip = TokenBuckets(settings.rate_per_ip)
        state.per_key = TokenBuckets(settings.rate_per_key)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            state.store.close()

    project = "/api/v1/projects/{project_id:int}"
    routes = [
        Route(f"{project}/reports", intake.create_report, methods=["POST"]),
        Route(f"{project}/reports", admin.list_reports, methods=["GET"]),
        Route(f"{project}/client-report", intake.create_client_report, methods=["POST"]),
        Route(f"{project}/reports/{{report_id}}", admin.get_report, methods=["GET"]),
        Route(f"{project}/reports/{{report_id}}/status", reporter.get_status, methods=["GET"]),
        Route(f"{project}/reports/{{report_id}}/rating", reporter.post_rating, methods=["POST"]),
        Route(f"{project}/groups", admin.list_groups, methods=["GET"]),
        Route(f"{project}/groups/{{group_id:int}}", admin.get_group, methods=["GET"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/metrics", health.metrics, methods=["GET"]),
        Route("/openapi.json", openapi.openapi, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={
            ApiError: api_error_handler,
            HTTPException: http_error_handler,
            Exception: internal_error_handler,
        },
    )
    app.state.bugrelay = state
    return app
