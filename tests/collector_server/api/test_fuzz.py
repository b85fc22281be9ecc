"""The collector fuzzed from its own ``/openapi.json``: no 5xx, and every answer as documented.

schemathesis reads the document that a real collector (``bugrelay serve`` on a loopback port,
on SQLite and on PostgreSQL) serves, and runs every one of its checks against every operation
(``tests/collector_server/api/test_openapi.py`` checks the document itself):
its examples, its coverage cases (boundaries, missing and malformed parts, wrong methods and
content types) and random cases, valid and invalid, with the demo project's ingest key and the
admin token where an operation needs them; then again with no credentials at all; then the
stateful phase, which follows the document's links (a report's id into its status, its rating,
its attachments...).

What JSON Schema cannot say, and so the generated cases cannot know, is bridged here in one
place, :func:`_as_the_wire_schema_says`, each with its reason.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import math
import uuid
from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import requests
import schemathesis
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.specs.openapi.checks import positive_data_acceptance

from collector_server.api.openapi import collector_document
from tests.support import ADMIN_TOKEN, Collector, postgres_database, start_collector

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 60
"""Random cases per operation and mode; with the coverage cases, about a minute per database."""
MAX_STEPS = 10
"""Calls per stateful scenario."""

DEMO_PROJECT_ID = 1
"""The demo project of a fresh database, which the collector's ``--demo`` creates first."""

load_all_checks()
ALL_CHECKS = list(CHECKS.get_all())


def _config() -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "generation": {
                "mode": "all",
                "max-examples": MAX_EXAMPLES,
                "database": "none",  # nothing written beside the checkout
            },
            "phases": {"stateful": {"max-steps": MAX_STEPS}},
            "checks": {"max_response_time": 10.0},  # seconds: a slower answer is a bug too
            # The demo project, most of the time, so that cases get past the key check.
            "dictionaries": {"demo": {"values": [DEMO_PROJECT_ID]}},
            "parameters": {"path.project_id": {"dictionary": "demo", "probability": 0.8}},
        }
    )


DOCUMENT = collector_document()  # the cases are made at collection, before any collector runs
# Copies: schemathesis changes the document it is given as it runs.
schema = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=_config())
anonymous = schemathesis.openapi.from_dict(copy.deepcopy(DOCUMENT), config=_config())
DEMO_KEY = "<the demo project's key>"
"""Stands for the key in the cases, which are made when the tests are collected, before the
collector (and its key) exists; :func:`_call_and_validate` puts the real key in."""


@schema.auth()
class DemoCredentials:
    """The demo project's key or the admin token, as the operation's security asks; schemathesis
    leaves them out of the cases that test their absence."""

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> dict[str, str]:
        schemes = _schemes(case)
        if "ingestKey" in schemes:
            return {"X-BugRelay-Key": DEMO_KEY}
        if "adminToken" in schemes:
            return {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        return {}

    def set(
        self,
        case: schemathesis.Case,
        data: dict[str, str],
        context: schemathesis.AuthContext,
    ) -> None:
        case.headers = {**(case.headers or {}), **data}


@pytest.fixture(scope="module")
def fuzzed(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """A collector of its own, on a database of its own: the fuzzer stores thousands of reports,
    which no other test should see."""
    data_dir = tmp_path_factory.mktemp(f"fuzz-{database_kind}")
    with contextlib.ExitStack() as stack:
        if database_kind == "sqlite":
            url = f"sqlite:///{data_dir / 'fuzz.sqlite3'}"
        else:
            url = stack.enter_context(postgres_database())
        collector = stack.enter_context(start_collector(data_dir, url))
        assert collector.project_id == DEMO_PROJECT_ID
        served = requests.get(collector.url + "/openapi.json", timeout=10)
        assert served.json() == DOCUMENT, "the fuzzer must read the document the collector serves"
        yield collector


@schema.parametrize()
def test_every_operation_answers_as_documented(case: schemathesis.Case, fuzzed: Collector) -> None:
    _call_and_validate(case, fuzzed)


@anonymous.parametrize()
def test_without_credentials_every_operation_is_refused_as_documented(
    case: schemathesis.Case, fuzzed: Collector
) -> None:
    response = _call_and_validate(case, fuzzed)
    # (A method the path does not take is a 405 before anything: the unsupported_method check.)
    if _schemes(case) and case.method.upper() == case.operation.method.upper():
        assert response.status_code in (401, 403, 404), response.text
        if response.status_code != 401:
            # Refused before the key is looked at: a path that names no route, a browser origin.
            assert _error_code(response) in ("not_found", "origin_not_allowed"), response.text


def test_stateful_scenarios_follow_the_links(fuzzed: Collector) -> None:
    class Scenarios(schema.as_state_machine()):  # type: ignore[misc]
        def before_call(self, case: schemathesis.Case) -> None:
            _with_the_real_key(case, fuzzed)
            _as_the_wire_schema_says(case)

        def get_call_kwargs(self, case: schemathesis.Case) -> dict[str, Any]:
            return {"base_url": fuzzed.url}

        def validate_response(self, response: Any, case: schemathesis.Case, **kwargs: Any) -> None:
            _validate(case, response, fuzzed)

    Scenarios.run(
        settings=hypothesis.settings(
            max_examples=MAX_EXAMPLES,
            stateful_step_count=MAX_STEPS,
            deadline=None,
            database=None,
            suppress_health_check=list(hypothesis.HealthCheck),
        )
    )


_NUL_PROBES = {
    # What the fuzzer found: a NUL character that reached a PostgreSQL text parameter (SQLite
    # takes it) was a 500. Each is now refused before the database sees it, or taken.
    "the key": ("GET", "/reports/{report_id}/status?key=a%00", None, None, (401, "invalid_key")),
    "an attachment name": (
        "GET",
        "/reports/{report_id}/attachments/a%00b",
        "admin",
        None,
        (404, "attachment_not_found"),
    ),
    "a cursor": ("GET", "/reports?cursor={nul_cursor}", "admin", None, (400, "invalid_cursor")),
    "a rating comment": (
        "POST",
        "/reports/{report_id}/rating",
        "ingest",
        {"score": 3, "comment": "a\u0000b"},
        (201, None),
    ),
}


@pytest.mark.parametrize("where", sorted(_NUL_PROBES))
def test_a_nul_character_is_refused_or_taken_never_a_server_error(
    where: str, fuzzed: Collector
) -> None:
    method, path, auth, body, (status, code) = _NUL_PROBES[where]
    report_id = str(uuid.uuid4())
    stored = fuzzed.post_report(
        {"id": report_id, "created_at": "2026-11-25T10:00:00Z", "title": "x"}
    )
    assert stored.status_code == 202, stored.text
    cursor = base64.urlsafe_b64encode(
        json.dumps(["2026-11-25T10:00:00+00:00\u0000", "\u0000"]).encode()
    )
    path = path.format(report_id=report_id, nul_cursor=cursor.decode().rstrip("="))
    headers = {
        None: {},
        "ingest": {"X-BugRelay-Key": fuzzed.public_key},
        "admin": {"Authorization": f"Bearer {fuzzed.admin_token}"},
    }[auth]
    response = requests.request(
        method,
        f"{fuzzed.url}/api/v1/projects/{fuzzed.project_id}{path}",
        json=body,
        headers=headers,
        timeout=30,
    )
    assert response.status_code == status, response.text
    if code is not None:
        assert response.json()["error"]["code"] == code


def _call_and_validate(case: schemathesis.Case, collector: Collector) -> Any:
    _with_the_real_key(case, collector)
    _as_the_wire_schema_says(case)
    response = case.call(base_url=collector.url)
    _validate(case, response, collector)
    _nothing_half_stored(case, response, collector)
    return response


_ACCEPTED_IDS: set[str] = set()
"""Report ids some case got stored (a later case may reuse one: then it is rightly there)."""


def _nothing_half_stored(case: schemathesis.Case, response: Any, collector: Collector) -> None:
    """A report the collector refused is not in the database, in whole or in part."""
    if case.operation.definition.raw.get("operationId") != "createReport":
        return
    body = case.body.get("report", case.body) if isinstance(case.body, dict) else None
    report_id = body.get("id") if isinstance(body, dict) else None
    if not isinstance(report_id, str):
        return
    try:
        report_id = str(uuid.UUID(report_id))
    except ValueError:
        return
    if response.status_code in (200, 202):
        _ACCEPTED_IDS.add(report_id)
        return
    if report_id in _ACCEPTED_IDS or response.status_code == 409:
        return  # stored by an earlier case (here or in another project)
    stored = requests.get(
        f"{collector.url}/api/v1/projects/{DEMO_PROJECT_ID}/reports/{report_id}",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        timeout=10,
    )
    assert stored.status_code == 404, f"refused ({response.status_code}) yet stored: {report_id}"


def _validate(case: schemathesis.Case, response: Any, collector: Collector) -> None:
    _remember_cursor(response)
    excluded = []
    if not _every_part_positive(case) or _made_up_cursor(case, response):
        excluded.append(positive_data_acceptance)
    case.validate_response(
        response,
        checks=ALL_CHECKS,
        excluded_checks=excluded,
        transport_kwargs={"base_url": collector.url},
    )


def _with_the_real_key(case: schemathesis.Case, collector: Collector) -> None:
    if case.headers and case.headers.get("X-BugRelay-Key") == DEMO_KEY:
        case.headers["X-BugRelay-Key"] = collector.public_key


def _schemes(case: schemathesis.Case) -> set[str]:
    security = case.operation.definition.raw.get("security", [])
    return {name for requirement in security for name in requirement}


def _as_the_wire_schema_says(case: schemathesis.Case) -> None:
    """Make a valid case valid for the collector too, where JSON Schema cannot say what the
    wire schema refuses (docs/wire-schema.md); an invalid case is left as it is."""
    if case.meta is not None and not case.meta.generation.mode.is_positive:
        return
    if isinstance(case.body, dict):
        # JSON Schema calls 3.0 an integer; the wire schema takes JSON integers only.
        case.body = _integers_as_integers(case.body)
        report = case.body.get("report", case.body)  # multipart: the report part
        if isinstance(report, dict) and report.get("attachments"):
            # Inline attachments: `size` must be the length of the decoded `data`, and a
            # declared image must be one; neither fits in a schema. Files come as file parts.
            report["attachments"] = []


def _integers_as_integers(value: Any) -> Any:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value) if abs(value) < 2**53 else value
    if isinstance(value, dict):
        return {k: _integers_as_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_integers_as_integers(v) for v in value]
    return value


def _every_part_positive(case: schemathesis.Case) -> bool:
    """schemathesis 4.32 marks some coverage cases positive while a part of them (an optional
    header) is negative; only a case whose every part is valid must be accepted."""
    if case.meta is None:
        return True
    return all(info.mode.is_positive for info in case.meta.components.values())


def _made_up_cursor(case: schemathesis.Case, response: Any) -> bool:
    """A cursor is opaque: no schema tells a ``next_cursor`` from a made-up string, which the
    collector refuses with ``invalid_cursor``."""
    cursor = (case.query or {}).get("cursor")
    return (
        cursor is not None
        and cursor not in _NEXT_CURSORS
        and response.status_code == 400
        and _error_code(response) == "invalid_cursor"
    )


_NEXT_CURSORS: set[str] = set()
"""Every ``next_cursor`` the collector answered with (the stateful phase follows them)."""


def _remember_cursor(response: Any) -> None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return
    if isinstance(body, dict) and isinstance(body.get("next_cursor"), str):
        _NEXT_CURSORS.add(body["next_cursor"])


def _error_code(response: Any) -> str | None:
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("code") if isinstance(error, dict) else None
