"""Operability endpoints: health and metrics."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.state import AppState


async def healthz(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    try:
        await run_in_threadpool(state.store.ping)
    except SQLAlchemyError as exc:
        return JSONResponse(
            {"status": "error", "database": f"unreachable: {type(exc).__name__}"}, status_code=503
        )
    return JSONResponse({"status": "ok", "database": "ok"})


async def metrics(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    return Response(state.metrics.render(), media_type=CONTENT_TYPE_LATEST)
