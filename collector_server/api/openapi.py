"""``GET /openapi.json``: the HTTP API as OpenAPI 3.1, generated from the app's own routes.

Each handler carries its :class:`~collector_server.api._doc.Operation` (``@operation(...)``,
declared beside it); :func:`openapi_document` walks the routes, adds what a route's path and
its kind imply (path parameters, the key or token errors, the JSON body errors), and embeds the
wire models' JSON Schemas from pydantic. Every error answer has one shape, the ``Error``
schema, narrowed per answer to the codes that answer can carry.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from collector_server.api._doc import (
    ERROR_CODES,
    ERROR_HEADERS,
    KEY_QUERY,
    PATH_PARAMS,
    Answer,
    Body,
    Operation,
    Param,
    Schema,
    SchemaSource,
    described,
    handlers_by_method,
    operation,
)
from collector_server.api.attachments import ATTACHMENT_INFO_SCHEMA
from collector_server.client_reports import MAX_COUNT, REASON_MEANINGS
from collector_server.pipeline.severity import LEVELS
from collector_server.store.reports import REPORTER_STATUS
from sdk._version import __version__
from sdk.models import Report

_REF = "#/components/schemas/{model}"
_PATH_PARAM = re.compile(r"\{(\w+)(?::(\w+))?\}")
_SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "ingest": [{"ingestKey": []}],
    "admin": [{"adminToken": []}],
}
_DOCUMENTS: WeakKeyDictionary[ASGIApp, JSONResponse] = WeakKeyDictionary()


def ref(name: str) -> Schema:
    return {"$ref": _REF.format(model=name)}


def openapi_document(routes: Sequence[BaseRoute]) -> dict[str, Any]:
    """The OpenAPI document of ``routes`` (an app's ``routes``); the same routes, the same
    document. Routes whose handlers carry no operation description are left out."""
    builder = _Builder()
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        if not isinstance(route, Route) or route.methods is None:
            continue
        path = _PATH_PARAM.sub(r"{\1}", route.path)
        methods = sorted(route.methods - {"HEAD"})
        for method, handler in handlers_by_method(route.endpoint, methods).items():
            found = described(handler)
            if found is not None:
                paths.setdefault(path, {})[method.lower()] = builder.operation(found, route.path)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "BugRelay collector",
            "version": __version__,
            "description": (
                'Error answers are JSON: `{"error": {"code", "message", "fields"}}`;'
                " `code` is stable and machine-readable, `message` is for people, and `fields`"
                " (validation errors only) lists every wrong field with its path."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": dict(sorted(builder.schemas.items())),
            "securitySchemes": {
                "ingestKey": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-BugRelay-Key",
                    "description": "The project's public key (or the `key` query parameter).",
                },
                "adminToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The operator's token, `BUGRELAY_ADMIN_TOKEN`.",
                },
            },
        },
    }


def collector_document() -> dict[str, Any]:
    """The document that ``GET /openapi.json`` serves, without a database or a server (for the
    generated docs and the fuzzer): it depends on the routes only, not on the settings."""
    from collector_server.app import create_app  # noqa: PLC0415  (the app imports this module)
    from collector_server.settings import Settings  # noqa: PLC0415
    from collector_server.store import Store  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as data_dir:
        settings = Settings.from_env({"BUGRELAY_DATA_DIR": data_dir, "BUGRELAY_RATE_LIMIT": "off"})
        store = Store.open("sqlite://", upgrade=False)
        app = create_app(settings, store=store)
        app.state.bugrelay.writer.close()  # no server runs its lifespan
        store.close()
    return openapi_document(app.routes)


@operation(
    "getOpenApi",
    summary="The OpenAPI document of this collector (what docs/http-api.md is made from).",
    responses={200: Answer("The OpenAPI 3.1 document of this collector.", {"type": "object"})},
)
async def openapi(request: Request) -> Response:
    app = request.app
    if app not in _DOCUMENTS:  # built once per app: its routes do not change
        _DOCUMENTS[app] = JSONResponse(openapi_document(app.routes))
    return _DOCUMENTS[app]


class _Builder:
    def __init__(self) -> None:
        self.schemas: dict[str, Schema] = {}

    def operation(self, op: Operation, route_path: str) -> dict[str, Any]:
        path_params = [
            PATH_PARAMS.get(name) or _fallback_path_param(name, convertor)
            for name, convertor in _PATH_PARAM.findall(route_path)
        ]
        params = [*path_params, *([KEY_QUERY] if op.auth == "ingest" else []), *op.params]
        result: dict[str, Any] = {"operationId": op.operation_id, "summary": op.summary}
        if op.description:
            result["description"] = op.description
        if op.auth is not None:
            result["security"] = _SECURITY[op.auth]
        if params:
            result["parameters"] = [_param(p) for p in params]
        if op.body is not None:
            result["requestBody"] = self._body(op.body)
        responses: dict[str, Any] = {
            str(status): self._answer(answer) for status, answer in op.responses.items()
        }
        for status, codes in op.all_errors(bool(path_params)).items():
            responses[str(status)] = self._error(codes)
        result["responses"] = dict(sorted(responses.items()))
        return result

    def schema(self, source: SchemaSource) -> Schema:
        if isinstance(source, str):
            self._component(source)
            return ref(source)
        if isinstance(source, dict):
            return source
        return self._model(source)

    def _model(self, model: type[BaseModel]) -> Schema:
        name = model.__name__
        if name not in self.schemas:
            schema = model.model_json_schema(ref_template=_REF, mode="validation")
            self.schemas.update(schema.pop("$defs", {}))
            self.schemas[name] = schema
        return ref(name)

    def _component(self, name: str) -> None:
        if name not in self.schemas:
            self.schemas[name] = {}  # a placeholder, in case the schema refers to itself
            self.schemas[name] = _COMPONENTS[name](self)

    def _body(self, body: Body) -> dict[str, Any]:
        content: dict[str, Any] = {}
        for media_type, source in body.content.items():
            content[media_type] = {"schema": self.schema(source)}
            if media_type == "multipart/form-data":
                content[media_type]["encoding"] = {"report": {"contentType": "application/json"}}
        result: dict[str, Any] = {"required": body.required, "content": content}
        if body.description:
            result["description"] = body.description
        return result

    def _answer(self, answer: Answer) -> dict[str, Any]:
        result: dict[str, Any] = {"description": answer.description}
        if answer.headers:
            result["headers"] = {  # an answer's headers come with it every time
                name: {"description": text, "required": True, "schema": {"type": "string"}}
                for name, text in answer.headers.items()
            }
        if answer.schema is not None:
            result["content"] = {answer.media_type: {"schema": self.schema(answer.schema)}}
        if answer.links:
            result["links"] = {
                target: {"operationId": target, "parameters": dict(parameters)}
                for target, parameters in answer.links.items()
            }
        return result

    def _error(self, codes: Sequence[str]) -> dict[str, Any]:
        self._component("Error")
        codes = sorted(codes)
        lines = [f"- `{code}`: {ERROR_CODES[code][0]}" for code in codes]
        result: dict[str, Any] = {
            "description": "\n".join(lines),
            "content": {
                "application/json": {
                    "schema": {
                        "allOf": [
                            ref("Error"),
                            {"properties": {"error": {"properties": {"code": {"enum": codes}}}}},
                        ]
                    }
                }
            },
        }
        names = sorted({name for code in codes for name in ERROR_CODES[code][1]})
        if names:
            result["headers"] = {
                name: {
                    **ERROR_HEADERS[name],
                    "required": all(name in ERROR_CODES[code][1] for code in codes),
                }
                for name in names
            }
        return result


def _param(param: Param) -> dict[str, Any]:
    result: dict[str, Any] = {
        "name": param.name,
        "in": param.location,
        "required": param.required or param.location == "path",
        "schema": param.schema,
    }
    if param.description:
        result["description"] = param.description
    if param.example is not None:
        result["example"] = param.example
    return result


def _fallback_path_param(name: str, convertor: str) -> Param:
    schema: Schema = {"type": "integer", "minimum": 0} if convertor == "int" else {"type": "string"}
    return Param(name, "path", schema, required=True)


# Schemas of the collector's own answers (the wire models come from pydantic as they are used).


def _error_schema(_builder: _Builder) -> Schema:
    return {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "description": "Stable, machine-readable."},
                    "message": {"type": "string", "description": "For people."},
                    "fields": {
                        "type": "array",
                        "description": "Validation errors only: every wrong field and why.",
                        "items": {
                            "type": "object",
                            "required": ["field", "message", "type"],
                            "properties": {
                                "field": {
                                    "type": "string",
                                    "description": "A path such as `user.email`, `actions[3]`.",
                                },
                                "message": {"type": "string"},
                                "type": {"type": "string", "description": "The kind of error."},
                            },
                        },
                    },
                },
            }
        },
    }


def _client_report(_builder: _Builder) -> Schema:
    return {
        "type": "object",
        "required": ["discarded"],
        "additionalProperties": False,
        "description": "The JSON must not give a key twice.",
        "properties": {
            "discarded": {
                "type": "object",
                "description": "Reports given up on, by reason.",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    reason: {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": MAX_COUNT,
                        "description": meaning[0].upper() + meaning[1:] + ".",
                    }
                    for reason, meaning in REASON_MEANINGS.items()
                },
            }
        },
    }


_Component = Callable[[_Builder], Schema]
_DATE_TIME = {"type": "string", "format": "date-time"}
_SEVERITY = {"enum": list(LEVELS)}
_REASONS = {"type": "array", "items": {"type": "string"}}
_GROUPING = {
    "type": ["object", "null"],
    "description": "Why the report is in its group: `method` (`new`: it opened the group;"
    " `fingerprint`: same fingerprint; `similar`: near-duplicate, with `score`, `threshold` and"
    " `signals`; `split`: an operator split it out; `merge`: its group was merged), and a"
    " readable `summary` such as `same failing request POST /api/save 500, text similarity"
    " 0.81`. Null for reports stored before grouping explained itself.",
    "required": ["method", "summary"],
    "properties": {
        "method": {"enum": ["new", "fingerprint", "similar", "split", "merge"]},
        "summary": {"type": "string"},
        "score": {"type": "number"},
        "threshold": {"type": "number"},
        "signals": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["signal", "weight", "detail"],
                "properties": {
                    "signal": {
                        "enum": [
                            "text",
                            "route",
                            "element",
                            "request",
                            "error",
                            "release",
                            "recency",
                        ]
                    },
                    "weight": {"type": "number"},
                    "detail": {"type": "string"},
                },
            },
        },
    },
}
_COUNTED = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["name", "count"],
        "properties": {"name": {"type": "string"}, "count": {"type": "integer"}},
    },
}


def _stored_report(builder: _Builder) -> Schema:
    """The report as sent (its wire-schema fields, defaults filled in, nulls left out) and
    what the collector added: one closed object, so that a field nobody documented shows."""
    builder.schema(Report)
    report = builder.schemas["Report"]
    added: dict[str, Schema] = {
        "project_id": {"type": "integer"},
        "group_id": {"type": "integer"},
        "severity": _SEVERITY,
        "severity_reasons": _REASONS,
        "received_at": _DATE_TIME,
        "scrubbed_fields": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Paths of the fields whose values the collector's scrubbing replaced.",
        },
        "grouping": _GROUPING,
        "attachments": {
            "type": "array",
            "items": ATTACHMENT_INFO_SCHEMA,
            "description": "Every attachment of the report, however it came (inline, as a file"
            " part or uploaded later), in the order they were stored, without their bytes.",
        },
    }
    return {
        "type": "object",
        "description": "A report as stored: the fields it was sent with, and what the collector"
        " added.",
        "required": [*report["required"], *added],
        "additionalProperties": False,
        "properties": {**report["properties"], **added},
    }


def _report_form(builder: _Builder) -> Schema:
    return {
        "type": "object",
        "description": "A report with its attachments as files: the `report` part holds the"
        " report JSON, each file part one attachment, named by its filename and typed by its"
        " Content-Type (none: application/octet-stream). File parts may have any field name"
        " (`file` is usual) and each its own filename; text parts other than `report` are"
        " refused.",
        "required": ["report"],
        "additionalProperties": False,
        "properties": {
            "report": {
                **builder.schema(Report),
                "description": "The report JSON (wire schema v1), a text or a file part.",
            },
            "file": {
                "type": "string",
                "format": "binary",
                "description": "An attachment; send more as more file parts.",
            },
        },
    }


def _report_summary(_builder: _Builder) -> Schema:
    return _closed(
        {
            "id": {"type": "string", "format": "uuid"},
            "group_id": {"type": "integer"},
            "kind": {"type": "string"},
            "title": {"type": "string"},
            "severity": _SEVERITY,
            "created_at": _DATE_TIME,
            "received_at": _DATE_TIME,
        }
    )


def _group(_builder: _Builder) -> Schema:
    ticket = {
        "type": "object",
        "required": ["forwarder", "url", "key"],
        "properties": {
            "forwarder": {"type": "string", "description": "The forwarder's name."},
            "url": {"type": "string", "description": "The ticket's web page."},
            "key": {"type": "string", "description": "The vendor's own id (`42`, `SHOP-7`)."},
        },
    }
    return _closed(
        {
            "id": {"type": "integer"},
            "project_id": {"type": "integer"},
            "title": {"type": "string"},
            "status": {"enum": list(REPORTER_STATUS)},
            "severity": _SEVERITY,
            "severity_reasons": _REASONS,
            "severity_override": {
                "anyOf": [_SEVERITY, {"type": "null"}],
                "description": "The level an operator set; it stands until cleared.",
            },
            "report_count": {"type": "integer", "minimum": 0},
            "reporters": {"type": "integer", "description": "Distinct reporters."},
            "users_affected": {"type": "integer", "description": "Distinct users affected."},
            "first_seen": _DATE_TIME,
            "last_seen": _DATE_TIME,
            "releases": {**_COUNTED, "description": "Releases seen, most reports first."},
            "environments": {**_COUNTED, "description": "Environments seen."},
            "top_routes": {**_COUNTED, "description": "The routes or screens most reported."},
            "fixed_in": {"type": ["string", "null"]},
            "fingerprint": {"type": "string"},
            "merged_into": {
                "type": ["integer", "null"],
                "description": "The group an operator merged this one into.",
            },
            "tickets": {"type": "array", "items": ticket, "description": "One per forwarder."},
        }
    )


def _accepted(_builder: _Builder) -> Schema:
    return _closed({"id": {"type": "string", "format": "uuid"}, "group_id": {"type": "integer"}})


def _rating_stored(_builder: _Builder) -> Schema:
    return _closed(
        {"id": {"type": "string", "format": "uuid"}, "score": {"type": "integer"}},
    )


def _health(_builder: _Builder) -> Schema:
    return _closed(
        {
            "status": {"enum": ["ok", "error"]},
            "database": {"type": "string", "description": "`ok`, or why it is unreachable."},
        }
    )


def _page(item: str) -> _Component:
    def build(builder: _Builder) -> Schema:
        return _closed(
            {
                "items": {"type": "array", "items": builder.schema(item)},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as `cursor` for the next page; null on the last.",
                },
            }
        )

    return build


def _closed(properties: dict[str, Schema]) -> Schema:
    return {
        "type": "object",
        "required": list(properties),
        "additionalProperties": False,
        "properties": properties,
    }


_COMPONENTS: dict[str, _Component] = {
    "Error": _error_schema,
    "ClientReport": _client_report,
    "StoredReport": _stored_report,
    "ReportForm": _report_form,
    "ReportSummary": _report_summary,
    "ReportPage": _page("ReportSummary"),
    "Group": _group,
    "GroupPage": _page("Group"),
    "Accepted": _accepted,
    "RatingStored": _rating_stored,
    "Health": _health,
}
"""Component schemas by name, built when an operation first refers to them."""
