"""The reporter loop, behind the project's ingest key: a report's status, and its rating.

A reporter may learn about their own report only: the status says received / in progress /
fixed (in which release) / won't fix, and nothing about other reports or other users.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api import _params
from collector_server.api._auth import admit_client
from collector_server.api._body import read_json
from collector_server.api._doc import Answer, json_body, operation
from collector_server.errors import ApiError, report_not_found
from collector_server.state import AppState
from collector_server.store import AlreadyRatedError, ReportNotFoundError
from sdk._problems import describe_validation_error
from sdk.models import Rating, ReportStatus

MAX_RATING_BODY = 16 * 1024


@operation(
    "getReportStatus",
    summary="What the reporter may know about their report.",
    auth="ingest",
    responses={200: Answer("The status.", ReportStatus)},
    errors={400: ["invalid_report_id"], 404: ["report_not_found"]},
)
async def get_status(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    await admit_client(request, state, project_id)
    report_id = _params.report_id(request)
    status = await run_in_threadpool(state.store.report_status, project_id, report_id)
    if status is None:
        raise report_not_found(project_id, report_id)
    return JSONResponse(status)


@operation(
    "rateReport",
    summary="The reporter rates how their report was handled (once).",
    description="The body is at most 16 KiB.",
    auth="ingest",
    body=json_body(Rating),
    responses={201: Answer("Stored.", "RatingStored")},
    errors={
        400: ["invalid_report_id"],
        404: ["report_not_found"],
        409: ["already_rated"],
        422: ["invalid_rating"],
    },
)
async def post_rating(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    await admit_client(request, state, project_id)
    report_id = _params.report_id(request)
    data = await read_json(request, MAX_RATING_BODY)
    try:
        rating = Rating.model_validate(data)
    except ValidationError as exc:
        raise ApiError(
            422,
            "invalid_rating",
            'the rating must be {"score": 1..5, "comment": "...", "effort": 1..7,'
            ' "recommend": 0..10} (all but score optional)',
            fields=describe_validation_error(exc),
        ) from None
    try:
        await run_in_threadpool(state.store.add_rating, project_id, report_id, rating)
    except ReportNotFoundError:
        raise report_not_found(project_id, report_id) from None
    except AlreadyRatedError as exc:
        raise ApiError(409, "already_rated", str(exc)) from None
    return JSONResponse({"id": report_id, "score": rating.score}, status_code=201)
