"""Operators change groups over HTTP (severity override, status, merge, split), and the
project's TOML policy reaches the intake; against a real `bugrelay serve`."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.support import Collector, collector_env, run_cli, start_collector


@pytest.fixture(scope="module")
def configured(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    data_dir = tmp_path_factory.mktemp("configured")
    config = data_dir / "policy.toml"
    config.write_text('[projects.demo.severity]\nvip_segments = ["gold"]\n', encoding="utf-8")
    with start_collector(data_dir, database_url, BUGRELAY_CONFIG=str(config)) as running:
        yield running


def send(collector: Collector, title: str, **fields: Any) -> dict[str, Any]:
    body = {
        "id": str(uuid.uuid4()),
        "created_at": datetime.now(UTC).isoformat(),
        "title": title,
        **fields,
    }
    response = collector.post_report(body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def admin(collector: Collector, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{collector.url}/api/v1/projects/{collector.project_id}{path}",
        json=body,
        headers={"Authorization": f"Bearer {collector.admin_token}"},
        timeout=30,
    )


def test_the_projects_severity_section_applies_to_its_reports(configured: Collector) -> None:
    sent = send(configured, f"Invoice total looks odd {uuid.uuid4()}", user={"segment": "gold"})
    stored = configured.get_report(sent["id"]).json()
    assert stored["severity"] == "high"
    assert any("'gold'" in reason for reason in stored["severity_reasons"])


def test_an_override_a_merge_and_a_split_over_http(configured: Collector) -> None:
    tag = uuid.uuid4().hex[:6]
    a = send(configured, f"Calendar sync {tag} duplicates events")
    b = send(configured, f"Printer dialog {tag} freezes the tab")
    patched = admin(configured, "PATCH", f"/groups/{a['group_id']}", {"severity": "critical"})
    assert patched.status_code == 200, patched.text
    assert (patched.json()["severity"], patched.json()["severity_override"]) == (
        "critical",
        "critical",
    )
    merged = admin(
        configured, "POST", f"/groups/{a['group_id']}/merge", {"group_id": b["group_id"]}
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["report_count"] == 2
    assert configured.get_report(b["id"]).json()["grouping"]["method"] == "merge"
    split = admin(configured, "POST", f"/reports/{b['id']}/split")
    assert split.status_code == 201, split.text
    assert configured.get_report(b["id"]).json()["group_id"] == split.json()["id"]
    after = admin(configured, "GET", f"/groups/{a['group_id']}").json()
    assert (after["report_count"], after["severity"]) == (1, "critical")


@pytest.mark.parametrize(
    ("method", "path", "body", "status", "code"),
    [
        ("PATCH", "/groups/999999", {"severity": "high"}, 404, "group_not_found"),
        ("PATCH", "/groups/{a}", {"severity": "urgent"}, 422, "invalid_group_change"),
        ("PATCH", "/groups/{a}", {"colour": "red"}, 422, "invalid_group_change"),
        ("POST", "/groups/{a}/merge", {"group_id": "{a}"}, 409, "group_conflict"),
        ("POST", "/groups/{a}/merge", {"group": 1}, 422, "invalid_merge"),
        ("POST", "/groups/{a}/merge", {"group_id": 999999}, 404, "group_not_found"),
        ("POST", "/reports/{r}/split", None, 409, "group_conflict"),
        ("POST", f"/reports/{uuid.uuid4()}/split", None, 404, "report_not_found"),
    ],
)
def test_bad_changes_get_specific_errors(
    configured: Collector, method: str, path: str, body: Any, status: int, code: str
) -> None:
    sent = send(configured, f"Lonely report {uuid.uuid4()}")
    fill = {"a": str(sent["group_id"]), "r": sent["id"]}
    if isinstance(body, dict):
        body = {k: int(v.format(**fill)) if v == "{a}" else v for k, v in body.items()}
    response = admin(configured, method, path.format(**fill), body)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code


def test_serve_refuses_a_bad_configuration_and_says_where(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[grouping]\nthreshhold = 0.5\n", encoding="utf-8")
    env = collector_env(tmp_path, database_url, BUGRELAY_CONFIG=str(config))
    result = run_cli(env, "serve", "--port", "1")
    assert result.returncode != 0
    assert f"{config}: [grouping] threshhold: Extra inputs are not permitted" in result.stderr
