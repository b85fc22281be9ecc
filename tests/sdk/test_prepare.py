"""The worker's half: drafts with compact buffers become valid wire reports."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sdk._prepare import Preparer, expand, level_name, name_http_steps
from sdk.collectors.exceptions import InApp
from sdk.models import Report
from sdk.options import Options
from sdk.scope import ORIGIN_HTTP, ORIGIN_LOG, ORIGIN_MANUAL
from sdk.transports.base import DropReport

TS = 1_764_000_000.25


def draft(**fields: Any) -> dict[str, Any]:
    return {
        "id": "7b0f5e38-2d1c-4a57-9c43-3f5e0b5b9d11",
        "schema_version": 1,
        "created_at": "2026-12-02T10:00:00+00:00",
        "title": "Pay does nothing",
        **fields,
    }


@pytest.mark.parametrize(
    ("level", "name"),
    [
        (10, "debug"),
        (20, "info"),
        (25, "info"),
        (30, "warning"),
        (45, "error"),
        (50, "critical"),
        (5, "debug"),
        ("WARN", "warning"),
        ("fatal", "critical"),
        ("Error", "error"),
        ("loud", "info"),
    ],
)
def test_levels_from_numbers_and_names(level: Any, name: str) -> None:
    assert level_name(level) == name


def test_rows_expand_into_wire_lists() -> None:
    trail = {
        "actions": [
            [TS, "log", "user %s paid %.2f", 20, "shop", ["ann", 9.5], ORIGIN_LOG],
            [TS + 1, "ui.click", "clicked Pay", "info", {"button": "pay"}, None, ORIGIN_MANUAL],
            [
                TS + 2,
                "http",
                "",
                "error",
                {"method": "POST", "url": "https://api.example.com/pay?x=1", "status_code": 502},
                None,
                ORIGIN_HTTP,
            ],
        ],
        "logs": [[TS, 40, "shop", "failed %d times", [3]]],
        "network": [[TS + 2, "POST", "https://api.example.com/pay", 502, 12.5, None]],
    }
    expanded = expand(draft(_trail=trail), InApp())
    name_http_steps(expanded)
    report = Report.model_validate(expanded)
    assert [(a.category, a.message, a.level) for a in report.actions] == [
        ("log", "user ann paid 9.50", "info"),
        ("ui.click", "clicked Pay", "info"),
        ("http", "POST https://api.example.com/pay 502", "error"),
    ]
    assert report.actions[0].data == {"logger": "shop"}
    assert report.actions[0].timestamp.timestamp() == TS
    assert [(e.level, e.message) for e in report.logs] == [("error", "failed 3 times")]
    assert (report.network[0].status, report.network[0].duration_ms) == (502, 12.5)


def test_rows_sentry_already_recorded_are_left_out() -> None:
    trail = {
        "actions": [
            [TS, "log", "a log line", 20, "shop", None, ORIGIN_LOG],
            [TS, "http", "", "info", {"method": "GET", "url": "http://h/"}, None, ORIGIN_HTTP],
            [TS, "nav", "manual step", "info", None, None, ORIGIN_MANUAL],
        ],
        "sentry_covers": ["log", "http"],
    }
    expanded = expand(draft(_trail=trail), InApp())
    assert [a["message"] for a in expanded["actions"]] == ["manual step"]


def test_frames_get_in_app_and_their_source_line() -> None:
    rows = [["tests.sdk.test_prepare", "f", __file__, 1], ["json.decoder", "g", json.__file__, 1]]
    exception = {"type": "ValueError", "value": "bad", "_frames": rows}
    frames = expand(draft(exception=exception), InApp())["exception"]["frames"]
    assert [f["in_app"] for f in frames] == [True, False]
    assert frames[0]["code"].startswith('"""The worker')


def test_in_app_prefixes_decide_before_paths() -> None:
    in_app = InApp(include=["json"], exclude=["tests.sdk"])
    assert in_app("json.decoder", json.__file__)
    assert not in_app("tests.sdk.test_prepare", __file__)
    assert in_app("tests.other", __file__)


def test_before_send_sees_the_scrubbed_wire_report_and_may_drop_it() -> None:
    seen: list[dict[str, Any]] = []

    def before_send(report: dict[str, Any]) -> dict[str, Any] | None:
        seen.append(report)
        return None if report["title"] == "drop" else report

    prepare = Preparer(Options(before_send=before_send))
    trail = {"logs": [[TS, 20, "shop", "password=%s", ["hunter2"]]]}
    body = json.loads(prepare(json.dumps(draft(_trail=trail)).encode()))
    assert body["logs"][0]["message"] == "password=[Filtered]"
    assert seen[0]["logs"][0]["message"] == "password=[Filtered]"
    with pytest.raises(DropReport) as dropped:
        prepare(json.dumps(draft(title="drop")).encode())
    assert dropped.value.lost is False


def test_a_draft_that_cannot_be_made_valid_is_dropped_as_lost() -> None:
    with pytest.raises(DropReport) as dropped:
        Preparer()(json.dumps(draft(title="", id="not-a-uuid")).encode())
    assert (dropped.value.reason, dropped.value.lost) == ("invalid", True)
