"""Path and query parameters, checked with errors that name them."""

from __future__ import annotations

import uuid

from starlette.requests import Request

from collector_server.errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


def report_id(request: Request) -> str:
    value: str = request.path_params["report_id"]
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ApiError(400, "invalid_report_id", f"{value!r} is not a report id (a UUID)") from None


def page_limit(request: Request) -> int:
    value = request.query_params.get("limit")
    if value is None:
        return DEFAULT_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise ApiError(
            400, "invalid_limit", f"limit must be an integer from 1 to {MAX_LIMIT}, not {value!r}"
        )
    return int(value)
