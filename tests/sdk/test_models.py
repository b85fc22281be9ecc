"""Wire schema v1: what it accepts, what it refuses, and that every refusal names the field."""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import ValidationError

from collector_server.cli import SCHEMA_DOC_NAME, SCHEMA_PATH, schema_doc_text, schema_text
from sdk import models
from sdk.models import Report

ROOT = Path(__file__).resolve().parents[2]
TS = "2026-11-25T10:00:00Z"


def minimal(**fields: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "created_at": TS, "title": "Save does nothing", **fields}


def full() -> dict[str, Any]:
    data = b"\x89PNG fake"
    return minimal(
        kind="bug",
        description="I clicked Save and nothing happened.",
        impact="blocks_work",
        user={"id": "42", "email": "a@example.com", "name": "Ann", "plan": "pro", "segment": "vip"},
        app={"name": "shop", "release": "2.4.1", "environment": "production", "build": "881"},
        runtime={"name": "CPython", "version": "3.11.7"},
        os={"name": "Linux", "version": "6.1", "build": "debian"},
        device={"family": "desktop", "arch": "x86_64", "memory_mb": 16000, "cpu_count": 8},
        browser={
            "name": "Chrome",
            "version": "131",
            "user_agent": "Mozilla/5.0",
            "viewport": {"width": 1280, "height": 720},
            "screen": {"width": 1920, "height": 1080},
            "pixel_ratio": 2,
            "language": "ru-RU",
            "timezone": "Europe/Berlin",
            "url": "https://shop.example.com/settings",
            "referrer": "https://shop.example.com/",
        },
        actions=[
            {"timestamp": TS, "category": "ui.click", "message": "Save", "data": {"sel": "#save"}}
        ],
        logs=[{"timestamp": TS, "level": "error", "logger": "shop.api", "message": "boom"}],
        exception={
            "type": "KeyError",
            "value": "'price'",
            "module": "builtins",
            "handled": False,
            "frames": [
                {
                    "module": "shop.cart",
                    "function": "total",
                    "file": "cart.py",
                    "line": 12,
                    "in_app": True,
                }
            ],
        },
        network=[{"method": "POST", "url": "/api/save", "status": 500, "duration_ms": 31.5}],
        tags={"feature": "settings"},
        extra={"cart": {"items": 3}},
        attachments=[
            {
                "name": "screen.png",
                "content_type": "image/png",
                "size": len(data),
                "data": base64.b64encode(data).decode(),
            }
        ],
        links={"sentry_event_id": "a" * 32, "sentry_trace_id": "b" * 32, "session_id": "s1"},
        fingerprint=["save-button"],
        sdk={"name": "bugrelay.python", "version": "0.1.0"},
    )


def fields_of(exc: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(p) for p in e["loc"]) for e in exc.value.errors()}


def test_a_full_report_round_trips_unchanged() -> None:
    report = Report.model_validate(full())
    again = Report.model_validate_json(report.model_dump_json())
    assert again == report
    assert report.exception is not None
    assert report.exception.frames[0].in_app


def test_the_exported_json_schema_accepts_what_the_models_accept() -> None:
    schema = json.loads(schema_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(full(), schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**full(), "bogus": 1}, schema)


def test_the_committed_schema_file_matches_the_models() -> None:
    committed = (ROOT / SCHEMA_PATH).read_text(encoding="utf-8")
    assert committed == schema_text(), "run `bugrelay schema export` and commit the result"
    reference = (ROOT / SCHEMA_PATH.parent.parent / SCHEMA_DOC_NAME).read_text(encoding="utf-8")
    assert reference == schema_doc_text(), "run `bugrelay schema export` and commit the result"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("bogus", 1),
        ("user.nickname", "x"),
        ("browser.viewport.depth", 3),
        ("actions.0.colour", "red"),
        ("exception.frames.0.column", 3),
        ("attachments.0.url", "http://x"),
    ],
)
def test_unknown_fields_are_refused_by_name(path: str, value: Any) -> None:
    data = full()
    node: Any = data
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[last] = value
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(data)
    assert fields_of(exc) == {path}
    assert exc.value.errors()[0]["type"] == "extra_forbidden"


@pytest.mark.parametrize(
    ("field", "value", "limit"),
    [
        ("title", "x" * (models.MAX_TITLE + 1), models.MAX_TITLE),
        ("description", "x" * (models.MAX_DESCRIPTION + 1), models.MAX_DESCRIPTION),
        (
            "actions",
            [{"timestamp": TS, "message": "m"}] * (models.MAX_ACTIONS + 1),
            models.MAX_ACTIONS,
        ),
        ("logs", [{"timestamp": TS}] * (models.MAX_LOGS + 1), models.MAX_LOGS),
        (
            "network",
            [{"method": "GET", "url": "/"}] * (models.MAX_NETWORK + 1),
            models.MAX_NETWORK,
        ),
        ("tags", {f"k{i}": "v" for i in range(models.MAX_TAGS + 1)}, models.MAX_TAGS),
    ],
)
def test_every_limit_is_enforced_and_named(field: str, value: Any, limit: int) -> None:
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(minimal(**{field: value}))
    assert fields_of(exc) == {field}
    assert exc.value.errors()[0]["ctx"]["max_length"] == limit


def test_every_string_and_list_in_the_schema_has_a_maximum() -> None:
    schema = models.json_schema()
    unbounded: list[str] = []

    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if (
                node.get("type") == "string"
                and "maxLength" not in node
                and "enum" not in node
                and node.get("format") not in ("date-time", "uuid")
            ):
                unbounded.append(where)
            if node.get("type") == "array" and "maxItems" not in node:
                unbounded.append(where)
            for key, child in node.items():
                walk(child, f"{where}/{key}")
        elif isinstance(node, list):
            for i, child in enumerate(node):
                walk(child, f"{where}/{i}")

    walk(schema, "#")
    assert unbounded == []


def test_free_form_json_is_bounded_by_size_and_depth() -> None:
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(models.MAX_JSON_DEPTH + 1):
        node["d"] = {}
        node = node["d"]
    with pytest.raises(ValidationError, match="nested deeper"):
        Report.model_validate(minimal(extra=deep))
    with pytest.raises(ValidationError, match="bytes as JSON") as exc:
        Report.model_validate(minimal(extra={"blob": "x" * models.MAX_EXTRA_BYTES}))
    assert fields_of(exc) == {"extra"}


def test_attachment_size_must_match_its_data() -> None:
    good = {"name": "a.txt", "size": 5, "data": base64.b64encode(b"hello").decode()}
    Report.model_validate(minimal(attachments=[good]))
    with pytest.raises(ValidationError, match="size says 6 bytes but data holds 5"):
        Report.model_validate(minimal(attachments=[{**good, "size": 6}]))
    with pytest.raises(ValidationError, match="not valid base64"):
        Report.model_validate(minimal(attachments=[{**good, "data": "@@@"}]))


def test_a_report_must_say_something() -> None:
    with pytest.raises(ValidationError, match="needs a title, a description or an exception"):
        Report.model_validate(minimal(title="  "))
    Report.model_validate(minimal(title="", description="it broke"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "not-a-uuid"),
        ("created_at", "2026-11-25T10:00:00"),  # no timezone
        ("kind", "rant"),
        ("schema_version", 2),
        ("impact", "meh"),
    ],
)
def test_wrong_values_are_refused_by_name(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(minimal(**{field: value}))
    assert fields_of(exc) == {field}
