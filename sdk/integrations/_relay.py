"""The widget's same-origin endpoint, for any web framework (``/_bugrelay/...`` by default).

A report the widget posts to the app's own origin (which ad blockers leave alone) is checked
against wire schema v1, joined with the server's trail of the same browser session and the
user the app knows, and handed to the SDK's transport: the same queue, disk spool and retries
as every report the app makes, so the delivery guarantee holds. The widget's status and rating
calls (and its counts of reports given up) are passed on to the collector with the project
key, which the page never needs.

Routes under the prefix: ``GET widget.js``, ``GET widget-screenshot.js``, ``POST report``,
``GET reports/{id}/status``, ``POST reports/{id}/rating``, ``POST client-report`` (how many
reports the widget gave up on, by reason). Errors answer JSON
``{"error": {"code", "message"}}`` like the collector's.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import TYPE_CHECKING, Any

from sdk._guard import capture_internal_exceptions, logger
from sdk.integrations import assets
from sdk.integrations._sessions import SessionTrails, public_session_id

if TYPE_CHECKING:
    from sdk.client import Client

MAX_REPORT_BODY = 7 * 2**20  # the report JSON (1 MiB) and a screenshot (5 MiB), as multipart
MAX_RATING_BODY = 16 * 1024
PROXY_TIMEOUT = 5.0
_REPORT_PATH = re.compile(r"^reports/([0-9a-fA-F-]{36})/(status|rating)$")


@dataclass(slots=True)
class Answer:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def error(status: int, code: str, message: str, **more: Any) -> Answer:
    """An error answer shaped like the collector's: ``{"error": {"code", "message", ...}}``."""
    body = json.dumps({"error": {"code": code, "message": message, **more}}).encode()
    return Answer(status, [("Content-Type", "application/json")], body)


def max_body(method: str, subpath: str) -> int:
    """How many body bytes a route reads (the adapters stop reading one byte past it)."""
    if method == "POST" and subpath == "report":
        return MAX_REPORT_BODY
    return MAX_RATING_BODY


class WidgetRelay:
    def __init__(self, sessions: SessionTrails, get_client: Callable[[], Client | None]) -> None:
        self.sessions = sessions
        self.get_client = get_client

    def handle(
        self,
        method: str,
        subpath: str,
        headers: Mapping[str, str],
        body: bytes,
        session_id: str | None,
    ) -> Answer:
        """Answer one request under the prefix; ``headers`` has lower-case names."""
        if subpath in assets.NAMES:
            allowed = {"GET", "HEAD"}
        elif subpath in {"report", "client-report"}:
            allowed = {"POST"}
        elif (match := _REPORT_PATH.match(subpath)) is not None:
            allowed = {"GET"} if match.group(2) == "status" else {"POST"}
        else:
            return error(404, "not_found", f"no such widget route: {subpath!r}")
        if method not in allowed:
            return error(405, "method_not_allowed", f"{subpath} answers {'/'.join(allowed)} only")
        if subpath == "report":
            return self.report(headers, body, session_id)
        if subpath not in assets.NAMES:
            return self.proxy(method, subpath, headers, body)
        found = assets.respond(
            subpath, headers.get("if-none-match"), headers.get("accept-encoding")
        )
        return Answer(found.status, found.headers, b"" if method == "HEAD" else found.body)

    def report(self, headers: Mapping[str, str], body: bytes, session_id: str | None) -> Answer:
        client = self.get_client()
        if client is None:
            return error(503, "sdk_disabled", "the app's BugRelay SDK is not initialised")
        if len(body) > MAX_REPORT_BODY:
            return error(413, "report_too_large", f"the body exceeds {MAX_REPORT_BODY} bytes")
        parsed = _parse_report(headers.get("content-type") or "", body)
        if isinstance(parsed, Answer):
            return parsed
        data, files = parsed
        from pydantic import ValidationError  # noqa: PLC0415

        from sdk._problems import describe_validation_error  # noqa: PLC0415
        from sdk.models import Report  # noqa: PLC0415

        try:
            Report.model_validate(data)
        except ValidationError as exc:
            fields = describe_validation_error(exc)[:20]
            return error(
                422, "invalid_report", "the report does not match wire schema v1", fields=fields
            )
        draft = self.join(client, data, files, session_id)
        from sdk.client import encode_draft  # noqa: PLC0415

        if not client.transport.send(encode_draft(draft), draft["id"]):
            answer = error(503, "queue_full", "the app's report queue is full; retry later")
            answer.headers.append(("Retry-After", "5"))
            return answer
        body_out = json.dumps({"id": draft["id"]}).encode()
        return Answer(202, [("Content-Type", "application/json")], body_out)

    def join(
        self,
        client: Client,
        data: dict[str, Any],
        files: list[tuple[str, bytes, str]],
        session_id: str | None,
    ) -> dict[str, Any]:
        """The widget's report with the server's side of its session added."""
        from sdk.client import _attachment  # noqa: PLC0415

        draft = dict(data)
        trail = self.sessions.get(session_id) if session_id else None
        if trail is not None:
            draft["_trail"] = trail.snapshot()
            if trail.user:  # the app's logged-in user; what the reporter typed wins
                draft["user"] = {**trail.user, **(draft.get("user") or {})}
        if session_id:
            links = dict(draft.get("links") or {})
            links.setdefault("session_id", public_session_id(session_id))
            draft["links"] = links
        app = dict(draft.get("app") or {})
        for key in ("release", "environment"):
            value = getattr(client.options, key)
            if value and not app.get(key):
                app[key] = value
        if app:
            draft["app"] = app
        if files:
            draft["attachments"] = [*(draft.get("attachments") or []), *map(_attachment, files)]
        return draft

    def proxy(self, method: str, subpath: str, headers: Mapping[str, str], body: bytes) -> Answer:
        client = self.get_client()
        if client is None or client.options.dsn is None:
            return error(503, "sdk_disabled", "the app's BugRelay SDK is not initialised")
        dsn = client.options.dsn
        url = f"{dsn.base_url}/api/v1/projects/{dsn.project_id}/{subpath}"
        import requests  # noqa: PLC0415

        try:
            answer = requests.request(
                method,
                url,
                data=body if method == "POST" else None,
                headers={
                    "X-BugRelay-Key": dsn.public_key,
                    "Content-Type": headers.get("content-type") or "application/json",
                },
                timeout=PROXY_TIMEOUT,
            )
        except requests.RequestException as exc:
            logger.debug("widget relay: the collector is unreachable: %s", exc)
            return error(502, "collector_unreachable", "the collector did not answer; retry later")
        if answer.status_code == 204:
            return Answer(204)
        out = [("Content-Type", answer.headers.get("Content-Type", "application/json"))]
        if "Retry-After" in answer.headers:
            out.append(("Retry-After", answer.headers["Retry-After"]))
        return Answer(answer.status_code, out, answer.content)


def _parse_report(
    content_type: str, body: bytes
) -> tuple[dict[str, Any], list[tuple[str, bytes, str]]] | Answer:
    """The report JSON and the attached files, from a JSON or a multipart body."""
    files: list[tuple[str, bytes, str]] = []
    raw: bytes | None = body
    if content_type.lower().startswith("multipart/form-data"):
        raw = None
        with capture_internal_exceptions():
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
            )
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if not isinstance(payload, bytes):
                    continue
                filename = part.get_filename()
                if name == "report" and raw is None:
                    raw = payload
                elif filename:
                    files.append((filename, payload, part.get_content_type()))
    if raw is None:
        return error(400, "invalid_multipart", 'the multipart body has no "report" part')
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return error(400, "invalid_json", "the report is not valid JSON")
    if not isinstance(data, dict):
        return error(422, "invalid_report", "the report must be a JSON object")
    try:
        uuid.UUID(str(data.get("id")))
    except ValueError:
        return error(422, "invalid_report", "the report needs its client-made UUID as id")
    return data, files
