"""The collector's error answers: always JSON, always naming the problem.

    {"error": {"code": "invalid_report", "message": "...", "fields": [{"field": "user.foo", ...}]}}

``code`` is stable and machine-readable; ``message`` is for people; ``fields`` (validation errors
only) lists every field path that is wrong and why.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

logger = logging.getLogger("bugrelay.collector")


class ApiError(Exception):
    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers

    def response(self) -> JSONResponse:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fields is not None:
            error["fields"] = self.fields
        return JSONResponse({"error": error}, status_code=self.status, headers=self.headers)


def report_not_found(project_id: int, report_id: str) -> ApiError:
    return ApiError(404, "report_not_found", f"no report {report_id} in project {project_id}")


async def api_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return exc.response()


async def http_error_handler(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    codes = {404: "not_found", 405: "method_not_allowed"}
    return ApiError(
        exc.status_code,
        codes.get(exc.status_code, "http_error"),
        str(exc.detail),
        headers=dict(exc.headers) if exc.headers else None,
    ).response()


async def internal_error_handler(_request: Request, exc: Exception) -> Response:
    """Our own bug: log it with its stack, answer JSON without one."""
    logger.error("unhandled error in the collector", exc_info=exc)
    import sentry_sdk  # noqa: PLC0415  (a no-op unless BUGRELAY_SENTRY_DSN is set)

    sentry_sdk.capture_exception(exc)
    return ApiError(
        500, "internal_error", "the collector failed; the error is in its log"
    ).response()
