"""Severity: a level and the reasons that produced it.

The baseline rules below look at the report alone: an unhandled crash is high, anything with an
exception, error logs or server errors in its trail is at least medium, feedback is low. The
group's severity is the highest of its reports'.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from sdk.models import Report

Level = Literal["low", "medium", "high", "critical"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high", "critical")


def rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


@dataclass(frozen=True, slots=True)
class Severity:
    level: Level
    reasons: list[str] = field(default_factory=list)


def assess_severity(report: Report) -> Severity:
    candidates: list[tuple[Level, str]] = []
    if report.kind == "crash" or (report.exception and report.exception.handled is False):
        candidates.append(("high", "the app crashed (unhandled exception)"))
    elif report.exception is not None:
        candidates.append(("medium", f"an exception was attached ({report.exception.type})"))
    if report.impact == "blocks_work":
        candidates.append(("high", "the reporter says it blocks their work"))
    if any(entry.level in ("error", "critical") for entry in report.logs):
        candidates.append(("medium", "error-level log records before the report"))
    server_errors = [r for r in report.network if r.status is not None and r.status >= 500]
    if server_errors:
        first = server_errors[0]
        candidates.append(
            ("medium", f"server error in the trail: {first.method} {first.url} {first.status}")
        )
    if not candidates:
        if report.kind == "feedback":
            candidates.append(("low", "feedback, not a defect"))
        else:
            candidates.append(("medium", "default level for a bug report"))
    top = max(rank(level) for level, _ in candidates)
    return Severity(LEVELS[top], [reason for level, reason in candidates if rank(level) == top])
