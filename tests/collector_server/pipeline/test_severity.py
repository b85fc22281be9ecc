from __future__ import annotations

import uuid
from typing import Any

import pytest

from collector_server.pipeline.severity import assess_severity
from sdk.models import Report

TS = "2026-11-25T10:00:00Z"


def make(**fields: Any) -> Report:
    return Report.model_validate(
        {"id": str(uuid.uuid4()), "created_at": TS, "title": "t", **fields}
    )


@pytest.mark.parametrize(
    ("fields", "level", "reason"),
    [
        ({}, "medium", "default level for a bug report"),
        ({"kind": "feedback"}, "low", "feedback, not a defect"),
        ({"kind": "crash"}, "high", "the app crashed (unhandled exception)"),
        ({"impact": "blocks_work"}, "high", "the reporter says it blocks their work"),
        (
            {"kind": "feedback", "exception": {"type": "KeyError"}},
            "medium",
            "an exception was attached (KeyError)",
        ),
        (
            {
                "kind": "feedback",
                "network": [{"method": "POST", "url": "/api/save", "status": 502}],
            },
            "medium",
            "server error in the trail: POST /api/save 502",
        ),
        (
            {"kind": "feedback", "logs": [{"timestamp": TS, "level": "error"}]},
            "medium",
            "error-level log records before the report",
        ),
    ],
)
def test_each_signal_sets_the_level_and_names_itself(
    fields: dict[str, Any], level: str, reason: str
) -> None:
    severity = assess_severity(make(**fields))
    assert severity.level == level
    assert severity.reasons == [reason]


def test_all_reasons_at_the_top_level_are_given() -> None:
    severity = assess_severity(
        make(kind="crash", impact="blocks_work", exception={"type": "E", "handled": False})
    )
    assert severity.level == "high"
    assert severity.reasons == [
        "the app crashed (unhandled exception)",
        "the reporter says it blocks their work",
    ]
