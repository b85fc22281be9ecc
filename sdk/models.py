"""Wire schema v1: the one model set shared by the SDK, the collector and the browser widget.

Every string and every list has a maximum, stated in the field and exported into
``docs/schema/report-v1.schema.json`` (``bugrelay schema export``). Unknown fields are rejected
everywhere, so a typo in a client is an error that names the field instead of data that silently
vanishes. The SDK trims what it builds to these limits before sending (see ``sdk.client``); the
collector refuses what does not fit.

Adding an optional field is a compatible change within v1; renaming or removing one, or tightening
a limit, needs ``schema_version`` 2.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StringConstraints,
    field_validator,
    model_validator,
)

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

Short = Annotated[str, StringConstraints(max_length=MAX_SHORT)]
Medium = Annotated[str, StringConstraints(max_length=MAX_MEDIUM)]
Url = Annotated[str, StringConstraints(max_length=MAX_URL)]
Message = Annotated[str, StringConstraints(max_length=MAX_MESSAGE)]
TagKey = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TAG_KEY)]
TagValue = Annotated[str, StringConstraints(max_length=MAX_TAG_VALUE)]

Level = Literal["debug", "info", "warning", "error", "critical"]
Kind = Literal["bug", "feedback", "crash"]
Impact = Literal["blocks_work", "annoying", "cosmetic"]


def _json_depth(value: Any, depth: int = 0) -> int:
    if isinstance(value, dict):
        return max((_json_depth(v, depth + 1) for v in value.values()), default=depth + 1)
    if isinstance(value, list):
        return max((_json_depth(v, depth + 1) for v in value), default=depth + 1)
    return depth


def _check_free_json(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Bound free-form JSON (``extra``, action ``data``) by depth and encoded size."""
    if value is None:
        return value
    if _json_depth(value) > MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > MAX_EXTRA_BYTES:
        raise ValueError(f"{size} bytes as JSON, more than the limit of {MAX_EXTRA_BYTES}")
    return value


class WireModel(BaseModel):
    """Base of every wire model: unknown fields are errors, strings are not coerced from numbers."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=False)


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

    timestamp: AwareDatetime
    category: Short = Field("default", description="e.g. `ui.click`, `navigation`, `http`, `log`.")
    message: Message = ""
    level: Level = "info"
    data: dict[str, JsonValue] | None = Field(
        None, description=f"Free-form JSON, at most {MAX_EXTRA_BYTES} bytes encoded."
    )

    _check_data = field_validator("data")(_check_free_json)


class LogEntry(WireModel):
    timestamp: AwareDatetime
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


class NetworkRequest(WireModel):
    """A failed outgoing request (HTTP status >= 400, or no response at all)."""

    timestamp: AwareDatetime | None = None
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


class Report(WireModel):
    """One bug report, piece of feedback or crash, as it travels from a client to the collector."""

    id: uuid.UUID = Field(description="Generated by the client; the idempotency key.")
    schema_version: Literal[1] = Field(SCHEMA_VERSION, description="Always 1 in this version.")
    created_at: AwareDatetime = Field(description="When the user reported, on the client's clock.")
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

    id: uuid.UUID
    status: ReportStatusValue
    fixed_in: Short | None = Field(None, description="The release that fixed it, once fixed.")


class Rating(WireModel):
    """The reporter's rating of how their report was handled (``POST .../reports/{id}/rating``)."""

    score: int = Field(ge=1, le=5, description="1 (bad) to 5 (great).")
    comment: Annotated[str, StringConstraints(max_length=MAX_RATING_COMMENT)] | None = None


def json_schema() -> dict[str, Any]:
    """The JSON Schema of :class:`Report`, as published in ``docs/schema/``."""
    schema = Report.model_json_schema(mode="validation")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **schema,
    }
