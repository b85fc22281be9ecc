"""Operator endpoints, behind the admin token: reads of reports and groups, and the changes
operators make to groups (severity and status, merges, splits)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api import _params
from collector_server.api._auth import require_admin
from collector_server.api._body import read_json
from collector_server.api._doc import PAGE_PARAMS, Answer, json_body, operation
from collector_server.api.attachments import list_for_admin
from collector_server.errors import ApiError, report_not_found
from collector_server.pipeline import Policy
from collector_server.project_cache import MAX_ID
from collector_server.state import AppState
from collector_server.store import (
    GroupMergeError,
    GroupNotFoundError,
    InvalidCursorError,
    Page,
    ReportNotFoundError,
    Store,
)
from sdk._problems import describe_validation_error

MAX_CHANGE_BODY = 4 * 1024


class GroupChange(BaseModel):
    """An operator's change to a group; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    severity: Literal["low", "medium", "high", "critical"] | None = Field(
        None, description="Override the group's severity; null clears the override."
    )
    status: Literal["open", "in_progress", "fixed", "wont_fix"] | None = Field(
        None,
        description="Fixed and won't-fix groups leave the similarity search; null: unchanged.",
    )
    fixed_in: Annotated[str, Field(max_length=100)] | None = Field(
        None, description="The release that fixed it, told to the reporters."
    )


class GroupMerge(BaseModel):
    model_config = ConfigDict(extra="forbid")

    group_id: int = Field(ge=1, description="The group to merge into this one.")


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


async def _policy(request: Request, state: AppState) -> Policy:
    project = await state.projects.get(request.path_params["project_id"])
    assert project is not None  # _state checked it
    return state.policies.for_project(project.name)


def _group_id(request: Request) -> int:
    project_id: int = request.path_params["project_id"]
    group_id: int = request.path_params["group_id"]
    if group_id > MAX_ID:
        raise ApiError(404, "group_not_found", f"no group {group_id} in project {project_id}")
    return group_id


async def _change(
    request: Request, state: AppState, call: Callable[..., dict[str, Any]], *args: Any
) -> Response:
    try:
        group = await run_in_threadpool(call, *args)
    except GroupNotFoundError as exc:
        raise ApiError(404, "group_not_found", str(exc)) from None
    except GroupMergeError as exc:
        raise ApiError(409, "group_conflict", str(exc)) from None
    return JSONResponse(group)


@operation(
    "updateGroup",
    summary="Change a group: override its severity, set its status and fixed-in release.",
    description="An override of severity stands through every later re-evaluation until it"
    " is cleared with null; the reasons then say it was set by an operator.",
    auth="admin",
    body=json_body(GroupChange),
    responses={200: Answer("The group as it is now.", "Group")},
    errors={404: ["group_not_found"], 409: ["group_conflict"], 422: ["invalid_group_change"]},
)
async def update_group(request: Request) -> Response:
    state = await _state(request)
    project_id: int = request.path_params["project_id"]
    group_id = _group_id(request)
    data = await read_json(request, MAX_CHANGE_BODY)
    try:
        change = GroupChange.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422,
            "invalid_group_change",
            "the change must be an object with severity, status and/or fixed_in",
            fields=describe_validation_error(exc),
        ) from None
    changes = change.model_dump(include=change.model_fields_set)
    if changes.get("status", "") is None:
        del changes["status"]  # null: unchanged (a group always has a status)
    policy = await _policy(request, state)
    return await _change(
        request, state, state.store.update_group, project_id, group_id, changes, policy
    )


@operation(
    "mergeGroups",
    summary="Merge another group into this one.",
    description="Every report of the other group moves here; its fingerprints and its words"
    " lead here from now on, so later reports like either side join this group.",
    auth="admin",
    body=json_body(GroupMerge),
    responses={200: Answer("The merged group.", "Group")},
    errors={404: ["group_not_found"], 409: ["group_conflict"], 422: ["invalid_merge"]},
)
async def merge_groups(request: Request) -> Response:
    state = await _state(request)
    project_id: int = request.path_params["project_id"]
    group_id = _group_id(request)
    data = await read_json(request, MAX_CHANGE_BODY)
    try:
        merge = GroupMerge.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422,
            "invalid_merge",
            'the body must be {"group_id": <the group to merge in>}',
            fields=describe_validation_error(exc),
        ) from None
    if merge.group_id > MAX_ID:
        raise ApiError(404, "group_not_found", f"no group {merge.group_id}")
    policy = await _policy(request, state)
    return await _change(
        request, state, state.store.merge_groups, project_id, group_id, merge.group_id, policy
    )


@operation(
    "splitReport",
    summary="Move a report out of its group into a new group of its own.",
    auth="admin",
    responses={201: Answer("The new group.", "Group")},
    errors={400: ["invalid_report_id"], 404: ["report_not_found"], 409: ["group_conflict"]},
)
async def split_report(request: Request) -> Response:
    state = await _state(request)
    project_id: int = request.path_params["project_id"]
    report_id = _params.report_id(request)
    policy = await _policy(request, state)
    try:
        group = await run_in_threadpool(state.store.split_report, project_id, report_id, policy)
    except ReportNotFoundError:
        raise report_not_found(project_id, report_id) from None
    except GroupMergeError as exc:
        raise ApiError(409, "group_conflict", str(exc)) from None
    return JSONResponse(group, status_code=201)
