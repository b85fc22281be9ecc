"""Who may call what: project ingest keys and the operator's admin token.

A client route admits a request in this order, cheapest first, so that a flood costs little:
the address's rate, the key's presence, the project (cached, see
:mod:`collector_server.project_cache`), the key itself (the current key, or a previous one in its
grace period after a rotation), then the key's rate (the project's own, or the collector's).
"""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from collector_server.errors import ApiError
from collector_server.ratelimit import Rate, retry_after_header
from collector_server.state import AppState
from collector_server.store import Project

MAX_KEY_LENGTH = 64


async def admit_client(request: Request, state: AppState, project_id: int) -> Project:
    """The gate of every client route: the address's rate, the project key, the key's rate."""
    address = request.client.host if request.client else "unknown"
    if state.rate_limiter is not None:
        await _check_rate(state, f"ip:{address}", state.settings.rate_per_ip, "from this address")
    project = await require_ingest_key(request, state, project_id)
    if state.rate_limiter is not None:
        rate = Rate.parse(project.rate_limit) if project.rate_limit else state.settings.rate_per_key
        await _check_rate(state, f"key:{project.id}", rate, f"for project {project_id}")
    return project


async def _check_rate(state: AppState, key: str, rate: Rate, scope: str) -> None:
    assert state.rate_limiter is not None
    wait = await state.rate_limiter.take(key, rate)
    if wait:
        retry_after = retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"more than {rate} {scope}; retry after {retry_after} s",
            headers={"Retry-After": retry_after},
        )


def request_key(request: Request) -> str | None:
    return request.headers.get("x-bugrelay-key") or request.query_params.get("key")


async def require_ingest_key(request: Request, state: AppState, project_id: int) -> Project:
    """The project, when the request carries its public key (``X-BugRelay-Key`` or ``?key=``)."""
    key = request_key(request)
    if not key:
        raise ApiError(
            401,
            "missing_key",
            "send the project's public key in the X-BugRelay-Key header or the key query parameter",
        )
    plausible = len(key) <= MAX_KEY_LENGTH and key.isprintable()  # no NUL for PostgreSQL
    project = await state.projects.get(project_id)
    if project is not None and plausible and project.key_matches(key):
        return project
    owner = await run_in_threadpool(state.store.project_id_for_key, key) if plausible else None
    if owner is not None and owner != project_id:
        raise ApiError(
            403,
            "key_of_another_project",
            f"the key belongs to another project, not to project {project_id}",
        )
    raise ApiError(401, "invalid_key", f"the key is not a valid key of project {project_id}")


def require_admin(request: Request, admin_token: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(
            401,
            "missing_admin_token",
            "send the admin token as 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(token.strip().encode(), admin_token.encode()):
        raise ApiError(
            401,
            "invalid_admin_token",
            "the admin token is not valid",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
