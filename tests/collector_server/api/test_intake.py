"""Bad input at the report endpoint of a real collector: its own 4xx each, and nothing stored."""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from collector_server.store import Store
from tests.collector_server.api.test_attachments import bomb_png
from tests.support import Collector, start_collector

TS = "2026-11-25T10:00:00Z"
SMALL_LIMIT = 64 * 1024
BOMB = bomb_png()  # 400 megapixels in about 50 KB


def report(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "created_at": TS, "title": "Checkout fails", **fields}


@pytest.fixture(scope="module")
def other_project(collector: Collector) -> tuple[int, str]:
    dsn = collector.create_project(f"other-{uuid.uuid4().hex[:8]}")
    key, _, rest = dsn.removeprefix("http://").partition("@")
    return int(rest.rsplit("/", 1)[1]), key


@pytest.fixture(scope="module")
def store(collector: Collector) -> Iterator[Store]:
    opened = Store.open(collector.env["BUGRELAY_DATABASE_URL"], upgrade=False)
    yield opened
    opened.close()


@dataclass
class Case:
    name: str
    status: int
    code: str
    body: bytes | None = None
    headers: dict[str, str] | None = None
    key: str | None = "valid"
    project: str = "own"  # or "missing"


def json_body(data: Any) -> bytes:
    return json.dumps(data).encode()


CASES = [
    Case("no key", 401, "missing_key", key=None),
    Case("wrong key", 401, "invalid_key", key="0" * 32),
    Case("other project's key", 403, "key_of_another_project", key="other"),
    Case("no such project", 403, "key_of_another_project", project="missing"),
    Case("no such project, wrong key", 401, "invalid_key", key="0" * 32, project="missing"),
    Case("text/plain", 415, "unsupported_media_type", headers={"Content-Type": "text/plain"}),
    Case(
        "latin-1 charset",
        415,
        "unsupported_charset",
        headers={"Content-Type": "application/json; charset=latin-1"},
    ),
    Case("brotli", 415, "unsupported_encoding", headers={"Content-Encoding": "br"}),
    Case("malformed JSON", 400, "malformed_json", body=b'{"id": '),
    Case("invalid UTF-8", 400, "invalid_utf8", body=b'{"title": "\xff\xfe"}'),
    Case("deeply nested JSON", 400, "json_too_deep", body=b"[" * 200_000 + b"]" * 200_000),
    Case("a JSON array", 422, "invalid_report", body=b"[]"),
    Case(
        "schema_version 2",
        400,
        "unsupported_schema_version",
        body=json_body(report(schema_version=2)),
    ),
    Case("unknown field", 422, "invalid_report", body=json_body(report(bogus=1))),
    Case(
        "wrong types",
        422,
        "invalid_report",
        body=json_body(report(created_at=1700000000, exception={"type": "E", "handled": "no"})),
    ),
    Case(
        "inline image bomb",
        422,
        "image_bomb",
        body=json_body(
            report(
                attachments=[
                    {
                        "name": "shot.png",
                        "content_type": "image/png",
                        "size": len(BOMB),
                        "data": base64.b64encode(BOMB).decode(),
                    }
                ]
            )
        ),
    ),
    Case("title over 200", 422, "invalid_report", body=json_body(report(title="x" * 201))),
    Case("broken gzip", 400, "malformed_gzip", headers={"Content-Encoding": "gzip"}),
    Case(
        "over the default 1 MiB",
        413,
        "body_too_large",
        body=json_body(report(description="x" * 9000, extra={"pad": "y" * (1024 * 1024)})),
    ),
]


def test_hostile_text_is_stored_verbatim_as_data(collector: Collector) -> None:
    """Script tags, Markdown and @mentions are what users type: kept as they came, as JSON
    strings; whatever shows them (the dashboard, tickets) escapes them there."""
    hostile = {
        "title": '<script>alert("x")</script> @channel **bold** [link](javascript:alert(1)) \u0000',
        "description": "<img src=x onerror=alert(1)> @here #1 ```code``` \u0000 \u202e",
        "tags": {"where": "<b>"},
    }
    body = report(**hostile)
    response = collector.post_report(body)
    assert response.status_code == 202, response.text
    stored = collector.get_report(body["id"])
    assert stored.headers["Content-Type"].startswith("application/json")
    assert {k: stored.json()[k] for k in hostile} == hostile


def test_secrets_are_scrubbed_before_storage_and_the_fields_named(collector: Collector) -> None:
    """A client that scrubs nothing (a widget, a curl) still has its secrets removed, and the
    admin API says which fields were changed; the rest of the report is kept as sent."""
    token = "ghp_" + "a1B2c3D4e5" * 4
    body = report(
        description=f"my token is {token}, my email is ana@example.com",
        extra={"request": {"url": "https://ana:hunter22@shop.example/cart?id=7"}},
        tags={"plan": "pro"},
    )
    response = collector.post_report(body)
    assert response.status_code == 202, response.text
    stored = collector.get_report(body["id"]).json()
    text = json.dumps(stored)
    assert token not in text
    assert "hunter22" not in text
    assert "ana@example.com" in stored["description"]  # how support answers: not a secret
    assert stored["tags"] == {"plan": "pro"}
    assert stored["title"] == body["title"]
    assert set(stored["scrubbed_fields"]) == {"description", "extra.request.url"}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_requests_get_their_specific_error_and_store_nothing(
    collector: Collector, other_project: tuple[int, str], store: Store, case: Case
) -> None:
    before = store.count_reports(collector.project_id)
    body = case.body if case.body is not None else json_body(report())
    headers = {"Content-Type": "application/json", **(case.headers or {})}
    if case.key is not None:
        headers["X-BugRelay-Key"] = {"valid": collector.public_key, "other": other_project[1]}.get(
            case.key, case.key
        )
    url = (
        collector.reports_url
        if case.project == "own"
        else collector.url + "/api/v1/projects/999999/reports"
    )
    response = requests.post(url, data=body, headers=headers, timeout=30)
    assert response.status_code == case.status, response.text
    error = response.json()["error"]
    assert error["code"] == case.code
    assert error["message"]
    assert store.count_reports(collector.project_id) == before


def test_validation_errors_list_every_wrong_field_by_path(collector: Collector) -> None:
    body = report(
        bogus=1,
        title="x" * 201,
        user={"nickname": "ann"},
        actions=[{"timestamp": TS}, {"timestamp": "yesterday"}],
    )
    response = collector.post_report(body)
    assert response.status_code == 422
    fields = {f["field"]: f["message"] for f in response.json()["error"]["fields"]}
    assert fields.keys() == {"bogus", "title", "user.nickname", "actions[1].timestamp"}
    assert fields["bogus"] == "unknown field 'bogus'"
    assert "200" in fields["title"]


def test_unsupported_schema_version_names_the_supported_ones(collector: Collector) -> None:
    response = collector.post_report(report(schema_version=7))
    assert response.status_code == 400
    assert "takes 1" in response.json()["error"]["message"]


def test_a_repeated_report_id_is_answered_once_and_stored_once(
    collector: Collector, store: Store
) -> None:
    body = report(title=f"Repeat {uuid.uuid4()}")
    first = collector.post_report(body)
    before = store.count_reports(collector.project_id)
    again = collector.post_report({**body, "title": "changed on the way"})
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json() == again.json() == {"id": body["id"], "group_id": first.json()["group_id"]}
    assert store.count_reports(collector.project_id) == before
    assert collector.get_report(body["id"]).json()["title"] == body["title"]


def test_a_report_id_of_another_project_is_a_conflict(
    collector: Collector, other_project: tuple[int, str]
) -> None:
    body = report()
    assert collector.post_report(body).status_code == 202
    project_id, key = other_project
    response = requests.post(
        f"{collector.url}/api/v1/projects/{project_id}/reports",
        json=body,
        headers={"X-BugRelay-Key": key},
        timeout=30,
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "report_id_conflict"


def test_the_key_may_come_as_a_query_parameter(collector: Collector) -> None:
    body = report()
    response = requests.post(
        collector.reports_url, params={"key": collector.public_key}, json=body, timeout=30
    )
    assert response.status_code == 202
    assert response.json()["id"] == body["id"]


def test_gzip_bodies_are_accepted(collector: Collector) -> None:
    body = report(description="long " * 1000)
    response = requests.post(
        collector.reports_url,
        data=gzip.compress(json_body(body)),
        headers={
            "X-BugRelay-Key": collector.public_key,
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
        timeout=30,
    )
    assert response.status_code == 202, response.text
    assert collector.get_report(body["id"]).json()["description"] == body["description"]


@pytest.mark.parametrize(
    ("auth", "status", "code"),
    [
        (None, 401, "missing_admin_token"),
        ("Bearer wrong", 401, "invalid_admin_token"),
        ("Basic abc", 401, "missing_admin_token"),
    ],
)
def test_the_admin_api_needs_the_admin_token(
    collector: Collector, auth: str | None, status: int, code: str
) -> None:
    body = report()
    assert collector.post_report(body).status_code == 202
    headers = {"Authorization": auth} if auth else {}
    response = requests.get(f"{collector.reports_url}/{body['id']}", headers=headers, timeout=10)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


def test_the_admin_api_refuses_bad_and_unknown_ids(collector: Collector) -> None:
    assert collector.get_report("not-a-uuid").json()["error"]["code"] == "invalid_report_id"
    missing = collector.get_report(str(uuid.uuid4()))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "report_not_found"


def test_unknown_routes_and_methods_answer_json(collector: Collector) -> None:
    response = requests.get(collector.url + "/nope", timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (404, "not_found")
    response = requests.put(collector.reports_url, timeout=10)
    assert (response.status_code, response.json()["error"]["code"]) == (405, "method_not_allowed")


# -- size limits, on a collector with a small body limit -------------------------------------


@pytest.fixture(scope="module")
def small_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    data_dir: Path = tmp_path_factory.mktemp("small")
    url = f"sqlite:///{data_dir / 'db.sqlite3'}"
    with start_collector(data_dir, url, BUGRELAY_MAX_BODY_BYTES=str(SMALL_LIMIT)) as running:
        yield running


def chunks(data: bytes, size: int = 8192) -> Callable[[], Iterator[bytes]]:
    def generate() -> Iterator[bytes]:
        for start in range(0, len(data), size):
            yield data[start : start + size]

    return generate


@pytest.mark.parametrize(
    ("label", "make_request", "code"),
    [
        ("declared length over the limit", "declared", "body_too_large"),
        ("chunked body over the limit", "chunked", "body_too_large"),
        ("gzip bomb", "bomb", "decompressed_too_large"),
    ],
)
def test_size_limits_are_enforced_and_named(
    small_collector: Collector, label: str, make_request: str, code: str
) -> None:
    headers = {"X-BugRelay-Key": small_collector.public_key, "Content-Type": "application/json"}
    big = json_body(report(description="x" * 9000, extra={"pad": "y" * 60_000}))
    if make_request == "declared":
        data: Any = big
    elif make_request == "chunked":
        data = chunks(big)()
    else:
        data = gzip.compress(b" " * (50 * 1024 * 1024))  # 50 MiB of spaces: about 50 KiB gzipped
        headers["Content-Encoding"] = "gzip"
        assert len(data) < SMALL_LIMIT
    response = requests.post(small_collector.reports_url, data=data, headers=headers, timeout=60)
    assert response.status_code == 413, label
    error = response.json()["error"]
    assert error["code"] == code
    assert str(SMALL_LIMIT) in error["message"]
