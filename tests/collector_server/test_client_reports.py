"""Client reports on a real collector: the X-BugRelay-Discarded header, the client-report route,
and the per-project counts that /metrics shows."""

from __future__ import annotations

import gzip
import http.client
import json
import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from collector_server.client_reports import MAX_COUNT, REASON_MEANINGS
from tests.support import Collector

TS = "2026-11-25T10:00:00Z"
METRIC = "bugrelay_sdk_discarded_reports"
DOCS = Path(__file__).resolve().parents[2] / "docs" / "collector.md"

Counts = dict[tuple[str, ...], float]


def report(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "created_at": TS, "title": "Checkout fails", **fields}


def metric_samples(collector: Collector) -> dict[str, Counts]:
    """Every sample of every counter on /metrics: {sample name: {label values: value}}."""
    response = requests.get(collector.url + "/metrics", timeout=10)
    assert response.status_code == 200
    samples: dict[str, Counts] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            key = tuple(value for _, value in sorted(sample.labels.items()))
            samples.setdefault(sample.name, {})[key] = sample.value
    return samples


def discarded(collector: Collector) -> Counts:
    """``{(project_id, reason): count}`` of the discarded-reports counter."""
    return metric_samples(collector).get(f"{METRIC}_total", {})


def added(before: Counts, after: Counts) -> Counts:
    return {
        key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key)
    }


def new_project(collector: Collector) -> tuple[int, str]:
    """A new project (its id and key), so that its counts start at zero."""
    dsn = collector.create_project(f"discards-{uuid.uuid4().hex[:8]}")
    key, _, rest = dsn.removeprefix("http://").partition("@")
    return int(rest.rsplit("/", 1)[1]), key


@pytest.fixture(scope="module")
def project(collector: Collector) -> tuple[int, str]:
    return new_project(collector)


@pytest.fixture(scope="module")
def other_project(collector: Collector) -> tuple[int, str]:
    return new_project(collector)


def post_report(
    collector: Collector,
    project: tuple[int, str],
    body: Any,
    discarded_header: str | None,
    *,
    gzipped: bool = False,
    key_in_query: bool = False,
    headers: dict[str, str] | None = None,
) -> requests.Response:
    project_id, key = project
    data = json.dumps(body).encode()
    sent = {"Content-Type": "application/json", **(headers or {})}
    if gzipped:
        data = gzip.compress(data)
        sent["Content-Encoding"] = "gzip"
    if discarded_header is not None:
        sent["X-BugRelay-Discarded"] = discarded_header
    if not key_in_query:
        sent["X-BugRelay-Key"] = key
    return requests.post(
        f"{collector.url}/api/v1/projects/{project_id}/reports",
        params={"key": key} if key_in_query else None,
        data=data,
        headers=sent,
        timeout=30,
    )


def post_client_report(
    collector: Collector, project_id: int, key: str | None, body: bytes, **headers: str
) -> requests.Response:
    sent = {"Content-Type": "application/json", **headers}
    if key is not None:
        sent["X-BugRelay-Key"] = key
    return requests.post(
        f"{collector.url}/api/v1/projects/{project_id}/client-report",
        data=body,
        headers=sent,
        timeout=30,
    )


# -- the header on the report route ------------------------------------------------------------


@pytest.mark.parametrize(
    ("gzipped", "key_in_query"),
    [(False, False), (True, False), (False, True)],
    ids=["json", "gzip", "key in query"],
)
def test_a_stored_report_adds_the_header_counts_to_its_project(
    collector: Collector, project: tuple[int, str], gzipped: bool, key_in_query: bool
) -> None:
    before = discarded(collector)
    body = report()
    response = post_report(
        collector,
        project,
        body,
        "queue_full=3 ,network_error=1,\ttorn = 2",
        gzipped=gzipped,
        key_in_query=key_in_query,
    )
    assert response.status_code == 202, response.text
    pid = str(project[0])
    assert added(before, discarded(collector)) == {
        (pid, "queue_full"): 3,
        (pid, "network_error"): 1,
        (pid, "torn"): 2,
    }
    assert collector.get_report(body["id"], project[0]).status_code == 200


def test_every_reason_and_the_largest_count_are_taken(
    collector: Collector, project: tuple[int, str]
) -> None:
    before = discarded(collector)
    header = ", ".join(f"{reason}={MAX_COUNT}" for reason in REASON_MEANINGS)
    assert post_report(collector, project, report(), header).status_code == 202
    pid = str(project[0])
    assert added(before, discarded(collector)) == {(pid, r): MAX_COUNT for r in REASON_MEANINGS}


def test_a_repeat_of_a_stored_report_is_not_counted_again(
    collector: Collector, project: tuple[int, str]
) -> None:
    body = report()
    before = discarded(collector)
    first = post_report(collector, project, body, "expired=5")
    again = post_report(collector, project, body, "expired=5")
    assert (first.status_code, again.status_code) == (202, 200)
    assert added(before, discarded(collector)) == {(str(project[0]), "expired"): 5}


def test_counts_on_a_refused_report_are_not_counted(
    collector: Collector, project: tuple[int, str]
) -> None:
    before = discarded(collector)
    response = post_report(collector, project, report(bogus=1), "rejected=2")
    assert response.status_code == 422
    assert discarded(collector) == before


def test_a_report_without_the_header_counts_nothing(
    collector: Collector, project: tuple[int, str]
) -> None:
    before = discarded(collector)
    assert post_report(collector, project, report(), None).status_code == 202
    assert discarded(collector) == before


def test_several_header_lines_are_one_list(collector: Collector, project: tuple[int, str]) -> None:
    """As HTTP says: two lines of one header mean their values joined by a comma."""
    project_id, key = project

    def send(*values: str) -> tuple[int, Any]:
        url = urlsplit(collector.url)
        connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=30)
        try:
            connection.putrequest("POST", f"/api/v1/projects/{project_id}/reports")
            data = json.dumps(report()).encode()
            for name, value in [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(data))),
                ("X-BugRelay-Key", key),
                *(("X-BugRelay-Discarded", v) for v in values),
            ]:
                connection.putheader(name, value)
            connection.endheaders(data)
            answer = connection.getresponse()
            return answer.status, json.loads(answer.read())
        finally:
            connection.close()

    before = discarded(collector)
    assert send("spool_full=1", "corrupted=4")[0] == 202
    assert added(before, discarded(collector)) == {
        (str(project_id), "spool_full"): 1,
        (str(project_id), "corrupted"): 4,
    }
    status, answer = send("spool_full=1", "spool_full=2")
    assert status == 400
    assert answer["error"]["code"] == "invalid_discarded_header"
    assert "'spool_full=2'" in answer["error"]["message"]


HEADER_CASES = [
    ("unknown reason", "queue_full=1, before_send=2", "'before_send=2'"),
    ("uppercase reason", "Queue_Full=1", "'Queue_Full=1'"),
    ("not a number", "expired=many", "'expired=many'"),
    ("zero", "expired=0", "'expired=0'"),
    ("negative", "expired=-3", "'expired=-3'"),
    ("a fraction", "expired=1.5", "'expired=1.5'"),
    ("over the limit", f"expired={MAX_COUNT + 1}", f"'expired={MAX_COUNT + 1}'"),
    ("non-ASCII digit", "expired=\u00b2", "'expired=\u00b2'"),
    ("duplicate reason", "torn=1, invalid=1, torn=2", "'torn=2'"),
    ("no equals sign", "torn", "'torn'"),
    ("empty entry", "torn=1,,invalid=1", "empty entry"),
    ("trailing comma", "torn=1,", "empty entry"),
    ("empty header", "", "is empty"),
    ("17 entries", ",".join(["torn=1"] * 17), "17 entries; the limit is 16"),
    ("too long", "torn=1," + " " * 1100 + "invalid=1", "the limit is 1024"),
]


@pytest.mark.parametrize(
    ("label", "header", "named"), HEADER_CASES, ids=[c[0] for c in HEADER_CASES]
)
def test_a_malformed_header_is_400_naming_the_entry_and_stores_nothing(
    collector: Collector, project: tuple[int, str], label: str, header: str, named: str
) -> None:
    before = metric_samples(collector)
    body = report()
    response = post_report(collector, project, body, header)
    assert response.status_code == 400, (label, response.text)
    error = response.json()["error"]
    assert error["code"] == "invalid_discarded_header"
    assert "X-BugRelay-Discarded" in error["message"]
    assert named in error["message"]
    assert collector.get_report(body["id"], project[0]).status_code == 404
    after = metric_samples(collector)
    assert after.get(f"{METRIC}_total", {}) == before.get(f"{METRIC}_total", {})
    refused = "bugrelay_reports_refused_total"
    assert added(before[refused], after[refused]) == {("invalid_discarded_header",): 1}


def test_the_key_is_checked_before_the_header_and_the_header_before_the_body(
    collector: Collector, project: tuple[int, str]
) -> None:
    project_id, _ = project
    wrong_key = post_report(collector, (project_id, "0" * 32), report(), "bogus=1")
    assert wrong_key.json()["error"]["code"] == "invalid_key"
    bad_both = post_report(
        collector, project, report(), "bogus=1", headers={"Content-Type": "text/plain"}
    )
    assert bad_both.json()["error"]["code"] == "invalid_discarded_header"


# -- the client-report route -------------------------------------------------------------------


def test_a_client_report_is_counted_and_answered_204(
    collector: Collector, project: tuple[int, str]
) -> None:
    project_id, key = project
    before = discarded(collector)
    body = {"discarded": {"queue_full": 7, "rejected": 1}}
    response = post_client_report(collector, project_id, key, json.dumps(body).encode())
    assert response.status_code == 204, response.text
    assert response.content == b""
    assert added(before, discarded(collector)) == {
        (str(project_id), "queue_full"): 7,
        (str(project_id), "rejected"): 1,
    }


def test_a_client_report_may_be_gzipped_and_keyed_in_the_query(
    collector: Collector, project: tuple[int, str]
) -> None:
    project_id, key = project
    before = discarded(collector)
    response = requests.post(
        f"{collector.url}/api/v1/projects/{project_id}/client-report",
        params={"key": key},
        data=gzip.compress(b'{"discarded": {"invalid": 2}}'),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
        timeout=30,
    )
    assert response.status_code == 204, response.text
    assert added(before, discarded(collector)) == {(str(project_id), "invalid"): 2}


BODY_CASES = [
    ("unknown field", {"discarded": {"torn": 1}, "dropped": {}}, "dropped"),
    ("unknown reason", {"discarded": {"before_send": 1}}, "discarded.before_send"),
    ("zero", {"discarded": {"torn": 0}}, "discarded.torn"),
    ("over the limit", {"discarded": {"torn": MAX_COUNT + 1}}, "discarded.torn"),
    ("a string count", {"discarded": {"torn": "1"}}, "discarded.torn"),
    ("a float count", {"discarded": {"torn": 1.0}}, "discarded.torn"),
    ("a boolean count", {"discarded": {"torn": True}}, "discarded.torn"),
    ("no reasons", {"discarded": {}}, "discarded"),
    ("not an object", {"discarded": [["torn", 1]]}, "discarded"),
    ("missing", {}, "discarded"),
    ("a list", [], "(body)"),
]


@pytest.mark.parametrize(("label", "body", "field"), BODY_CASES, ids=[c[0] for c in BODY_CASES])
def test_a_bad_client_report_is_400_naming_the_field(
    collector: Collector, project: tuple[int, str], label: str, body: Any, field: str
) -> None:
    project_id, key = project
    before = discarded(collector)
    response = post_client_report(collector, project_id, key, json.dumps(body).encode())
    assert response.status_code == 400, (label, response.text)
    error = response.json()["error"]
    assert error["code"] == "invalid_client_report"
    assert [f["field"] for f in error["fields"]] == [field]
    assert field in error["message"]
    assert discarded(collector) == before


def test_a_reason_given_twice_in_the_json_is_400(
    collector: Collector, project: tuple[int, str]
) -> None:
    project_id, key = project
    body = b'{"discarded": {"torn": 1, "torn": 2}}'
    response = post_client_report(collector, project_id, key, body)
    assert response.status_code == 400
    assert [f["field"] for f in response.json()["error"]["fields"]] == ["discarded.torn"]


@pytest.mark.parametrize(
    ("body", "headers", "status", "code"),
    [
        (b'{"discarded": ', {}, 400, "malformed_json"),
        (
            b'{"discarded": {"torn": 1}}',
            {"Content-Type": "text/plain"},
            415,
            "unsupported_media_type",
        ),
        (b'{"discarded": {"torn": 1}}' + b" " * 17_000, {}, 413, "body_too_large"),
    ],
    ids=["malformed JSON", "not JSON", "over 16 KiB"],
)
def test_client_report_bodies_get_the_usual_body_errors(
    collector: Collector,
    project: tuple[int, str],
    body: bytes,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    project_id, key = project
    response = post_client_report(collector, project_id, key, body, **headers)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


@pytest.mark.parametrize(
    ("key", "code"),
    [(None, "missing_key"), ("0" * 32, "invalid_key"), ("other", "key_of_another_project")],
    ids=["no key", "wrong key", "another project's key"],
)
def test_a_client_report_needs_the_project_key(
    collector: Collector,
    project: tuple[int, str],
    other_project: tuple[int, str],
    key: str | None,
    code: str,
) -> None:
    before = discarded(collector)
    sent = other_project[1] if key == "other" else key
    response = post_client_report(collector, project[0], sent, b'{"discarded": {"torn": 1}}')
    assert response.status_code == (403 if key == "other" else 401)
    assert response.json()["error"]["code"] == code
    missing = post_client_report(collector, 999_999, project[1], b'{"discarded": {"torn": 1}}')
    assert (missing.status_code, missing.json()["error"]["code"]) == (
        403,
        "key_of_another_project",
    )
    assert discarded(collector) == before


# -- per project ---------------------------------------------------------------------------------


def test_counts_are_kept_per_project(
    collector: Collector, project: tuple[int, str], other_project: tuple[int, str]
) -> None:
    before = discarded(collector)
    assert post_report(collector, project, report(), "spool_full=2").status_code == 202
    assert post_report(collector, other_project, report(), "spool_full=5").status_code == 202
    body = b'{"discarded": {"spool_full": 1}}'
    assert (
        post_client_report(collector, other_project[0], other_project[1], body).status_code == 204
    )
    assert added(before, discarded(collector)) == {
        (str(project[0]), "spool_full"): 2,
        (str(other_project[0]), "spool_full"): 6,
    }


# -- the docs ------------------------------------------------------------------------------------


def test_the_docs_list_every_reason_with_its_meaning() -> None:
    rows = re.findall(r"^\| `([a-z_]+)` \| (.+?) \|$", DOCS.read_text(), flags=re.M)
    reasons = {reason: meaning for reason, meaning in rows if reason in REASON_MEANINGS}
    assert reasons == REASON_MEANINGS
