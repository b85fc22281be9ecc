"""What each route takes and answers, declared beside its handler for ``GET /openapi.json``.

    @operation(
        "getReportStatus",
        summary="What the reporter may know about their report.",
        auth="ingest",
        responses={200: Answer("The status.", ReportStatus)},
        errors={400: ["invalid_report_id"], 404: ["report_not_found"]},
    )
    async def get_status(request: Request) -> Response: ...

:func:`operation` only attaches an :class:`Operation` to the handler;
:mod:`collector_server.api.openapi` walks the app's routes and builds the document from them.
Path parameters come from the route's path (described once, in :data:`PATH_PARAMS`), and the
errors that every route of a kind can answer are added from ``auth`` and ``body``
(:data:`AUTH_ERRORS`, :data:`JSON_BODY_ERRORS`, :data:`FORM_BODY_ERRORS`), so each is written
once. An error is named by its ``code`` only; what it means is said once, in
:data:`ERROR_CODES`.
"""

from __future__ import annotations

import sys
import unicodedata
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from pydantic import BaseModel

from collector_server.attachments import MAX_NAME
from collector_server.client_reports import HEADER, MAX_COUNT, MAX_ENTRIES, MAX_HEADER_LENGTH
from collector_server.client_reports import REASON_MEANINGS as DISCARD_REASONS
from collector_server.project_cache import MAX_ID

Schema = dict[str, Any]
SchemaSource = type[BaseModel] | str | Schema
"""A pydantic model, the name of a component schema, or an inline JSON Schema."""
Auth = Literal["ingest", "admin"]
Endpoint = Callable[..., Awaitable[Any]]
E = TypeVar("E", bound=Endpoint)

_OPERATION = "bugrelay_operation"
_HANDLERS = "bugrelay_handlers"


@dataclass(frozen=True, slots=True)
class Param:
    """A query or header parameter (path parameters: :data:`PATH_PARAMS`)."""

    name: str
    location: Literal["path", "query", "header"]
    schema: Schema
    description: str | None = None
    required: bool = False
    example: str | None = None


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful answer: what it means, its body, the headers it carries, and links to the
    operations its values feed (``{"getReport": {"report_id": "$response.body#/id"}}``)."""

    description: str
    schema: SchemaSource | None = None
    media_type: str = "application/json"
    headers: Mapping[str, str] = field(default_factory=dict)  # name -> description
    links: Mapping[str, Mapping[str, str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Body:
    """A request body: a schema per media type. ``application/json`` among them brings the
    errors of :data:`JSON_BODY_ERRORS`, ``multipart/form-data`` those of
    :data:`FORM_BODY_ERRORS`."""

    content: Mapping[str, SchemaSource]
    description: str | None = None
    required: bool = True

    @property
    def is_json(self) -> bool:
        return "application/json" in self.content

    @property
    def is_form(self) -> bool:
        return "multipart/form-data" in self.content


def json_body(
    schema: SchemaSource, description: str | None = None, *, form: SchemaSource | None = None
) -> Body:
    """A JSON body; with ``form``, also ``multipart/form-data`` (a JSON part and file parts)."""
    content = {"application/json": schema}
    if form is not None:
        content["multipart/form-data"] = form
    return Body(content, description)


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    summary: str
    description: str | None
    auth: Auth | None
    params: tuple[Param, ...]
    body: Body | None
    responses: Mapping[int, Answer]
    errors: Mapping[int, tuple[str, ...]]
    """The route's own error codes by status; the common ones are added (:func:`all_errors`)."""

    def all_errors(self, has_path_params: bool) -> dict[int, list[str]]:
        """Every error code this operation can answer, by status, each once."""
        groups: list[Mapping[int, Sequence[str]]] = []
        if has_path_params:
            groups.append(PATH_ERRORS)
        if self.auth is not None:
            groups.append(AUTH_ERRORS[self.auth])
        if self.body is not None and self.body.is_json:
            groups.append(JSON_BODY_ERRORS)
        if self.body is not None and self.body.is_form:
            groups.append(FORM_BODY_ERRORS)
        groups.append(self.errors)
        merged: dict[int, list[str]] = {}
        for group in groups:
            for status, codes in group.items():
                known = merged.setdefault(status, [])
                known.extend(code for code in codes if code not in known)
        return dict(sorted(merged.items()))


def operation(
    operation_id: str,
    *,
    summary: str,
    description: str | None = None,
    auth: Auth | None = None,
    params: Sequence[Param] = (),
    body: Body | None = None,
    responses: Mapping[int, Answer],
    errors: Mapping[int, Sequence[str]] | None = None,
) -> Callable[[E], E]:
    """Attach the description of an operation to its handler; nothing else changes."""
    unknown = [
        code for codes in (errors or {}).values() for code in codes if code not in ERROR_CODES
    ]
    if unknown:
        raise ValueError(f"{operation_id}: describe the error codes {unknown} in ERROR_CODES")
    described = Operation(
        operation_id=operation_id,
        summary=summary,
        description=description,
        auth=auth,
        params=tuple(params),
        body=body,
        responses=dict(responses),
        errors={status: tuple(codes) for status, codes in (errors or {}).items()},
    )

    def attach(handler: E) -> E:
        vars(handler)[_OPERATION] = described
        return handler

    return attach


def described(endpoint: Callable[..., Any]) -> Operation | None:
    found = vars(endpoint).get(_OPERATION) if hasattr(endpoint, "__dict__") else None
    return found if isinstance(found, Operation) else None


def mark_by_method(
    endpoint: Callable[..., Any], handlers: Mapping[str, Callable[..., Any]]
) -> None:
    """Record the handlers that one endpoint dispatches to by method (``app.by_method``)."""
    vars(endpoint)[_HANDLERS] = dict(handlers)


def handlers_by_method(
    endpoint: Callable[..., Any], methods: Sequence[str]
) -> dict[str, Callable[..., Any]]:
    """``{method: handler}`` of a route: the handlers behind ``by_method``, or the endpoint."""
    found = vars(endpoint).get(_HANDLERS) if hasattr(endpoint, "__dict__") else None
    if isinstance(found, dict):
        return {str(method).upper(): handler for method, handler in found.items()}
    return dict.fromkeys(methods, endpoint)


ErrorCode = tuple[str, tuple[str, ...]]

ERROR_CODES: dict[str, ErrorCode] = {
    # code: (what it means, headers the answer carries)
    "not_found": ("the path names no route (an id that is not a decimal number, ...)", ()),
    "missing_key": (
        "no project key: send it as the `X-BugRelay-Key` header or the `key` query parameter",
        (),
    ),
    "invalid_key": ("the key is not a key of this project, or there is no such project", ()),
    "key_of_another_project": ("the key is valid, but for another project", ()),
    "origin_not_allowed": (
        "a browser page on an origin the project does not allow (`bugrelay project set"
        " --origins`); also the answer to a CORS preflight",
        (),
    ),
    "rate_limited": (
        "more requests from this address, or for this project, than its rate allows",
        ("Retry-After",),
    ),
    "missing_admin_token": (
        "no `Authorization: Bearer <token>` header",
        ("WWW-Authenticate",),
    ),
    "invalid_admin_token": ("the admin token is not this collector's", ("WWW-Authenticate",)),
    "project_not_found": ("no project with this id (ids start at 1)", ()),
    "unsupported_media_type": ("the `Content-Type` is not one this route takes", ()),
    "unsupported_charset": ("a `charset` other than UTF-8", ()),
    "unsupported_encoding": ("a `Content-Encoding` other than gzip or identity", ()),
    "body_too_large": ("the body is larger than the route's limit", ()),
    "decompressed_too_large": ("the gzip body decompresses to more than the limit", ()),
    "malformed_gzip": ("the gzip body cannot be decompressed, or is truncated", ()),
    "invalid_utf8": ("the body is not valid UTF-8", ()),
    "malformed_json": ("the body is not valid JSON", ()),
    "json_too_deep": ("the JSON is nested too deeply to parse", ()),
    "storage_unavailable": (
        "the database cannot take the report now (busy or unreachable); send it again later",
        ("Retry-After",),
    ),
    "shutting_down": ("the collector is stopping; send the report again", ("Retry-After",)),
    "invalid_report_id": ("the report id in the path is not a UUID", ()),
    "report_not_found": ("no report with this id in this project", ()),
    "group_not_found": ("no group with this id in this project", ()),
    "invalid_group_change": (
        "the change is not valid (`fields` names the field): severity a level or null, status"
        " open, in_progress, fixed or wont_fix, fixed_in a release name or null",
        (),
    ),
    "invalid_merge": ('the body must be `{"group_id": <the group to merge in>}`', ()),
    "group_conflict": (
        "the change does not fit the group's state: it was merged already, it is the group"
        " itself, or the report is its group's only one",
        (),
    ),
    "invalid_limit": ("`limit` is not an integer from 1 to 200", ()),
    "invalid_cursor": ("`cursor` is not a `next_cursor` this collector made", ()),
    "invalid_discarded_header": (f"the `{HEADER}` header does not follow its grammar", ()),
    "unsupported_schema_version": ("a `schema_version` this collector does not take", ()),
    "report_id_conflict": ("the report id is taken by a report of another project", ()),
    "invalid_report": (
        "the report is not a JSON object matching wire schema v1; `fields` lists every"
        " problem with its field path",
        (),
    ),
    "invalid_client_report": (
        "not a valid client report; `fields` names the field (a key given twice too)",
        (),
    ),
    "invalid_rating": ("the rating is not valid; `fields` lists why", ()),
    "already_rated": ("the report was rated already (a rating is given once)", ()),
    "malformed_multipart": ("the multipart body cannot be parsed", ()),
    "missing_report_part": ("a multipart report without its `report` part", ()),
    "invalid_multipart": ("more than one `report` part", ()),
    "unexpected_part": ("a text part other than `report` (attachments are file parts)", ()),
    "report_too_large": ("the `report` part is larger than the JSON limit", ()),
    "attachment_too_large": ("an attachment is larger than the limit (5 MiB by default)", ()),
    "too_many_attachments": ("more attachments than a report may have (10 by default)", ()),
    "invalid_attachment": ("an attachment's name is empty, too long or unsafe", ()),
    "duplicate_attachment": ("two attachments of one report have the same name", ()),
    "unsupported_image_type": ("an image type the collector does not check and keep", ()),
    "image_type_mismatch": ("the bytes are an image of another type than declared", ()),
    "invalid_image": ("the bytes are not a readable image of the declared type", ()),
    "image_bomb": ("the image claims more pixels than allowed (a decompression bomb)", ()),
    "attachment_conflict": ("the report has an attachment of this name with other bytes", ()),
    "attachment_not_found": ("the report has no attachment of this name", ()),
    "attachment_data_missing": (
        "the attachment's bytes are not in the blob store this collector uses",
        (),
    ),
}
"""Every error code a route of the collector can answer, with its meaning and its headers."""

ERROR_HEADERS: dict[str, Schema] = {
    "Retry-After": {
        "description": "Seconds to wait before sending again.",
        "schema": {"type": "string", "pattern": "^[0-9]+$"},
    },
    "WWW-Authenticate": {
        "description": '`Bearer`, with `error="invalid_token"` for a wrong token.',
        "schema": {"type": "string"},
    },
}

PATH_ERRORS: dict[int, tuple[str, ...]] = {404: ("not_found",)}
AUTH_ERRORS: dict[Auth, dict[int, tuple[str, ...]]] = {
    "ingest": {
        401: ("missing_key", "invalid_key"),
        403: ("key_of_another_project", "origin_not_allowed"),
        429: ("rate_limited",),
    },
    "admin": {401: ("missing_admin_token", "invalid_admin_token"), 404: ("project_not_found",)},
}
JSON_BODY_ERRORS: dict[int, tuple[str, ...]] = {
    400: ("malformed_json", "invalid_utf8", "json_too_deep", "malformed_gzip"),
    413: ("body_too_large", "decompressed_too_large"),
    415: ("unsupported_media_type", "unsupported_charset", "unsupported_encoding"),
}
FORM_BODY_ERRORS: dict[int, tuple[str, ...]] = {
    400: ("malformed_multipart",),
    413: ("body_too_large", "report_too_large"),
    415: ("unsupported_media_type", "unsupported_encoding"),
    422: ("missing_report_part", "invalid_multipart", "unexpected_part"),
}
"""What reading a ``multipart/form-data`` report can answer
(:func:`collector_server.api.attachments.read_multipart`); its attachments' own checks are the
route's."""

_ID = {"type": "integer", "minimum": 1, "maximum": MAX_ID}


def _class_ranges(categories: Sequence[str]) -> str:
    """The code points of the Unicode ``categories`` as the inside of a regex character class:
    ``\\uXXXX`` escapes in the BMP, the characters themselves beyond it (read alike by
    Python's ``re`` and ECMA-262 in Unicode mode). Surrogates never reach a decoded path."""

    def char(code: int) -> str:
        return f"\\u{code:04x}" if code <= 0xFFFF else chr(code)

    ranges: list[tuple[int, int]] = []
    for code in range(sys.maxunicode + 1):
        if unicodedata.category(chr(code)) in categories:
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1] = (ranges[-1][0], code)
            else:
                ranges.append((code, code))
    return "".join(char(a) if a == b else f"{char(a)}-{char(b)}" for a, b in ranges)


_UNSAFE = "/\\\\" + _class_ranges(("Cc", "Cf", "Zl", "Zp"))  # as check_name refuses them
_SPACE = _class_ranges(("Zs",))  # the rest of what str.strip() strips
ATTACHMENT_NAME_PATTERN = rf"^[{_SPACE}]*(?:\.|[^.{_UNSAFE}{_SPACE}]\.?)(?:[^.{_UNSAFE}]\.?)*$"
"""A name :func:`~collector_server.attachments.check_name` takes: no slash, backslash, control or
formatting character, no ``..``, not only white space (its length: ``maxLength``)."""
PATH_PARAMS: dict[str, Param] = {
    "project_id": Param(
        "project_id",
        "path",
        _ID,
        "The project's id, the last part of its DSN. An id that no project has (0, or one"
        " past the largest) is refused like any unknown project.",
        required=True,
    ),
    "report_id": Param(
        "report_id",
        "path",
        {"type": "string", "format": "uuid"},
        "The report's id, as the client generated it.",
        required=True,
    ),
    "group_id": Param("group_id", "path", _ID, "The group's id.", required=True),
    "name": Param(
        "name",
        "path",
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_NAME,
            "pattern": ATTACHMENT_NAME_PATTERN,
        },
        f"The attachment's file name, percent-encoded: 1 to {MAX_NAME} characters, not only"
        " white space, with no `/` or `\\`, no `..` and no control or invisible formatting"
        " characters (such as U+202E, which hides a file's real extension).",
        required=True,
    ),
}
"""Every path parameter of the routes, described once; a route's path says which it has."""

KEY_QUERY = Param(
    "key",
    "query",
    {"type": "string"},
    "The project's public key, when a header cannot be sent.",
)
"""Added to every ``auth="ingest"`` operation."""

PAGE_PARAMS = (
    Param(
        "limit",
        "query",
        {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
        "Items per page.",
    ),
    Param(
        "cursor",
        "query",
        {"type": "string", "pattern": "^[A-Za-z0-9_-]+$"},
        "The next_cursor of the previous page (opaque; any other value is refused).",
    ),
)

_REASON = "(?:" + "|".join(sorted(DISCARD_REASONS)) + ")"
# 1..MAX_COUNT in at most 10 digits, leading zeros included, as the header's parser takes it.
_COUNT = "(?:1000000000|" + "|".join(f"0{{0,{9 - m}}}[1-9][0-9]{{{m}}}" for m in range(9)) + ")"
_ENTRY = rf"[ \t]*{_REASON}[ \t]*=[ \t]*{_COUNT}[ \t]*"
DISCARDED_HEADER = Param(
    HEADER,
    "header",
    {
        "type": "string",
        "maxLength": MAX_HEADER_LENGTH,
        "pattern": rf"^{_ENTRY}(?:,{_ENTRY}){{0,{MAX_ENTRIES - 1}}}$",
    },
    "Reports the SDK had to give up on since its last accepted request, as"
    " `<reason>=<count>[, <reason>=<count>...]` (at most"
    f" {MAX_ENTRIES} entries, each reason once, counts 1..{MAX_COUNT}, at most"
    f" {MAX_HEADER_LENGTH} characters). Counted only when the report is newly stored (202);"
    " the counts of a repeat (200) are those of its first delivery and are not counted"
    " again. Reasons: see the ClientReport schema.",
    example="queue_full=3, network_error=1",
)
