"""Wire schema v1: the one model set shared by the SDK, the collector and the browser widget.

Every string and every list has a maximum, stated in the field and exported into
``docs/schema/report-v1.schema.json`` (``bugrelay schema export``). Unknown fields are rejected
everywhere, so a typo in a client is an error that names the field instead of data that silently
vanishes. The SDK trims what it builds to these limits before sending (see ``sdk.client``); the
collector refuses what does not fit.

JSON types are strict (pydantic's strict mode, on every model): a boolean is ``true`` or
``false``, an integer is a JSON integer (not ``true``, ``"3"`` or ``3.0``), a number is an integer
or a finite float (not ``true`` or ``"1.5"``), a string is a string. Timestamps are RFC 3339
strings with a time zone and ids are UUID strings (:data:`Timestamp`, :data:`UuidText`), never
numbers. Decoded JSON (``json.loads``) and raw JSON text give the same answer, with the same field
paths: validate the one with ``Model.model_validate(data)``, the other with
``Model.model_validate_json(text)``. From Python, ``datetime`` and ``UUID`` objects are taken too.

Adding an optional field is a compatible change within v1; renaming or removing one, or tightening
a limit, needs ``schema_version`` 2.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    JsonValue,
    Strict,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

SCHEMA_VERSION: Literal[1] = 1
SUPPORTED_SCHEMA_VERSIONS = (1,)

# Limits, named so that the SDK, the collector and the docs speak of the same numbers.
MAX_TITLE = 200
MAX_DESCRIPTION = 10_000
MAX_SHORT = 100  # names, versions, levels, categories
MAX_MEDIUM = 500  # user agents, exception values' first lines, file paths
MAX_URL = 2048
MAX_MESSAGE = 2_000  # one action or log message
MAX_ACTIONS = 200
MAX_LOGS = 500
MAX_FRAMES = 100
MAX_NETWORK = 100
MAX_TAGS = 50
MAX_TAG_KEY = 32
MAX_TAG_VALUE = 200
MAX_EXTRA_KEYS = 50
MAX_EXTRA_BYTES = 64 * 1024  # the extra object, and each action's data, serialised as JSON
MAX_JSON_DEPTH = 10
MAX_ATTACHMENTS = 10
MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024  # decoded size of one attachment
MAX_FINGERPRINT_PARTS = 10
MAX_CHAIN = 10  # the exceptions one exception was raised from

Short = Annotated[str, StringConstraints(max_length=MAX_SHORT)]
Medium = Annotated[str, StringConstraints(max_length=MAX_MEDIUM)]
Url = Annotated[str, StringConstraints(max_length=MAX_URL)]
Message = Annotated[str, StringConstraints(max_length=MAX_MESSAGE)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_KEY)]
TagValue = Annotated[str, StringConstraints(max_length=MAX_TAG_VALUE)]

_RFC3339 = (  # RFC 3339 section 5.6 date-time ([0-9], not \d: no other scripts' digits)
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})$"
)
_TIMESTAMP_EXAMPLE = "2026-11-25T10:00:00Z"


class _Rfc3339:
    """Pydantic metadata for :data:`Timestamp`, checked inside pydantic-core (no Python call).

    Neither mode fits alone: strict refuses every string from Python (the output of
    ``json.loads``), lax takes Unix time as a number or as a string of digits. So a timestamp is
    a string in RFC 3339 form, then parsed (lax); from Python, an aware ``datetime`` is taken too.
    """

    def __get_pydantic_core_schema__(
        self, _source: Any, _handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        text = core_schema.chain_schema(
            [
                core_schema.str_schema(pattern=_RFC3339, strict=True),
                core_schema.datetime_schema(tz_constraint="aware", strict=False),
            ]
        )
        instance = core_schema.datetime_schema(tz_constraint="aware", strict=True)
        return core_schema.custom_error_schema(
            core_schema.json_or_python_schema(
                json_schema=text,
                python_schema=core_schema.union_schema([text, instance], mode="left_to_right"),
            ),
            custom_error_type="datetime_format",
            custom_error_message="Input should be an RFC 3339 date-time string with a time zone, "
            f"e.g. {_TIMESTAMP_EXAMPLE}",
        )

    def __get_pydantic_json_schema__(
        self, _schema: core_schema.CoreSchema, _handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return {"type": "string", "format": "date-time"}


def _uuid_text_only(value: Any) -> Any:
    """Let only a string (or, from Python, a ``UUID``) reach the lax UUID parser (no bytes)."""
    if isinstance(value, str | uuid.UUID):
        return value
    raise PydanticCustomError(
        "uuid_type",
        "Input should be a UUID string, e.g. {example}",
        {"example": str(uuid.UUID(int=0))},
    )


def _exact_int(value: Any) -> Any:
    """Strict mode still lets ``true`` and ``1.0`` match ``Literal[1]`` (they are equal to 1)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


Timestamp = Annotated[datetime, _Rfc3339()]
"""An RFC 3339 date-time string with a time zone; from Python also an aware ``datetime``."""
UuidText = Annotated[uuid.UUID, Strict(False), BeforeValidator(_uuid_text_only)]
"""A UUID as a string; from Python also a ``uuid.UUID``."""

Level = Literal["debug", "info", "warning", "error", "critical"]
Kind = Literal["bug", "feedback", "crash"]
Impact = Literal["blocks_work", "annoying", "cosmetic"]


def _json_depth(value: Any, depth: int = 0) -> int:
    if isinstance(value, dict):
        return max((_json_depth(v, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list):
        return max((_json_depth(v, depth + 1) for v in value), default=depth + 1)
    return depth


_UNSURE = MAX_EXTRA_BYTES + 1  # "not known to fit": the exact check decides
_FLOAT_BOUND = len(repr(-2.2250738585072014e-308))  # the longest repr of a float: 24


def _size_bound(value: Any, level: int) -> int:
    """At least the size in bytes of ``value`` (a dict or a list at nesting ``level``) as the
    JSON of :func:`_check_free_json`; :data:`_UNSURE` or more when it may not pass that check
    (nested deeper than the limit, a type or a string the bound does not cover).
    """
    if level > MAX_JSON_DEPTH:
        return _UNSURE
    items: Any
    if type(value) is dict:
        size = 2 + 2 * len(value) + sum(map(_text_bound, value))  # each key's colon and comma
        items = value.values()
    elif type(value) is list:
        size = 2 + len(value)  # the brackets, the commas
        items = value
    else:
        return _UNSURE
    for item in items:
        size += _item_bound(item, level)
        if size > MAX_EXTRA_BYTES:
            return _UNSURE
    return size


def _item_bound(item: Any, level: int) -> int:
    """An integer takes at most one digit per 3 bits and its sign, a float at most its
    longest repr (also ``NaN`` and ``Infinity``, which JSON text can bring)."""
    kind = type(item)
    if kind is str:
        return _text_bound(item)
    if kind is int:
        return int(item.bit_length()) // 3 + 2
    if kind is float:
        return _FLOAT_BOUND
    if item is None or kind is bool:
        return 5
    return _size_bound(item, level + 1)


def _text_bound(text: Any) -> int:
    """A string takes at most 6 bytes a character (``\\u001f``; in UTF-8 at most 4)."""
    if type(text) is str and (text.isascii() or _encodes(text)):
        return 6 * len(text) + 2
    return _UNSURE


def _encodes(text: str) -> bool:
    """UTF-8 can encode ``text`` (a lone surrogate it cannot)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


_FLAT_ITEMS = MAX_EXTRA_BYTES // 1024  # so that 6 bytes a character of 80 each surely fit


def _flat_and_small(value: Any) -> bool:
    """A dict of a few short ASCII strings (an action's ``{"selector": "#save"}``): within
    both limits, decided in one loop (the general bound costs a call per item)."""
    if type(value) is not dict or len(value) > _FLAT_ITEMS:
        return False
    for key, item in value.items():
        if (
            type(key) is not str
            or type(item) is not str
            or len(key) + len(item) > 80
            or not (key + item).isascii()
        ):
            return False
    return True


def _check_free_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Bound free-form JSON (``extra``, action ``data``) by depth and encoded size."""
    if value is None or _flat_and_small(value) or _size_bound(value, 1) <= MAX_EXTRA_BYTES:
        return value  # surely within both limits: no need to encode it (the common case)
    if _json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_EXTRA_BYTES:
        raise ValueError(f"{size} bytes as JSON, more than the limit of {MAX_EXTRA_BYTES}")
    return value


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are errors, and JSON types are strict (no
    coercion between booleans, numbers and strings; no NaN or infinity)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=False)


class User(WireModel):
    """Who reported. Emails are only sent by the SDK when ``send_default_pii`` is on."""

    id: Short | None = Field(None, description="The app's own user id.")
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    name: Short | None = None
    plan: Short | None = Field(None, description="Billing plan, e.g. `pro`.")
    segment: Short | None = Field(None, description="Customer segment, e.g. `vip`, `beta`.")


class App(WireModel):
    name: Short | None = None
    release: Short | None = Field(None, description="The app's version, e.g. `2.4.1`.")
    environment: Short | None = Field(None, description="e.g. `production`, `staging`.")
    build: Short | None = Field(None, description="Build number or commit.")


class Runtime(WireModel):
    name: Short | None = Field(None, description="e.g. `CPython`, `Chrome`.")
    version: Short | None = None


class Os(WireModel):
    name: Short | None = Field(None, description="e.g. `Linux`, `Windows`, `macOS`.")
    version: Short | None = None
    build: Short | None = None


class Device(WireModel):
    family: Short | None = Field(None, description="`desktop`, `mobile`, `tablet`, `server`.")
    model: Short | None = None
    arch: Short | None = Field(None, description="e.g. `x86_64`, `arm64`.")
    hostname: Short | None = Field(
        None, description="A salted hash of the host name unless the app opted in to the name."
    )
    memory_mb: int | None = Field(None, ge=0)
    cpu_count: int | None = Field(None, ge=0)


class Size(WireModel):
    width: int = Field(ge=0, le=100_000)
    height: int = Field(ge=0, le=100_000)


class Browser(WireModel):
    name: Short | None = None
    version: Short | None = None
    user_agent: Medium | None = None
    viewport: Size | None = None
    screen: Size | None = None
    pixel_ratio: float | None = Field(None, ge=0, le=100)
    language: Short | None = None
    timezone: Short | None = None
    url: Url | None = Field(None, description="The page, with secrets in the query removed.")
    referrer: Url | None = None


class Action(WireModel):
    """One step of the action trail (a breadcrumb): what the user or the app did."""

    timestamp: Timestamp
    category: Short = Field("default", description="e.g. `ui.click`, `navigation`, `http`, `log`.")
    message: Message = ""
    level: Level = "info"
    data: dict[str, JsonValue] | None = Field(
        None, description=f"Free-form JSON, at most {MAX_EXTRA_BYTES} bytes encoded."
    )

    _check_data = field_validator("data")(_check_free_json)


class LogEntry(WireModel):
    timestamp: Timestamp
    level: Level = "info"
    logger: Short | None = Field(None, description="The logger's name; `console` in a browser.")
    message: Message = Field("", description="The formatted message.")


class Frame(WireModel):
    module: Medium | None = None
    function: Medium | None = None
    file: Medium | None = None
    line: int | None = Field(None, ge=0)
    in_app: bool = False
    code: Medium | None = Field(None, description="The source line, when known.")


def _flat_chain_schema(schema: dict[str, JsonValue]) -> None:
    """The rule of ``ExceptionInfo._chain_is_flat``, in the JSON Schema of ``chain``."""
    items = schema.get("items")
    if isinstance(items, dict):
        items["properties"] = {"chain": {"maxItems": 0}}


class ExceptionInfo(WireModel):
    type: Short = Field(description="The exception class, e.g. `KeyError`.")
    value: Message = Field("", description="The exception's message.")
    module: Medium | None = None
    handled: bool | None = Field(None, description="False for a crash nobody caught.")
    frames: list[Frame] = Field(
        default_factory=list,
        max_length=MAX_FRAMES,
        description="Oldest call first, the frame that raised last.",
    )
    stack: Message | None = Field(
        None,
        description="The stack as the runtime printed it (JavaScript's `error.stack`, a Python "
        "traceback), for a client that does not parse it into `frames`; the collector parses it "
        "when `frames` is empty.",
    )
    chain: list[ExceptionInfo] = Field(
        default_factory=list,
        max_length=MAX_CHAIN,
        description="The exceptions this one was raised from (Python's `__cause__` or "
        "`__context__`, JavaScript's `error.cause`), nearest first, the root cause last. "
        "A chained exception has no chain of its own.",
        json_schema_extra=_flat_chain_schema,
    )

    @field_validator("chain")
    @classmethod
    def _chain_is_flat(cls, chain: list[ExceptionInfo]) -> list[ExceptionInfo]:
        for i, item in enumerate(chain):
            if item.chain:
                raise ValueError(
                    f"chain[{i}].chain: a chained exception cannot have its own chain; "
                    "list every exception in the one chain, the root cause last"
                )
        return chain


class NetworkRequest(WireModel):
    """A failed outgoing request (HTTP status >= 400, or no response at all)."""

    timestamp: Timestamp | None = None
    method: Annotated[str, StringConstraints(max_length=16)]
    url: Url
    status: int | None = Field(None, ge=0, le=999, description="Null when no response came.")
    duration_ms: float | None = Field(None, ge=0)
    error: Message | None = Field(None, description="Why there was no response, if none came.")


class Attachment(WireModel):
    name: Annotated[str, StringConstraints(min_length=1, max_length=MAX_SHORT)] = Field(
        description="A file name, e.g. `screenshot.png`."
    )
    content_type: Short = Field("application/octet-stream", description="A MIME type.")
    size: int = Field(ge=0, le=MAX_ATTACHMENT_BYTES, description="Decoded size in bytes.")
    data: str = Field(
        max_length=(MAX_ATTACHMENT_BYTES + 2) // 3 * 4,
        description="Standard base64 of the content.",
    )

    @model_validator(mode="after")
    def _data_matches_size(self) -> Attachment:
        try:
            decoded = base64.b64decode(self.data, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("data is not valid base64") from None
        if len(decoded) != self.size:
            raise ValueError(f"size says {self.size} bytes but data holds {len(decoded)}")
        return self


class Links(WireModel):
    """Where else this problem is known: ties a report to other tools' records."""

    sentry_event_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    sentry_trace_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    session_id: Annotated[str, StringConstraints(max_length=64)] | None = Field(
        None, description="Joins a browser report with the server-side trail of the same session."
    )


class SdkInfo(WireModel):
    name: Short
    version: Short


SAYS_SOMETHING: dict[str, JsonValue] = {
    "$comment": "A report needs a title, a description or an exception.",
    "anyOf": [
        # "\S": something that Python's ``str.strip()`` leaves, as the validator checks.
        {
            "required": ["title"],
            "properties": {"title": {"type": "string", "maxLength": MAX_TITLE, "pattern": r"\S"}},
        },
        {
            "required": ["description"],
            "properties": {
                "description": {"type": "string", "maxLength": MAX_DESCRIPTION, "pattern": r"\S"}
            },
        },
        {"required": ["exception"], "properties": {"exception": {"type": "object"}}},
    ],
}
"""The rule of ``Report._says_something``, as JSON Schema, so that schema-driven tools know it."""


class Report(WireModel):
    """One bug report, piece of feedback or crash, as it travels from a client to the collector."""

    model_config = ConfigDict(json_schema_extra=SAYS_SOMETHING)

    id: UuidText = Field(description="Generated by the client; the idempotency key.")
    schema_version: Annotated[Literal[1], BeforeValidator(_exact_int)] = Field(
        SCHEMA_VERSION, description="Always 1 in this version."
    )
    created_at: Timestamp = Field(description="When the user reported, on the client's clock.")
    kind: Kind = Field("bug", description="`crash` for an exception nobody caught.")
    title: Annotated[str, StringConstraints(max_length=MAX_TITLE)] = Field(
        "", description="One line in the reporter's words."
    )
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION)] | None = Field(
        None, description="What happened, in the reporter's words."
    )
    impact: Impact | None = Field(None, description="How bad the reporter says it is.")
    user: User | None = Field(None, description="Who reported.")
    app: App | None = Field(None, description="The app the report is about.")
    runtime: Runtime | None = Field(None, description="The language runtime or browser engine.")
    os: Os | None = None
    device: Device | None = None
    browser: Browser | None = Field(None, description="Set by the browser widget.")
    actions: list[Action] = Field(
        default_factory=list, max_length=MAX_ACTIONS, description="The action trail, oldest first."
    )
    logs: list[LogEntry] = Field(
        default_factory=list, max_length=MAX_LOGS, description="Recent log records, oldest first."
    )
    exception: ExceptionInfo | None = Field(
        None, description="The exception being handled when the report was made, or the crash."
    )
    network: list[NetworkRequest] = Field(
        default_factory=list, max_length=MAX_NETWORK, description="Failed requests, oldest first."
    )
    tags: dict[TagKey, TagValue] = Field(
        default_factory=dict, max_length=MAX_TAGS, description="Short searchable labels."
    )
    extra: dict[str, JsonValue] | None = Field(
        None,
        max_length=MAX_EXTRA_KEYS,
        description=f"Free-form JSON, at most {MAX_EXTRA_BYTES} bytes encoded.",
    )
    attachments: list[Attachment] = Field(
        default_factory=list, max_length=MAX_ATTACHMENTS, description="Screenshots, files."
    )
    links: Links | None = Field(None, description="Ids of the same problem in other tools.")
    fingerprint: list[Annotated[str, StringConstraints(max_length=MAX_SHORT)]] | None = Field(
        None,
        max_length=MAX_FINGERPRINT_PARTS,
        description="Overrides the collector's grouping: reports with equal fingerprints group.",
    )
    sdk: SdkInfo | None = Field(None, description="The client library that sent the report.")

    _check_extra = field_validator("extra")(_check_free_json)

    @model_validator(mode="after")
    def _says_something(self) -> Report:
        if not self.title.strip() and not (self.description or "").strip() and not self.exception:
            raise ValueError("a report needs a title, a description or an exception")
        return self


MAX_RATING_COMMENT = 2_000

ReportStatusValue = Literal["received", "in_progress", "fixed", "wont_fix"]


class ReportStatus(WireModel):
    """What a reporter may know about their own report (``GET .../reports/{id}/status``)."""

    id: UuidText
    status: ReportStatusValue
    fixed_in: Short | None = Field(None, description="The release that fixed it, once fixed.")


class Rating(WireModel):
    """The reporter's rating of how their report was handled (``POST .../reports/{id}/rating``)."""

    score: int = Field(ge=1, le=5, description="1 (bad) to 5 (great).")
    comment: Annotated[str, StringConstraints(max_length=MAX_RATING_COMMENT)] | None = None
    effort: int | None = Field(
        None,
        ge=1,
        le=7,
        description="Customer effort score (CES): how easy it was to get the problem handled, "
        "1 (very hard) to 7 (very easy).",
    )
    recommend: int | None = Field(
        None,
        ge=0,
        le=10,
        description="Net Promoter Score (NPS) question: how likely the reporter is to recommend "
        "the product, 0 (not at all likely) to 10 (extremely likely).",
    )


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Report`, as published in ``docs/schema/``."""
    schema = Report.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
