"""The worker's finalisation: whatever the host thread built, the result is a valid report or
nothing, and finalisation itself never raises."""

from __future__ import annotations

import json
import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from sdk._payload import finalize
from sdk.models import MAX_ACTIONS, Report

TS = "2026-11-25T10:00:00Z"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=10), children, max_size=5)
    ),
    max_leaves=30,
)
fields = st.sampled_from(
    [
        "title",
        "description",
        "kind",
        "impact",
        "user",
        "app",
        "browser",
        "actions",
        "logs",
        "exception",
        "network",
        "tags",
        "extra",
        "attachments",
        "links",
        "fingerprint",
        "sdk",
        "unknown",
        "os",
        "device",
        "runtime",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(fields, json_values, max_size=8), st.text(max_size=300))
def test_any_draft_becomes_a_valid_report_or_nothing(
    extra_fields: dict[str, Any], title: str
) -> None:
    draft = {"id": str(uuid.uuid4()), "created_at": TS, "title": title, **extra_fields}
    body = finalize(json.dumps(draft).encode())
    if body is not None:
        report = Report.model_validate_json(body)
        assert str(report.id) == draft["id"]


def test_oversized_parts_are_cut_and_the_newest_actions_kept() -> None:
    draft = {
        "id": str(uuid.uuid4()),
        "created_at": TS,
        "title": "t" * 500,
        "actions": [{"timestamp": TS, "message": f"step {i}"} for i in range(MAX_ACTIONS + 50)],
        "user": {"id": "1", "ip_address": "10.0.0.1"},
    }
    body = finalize(json.dumps(draft).encode())
    assert body is not None
    report = Report.model_validate_json(body)
    assert len(report.title) == 200
    assert report.actions[0].message == "step 50"
    assert report.actions[-1].message == f"step {MAX_ACTIONS + 49}"
    assert report.user is not None
    assert report.user.id == "1"


def test_a_report_without_an_id_cannot_be_repaired() -> None:
    assert finalize(json.dumps({"created_at": TS, "title": "no id"}).encode()) is None
    assert (
        finalize(json.dumps({"id": str(uuid.uuid4()), "created_at": TS, "title": ""}).encode())
        is None
    )
