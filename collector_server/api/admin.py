"""Operator endpoints, behind the admin token: reads of reports and groups."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api import _params
from collector_server.api._auth import require_admin
from collector_server.api._doc import PAGE_PARAMS, Answer, operation
from collector_server.api.attachments import list_for_admin
from collector_server.errors import ApiError, report_not_found
from collector_server.project_cache import MAX_ID
from collector_server.state import AppState
from collector_server.store import InvalidCursorError, Page, Store


async def _state(request: Request) -> AppState:
    """The admin token, then the project of the path: an unknown project is a 404."""
    state: AppState = request.app.state.bugrelay
    require_admin(request, state.settings.admin_token)
    project_id: int = request.path_params["project_id"]
    if await state.projects.get(project_id) is None:
        raise ApiError(404, "project_not_found", f"no project {project_id}")
    return state


@operation(
    "getReport",
    summary="Read a stored report with its group and severity.",
    auth="admin",
    responses={200: Answer("The stored report.", "StoredReport")},
    errors={400: ["invalid_report_id"], 404: ["report_not_found"]},
)
async def get_report(request: Request) -> Response:
    state = await _state(request)
    project_id: int = request.path_params["project_id"]
    report_id = _params.report_id(request)
    body = await run_in_threadpool(state.store.get_report, project_id, report_id)
    if body is None:
        raise report_not_found(project_id, report_id)
    body["attachments"] = await list_for_admin(request, state, project_id, report_id)
    return JSONResponse(body)


@operation(
    "listReports",
    summary="Reports, newest first.",
    auth="admin",
    params=PAGE_PARAMS,
    responses={200: Answer("One page.", "ReportPage")},
    errors={400: ["invalid_limit", "invalid_cursor"]},
)
async def list_reports(request: Request) -> Response:
    return await _list(request, Store.list_reports)


@operation(
    "listGroups",
    summary="Groups, newest first.",
    auth="admin",
    params=PAGE_PARAMS,
    responses={200: Answer("One page.", "GroupPage")},
    errors={400: ["invalid_limit", "invalid_cursor"]},
)
async def list_groups(request: Request) -> Response:
    return await _list(request, Store.list_groups)


async def _list(
    request: Request, lister: Callable[[Store, int, int, str | None], Page]
) -> Response:
    state = await _state(request)
    project_id: int = request.path_params["project_id"]
    limit = _params.page_limit(request)
    cursor = request.query_params.get("cursor")
    try:
        page = await run_in_threadpool(lister, state.store, project_id, limit, cursor)
    except InvalidCursorError as exc:
        raise ApiError(400, "invalid_cursor", str(exc)) from None
    return JSONResponse({"items": page.items, "next_cursor": page.next_cursor})


@operation(
    "getGroup",
    summary="A group with its severity, reasons, report count and tickets.",
    auth="admin",
    responses={200: Answer("The group.", "Group")},
    errors={404: ["group_not_found"]},
)
async def get_group(request: Request) -> Response:
    state = await _state(request)
    project_id: int = request.path_params["project_id"]
    group_id: int = request.path_params["group_id"]
    if group_id > MAX_ID:
        raise ApiError(404, "group_not_found", f"no group {group_id} in project {project_id}")
    group = await run_in_threadpool(state.store.get_group, project_id, group_id)
    if group is None:
        raise ApiError(404, "group_not_found", f"no group {group_id} in project {project_id}")
    return JSONResponse(group)
