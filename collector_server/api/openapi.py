"""``GET /openapi.json``: the public HTTP API, with wire schema v1 from the same pydantic models."""

from __future__ import annotations

from functools import cache
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from collector_server.client_reports import (
    HEADER,
    MAX_COUNT,
    MAX_ENTRIES,
    MAX_HEADER_LENGTH,
    REASON_MEANINGS,
)
from sdk._version import __version__
from sdk.models import Rating, Report, ReportStatus

_REF = "#/components/schemas/{model}"


def _error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def _json(description: str, model: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": _REF.format(model=model)}}},
    }


def _page(model: str) -> dict[str, Any]:
    schema = {
        "type": "object",
        "required": ["items", "next_cursor"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": _REF.format(model=model)}},
            "next_cursor": {"type": ["string", "null"]},
        },
    }
    return {"description": "One page.", "content": {"application/json": {"schema": schema}}}


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
_DISCARDED_HEADER = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Reports the SDK had to give up on since its last accepted request, as"
        " `<reason>=<count>[, <reason>=<count>...]` (at most"
        f" {MAX_ENTRIES} entries, each reason once, counts 1..{MAX_COUNT}, at most"
        f" {MAX_HEADER_LENGTH} characters). Counted only when the report is newly stored (202);"
        " the counts of a repeat (200) are those of its first delivery and are not counted"
        " again. Reasons: see the ClientReport schema."
    ),
    "schema": {"type": "string", "maxLength": MAX_HEADER_LENGTH},
    "example": "queue_full=3, network_error=1",
}
_GROUP_ID = {
    "name": "group_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}
_PAGE_PARAMS = [
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "schema": {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
    },
    {
        "name": "cursor",
        "in": "query",
        "required": False,
        "description": "The next_cursor of the previous page.",
        "schema": {"type": "string"},
    },
]
_ACCEPTED = {
    "type": "object",
    "required": ["id", "group_id"],
    "properties": {"id": {"type": "string", "format": "uuid"}, "group_id": {"type": "integer"}},
}


@cache
def openapi_document() -> dict[str, Any]:
    components: dict[str, Any] = {}
    for model in (Report, ReportStatus, Rating):
        schema = model.model_json_schema(ref_template=_REF, mode="validation")
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
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
    components["ClientReport"] = {
        "type": "object",
        "required": ["discarded"],
        "additionalProperties": False,
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
    components["Group"] = {
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "project_id": {"type": "integer"},
            "title": {"type": "string"},
            "status": {"enum": ["open", "in_progress", "fixed", "wont_fix"]},
            "severity": {"enum": ["low", "medium", "high", "critical"]},
            "severity_reasons": {"type": "array", "items": {"type": "string"}},
            "report_count": {"type": "integer"},
            "first_seen": {"type": "string", "format": "date-time"},
            "last_seen": {"type": "string", "format": "date-time"},
            "fixed_in": {"type": ["string", "null"]},
            "fingerprint": {"type": "string"},
            "tickets": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "forwarder": {"type": "string"},
                        "url": {"type": "string"},
                        "key": {"type": "string"},
                    },
                },
            },
        },
    }
    components["ReportSummary"] = {
        "type": "object",
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "group_id": {"type": "integer"},
            "kind": {"type": "string"},
            "title": {"type": "string"},
            "severity": {"type": "string"},
            "created_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
        },
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
                    "parameters": [_PROJECT_ID, _KEY_QUERY, _DISCARDED_HEADER],
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
                            "Malformed JSON, gzip or UTF-8, an unsupported schema_version, or a"
                            f" malformed {HEADER} header (invalid_discarded_header)."
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
                },
                "get": {
                    "operationId": "listReports",
                    "summary": "Reports, newest first.",
                    "security": [{"adminToken": []}],
                    "parameters": [_PROJECT_ID, *_PAGE_PARAMS],
                    "responses": {
                        "200": _page("ReportSummary"),
                        "400": _error("Bad limit or cursor."),
                        "401": _error("Missing or invalid admin token."),
                    },
                },
            },
            "/api/v1/projects/{project_id}/client-report": {
                "post": {
                    "operationId": "createClientReport",
                    "summary": "Counts of reports an SDK gave up on, without a report.",
                    "security": [{"ingestKey": []}],
                    "parameters": [_PROJECT_ID, _KEY_QUERY],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": _REF.format(model="ClientReport")}
                            }
                        },
                    },
                    "responses": {
                        "204": {"description": "Counted."},
                        "400": _error(
                            "Malformed JSON, gzip or UTF-8, or not a valid client report"
                            " (invalid_client_report; fields names the field)."
                        ),
                        "401": _error("Missing or invalid project key."),
                        "413": _error("The body is over 16 KiB."),
                        "415": _error("Wrong Content-Type or Content-Encoding."),
                    },
                }
            },
            "/api/v1/projects/{project_id}/reports/{report_id}/status": {
                "get": {
                    "operationId": "getReportStatus",
                    "summary": "What the reporter may know about their report.",
                    "security": [{"ingestKey": []}],
                    "parameters": [_PROJECT_ID, _REPORT_ID, _KEY_QUERY],
                    "responses": {
                        "200": _json("The status.", "ReportStatus"),
                        "401": _error("Missing or invalid project key."),
                        "404": _error("No such report in this project."),
                    },
                }
            },
            "/api/v1/projects/{project_id}/reports/{report_id}/rating": {
                "post": {
                    "operationId": "rateReport",
                    "summary": "The reporter rates how their report was handled (once).",
                    "security": [{"ingestKey": []}],
                    "parameters": [_PROJECT_ID, _REPORT_ID, _KEY_QUERY],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {"schema": {"$ref": _REF.format(model="Rating")}}
                        },
                    },
                    "responses": {
                        "201": {"description": "Stored."},
                        "401": _error("Missing or invalid project key."),
                        "404": _error("No such report in this project."),
                        "409": _error("The report was rated already."),
                        "422": _error("The rating is not valid; fields lists why."),
                    },
                }
            },
            "/api/v1/projects/{project_id}/groups": {
                "get": {
                    "operationId": "listGroups",
                    "summary": "Groups, newest first.",
                    "security": [{"adminToken": []}],
                    "parameters": [_PROJECT_ID, *_PAGE_PARAMS],
                    "responses": {
                        "200": _page("Group"),
                        "400": _error("Bad limit or cursor."),
                        "401": _error("Missing or invalid admin token."),
                    },
                }
            },
            "/api/v1/projects/{project_id}/groups/{group_id}": {
                "get": {
                    "operationId": "getGroup",
                    "summary": "A group with its severity, reasons, report count and tickets.",
                    "security": [{"adminToken": []}],
                    "parameters": [_PROJECT_ID, _GROUP_ID],
                    "responses": {
                        "200": _json("The group.", "Group"),
                        "401": _error("Missing or invalid admin token."),
                        "404": _error("No such group in this project."),
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
