"""``GET /openapi.json``: the public HTTP API, with wire schema v1 from the same pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from sdk._version import __version__
from sdk.models import Report

_REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


_PROJECT_ID = {
    "name": "project_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_REPORT_ID = {
    "name": "report_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
_KEY_QUERY = {
    "name": "key",
    "in": "query",
    "required": False,
    "description": "The project's public key, when a header cannot be sent.",
    "schema": {"type": "string"},
}
_ACCEPTED = {
    "type": "object",
    "required": ["id", "group_id"],
    "properties": {"id": {"type": "string", "format": "uuid"}, "group_id": {"type": "integer"}},
}


@cache
def openapi_document() -> dict[str, Any]:
    report_schema = Report.model_json_schema(ref_template=_REF, mode="validation")
    components = report_schema.pop("$defs", {})
    components["Report"] = report_schema
    components["Error"] = {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string"},
                    "message": {"type": "string"},
                    "fields": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "field": {"type": "string"},
                                "message": {"type": "string"},
                                "type": {"type": "string"},
                            },
                        },
                    },
                },
            }
        },
    }
    components["StoredReport"] = {
        "allOf": [
            {"$ref": _REF.format(model="Report")},
            {
                "type": "object",
                "properties": {
                    "project_id": {"type": "integer"},
                    "group_id": {"type": "integer"},
                    "severity": {"enum": ["low", "medium", "high", "critical"]},
                    "severity_reasons": {"type": "array", "items": {"type": "string"}},
                    "received_at": {"type": "string", "format": "date-time"},
                },
            },
        ]
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "BugRelay collector", "version": __version__},
        "components": {
            "schemas": components,
            "securitySchemes": {
                "ingestKey": {"type": "apiKey", "in": "header", "name": "X-BugRelay-Key"},
                "adminToken": {"type": "http", "scheme": "bearer"},
            },
        },
        "paths": {
            "/api/v1/projects/{project_id}/reports": {
                "post": {
                    "operationId": "createReport",
                    "summary": "Hand in a report (idempotent by the report's id).",
                    "security": [{"ingestKey": []}],
                    "parameters": [_PROJECT_ID, _KEY_QUERY],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF.format(model="Report")}}
                        },
                    },
                    "responses": {
                        "202": {
                            "description": "Stored.",
                            "content": {"application/json": {"schema": _ACCEPTED}},
                        },
                        "200": {
                            "description": "This id was stored before; nothing new was stored.",
                            "content": {"application/json": {"schema": _ACCEPTED}},
                        },
                        "400": _error(
                            "Malformed JSON, gzip or UTF-8, or an unsupported schema_version."
                        ),
                        "401": _error("Missing or invalid project key."),
                        "409": _error("The report id belongs to another project."),
                        "413": _error(
                            "The body (or its decompressed form) is over the size limit."
                        ),
                        "415": _error("Wrong Content-Type or Content-Encoding."),
                        "422": _error(
                            "The report does not match wire schema v1; fields lists why."
                        ),
                    },
                }
            },
            "/api/v1/projects/{project_id}/reports/{report_id}": {
                "get": {
                    "operationId": "getReport",
                    "summary": "Read a stored report with its group and severity.",
                    "security": [{"adminToken": []}],
                    "parameters": [_PROJECT_ID, _REPORT_ID],
                    "responses": {
                        "200": {
                            "description": "The stored report.",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": _REF.format(model="StoredReport")}
                                }
                            },
                        },
                        "400": _error("The report id is not a UUID."),
                        "401": _error("Missing or invalid admin token."),
                        "404": _error("No such report in this project."),
                    },
                }
            },
            "/healthz": {
                "get": {
                    "operationId": "healthz",
                    "summary": "Is the collector up and its database reachable?",
                    "responses": {
                        "200": {"description": "Healthy."},
                        "503": {"description": "The database is unreachable."},
                    },
                }
            },
            "/metrics": {
                "get": {
                    "operationId": "metrics",
                    "summary": "Prometheus metrics in the text exposition format.",
                    "responses": {"200": {"description": "Metrics."}},
                }
            },
        },
    }


async def openapi(_request: Request) -> Response:
    return JSONResponse(openapi_document())
