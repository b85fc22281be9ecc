"""``POST /api/v1/projects/{project_id}/reports``: where clients hand in reports.

The order is fixed so that nothing expensive happens for a request that will be refused:
the project key, then the content type and encoding, then the size limits (before and while the
body is read, and while it is decompressed), then JSON, then the schema version, then the wire
schema. Only a report that passed all of them reaches the pipeline and the store, in one
transaction: a refused report leaves nothing behind.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api._auth import admit_client
from collector_server.api._body import Body, parse_json, read_body
from collector_server.errors import ApiError, describe_validation_error
from collector_server.pipeline import assess
from collector_server.state import AppState
from collector_server.store import ReportIdConflictError, Stored
from sdk.models import SUPPORTED_SCHEMA_VERSIONS, Report


async def create_report(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    try:
        await admit_client(request, state, project_id)
        body = await read_body(request, state.settings.max_body_bytes)
        stored = await run_in_threadpool(_store, state, project_id, body)
    except ApiError as exc:
        state.metrics.refused.labels(reason=exc.code).inc()
        raise
    if stored.created:
        state.metrics.accepted.inc()
    else:
        state.metrics.repeated.inc()
    return JSONResponse(
        {"id": stored.report_id, "group_id": stored.group_id},
        status_code=202 if stored.created else 200,
    )


def _store(state: AppState, project_id: int, body: Body) -> Stored:
    """Parse, validate, assess and store: the CPU and database work, in a worker thread."""
    report = _validate(parse_json(body))
    try:
        return state.store.ingest(project_id, report, assess(report))
    except ReportIdConflictError as exc:
        raise ApiError(409, "report_id_conflict", str(exc)) from None


def _validate(data: Any) -> Report:
    if not isinstance(data, dict):
        raise ApiError(422, "invalid_report", "the report must be a JSON object")
    version = data.get("schema_version", 1)
    if version not in SUPPORTED_SCHEMA_VERSIONS or isinstance(version, bool):
        supported = ", ".join(str(v) for v in SUPPORTED_SCHEMA_VERSIONS)
        raise ApiError(
            400,
            "unsupported_schema_version",
            f"schema_version {version!r} is not supported; this collector takes {supported}",
        )
    try:
        return Report.model_validate(data)
    except ValidationError as exc:
        problems = describe_validation_error(exc)
        raise ApiError(
            422,
            "invalid_report",
            f"the report does not match wire schema v1 ({len(problems)} problem(s); see fields)",
            fields=problems,
        ) from None
