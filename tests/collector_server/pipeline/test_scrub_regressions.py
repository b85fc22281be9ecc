"""Scrubbing cases that random reports found: each must be stable when scrubbed again."""

from __future__ import annotations

import pytest

from collector_server.pipeline.scrub import ScrubSettings, scrub_report
from sdk.models import Report


@pytest.mark.parametrize("referrer", ["?token='a b", "?token=a b&x=1", "https://h/?api_key=x y"])
def test_a_url_with_white_space_scrubbed_twice_changes_nothing_the_second_time(
    referrer: str,
) -> None:
    report = Report.model_validate(
        {
            "id": "00000000-0000-0000-0000-000000000007",
            "created_at": "2026-11-25T10:00:00Z",
            "title": "x",
            "browser": {"referrer": referrer},
        }
    )
    scrubbed, paths = scrub_report(report, ScrubSettings())
    assert paths == ["browser.referrer"]
    assert "[Filtered]" in str(scrubbed.browser.referrer)  # type: ignore[union-attr]
    assert scrub_report(scrubbed, ScrubSettings()) == (scrubbed, [])
