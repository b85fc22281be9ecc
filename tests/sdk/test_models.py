"""Wire schema v1: what it accepts, what it refuses, and that every refusal names the field."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

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


def test_an_exception_carries_its_stack_text_and_a_flat_chain() -> None:
    stack = "TypeError: x is undefined\n    at saveSettings (https://app.example.com/app.js:2:9)"
    chained = {"type": "KeyError", "value": "'price'", "frames": [{"function": "read_price"}]}
    exception = {"type": "TypeError", "stack": stack, "chain": [chained, {"type": "OSError"}]}
    report = Report.model_validate(minimal(exception=exception))
    assert report.exception is not None
    assert report.exception.stack == stack
    assert [e.type for e in report.exception.chain] == ["KeyError", "OSError"]
    assert Report.model_validate_json(report.model_dump_json()) == report
    assert Report.model_validate(minimal(exception={"type": "KeyError"})).exception.chain == []  # type: ignore[union-attr]
    validator = jsonschema.Draft202012Validator(models.json_schema())
    assert validator.is_valid(minimal(exception=exception))

    nested = {"type": "TypeError", "chain": [{"type": "KeyError", "chain": [{"type": "OSError"}]}]}
    with pytest.raises(
        ValidationError, match=r"chain\[0\]\.chain: a chained exception cannot"
    ) as exc:
        Report.model_validate(minimal(exception=nested))
    assert fields_of(exc) == {"exception.chain"}
    assert not validator.is_valid(minimal(exception=nested))
    empty_own_chain = {"type": "TypeError", "chain": [{"type": "KeyError", "chain": []}]}
    Report.model_validate(minimal(exception=empty_own_chain))
    assert validator.is_valid(minimal(exception=empty_own_chain))

    too_long = {"type": "TypeError", "chain": [{"type": "KeyError"}] * (models.MAX_CHAIN + 1)}
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(minimal(exception=too_long))
    assert fields_of(exc) == {"exception.chain"}
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(
            minimal(exception={"type": "E", "stack": "x" * (models.MAX_MESSAGE + 1)})
        )
    assert fields_of(exc) == {"exception.stack"}


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


# --- JSON types are strict -------------------------------------------------------------------
#
# The collector validates decoded JSON (``Report.model_validate(json.loads(body))``); clients and
# tests may validate the raw text (``model_validate_json``). Both must refuse the same values and
# name the same field paths, so every case below runs both ways.


def put(data: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``data`` with ``value`` at the dotted ``path`` (list indexes as numbers)."""
    node: Any = data
    *parents, last = path.split(".")
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


def refused(model: type[BaseModel], data: dict[str, Any]) -> set[str]:
    """The field paths ``model`` refuses in ``data`` sent as JSON, the same from both entries."""
    text = json.dumps(data)
    found: list[set[str]] = []
    for decode in (True, False):
        try:
            if decode:
                model.model_validate(json.loads(text))
            else:
                model.model_validate_json(text)
        except ValidationError as exc:
            found.append({".".join(str(p) for p in e["loc"]) for e in exc.errors()})
        else:
            found.append(set())
    decoded, raw = found
    assert decoded == raw, "model_validate(json.loads(text)) and model_validate_json(text) differ"
    return decoded


FIELDS_BY_KIND = {
    "boolean": ["exception.frames.0.in_app", "exception.handled"],
    "integer": [
        "exception.frames.0.line",
        "device.memory_mb",
        "device.cpu_count",
        "browser.viewport.width",
        "network.0.status",
        "attachments.0.size",
    ],
    "number": ["browser.pixel_ratio", "network.0.duration_ms"],
    "string": [
        "title",
        "description",
        "user.id",
        "exception.type",
        "tags.feature",
        "fingerprint.0",
        "attachments.0.data",
        "kind",
        "actions.0.level",
    ],
    "datetime": ["created_at", "actions.0.timestamp", "logs.0.timestamp", "network.0.timestamp"],
    "uuid": ["id"],
}

WRONG_BY_KIND: dict[str, list[Any]] = {
    "boolean": [0, 1, 1.0, "true", "false", "no", "", [], {}],
    "integer": [True, False, 3.0, 12.5, 1e20, "3", "", [], {}],
    "number": [True, False, "1.5", "2", "", float("nan"), float("inf"), [], {}],
    "string": [1, 1.5, True, False, [], {}, ["x"], {"x": "y"}],
    "datetime": [
        1_700_000_000,
        1.7e9,
        True,
        "1700000000",  # Unix time as a string: pydantic's lax parser would take it
        "2026-11-25T10:00:00",  # no time zone
        "2026-11-25",
        "10:00:00Z",
        "2026-11-25 10:00:00Z",  # a space instead of T: not RFC 3339's date-time
        "2026-11-25T10:00Z",  # no seconds
        "2026-11-25T10:00:00+0100",
        "2026-13-25T10:00:00Z",
        "yesterday",
        "",
        [],
        {},
    ],
    "uuid": [123, 1.5, True, "not-a-uuid", "", [], {}],
}

WRONG_CASES = [
    pytest.param(path, value, id=f"{path}={value!r}")
    for kind, paths in FIELDS_BY_KIND.items()
    for path in paths
    for value in WRONG_BY_KIND[kind]
]


@pytest.mark.parametrize(("path", "value"), WRONG_CASES)
def test_a_value_of_the_wrong_json_type_is_refused_by_name(path: str, value: Any) -> None:
    assert refused(Report, put(full(), path, value)) == {path}


RIGHT_CASES: list[tuple[str, list[Any]]] = [
    ("exception.frames.0.in_app", [True, False]),
    ("exception.handled", [True, False, None]),
    ("exception.frames.0.line", [0, 1, 2**40, None]),
    ("device.memory_mb", [0, 16_000, None]),
    ("browser.viewport.width", [0, 1280, 100_000]),
    ("network.0.status", [0, 404, 999, None]),
    ("browser.pixel_ratio", [0, 2, 1.25, 100, None]),
    ("network.0.duration_ms", [0, 31, 31.5, 1e9, None]),
    ("user.id", ["", "42", None]),
    ("tags.feature", ["", "settings"]),
    ("fingerprint.0", ["", "save-button"]),
    ("exception.type", ["", "KeyError"]),
    (
        "created_at",
        [
            "2026-11-25T10:00:00Z",
            "2026-11-25T10:00:00.250Z",
            "2026-11-25T10:00:00.123456789Z",
            "2026-11-25T11:00:00+01:00",
            "2026-11-25T04:30:00-05:30",
            "2026-11-25T10:00:00-00:00",
            "2026-11-25t10:00:00z",  # RFC 3339 allows lower case
        ],
    ),
    ("actions.0.timestamp", [TS]),
    ("network.0.timestamp", [TS, None]),
    ("id", [str(uuid.uuid4()), str(uuid.uuid4()).upper()]),
]


@pytest.mark.parametrize(
    ("path", "value"),
    [
        pytest.param(path, value, id=f"{path}={value!r}")
        for path, values in RIGHT_CASES
        for value in values
    ],
)
def test_a_value_of_the_right_json_type_is_taken(path: str, value: Any) -> None:
    assert refused(Report, put(full(), path, value)) == set()


def test_values_are_kept_as_sent_not_converted() -> None:
    report = Report.model_validate(json.loads(json.dumps(full())))
    assert report.browser is not None
    assert report.browser.pixel_ratio == 2.0
    assert isinstance(report.browser.pixel_ratio, float)
    assert report.created_at == datetime(2026, 11, 25, 10, tzinfo=UTC)
    assert isinstance(report.id, uuid.UUID)


@pytest.mark.parametrize("value", [True, 1.0, "1", 2, 0, None])
def test_schema_version_is_the_integer_1(value: Any) -> None:
    assert refused(Report, minimal(schema_version=value)) == {"schema_version"}


def test_a_timestamp_refusal_says_what_to_send() -> None:
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(minimal(created_at=1_700_000_000))
    [error] = exc.value.errors()
    assert error["loc"] == ("created_at",)
    assert "RFC 3339" in error["msg"]
    assert TS in error["msg"]


JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def is_kind(kind: str, value: Any) -> bool:
    """Whether ``value`` has the JSON type of ``kind``; datetimes and UUIDs travel as strings."""
    if kind == "boolean":
        return isinstance(value, bool)
    if kind == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    return isinstance(value, str)


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from([(kind, path) for kind, paths in FIELDS_BY_KIND.items() for path in paths]),
    JSON_VALUES,
)
def test_any_json_value_of_another_type_is_refused_by_name(
    field: tuple[str, str], value: Any
) -> None:
    kind, path = field
    assume(value is not None and not is_kind(kind, value))
    assert refused(Report, put(full(), path, value)) == {path}


OFFSETS = st.integers(min_value=-(24 * 60 - 1), max_value=24 * 60 - 1).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)


@settings(max_examples=300, deadline=None)
@given(st.datetimes(timezones=OFFSETS))
def test_any_aware_datetime_in_rfc_3339_is_taken_as_that_instant(when: datetime) -> None:
    for text in (when.isoformat(), when.isoformat(timespec="seconds")):
        report = Report.model_validate(json.loads(json.dumps(minimal(created_at=text))))
        assert report.created_at == datetime.fromisoformat(text)
        assert report.created_at.utcoffset() == when.utcoffset()
        assert Report.model_validate_json(report.model_dump_json()) == report


@settings(max_examples=200, deadline=None)
@given(
    st.integers(min_value=0, max_value=2**63),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False) | st.integers(0, 2**53),
)
def test_any_integer_and_number_in_range_are_taken(line: int, duration: float) -> None:
    data = put(put(full(), "exception.frames.0.line", line), "network.0.duration_ms", duration)
    report = Report.model_validate(json.loads(json.dumps(data)))
    assert report.exception is not None
    assert report.exception.frames[0].line == line
    assert report.network[0].duration_ms == duration


def test_python_objects_are_taken_when_building_a_report_in_python() -> None:
    report_id, when = uuid.uuid4(), datetime.now(UTC)
    report = Report(id=report_id, created_at=when, title="Save does nothing")
    assert (report.id, report.created_at) == (report_id, when)
    assert Report.model_validate(report.model_dump()) == report
    assert Report.model_validate_json(report.model_dump_json()) == report


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("created_at", datetime(2026, 11, 25, 10, 0)),  # naive: no time zone
        ("created_at", date(2026, 11, 25)),
        ("id", uuid.uuid4().bytes),
    ],
)
def test_python_objects_that_json_cannot_carry_are_refused(field: str, value: Any) -> None:
    with pytest.raises(ValidationError) as exc:
        Report.model_validate(minimal(**{field: value}))
    assert fields_of(exc) == {field}


# --- the rule a report must say something, in the published schema ---------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.none()
    | st.sampled_from(["", " ", "\t\n", "x", " x ", "\u3000", "\x1c"])
    | st.text(max_size=4),
    st.none() | st.sampled_from(["", "  ", "it broke"]) | st.text(max_size=4),
    st.booleans(),
)
def test_the_json_schema_and_the_model_agree_a_report_must_say_something(
    title: str | None, description: str | None, has_exception: bool
) -> None:
    data: dict[str, Any] = {"id": str(uuid.uuid4()), "created_at": TS}
    if title is not None:
        data["title"] = title
    if description is not None or has_exception:  # null is a valid description, too
        data["description"] = description
    if has_exception:
        data["exception"] = {"type": "KeyError"}
    by_schema = jsonschema.Draft202012Validator(models.json_schema()).is_valid(data)
    by_model = not refused(Report, data)
    assert by_schema == by_model


def test_the_json_schema_states_the_rule_a_report_must_say_something() -> None:
    schema = models.json_schema()
    assert schema["anyOf"] == models.SAYS_SOMETHING["anyOf"]
    validator = jsonschema.Draft202012Validator(schema)
    assert not validator.is_valid({"id": str(uuid.uuid4()), "created_at": TS})
    assert not validator.is_valid(minimal(title="  ", description=None))
    assert validator.is_valid(minimal(title="", description="it broke"))
    assert validator.is_valid(minimal(title="", exception={"type": "KeyError"}))


# --- Rating -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("score", True),  # was stored as 1
        ("score", 3.0),
        ("score", "3"),
        ("score", 0),
        ("score", 6),
        ("effort", True),
        ("effort", 4.0),
        ("effort", "4"),
        ("effort", 0),
        ("effort", 8),
        ("recommend", False),
        ("recommend", 9.0),
        ("recommend", "9"),
        ("recommend", -1),
        ("recommend", 11),
        ("comment", 5),
    ],
)
def test_a_wrong_rating_is_refused_by_name(field: str, value: Any) -> None:
    assert refused(models.Rating, {"score": 4, field: value}) == {field}


@pytest.mark.parametrize(
    "rating",
    [
        {"score": 1},
        {"score": 5, "comment": "quick fix", "effort": 1, "recommend": 0},
        {"score": 3, "effort": 7, "recommend": 10},
        {"score": 3, "effort": None, "recommend": None},
    ],
)
def test_a_right_rating_is_taken(rating: dict[str, Any]) -> None:
    assert refused(models.Rating, rating) == set()


def test_the_rating_scales_are_documented() -> None:
    properties = models.Rating.model_json_schema()["properties"]
    assert "effort score" in properties["effort"]["description"]
    assert "1 (very hard) to 7 (very easy)" in properties["effort"]["description"]
    assert "Net Promoter Score" in properties["recommend"]["description"]
    assert "0 (not at all likely) to 10" in properties["recommend"]["description"]


@pytest.mark.parametrize("value", [123, True, "not-a-uuid"])
def test_a_report_status_id_must_be_a_uuid_string(value: Any) -> None:
    assert refused(models.ReportStatus, {"id": value, "status": "fixed"}) == {"id"}
