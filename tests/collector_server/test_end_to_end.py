"""The whole path, real parts only: SDK -> HTTP -> `bugrelay serve` -> database -> admin API.

Runs once against SQLite and once against PostgreSQL.
"""

from __future__ import annotations

import textwrap
import uuid

import requests

import sdk
from tests.support import Collector, run_python


def test_report_bug_round_trips_to_the_admin_read_back(collector: Collector) -> None:
    sdk.init(collector.dsn, release="2.4.1", environment="production")
    sdk.set_user(id="u-1", email="ann@example.com", segment="vip")
    sdk.add_action("opened Settings", category="navigation")
    sdk.add_action("clicked Save", category="ui.click", data={"selector": "#save"})
    report_id = sdk.report_bug("Save does nothing", description="Clicked Save, nothing happened")
    assert sdk.flush(timeout=30)

    response = collector.get_report(report_id)
    assert response.status_code == 200, response.text
    stored = response.json()
    assert stored["id"] == report_id
    assert stored["title"] == "Save does nothing"
    assert stored["description"] == "Clicked Save, nothing happened"
    assert (stored["app"]["release"], stored["app"]["environment"]) == ("2.4.1", "production")
    assert stored["user"] == {"id": "u-1", "email": "ann@example.com", "segment": "vip"}
    assert [a["message"] for a in stored["actions"]] == ["opened Settings", "clicked Save"]
    assert stored["runtime"]["name"] == "CPython"
    assert isinstance(stored["group_id"], int)
    assert stored["severity"] == "high"  # a plain bug, one level up for a VIP
    assert stored["severity_reasons"][0] == "default level for a bug report"
    assert "segment 'vip'" in stored["severity_reasons"][1]
    assert stored["grouping"]["method"] == "new"


def test_the_same_problem_lands_in_one_group_and_a_crash_in_another(collector: Collector) -> None:
    sdk.init(collector.dsn)
    title = f"Export to CSV hangs {uuid.uuid4().hex[:6]}"
    first = sdk.report_bug(title)
    second = sdk.report_bug(title.upper() + "  ")
    try:
        {}["missing"]
    except KeyError:
        crash = sdk.report_bug(title)
    assert sdk.flush(timeout=30)
    groups = [collector.get_report(rid).json()["group_id"] for rid in (first, second, crash)]
    assert groups[0] == groups[1]
    assert groups[2] != groups[0]


def test_reports_still_queued_at_exit_are_delivered(collector: Collector) -> None:
    script = textwrap.dedent(
        """
        import sdk
        sdk.init()
        print(sdk.report_bug("Sent at interpreter exit"))
        """
    )
    env = {**collector.env, "BUGRELAY_DSN": collector.dsn}
    result = run_python(["-c", script], env)
    assert result.returncode == 0, result.stderr
    report_id = result.stdout.strip()
    response = collector.get_report(report_id)
    assert response.status_code == 200
    assert response.json()["title"] == "Sent at interpreter exit"


def test_health_metrics_and_openapi(collector: Collector) -> None:
    assert requests.get(collector.url + "/healthz", timeout=10).json() == {
        "status": "ok",
        "database": "ok",
    }
    metrics = requests.get(collector.url + "/metrics", timeout=10)
    assert metrics.status_code == 200
    assert "bugrelay_reports_accepted_total" in metrics.text
    spec = requests.get(collector.url + "/openapi.json", timeout=10).json()
    assert "/api/v1/projects/{project_id}/reports" in spec["paths"]
    assert "Report" in spec["components"]["schemas"]


def sample(metrics_text: str, name: str) -> float:
    """One unlabelled sample of the Prometheus text (0 when absent)."""
    for line in metrics_text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return 0.0


def test_each_answered_report_is_timed_and_each_batch_counted(collector: Collector) -> None:
    def read() -> tuple[float, float]:
        text = requests.get(collector.url + "/metrics", timeout=10).text
        return (
            sample(text, "bugrelay_intake_seconds_count"),
            sample(text, "bugrelay_write_batch_size_sum"),
        )

    timed, written = read()
    body = {"id": str(uuid.uuid4()), "created_at": "2026-11-25T10:00:00Z", "title": "Timed"}
    headers = {"X-BugRelay-Key": collector.public_key}
    assert requests.post(collector.reports_url, json=body, headers=headers, timeout=10).ok
    assert requests.post(collector.reports_url, json=body, headers=headers, timeout=10).ok
    bad = requests.post(collector.reports_url, json={"title": 1}, headers=headers, timeout=10)
    assert bad.status_code == 422
    timed_after, written_after = read()
    assert timed_after == timed + 2  # the new report and its repeat; not the refused one
    assert written_after == written + 2  # the repeat is looked up by the writer too


def test_serve_prints_where_its_data_is_and_how_to_reach_it(collector: Collector) -> None:
    log = collector.log.read_text()
    assert f"data directory  {collector.env['BUGRELAY_DATA_DIR']}" in log
    assert f"demo DSN        {collector.dsn}" in log
    assert "admin token     from BUGRELAY_ADMIN_TOKEN" in log
    assert collector.admin_token not in log  # a token the operator set is never echoed
