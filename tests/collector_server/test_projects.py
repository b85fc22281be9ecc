"""Projects and keys from the command line, seen by a running collector: rotation with a grace
period, revocation, another project's key, per-project settings, browser origins (CORS)."""

from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from collections.abc import Callable

import pytest
import requests

from tests.support import Collector

TS = "2026-12-01T10:00:00Z"
DSN = re.compile(r"http://(?P<key>[0-9a-f]{32})@[^/]+/(?P<id>\d+)")


def new_project(collector: Collector) -> tuple[str, int, str]:
    name = f"p-{secrets.token_hex(4)}"
    match = DSN.fullmatch(collector.create_project(name))
    assert match, name
    return name, int(match["id"]), match["key"]


def post(
    collector: Collector, project_id: int, key: str, headers: dict[str, str] | None = None
) -> requests.Response:
    return requests.post(
        f"{collector.url}/api/v1/projects/{project_id}/reports",
        json={"id": str(uuid.uuid4()), "created_at": TS, "title": "key test"},
        headers={"X-BugRelay-Key": key, **(headers or {})},
        timeout=30,
    )


def eventually(check: Callable[[], bool], what: str, seconds: float = 20) -> None:
    """Collectors see a change within their cache's time to live (2 s): wait for it, bounded."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"not within {seconds} s: {what}")


def cli_ok(collector: Collector, *args: str) -> str:
    result = collector.cli(*args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_rotated_key_keeps_working_for_its_grace_period(collector: Collector) -> None:
    name, project_id, old_key = new_project(collector)
    assert post(collector, project_id, old_key).status_code == 202
    match = DSN.fullmatch(cli_ok(collector, "project", "rotate-key", name).strip())
    assert match
    assert int(match["id"]) == project_id
    new_key = match["key"]
    assert new_key != old_key
    eventually(lambda: post(collector, project_id, new_key).status_code == 202, "new key taken")
    assert post(collector, project_id, old_key).status_code == 202  # in its grace period
    shown = json.loads(cli_ok(collector, "project", "show", name))
    assert len(shown["previous_keys_expire"]) == 1

    cli_ok(collector, "project", "revoke-key", name, "--previous-only")
    eventually(lambda: post(collector, project_id, old_key).status_code == 401, "old key refused")
    assert post(collector, project_id, new_key).status_code == 202


def test_rotation_without_grace_and_revoking_the_current_key(collector: Collector) -> None:
    name, project_id, first = new_project(collector)
    second = DSN.fullmatch(cli_ok(collector, "project", "rotate-key", name, "--grace", "0").strip())
    assert second
    eventually(lambda: post(collector, project_id, first).status_code == 401, "no grace")
    third = DSN.fullmatch(cli_ok(collector, "project", "revoke-key", name).strip())
    assert third
    assert third["key"] not in (first, second["key"])
    eventually(lambda: post(collector, project_id, second["key"]).status_code == 401, "revoked")
    answer = post(collector, project_id, third["key"])
    assert answer.status_code == 202, answer.text


def test_another_projects_key_is_told_apart_from_a_wrong_key(collector: Collector) -> None:
    _, first_id, _ = new_project(collector)
    _, _, second_key = new_project(collector)
    other = post(collector, first_id, second_key)
    assert other.status_code == 403
    assert other.json()["error"]["code"] == "key_of_another_project"
    wrong = post(collector, first_id, "0" * 32)
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_key"
    huge = post(collector, first_id, "k" * 10_000)
    assert huge.status_code == 401


def test_cli_errors_name_the_problem(collector: Collector) -> None:
    missing = collector.cli("project", "rotate-key", "no-such-project")
    assert missing.returncode == 1
    assert "no project named 'no-such-project'" in missing.stderr
    name, _, _ = new_project(collector)
    for args, message in [
        (("--origins", "ftp://x"), "--origins: 'ftp://x' is not an origin"),
        (("--rate-limit", "lots"), "--rate-limit: 'lots' is not a rate"),
        (("--retention-days", "-1"), "--retention-days must be an integer from 0"),
        (("--max-json-bytes", "10"), "--max-json-bytes must be an integer from 1024"),
        ((), "nothing to set"),
    ]:
        result = collector.cli("project", "set", name, *args)
        assert result.returncode == 1, args
        assert message in result.stderr, result.stderr
    bad_grace = collector.cli("project", "rotate-key", name, "--grace", "soon")
    assert bad_grace.returncode == 1
    assert "--grace: 'soon' is not a duration" in bad_grace.stderr


def test_project_settings_show_values_and_defaults(collector: Collector) -> None:
    name, _, _ = new_project(collector)
    shown = json.loads(
        cli_ok(collector, "project", "set", name, "--retention-days", "30", "--rate-limit", "5/1")
    )
    settings = shown["settings"]
    assert settings["retention_days"] == {"value": 30, "default": False}
    assert settings["rate_limit"] == {"value": "5/1", "default": False}
    assert settings["max_json_bytes"] == {"value": 1024 * 1024, "default": True}
    again = json.loads(cli_ok(collector, "project", "set", name, "--retention-days", "default"))
    assert again["settings"]["retention_days"] == {"value": 90, "default": True}


def test_a_projects_own_json_limit_applies(collector: Collector) -> None:
    name, project_id, key = new_project(collector)
    cli_ok(collector, "project", "set", name, "--max-json-bytes", "2048")
    big = {"id": str(uuid.uuid4()), "created_at": TS, "title": "t", "description": "x" * 4000}

    def refused() -> bool:
        answer = requests.post(
            f"{collector.url}/api/v1/projects/{project_id}/reports",
            json={**big, "id": str(uuid.uuid4())},
            headers={"X-BugRelay-Key": key},
            timeout=30,
        )
        return answer.status_code == 413 and "2048 bytes" in answer.json()["error"]["message"]

    eventually(refused, "the project's 2048-byte limit")


# -- browser origins ---------------------------------------------------------------------------


def preflight(collector: Collector, project_id: int, origin: str) -> requests.Response:
    return requests.options(
        f"{collector.url}/api/v1/projects/{project_id}/reports",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type, x-bugrelay-key",
        },
        timeout=30,
    )


def test_any_origin_is_allowed_until_origins_are_set(collector: Collector) -> None:
    _, project_id, key = new_project(collector)
    answer = preflight(collector, project_id, "https://anything.example")
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "https://anything.example"
    assert "x-bugrelay-key" in answer.headers["Access-Control-Allow-Headers"]
    assert "POST" in answer.headers["Access-Control-Allow-Methods"]
    posted = post(collector, project_id, key, {"Origin": "https://anything.example"})
    assert posted.status_code == 202
    assert posted.headers["Access-Control-Allow-Origin"] == "https://anything.example"
    assert "Origin" in posted.headers["Vary"]


def test_only_the_projects_origins_may_post(collector: Collector) -> None:
    name, project_id, key = new_project(collector)
    cli_ok(
        collector,
        "project",
        "set",
        name,
        "--origins",
        "https://shop.example,https://*.example.com:8443",
    )

    def forbidden() -> bool:
        return preflight(collector, project_id, "https://evil.example").status_code == 403

    eventually(forbidden, "the origin list")
    refused = post(collector, project_id, key, {"Origin": "https://evil.example"})
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    assert "Access-Control-Allow-Origin" not in refused.headers
    for origin in (
        "https://shop.example",
        "HTTPS://SHOP.EXAMPLE:443",
        "https://a.example.com:8443",
    ):
        assert preflight(collector, project_id, origin).status_code == 204, origin
        assert post(collector, project_id, key, {"Origin": origin}).status_code == 202, origin
    for origin in (
        "http://shop.example",
        "https://example.com:8443",
        "null",
        "https://shop.example.evil",
    ):
        assert post(collector, project_id, key, {"Origin": origin}).status_code == 403, origin
    # Apps and servers send no Origin: their key decides.
    assert post(collector, project_id, key).status_code == 202
    # Errors a page may read carry the CORS header too.
    wrong = post(collector, project_id, "0" * 32, {"Origin": "https://shop.example"})
    assert wrong.status_code == 401
    assert wrong.headers["Access-Control-Allow-Origin"] == "https://shop.example"


@pytest.mark.parametrize(
    "path",
    [
        "groups",
        "reports",  # the same path as the intake, but GET: the operator's list
        f"reports/{uuid.uuid4()}/attachments/shot.png",  # GET: the operator's download
    ],
)
def test_admin_routes_answer_no_cross_origin_browser(collector: Collector, path: str) -> None:
    url = f"{collector.url}/api/v1/projects/{collector.project_id}/{path}"
    answer = requests.get(
        url,
        headers={"Authorization": f"Bearer {collector.admin_token}", "Origin": "https://x.example"},
        timeout=30,
    )
    assert answer.status_code in (200, 404)
    assert "Access-Control-Allow-Origin" not in answer.headers
    asked = requests.options(
        url,
        headers={"Origin": "https://x.example", "Access-Control-Request-Method": "GET"},
        timeout=30,
    )
    assert "Access-Control-Allow-Origin" not in asked.headers


def test_a_preflight_allows_the_client_method_of_each_route(collector: Collector) -> None:
    base = f"{collector.url}/api/v1/projects/{collector.project_id}"
    report = f"reports/{uuid.uuid4()}"
    for path, method in (
        ("reports", "POST"),
        ("client-report", "POST"),
        (f"{report}/status", "GET"),
        (f"{report}/rating", "POST"),
        (f"{report}/attachments/shot.png", "PUT"),
    ):
        answer = requests.options(
            f"{base}/{path}",
            headers={"Origin": "https://x.example", "Access-Control-Request-Method": method},
            timeout=30,
        )
        assert answer.status_code == 204, path
        assert answer.headers["Access-Control-Allow-Methods"] == f"{method}, OPTIONS", path


# -- ids in paths ------------------------------------------------------------------------------


@pytest.mark.parametrize("project_id", ["0", "9223372036854775808", "99999999999999999999999"])
def test_project_ids_out_of_range_are_unknown_projects(
    collector: Collector, project_id: str
) -> None:
    ingest = requests.post(
        f"{collector.url}/api/v1/projects/{project_id}/reports",
        json={"id": str(uuid.uuid4()), "created_at": TS, "title": "x"},
        headers={"X-BugRelay-Key": collector.public_key},
        timeout=30,
    )
    assert ingest.status_code == 403  # the key is real, but of another project
    listing = collector.admin_get(f"/api/v1/projects/{project_id}/reports")
    assert listing.status_code == 404
    assert listing.json()["error"]["code"] == "project_not_found"


def test_group_ids_out_of_range_are_unknown_groups(collector: Collector) -> None:
    answer = collector.admin_get(
        f"/api/v1/projects/{collector.project_id}/groups/99999999999999999999"
    )
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "group_not_found"


def test_405_lists_every_method_of_the_path(collector: Collector) -> None:
    answer = requests.delete(collector.reports_url, timeout=30)
    assert answer.status_code == 405
    allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
    assert {"GET", "POST"} <= allowed
