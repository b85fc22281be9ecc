"""Operability endpoints: health and metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api._doc import Answer, operation
from collector_server.state import AppState


@operation(
    "healthz",
    summary="Is the collector up and its database reachable?",
    responses={
        200: Answer("Healthy.", "Health"),
        503: Answer("The database is unreachable.", "Health"),
    },
)
async def healthz(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    try:
        await run_in_threadpool(state.store.ping)
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "error", "database": f"unreachable: {type(exc).__name__}"}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})


@operation(
    "metrics",
    summary="Prometheus metrics in the text exposition format.",
    responses={
        200: Answer(
            "Metrics.", {"type": "string"}, media_type=CONTENT_TYPE_LATEST.partition(";")[0]
        )
    },
)
async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
