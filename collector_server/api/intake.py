"""``POST /api/v1/projects/{project_id}/reports`` (and ``.../client-report``): where clients hand in
reports, and the counts of the reports they had to give up on.

The order is fixed so that nothing expensive happens for a request that will be refused:
the project key, then the ``X-BugRelay-Discarded`` header, then the content type and encoding,
then the size limits (before and while the body is read, and while it is decompressed), then
JSON, then the schema version, then the wire schema, then the attachments (their number, names,
sizes and, for images, real type and dimensions). The report is then scrubbed with its
project's settings and assessed. Only a report that passed all of them reaches the store, in
one transaction with its attachments: a refused report leaves nothing behind.

A report comes as JSON (attachments inline as base64, v1) or as ``multipart/form-data``: a
``report`` part with the JSON and one file part per attachment
(:mod:`collector_server.api.attachments`).

The discarded counts of the header are counted only when the report is newly stored (202): a
repeat of a stored report id (200) carries the counts of its first delivery again, and counting
them twice would be wrong. ``POST .../client-report`` takes counts without a report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import OperationalError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.api._auth import admit_client
from collector_server.api._body import Body, parse_json, read_body, read_json
from collector_server.api._doc import DISCARDED_HEADER, Answer, json_body, operation
from collector_server.api.attachments import is_multipart, read_multipart
from collector_server.attachments import (
    AttachmentLimits,
    NewAttachment,
    check_attachment_set,
    inline_attachments,
)
from collector_server.client_reports import (
    HEADER,
    parse_client_report,
    parse_discarded_header,
    refuse_duplicate_keys,
)
from collector_server.errors import ApiError
from collector_server.pipeline import Policy, assess
from collector_server.pipeline.scrub import ScrubSettings, scrub_report
from collector_server.state import AppState
from collector_server.store import Project, ReportIdConflictError, Stored
from collector_server.store.reports import NewReport
from collector_server.store.writer import WriterClosedError
from sdk._problems import describe_validation_error
from sdk.models import SUPPORTED_SCHEMA_VERSIONS, Report

MAX_CLIENT_REPORT_BODY = 16 * 1024
INLINE_PREPARE_BYTES = 64 * 1024
_DEFAULT_SCRUBBING = ScrubSettings()

_FOLLOW_UPS = {  # what a client can do with the answer to a report
    target: {"project_id": "$request.path.project_id", "report_id": "$response.body#/id"}
    for target in ("getReportStatus", "rateReport", "getReport")
} | {"getGroup": {"project_id": "$request.path.project_id", "group_id": "$response.body#/group_id"}}


@operation(
    "createReport",
    summary="Hand in a report (idempotent by the report's id).",
    description="The report as JSON, or as `multipart/form-data` with its attachments as file"
    " parts (see the ReportForm schema). Checked cheapest first: the key, the"
    " X-BugRelay-Discarded header, the content type and encoding, the size (the JSON 1 MiB by"
    " default, also decompressed; each attachment 5 MiB, at most 10), JSON, the schema"
    " version, wire schema v1, the attachments (declared images must be what they say). The"
    " report and its attachments are stored together; a refused report leaves nothing behind.",
    auth="ingest",
    params=[DISCARDED_HEADER],
    body=json_body(Report, form="ReportForm"),
    responses={
        202: Answer("Stored.", "Accepted", links=_FOLLOW_UPS),
        200: Answer("This id was stored before; nothing new was stored.", "Accepted"),
    },
    errors={
        400: ["invalid_discarded_header", "unsupported_schema_version"],
        409: ["report_id_conflict"],
        413: ["attachment_too_large", "too_many_attachments"],
        415: ["unsupported_image_type"],
        422: [
            "invalid_report",
            "invalid_attachment",
            "duplicate_attachment",
            "image_type_mismatch",
            "invalid_image",
            "image_bomb",
        ],
        503: ["storage_unavailable", "shutting_down"],
    },
)
async def create_report(request: Request) -> Response:
    started = time.perf_counter()
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    try:
        project = await admit_client(request, state, project_id)
        discarded = parse_discarded_header(request.headers.getlist(HEADER))
        policy = state.policies.for_project(project.name)
        json_limit = project.max_json_bytes or state.settings.max_json_bytes
        limits = AttachmentLimits.for_project(project, state.settings)
        files: list[NewAttachment] = []
        if is_multipart(request):
            raw, files = await read_multipart(request, json_limit, limits)
            body = Body(raw, False, json_limit)
        else:
            body = await read_body(request, json_limit)
        if (
            len(body.data) <= INLINE_PREPARE_BYTES
            and not body.gzipped
            and not files
            and b'"attachments"' not in body.data  # an image decodes off the event loop
        ):
            item = _prepare(project, body, limits, files, policy)  # cheaper than a hop to a thread
        else:
            item = await run_in_threadpool(_prepare, project, body, limits, files, policy)
        stored = await _ingest(state, item)
    except ApiError as exc:
        state.metrics.refused.labels(reason=exc.code).inc()
        raise
    if stored.created:
        state.metrics.accepted.inc()
        state.metrics.count_discarded(project_id, discarded)
    else:
        state.metrics.repeated.inc()
    state.metrics.intake_seconds.observe(time.perf_counter() - started)
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


@operation(
    "createClientReport",
    summary="Counts of reports an SDK gave up on, without a report.",
    description="The body is at most 16 KiB. The counts are those of the X-BugRelay-Discarded"
    " header of a report, for an SDK that has no report to send them with.",
    auth="ingest",
    body=json_body("ClientReport"),
    responses={204: Answer("Counted.")},
    errors={400: ["invalid_client_report"]},
)
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


def _prepare(
    project: Project,
    body: Body,
    limits: AttachmentLimits,
    files: Sequence[NewAttachment],
    policy: Policy,
) -> NewReport:
    """Parse, validate, scrub, assess: the CPU work, with no database (the writer does that).

    Inline (base64) attachments leave the JSON here and join the multipart ones, so that the
    stored payload holds no bytes and every attachment is checked and counted alike.
    """
    report, inline = inline_attachments(_validate(parse_json(body)), limits)
    attachments = [*inline, *files]
    check_attachment_set(attachments, limits)
    report, scrubbed = scrub_report(report, _scrub_settings(project.scrubbing))
    return NewReport(
        project_id=project.id,
        report=report,
        assessment=assess(report, policy),
        payload=report.model_dump_json(exclude_none=True),
        scrubbed_fields=scrubbed,
        attachments=attachments,
    )


def _scrub_settings(value: Mapping[str, Any] | None) -> ScrubSettings:
    if not value:
        return _DEFAULT_SCRUBBING
    return _parsed_scrub_settings(json.dumps(value, sort_keys=True))


@lru_cache(maxsize=256)
def _parsed_scrub_settings(value: str) -> ScrubSettings:
    return ScrubSettings.from_mapping(json.loads(value))


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
