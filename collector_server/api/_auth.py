"""Who may call what: project ingest keys and the operator's admin token."""

from __future__ import annotations

import hmac

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from collector_server.errors import ApiError
from collector_server.ratelimit import TokenBuckets, retry_after_header
from collector_server.state import AppState
from collector_server.store import Project, Store


async def admit_client(request: Request, state: AppState, project_id: int) -> Project:
    """The gate of every client route: the address's rate, the project key, the key's rate."""
    address = request.client.host if request.client else "unknown"
    _check_rate(state.per_ip, address, "from this address")
    project = await require_ingest_key(request, state.store, project_id)
    _check_rate(state.per_key, project.public_key, f"for project {project_id}")
    return project


def _check_rate(buckets: TokenBuckets | None, key: str, scope: str) -> None:
    if buckets is None:
        return
    wait = buckets.take(key)
    if wait:
        retry_after = retry_after_header(wait)
        raise ApiError(
            429,
            "rate_limited",
            f"more than {buckets.rate} {scope}; retry after {retry_after} s",
            headers={"Retry-After": retry_after},
        )


async def require_ingest_key(request: Request, store: Store, project_id: int) -> Project:
    """The project, when the request carries its public key (``X-BugRelay-Key`` or ``?key=``)."""
    key = request.headers.get("x-bugrelay-key") or request.query_params.get("key")
    if not key:
        raise ApiError(
            401,
            "missing_key",
            "send the project's public key in the X-BugRelay-Key header or the key query parameter",
        )
    project = await run_in_threadpool(store.get_project, project_id)
    if project is None or not hmac.compare_digest(project.public_key.encode(), key.encode()):
        raise ApiError(401, "invalid_key", f"the key is not a valid key of project {project_id}")
    return project


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
