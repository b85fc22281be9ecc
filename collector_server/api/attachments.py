"""Attachments over HTTP: a multipart report, an upload beside a report, the operator's download.

- ``POST .../reports`` with ``multipart/form-data``: :func:`read_multipart` (called by the intake
  route) reads a ``report`` part (the wire-schema JSON) and file parts, each within its limit;
  the whole body is bounded before and while it is read, so nothing unbounded reaches the
  parser's temporary files.
- ``PUT .../reports/{report_id}/attachments/{name}`` (ingest key): :func:`put_attachment`, the
  raw bytes as the body and their type as ``Content-Type``; 201, or 200 for a repeat.
- ``GET .../reports/{report_id}/attachments/{name}`` (admin token): :func:`get_attachment`,
  always as a download (``Content-Disposition: attachment``, ``nosniff``, a sandboxing CSP),
  whatever type the client declared.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import Message, Receive

from collector_server.api import _params
from collector_server.api._auth import admit_client, require_admin
from collector_server.api._doc import Answer, Body, operation
from collector_server.attachments import (
    AttachmentLimits,
    NewAttachment,
    attachment_too_large,
    check_attachment,
    check_attachment_set,
    check_name,
    too_many_attachments,
)
from collector_server.errors import ApiError, report_not_found
from collector_server.state import AppState
from collector_server.store import ReportNotFoundError
from collector_server.store.attachments import AttachmentConflictError, TooManyAttachmentsError

REPORT_PART = "report"
MULTIPART_OVERHEAD = 64 * 1024
"""Room for the boundaries and part headers of a multipart report, beyond its contents."""
MAX_TEXT_PARTS = 4  # the report, and a few more to refuse by name

_SHA256 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}
UPLOADED_SCHEMA = {
    "type": "object",
    "required": ["report_id", "name", "size", "sha256", "content_type"],
    "additionalProperties": False,
    "properties": {
        "report_id": {"type": "string", "format": "uuid"},
        "name": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "sha256": _SHA256,
        "content_type": {"type": "string", "description": "As stored: sanitised, or sniffed."},
    },
}
ATTACHMENT_INFO_SCHEMA = {
    "type": "object",
    "required": ["name", "content_type", "size", "sha256", "width", "height", "created_at", "url"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "content_type": {"type": "string"},
        "size": {"type": "integer", "minimum": 0},
        "sha256": _SHA256,
        "width": {"type": ["integer", "null"], "description": "Images only."},
        "height": {"type": ["integer", "null"], "description": "Images only."},
        "created_at": {"type": "string", "format": "date-time"},
        "url": {"type": "string", "description": "Where the admin token downloads it."},
    },
}
"""One entry of ``attachments`` in ``GET .../reports/{id}`` (:func:`list_for_admin`)."""
_IMAGE_ERRORS = ["image_type_mismatch", "invalid_image", "image_bomb"]


def is_multipart(request: Request) -> bool:
    media_type = request.headers.get("content-type", "").partition(";")[0]
    return media_type.strip().lower() == "multipart/form-data"


def _refuse_encoding(request: Request, what: str) -> None:
    """Multipart bodies and uploads come as they are: a compressed one could hide its size."""
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding != "identity":
        raise ApiError(
            415,
            "unsupported_encoding",
            f"{what} is sent as it is, without Content-Encoding, not {encoding!r}",
        )


def multipart_limit(json_limit: int, limits: AttachmentLimits) -> int:
    """The largest multipart body: the report, every attachment at its largest, and room."""
    return json_limit + limits.max_count * limits.max_bytes + MULTIPART_OVERHEAD


async def read_multipart(
    request: Request, json_limit: int, limits: AttachmentLimits
) -> tuple[bytes, list[NewAttachment]]:
    """The ``report`` part's bytes (JSON, for the intake's parser) and the checked file parts.

    A file part's name is its ``filename``; its type, its part's ``Content-Type``. The report
    part may be a text field or a file part. Refusals: 415 (not multipart, an encoding), 413
    (the body, the report part, an attachment, the number of attachments), 422 (no report part,
    an unknown text part, a bad attachment), 400 (malformed multipart).
    """
    if not is_multipart(request):
        raise ApiError(
            415,
            "unsupported_media_type",
            "send attachments as multipart/form-data, not "
            f"{request.headers.get('content-type') or 'nothing'!r}",
        )
    _refuse_encoding(request, "a multipart report")
    limit = multipart_limit(json_limit, limits)
    _check_declared_length(request, limit, _body_too_large(limit, json_limit, limits))
    # A request of its own, so that the parser reads through the cap; without "app" in its
    # scope, Starlette hands us the parser's own error instead of a generic 400.
    scope = {k: v for k, v in request.scope.items() if k != "app"}
    capped = Request(
        scope, _capped_receive(request.receive, limit, _body_too_large(limit, json_limit, limits))
    )
    try:
        form = await capped.form(
            max_files=limits.max_count + 1,  # the report may be a file part too
            max_fields=MAX_TEXT_PARTS,
            max_part_size=json_limit,  # text parts: the report
        )
    except MultiPartException as exc:
        raise _multipart_error(exc.message, json_limit, limits) from None
    try:
        report, files = await _split(form, json_limit, limits)
        items = await run_in_threadpool(_check_files, files, limits)
    finally:
        await form.close()
    return report, items


async def _split(
    form: FormData, json_limit: int, limits: AttachmentLimits
) -> tuple[bytes, list[tuple[str, str | None, bytes]]]:
    """The report's bytes, and (name, content type, bytes) of each file part."""
    reports = form.getlist(REPORT_PART)
    if not reports:
        raise ApiError(
            422,
            "missing_report_part",
            "a multipart report needs a `report` part holding the report JSON",
        )
    if len(reports) > 1:
        raise ApiError(422, "invalid_multipart", "send one `report` part, not several")
    uploads: list[UploadFile] = []
    for field, value in form.multi_items():
        if field == REPORT_PART:
            continue
        if not isinstance(value, UploadFile):
            raise ApiError(
                422,
                "unexpected_part",
                f"the text part {field!r} is not part of a report; send the report JSON as the "
                "`report` part and attachments as file parts (with a filename)",
            )
        uploads.append(value)
    report = await _report_bytes(reports[0], json_limit)
    if len(uploads) > limits.max_count:
        raise too_many_attachments(limits.max_count, len(uploads))
    files = []
    for upload in uploads:
        name = upload.filename or ""
        check_name(name)
        if upload.size is not None and upload.size > limits.max_bytes:
            raise attachment_too_large(name, limits.max_bytes, upload.size)
        files.append((name, upload.content_type, await upload.read()))
    return report, files


async def _report_bytes(part: str | UploadFile, json_limit: int) -> bytes:
    """The report part as a text field (the parser held it to ``json_limit``) or a file."""
    if not isinstance(part, UploadFile):
        return part.encode("utf-8")
    if part.size is not None and part.size > json_limit:
        raise _report_too_large(json_limit)
    return await part.read()


def _check_files(
    files: list[tuple[str, str | None, bytes]], limits: AttachmentLimits
) -> list[NewAttachment]:
    items = [
        check_attachment(name, content_type, data, limits) for name, content_type, data in files
    ]
    check_attachment_set(items, limits)
    return items


def _multipart_error(message: str, json_limit: int, limits: AttachmentLimits) -> ApiError:
    """Starlette's parser errors, as ours (its messages are matched by their first words)."""
    if message.startswith("Too many files"):
        return too_many_attachments(limits.max_count)
    if message.startswith("Too many fields"):
        return ApiError(
            422,
            "unexpected_part",
            f"more than {MAX_TEXT_PARTS} text parts; a report has one `report` part, and its "
            "attachments are file parts (with a filename)",
        )
    if message.startswith("Part exceeded"):
        return _report_too_large(json_limit)
    return ApiError(400, "malformed_multipart", f"the multipart body cannot be read: {message}")


def _report_too_large(json_limit: int) -> ApiError:
    return ApiError(
        413,
        "report_too_large",
        f"the report part is larger than the limit of {json_limit} bytes for the report JSON",
    )


def _body_too_large(limit: int, json_limit: int, limits: AttachmentLimits) -> ApiError:
    return ApiError(
        413,
        "body_too_large",
        f"the multipart body is larger than the limit of {limit} bytes (the report's "
        f"{json_limit}, {limits.max_count} attachments of {limits.max_bytes}, and "
        f"{MULTIPART_OVERHEAD} for the parts' headers)",
    )


def _check_declared_length(request: Request, limit: int, error: ApiError) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and declared.strip().isdigit() and int(declared) > limit:
        raise error


def _capped_receive(receive: Receive, limit: int, error: ApiError) -> Receive:
    """``receive``, refusing the request as soon as its body passes ``limit`` bytes."""
    seen = 0

    async def capped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise error
        return message

    return capped


@operation(
    "putAttachment",
    summary="Add one file to a stored report (idempotent by name and bytes).",
    description="The body is the file, its Content-Type the file's type (default"
    " application/octet-stream); at most 5 MiB and 10 attachments per report by default."
    " Declared images (png, jpeg, gif, webp, bmp) must be what they say, within the pixel limit.",
    auth="ingest",
    body=Body(
        {"*/*": {"type": "string", "format": "binary"}},
        "The file's bytes (none: an empty file).",
        required=False,
    ),
    responses={
        201: Answer("Stored.", UPLOADED_SCHEMA),
        200: Answer("These bytes were stored under this name before.", UPLOADED_SCHEMA),
    },
    errors={
        400: ["invalid_report_id"],
        404: ["report_not_found"],
        409: ["attachment_conflict"],
        413: ["attachment_too_large", "too_many_attachments"],
        415: ["unsupported_encoding", "unsupported_image_type"],
        422: ["invalid_attachment", *_IMAGE_ERRORS],
    },
)
async def put_attachment(request: Request) -> Response:
    """``PUT .../reports/{report_id}/attachments/{name}``: one file beside a stored report."""
    state: AppState = request.app.state.bugrelay
    project_id: int = request.path_params["project_id"]
    project = await admit_client(request, state, project_id)
    report_id = _params.report_id(request)
    name: str = request.path_params["name"]
    check_name(name)
    limits = AttachmentLimits.for_project(project, state.settings)
    _refuse_encoding(request, "an attachment")
    data = await _read_capped(
        request, limits.max_bytes, attachment_too_large(name, limits.max_bytes)
    )
    item = await run_in_threadpool(
        check_attachment, name, request.headers.get("content-type"), data, limits
    )
    try:
        created = await run_in_threadpool(
            state.store.add_attachment, project_id, report_id, item, limits
        )
    except ReportNotFoundError:
        raise report_not_found(project_id, report_id) from None
    except AttachmentConflictError as exc:
        raise ApiError(409, "attachment_conflict", str(exc)) from None
    except TooManyAttachmentsError as exc:
        raise too_many_attachments(exc.limit) from None
    content_type = item.content_type
    if not created:  # a repeat: answer with what was stored the first time
        stored = await run_in_threadpool(state.store.list_attachments, project_id, report_id)
        content_type = next((a["content_type"] for a in stored if a["name"] == name), content_type)
    return JSONResponse(
        {
            "report_id": report_id,
            "name": name,
            "size": item.size,
            "sha256": item.sha256,
            "content_type": content_type,
        },
        status_code=201 if created else 200,
    )


async def _read_capped(request: Request, limit: int, error: ApiError) -> bytes:
    _check_declared_length(request, limit, error)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise error
    return bytes(body)


@operation(
    "getAttachment",
    summary="Download an attachment of a report.",
    description="Always a download: Content-Disposition: attachment, X-Content-Type-Options:"
    " nosniff and a sandboxing Content-Security-Policy, whatever type the client declared.",
    auth="admin",
    responses={
        200: Answer(
            "The bytes, typed as stored (the sanitised type the client declared).",
            {"type": "string", "format": "binary"},
            media_type="*/*",
            headers={
                "Content-Disposition": "`attachment`, with the name (`filename*` in UTF-8).",
                "X-Content-Type-Options": "`nosniff`.",
                "Content-Security-Policy": "`default-src 'none'; sandbox`.",
                "Cache-Control": "`private, no-store`.",
                "ETag": "The sha256 of the bytes, quoted.",
            },
        )
    },
    errors={
        400: ["invalid_report_id"],
        404: ["attachment_not_found", "attachment_data_missing"],
    },
)
async def get_attachment(request: Request) -> Response:
    """``GET .../reports/{report_id}/attachments/{name}`` (admin token): the bytes, as a
    download that no browser renders or sniffs, whatever the client said they were."""
    state: AppState = request.app.state.bugrelay
    require_admin(request, state.settings.admin_token)
    project_id: int = request.path_params["project_id"]
    if await state.projects.get(project_id) is None:
        raise ApiError(404, "project_not_found", f"no project {project_id}")
    report_id = _params.report_id(request)
    name: str = request.path_params["name"]
    found = (
        await run_in_threadpool(state.store.get_attachment, project_id, report_id, name)
        if "\x00" not in name  # no attachment has one (check_name), and PostgreSQL refuses it
        else None
    )
    if found is None:
        raise ApiError(
            404,
            "attachment_not_found",
            f"report {report_id} of project {project_id} has no attachment named {name!r}",
        )
    if found.data is None:
        raise ApiError(
            404,
            "attachment_data_missing",
            f"the bytes of attachment {name!r} (sha256 {found.sha256}) are not in the blob "
            "store this collector uses (BUGRELAY_ATTACHMENTS)",
        )
    return Response(found.data, headers=download_headers(name, found.content_type, found.sha256))


def download_headers(name: str, content_type: str, sha256: str) -> dict[str, str]:
    """Headers that make any bytes safe to hand to a browser: a download, never a page."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in name
    )
    return {
        "Content-Type": content_type,
        "Content-Disposition": (
            f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-store",
        "ETag": f'"{sha256}"',
    }


def attachment_path(project_id: int, report_id: str, name: str) -> str:
    return f"/api/v1/projects/{project_id}/reports/{report_id}/attachments/{quote(name, safe='')}"


async def list_for_admin(
    request: Request, state: AppState, project_id: int, report_id: str
) -> list[dict[str, Any]]:
    """The report's attachments for ``GET .../reports/{id}``: metadata and a download URL."""
    base = str(request.base_url).rstrip("/")
    found = await run_in_threadpool(state.store.list_attachments, project_id, report_id)
    return [{**a, "url": base + attachment_path(project_id, report_id, a["name"])} for a in found]
