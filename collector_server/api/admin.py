"""Operator endpoints, behind the admin token."""

from __future__ import annotations

import uuid

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api._auth import require_admin
from collector_server.errors import ApiError
from collector_server.state import AppState


async def get_report(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    require_admin(request, state.settings.admin_token)
    project_id: int = request.path_params["project_id"]
    report_id = _report_id(request.path_params["report_id"])
    body = await run_in_threadpool(state.store.get_report, project_id, report_id)
    if body is None:
        raise ApiError(404, "report_not_found", f"no report {report_id} in project {project_id}")
    return JSONResponse(body)


def _report_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(400, "invalid_report_id", f"{value!r} is not a report id (a UUID)") from None
