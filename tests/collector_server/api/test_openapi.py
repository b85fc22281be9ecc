"""``/openapi.json``: valid, complete (every route, every error code a route can raise), stable."""

from __future__ import annotations

import ast
import inspect
import io
import json
import os
import re
import subprocess
import sys
import textwrap
import types
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st
from openapi_spec_validator import validate
from PIL import Image
from starlette.applications import Starlette
from starlette.routing import Route

from collector_server.api._doc import (
    DISCARDED_HEADER,
    ERROR_CODES,
    PATH_PARAMS,
    described,
    handlers_by_method,
)
from collector_server.api.openapi import openapi_document
from collector_server.app import create_app
from collector_server.attachments import check_name
from collector_server.client_reports import DISCARD_REASONS, parse_discarded_header
from collector_server.errors import ApiError
from collector_server.http_doc import DOC_PATH, main, render
from collector_server.settings import Settings
from collector_server.store import Store
from tests.support import Collector

TS = "2026-11-25T10:00:00Z"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Starlette]:
    data_dir = tmp_path_factory.mktemp("openapi")
    settings = Settings.from_env({"BUGRELAY_DATA_DIR": str(data_dir), "BUGRELAY_ADMIN_TOKEN": "t"})
    store = Store.open(settings.database_url)
    app = create_app(settings, store=store)
    yield app
    # No server ran the app's lifespan, so close what its shutdown closes: the writer threads
    # would outlive the module (and fail the leaked-thread checks of later tests).
    app.state.bugrelay.writer.close()
    store.close()


@pytest.fixture(scope="module")
def document(app: Starlette) -> dict[str, Any]:
    return openapi_document(app.routes)


def operations(app: Starlette) -> Iterator[tuple[str, str, Callable[..., Any]]]:
    """(documented path, method, handler) of every route of the app."""
    for route in app.routes:
        assert isinstance(route, Route)
        path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        methods = sorted((route.methods or set()) - {"HEAD"})
        for method, handler in handlers_by_method(route.endpoint, methods).items():
            yield path, method, handler


def test_the_openapi_document_is_valid_and_covers_every_route(
    app: Starlette, document: dict[str, Any]
) -> None:
    validate(document)  # type: ignore[arg-type]
    documented = {
        (path, method.upper()) for path, ops in document["paths"].items() for method in ops
    }
    for path, method, handler in operations(app):
        assert (path, method) in documented, f"describe {method} {path} with @operation"
        assert described(handler) is not None


def test_every_error_code_a_route_can_raise_is_in_its_responses(
    app: Starlette, document: dict[str, Any]
) -> None:
    missing = []
    for path, method, handler in operations(app):
        responses = document["paths"][path][method.lower()]["responses"]
        for status, code in sorted(raised_codes(handler)):
            if code not in documented_codes(responses, status):
                missing.append(f"{method} {path}: {status} {code}")
    assert not missing, "raised but not documented:\n" + "\n".join(missing)


def test_every_error_code_an_operation_declares_can_be_raised(app: Starlette) -> None:
    """The other way round, for the codes declared per operation (not the common ones): a
    stale entry is a lie in the document."""
    stale = []
    for path, method, handler in operations(app):
        op = described(handler)
        assert op is not None
        raised = raised_codes(handler)
        for status, codes in op.errors.items():
            stale.extend(
                f"{method} {path}: {status} {code}"
                for code in codes
                if (status, code) not in raised
            )
    assert not stale, "declared but never raised:\n" + "\n".join(stale)


def test_every_error_code_raised_anywhere_is_described() -> None:
    root = Path(__file__).parents[3] / "collector_server"
    found = set()
    for source in root.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            if _is_api_error(node) and isinstance(node, ast.Call) and len(node.args) >= 2:
                code = node.args[1]
                if isinstance(code, ast.Constant) and isinstance(code.value, str):
                    found.add(code.value)
    internal = {"internal_error"}  # a 500 is our bug, never documented as an answer
    assert found - internal - set(ERROR_CODES) == set()


def test_error_answers_name_their_codes_and_the_headers_they_always_carry(
    document: dict[str, Any],
) -> None:
    post = document["paths"]["/api/v1/projects/{project_id}/reports"]["post"]["responses"]
    assert documented_codes(post, 503) == {"shutting_down", "storage_unavailable"}
    assert post["503"]["headers"]["Retry-After"]["required"] is True
    assert post["429"]["headers"]["Retry-After"]["required"] is True
    assert documented_codes(post, 413) == {
        "attachment_too_large",
        "body_too_large",
        "decompressed_too_large",
        "report_too_large",
        "too_many_attachments",
    }
    get_group = document["paths"]["/api/v1/projects/{project_id}/groups/{group_id}"]["get"]
    assert documented_codes(get_group["responses"], 404) == {
        "group_not_found",
        "not_found",
        "project_not_found",
    }
    assert "healthz" not in json.dumps(document["paths"]["/healthz"]["get"]["responses"])


def test_path_ids_are_bounded_integers(document: dict[str, Any]) -> None:
    ids = [
        param
        for ops in document["paths"].values()
        for op in ops.values()
        for param in op.get("parameters", [])
        if param["in"] == "path" and param["name"] in ("project_id", "group_id")
    ]
    assert len(ids) == 16  # project_id in thirteen operations, group_id in three
    for param in ids:
        assert param["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**63 - 1}


def test_a_report_comes_as_json_or_as_a_form_with_files(document: dict[str, Any]) -> None:
    post = document["paths"]["/api/v1/projects/{project_id}/reports"]["post"]
    content = post["requestBody"]["content"]
    assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Report"}
    form = content["multipart/form-data"]
    assert form["schema"] == {"$ref": "#/components/schemas/ReportForm"}
    assert form["encoding"] == {"report": {"contentType": "application/json"}}
    report_form = document["components"]["schemas"]["ReportForm"]
    assert report_form["required"] == ["report"]
    assert report_form["properties"]["report"]["$ref"] == "#/components/schemas/Report"
    assert report_form["properties"]["file"]["format"] == "binary"
    responses = post["responses"]
    assert documented_codes(responses, 415) >= {"unsupported_media_type", "unsupported_image_type"}
    assert documented_codes(responses, 422) >= {"missing_report_part", "invalid_image"}


@given(
    st.one_of(
        st.text(max_size=110),
        st.text(st.sampled_from(["a", ".", " ", "\u3000", "/", "\\", "\u202e", "\n", "é"])),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=3),
    )
)
def test_the_attachment_name_pattern_is_check_name(name: str) -> None:
    """What the path parameter's schema allows, check_name takes, and the other way round."""
    schema = PATH_PARAMS["name"].schema
    described_ok = (
        schema["minLength"] <= len(name) <= schema["maxLength"]
        and re.fullmatch(schema["pattern"], name) is not None
    )
    try:
        check_name(name)
    except ApiError:
        accepted = False
    else:
        accepted = True
    assert described_ok == accepted, repr(name)


def test_the_report_body_states_that_a_report_says_something(document: dict[str, Any]) -> None:
    report = document["components"]["schemas"]["Report"]
    assert {"required": ["title"]}.items() <= report["anyOf"][0].items()
    schema = {**report, "components": document["components"]}
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid({"id": str(uuid.uuid4()), "created_at": TS})
    assert validator.is_valid({"id": str(uuid.uuid4()), "created_at": TS, "title": "x"})


def test_the_document_is_deterministic(app: Starlette, document: dict[str, Any]) -> None:
    assert json.dumps(openapi_document(app.routes)) == json.dumps(document)
    script = textwrap.dedent(
        """
        import json, sys, tempfile
        from collector_server.api.openapi import openapi_document
        from collector_server.app import create_app
        from collector_server.settings import Settings
        from collector_server.store import Store
        settings = Settings.from_env(
            {"BUGRELAY_DATA_DIR": tempfile.mkdtemp(), "BUGRELAY_ADMIN_TOKEN": "t"}
        )
        store = Store.open(settings.database_url)
        app = create_app(settings, store=store)
        sys.stdout.write(json.dumps(openapi_document(app.routes)))
        app.state.bugrelay.writer.close()
        store.close()
        """
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGRELAY_")}
    for seed in ("1", "2"):
        result = subprocess.run(
            [sys.executable, "-c", script],
            cwd=Path(__file__).parents[3],
            env={**env, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert result.stdout == json.dumps(document)


def test_the_served_document_is_the_generated_one(
    collector: Collector, document: dict[str, Any]
) -> None:
    served = requests.get(collector.url + "/openapi.json", timeout=10)
    assert served.status_code == 200
    assert served.json() == document


def test_a_stored_report_matches_the_stored_report_schema(
    collector: Collector, document: dict[str, Any]
) -> None:
    body = {
        "id": str(uuid.uuid4()),
        "created_at": TS,
        "kind": "crash",
        "title": "Checkout fails",
        "user": {"id": "u1", "plan": "pro"},
        "app": {"release": "2.4.1", "environment": "production"},
        "actions": [{"timestamp": TS, "category": "ui.click", "message": "Pay"}],
        "exception": {"type": "KeyError", "value": "'cart'", "frames": [{"function": "pay"}]},
        "tags": {"page": "checkout"},
        "extra": {"cart": [1, 2]},
    }
    answer = collector.post_report(body)
    assert answer.status_code == 202, answer.text
    stored = collector.get_report(body["id"])
    assert stored.status_code == 200
    schema = {"$ref": "#/components/schemas/StoredReport", "components": document["components"]}
    jsonschema.validate(stored.json(), schema, cls=jsonschema.Draft202012Validator)


def test_attachments_match_their_schemas_and_headers(
    collector: Collector, document: dict[str, Any]
) -> None:
    """A form with a screenshot, a file uploaded later, the stored report and a download."""
    report_id = str(uuid.uuid4())
    png = io.BytesIO()
    Image.new("RGB", (3, 2)).save(png, "PNG")
    report = {"id": report_id, "created_at": TS, "title": "With a screenshot"}
    key = {"X-BugRelay-Key": collector.public_key}
    answer = requests.post(
        collector.reports_url,
        headers=key,
        files=[
            ("report", (None, json.dumps(report), "application/json")),
            ("file", ("screen.png", png.getvalue(), "image/png")),
        ],
        timeout=30,
    )
    assert answer.status_code == 202, answer.text
    paths = document["paths"]
    attachment = "/api/v1/projects/{project_id}/reports/{report_id}/attachments/{name}"
    upload_url = f"{collector.reports_url}/{report_id}/attachments/app%20log.txt"
    put = requests.put(
        upload_url, data=b"line 1\n", headers={**key, "Content-Type": "text/plain"}, timeout=30
    )
    assert put.status_code == 201, put.text
    _validate(put.json(), paths[attachment]["put"]["responses"]["201"], document)

    stored = collector.get_report(report_id)
    assert stored.status_code == 200
    _validate(
        stored.json(),
        paths["/api/v1/projects/{project_id}/reports/{report_id}"]["get"]["responses"]["200"],
        document,
    )
    assert [(a["name"], a["width"]) for a in stored.json()["attachments"]] == [
        ("screen.png", 3),
        ("app log.txt", None),
    ]

    download = collector.admin_get(
        f"/api/v1/projects/{collector.project_id}/reports/{report_id}/attachments/app%20log.txt"
    )
    assert download.status_code == 200
    assert download.content == b"line 1\n"
    assert download.headers["Content-Type"] == "text/plain"
    documented = paths[attachment]["get"]["responses"]["200"]["headers"]
    assert [name for name in documented if name not in download.headers] == []


def _validate(body: Any, answer: dict[str, Any], document: dict[str, Any]) -> None:
    schema = {
        **answer["content"]["application/json"]["schema"],
        "components": document["components"],
    }
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


_ENTRY = st.tuples(
    st.sampled_from([*sorted(DISCARD_REASONS), "queue full", "x"]),
    st.sampled_from(["=", " = ", "\t=", ":"]),
    st.one_of(st.integers(-1, 2_000_000_000).map(str), st.sampled_from(["0001", "01e3", "١"])),
)


@given(st.lists(_ENTRY, min_size=1, max_size=17), st.sampled_from([",", ", ", " ,\t", ",,"]))
def test_the_discarded_header_pattern_is_the_parser_s_grammar(
    entries: list[tuple[str, str, str]], comma: str
) -> None:
    """What the pattern allows, the parser takes, unless a reason repeats (a rule that a
    pattern cannot state); what the pattern refuses, the parser refuses."""
    header = comma.join(f"{reason}{equals}{count}" for reason, equals, count in entries)
    matches = re.fullmatch(DISCARDED_HEADER.schema["pattern"], header) is not None
    repeated = len({reason for reason, _, _ in entries}) < len(entries)
    try:
        parse_discarded_header([header])
    except ApiError:
        accepted = False
    else:
        accepted = True
    assert accepted == (matches and not repeated), header


def documented_codes(responses: dict[str, Any], status: int) -> set[str]:
    answer = responses.get(str(status))
    if answer is None:
        return set()
    schema = answer["content"]["application/json"]["schema"]
    return set(schema["allOf"][1]["properties"]["error"]["properties"]["code"]["enum"])


def raised_codes(handler: Callable[..., Any]) -> set[tuple[int, str]]:
    """``(status, code)`` of every ``ApiError(status, code, ...)`` in the handler and in every
    function of the collector it refers to, followed through the modules' globals (best effort:
    calls through objects, such as ``state.store.get_report``, are not followed)."""
    found: set[tuple[int, str]] = set()
    seen: set[Callable[..., Any]] = set()

    def visit(function: types.FunctionType) -> None:
        if function in seen:
            return
        seen.add(function)
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
        definition = tree.body[0]
        assert isinstance(definition, ast.FunctionDef | ast.AsyncFunctionDef)
        namespace = function.__globals__
        for statement in definition.body:  # not the decorators
            for node in ast.walk(statement):
                if _is_api_error(node) and isinstance(node, ast.Call) and len(node.args) >= 2:
                    status = _value(node.args[0], namespace)
                    code = _value(node.args[1], namespace)
                    if isinstance(status, int) and isinstance(code, str):
                        found.add((status, code))
                target = _value(node, namespace)
                if isinstance(target, types.FunctionType) and target.__module__.startswith(
                    "collector_server."
                ):
                    visit(target)

    visit(inspect.unwrap(handler))  # type: ignore[arg-type]
    return found


def _is_api_error(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name | ast.Attribute)
        and (node.func.id if isinstance(node.func, ast.Name) else node.func.attr) == "ApiError"
    )


def _value(node: ast.AST, namespace: dict[str, Any]) -> Any:
    """The object a constant, a global name or ``module.name`` / ``Class.name`` stands for."""
    if isinstance(node, ast.Constant):
        return node.value
    if isinstance(node, ast.Name):
        return namespace.get(node.id)
    if isinstance(node, ast.Attribute):
        owner = _value(node.value, namespace)
        if isinstance(owner, types.ModuleType | type):
            return getattr(owner, node.attr, None)
    return None


def test_the_http_api_page_is_the_generated_one(
    document: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = Path(__file__).parents[3] / DOC_PATH
    assert page.read_text() == render(document), "run `python -m collector_server.http_doc`"
    assert main(["--check", "--output", str(page)]) == 0
    stale = tmp_path / "http-api.md"
    stale.write_text("edited by hand")
    assert main(["--check", "--output", str(stale)]) == 1
    assert "out of date" in capsys.readouterr().err
    assert main(["--output", str(stale)]) == 0
    assert stale.read_text() == page.read_text()
    text = page.read_text()
    for code in ERROR_CODES:  # every code, with its meaning, under its own anchor
        assert f'<a id="{code.replace("_", "-")}"></a>`{code}`' in text
    for path, ops in document["paths"].items():
        for method in ops:
            assert f"`{method.upper()} {path}`" in text
