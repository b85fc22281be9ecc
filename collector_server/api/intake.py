"""``POST /api/v1/projects/{project_id}/reports`` (and ``.../client-report``): where clients hand in
reports, and the counts of the reports they had to give up on.

The order is fixed so that nothing expensive happens for a request that will be refused:
the project key, then the ``X-BugRelay-Discarded`` header, then the content type and encoding,
then the size limits (before and while the body is read, and while it is decompressed), then
JSON, then the schema version, then the wire schema. Only a report that passed all of them
reaches the pipeline and the store, in one transaction: a refused report leaves nothing behind.

The discarded counts of the header are counted only when the report is newly stored (202): a
repeat of a stored report id (200) carries the counts of its first delivery again, and counting
them twice would be wrong. ``POST .../client-report`` takes counts without a report.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api._auth import admit_client
from collector_server.api._body import Body, parse_json, read_body, read_json
from collector_server.client_reports import (
    HEADER,
    parse_client_report,
    parse_discarded_header,
    refuse_duplicate_keys,
)
from collector_server.errors import ApiError, describe_validation_error
from collector_server.pipeline import assess
from collector_server.state import AppState
from collector_server.store import Project, ReportIdConflictError, Stored
from collector_server.store.reports import NewReport
from collector_server.store.writer import WriterClosedError
from sdk.models import SUPPORTED_SCHEMA_VERSIONS, Report

MAX_CLIENT_REPORT_BODY = 16 * 1024
INLINE_PREPARE_BYTES = 64 * 1024


async def create_report(request: Request) -> Response:
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    try:
        project = await admit_client(request, state, project_id)
        discarded = parse_discarded_header(request.headers.getlist(HEADER))
        body = await read_body(request, project.max_json_bytes or state.settings.max_json_bytes)
        if len(body.data) <= INLINE_PREPARE_BYTES and not body.gzipped:
            item = _prepare(project, body)  # cheaper here than a hop to a worker thread
        else:
            item = await run_in_threadpool(_prepare, project, body)
        stored = await _ingest(state, item)
    except ApiError as exc:
        state.metrics.refused.labels(reason=exc.code).inc()
        raise
    if stored.created:
        state.metrics.accepted.inc()
        state.metrics.count_discarded(project_id, discarded)
    else:
        state.metrics.repeated.inc()
    return JSONResponse(
        {"id": stored.report_id, "group_id": stored.group_id},
        status_code=202 if stored.created else 200,
    )


async def _ingest(state: AppState, item: NewReport) -> Stored:
    try:
        return await state.writer.ingest(item)
    except ReportIdConflictError as exc:
        raise ApiError(409, "report_id_conflict", str(exc)) from None
    except WriterClosedError:
        raise ApiError(
            503,
            "shutting_down",
            "the collector is shutting down; send the report again",
            headers={"Retry-After": "1"},
        ) from None
    except OperationalError as exc:
        if not _unavailable(exc):
            raise
        raise ApiError(
            503,
            "storage_unavailable",
            f"the database cannot take the report now ({type(exc.orig).__name__}); retry later",
            headers={"Retry-After": "5"},
        ) from None


async def create_client_report(request: Request) -> Response:
    """``POST .../client-report``: discarded counts from an SDK that has no report to send."""
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    await admit_client(request, state, project_id)
    data = await read_json(request, MAX_CLIENT_REPORT_BODY, refuse_duplicate_keys)
    state.metrics.count_discarded(project_id, parse_client_report(data))
    return Response(status_code=204)


def _unavailable(exc: OperationalError) -> bool:
    """The database is busy or unreachable (worth a retry), not broken (our bug: a 500)."""
    if exc.connection_invalidated:
        return True
    message = str(exc.orig).lower()
    return any(sign in message for sign in ("database is locked", "connection", "disk i/o"))


def _prepare(project: Project, body: Body) -> NewReport:
    """Parse, validate, assess: the CPU work, with no database (the writer does that)."""
    report = _validate(parse_json(body))
    return NewReport(
        project_id=project.id,
        report=report,
        assessment=assess(report),
        payload=report.model_dump_json(exclude_none=True),
    )


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
