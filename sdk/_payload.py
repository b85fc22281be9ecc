"""Turn wire-shaped report data into a valid wire-schema v1 report, on the worker.

``sdk._prepare`` expands the host thread's draft into wire shape; validation against
:class:`sdk.models.Report` happens here, off the host thread. What does not fit the schema is
repaired rather than refused: strings over their limit are cut with an ellipsis, lists keep
their newest items, and values of the wrong shape are removed. A report is only given up on when
no repair can make it valid (e.g. no title, description or exception).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from sdk._guard import logger
from sdk.models import Report

ELLIPSIS = "…"
_MAX_REPAIR_ROUNDS = 5
_KEEP_NEWEST = frozenset({"actions", "logs", "network", "frames"})


def finalize(payload: bytes) -> bytes | None:
    """Valid report JSON for wire-shaped ``payload``, or None when it cannot be made valid."""
    report = validate(json.loads(payload))
    return None if report is None else report.model_dump_json(exclude_none=True).encode()


def validate(data: dict[str, Any]) -> Report | None:
    """``data`` (changed in place) repaired until it is a valid report, or None."""
    for _ in range(_MAX_REPAIR_ROUNDS):
        try:
            return Report.model_validate(data)
        except ValidationError as exc:
            if not _repair(data, exc.errors(include_url=False)):
                logger.error("BugRelay cannot send an invalid report: %s", exc)
                return None
    return None


def _repair(data: dict[str, Any], errors: list[Any]) -> bool:
    changed = False
    # Deepest and last locations first, so that removing a list item keeps earlier indexes valid.
    for error in sorted(errors, key=lambda e: [str(p) for p in e["loc"]], reverse=True):
        loc = tuple(error["loc"])
        if not loc:
            return False  # a rule about the whole report: nothing to cut
        parent, key = _resolve(data, loc)
        if parent is None:
            continue
        value = parent[key]
        limit = (error.get("ctx") or {}).get("max_length")
        logger.debug("BugRelay trims the report at %s: %s", loc, error["msg"])
        if error["type"] == "string_too_long" and isinstance(value, str) and limit:
            parent[key] = value[: max(0, limit - 1)] + ELLIPSIS
        elif error["type"] == "too_long" and isinstance(value, list) and limit is not None:
            parent[key] = value[-limit:] if key in _KEEP_NEWEST else value[:limit]
        elif error["type"] == "too_long" and isinstance(value, dict) and limit is not None:
            parent[key] = dict(list(value.items())[:limit])
        elif parent is data and key in ("id", "created_at", "schema_version"):
            return False
        else:
            del parent[key]
        changed = True
    return changed


def _resolve(data: Any, loc: tuple[Any, ...]) -> tuple[Any, Any]:
    """The container holding the deepest existing element of ``loc``, and that element's key."""
    parent: Any = None
    key: Any = None
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            parent, key, node = node, part, node[part]
        else:
            break
    return parent, key
