"""How a wire-schema validation error is told to a client: which field, and what is wrong.

Shared by the collector's error answers and the web middleware's same-origin endpoint, so a
browser hears of a bad report in the same words from either.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


def field_path(loc: tuple[int | str, ...]) -> str:
    """``actions[3].message``; ``(report)`` for the report as a whole."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(report)"


def describe_validation_error(exc: ValidationError) -> list[dict[str, Any]]:
    """One ``{"field", "message", "type"}`` per problem, in pydantic's order."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = tuple(error["loc"])
        if error["type"] == "extra_forbidden":
            message = f"unknown field {loc[-1]!r}" if loc else "unknown field"
        else:
            message = error["msg"].removeprefix("Value error, ")
        problems.append({"field": field_path(loc), "message": message, "type": error["type"]})
    return problems
