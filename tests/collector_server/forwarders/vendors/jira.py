"""Jira Cloud REST v3: issues with ADF descriptions, comments, transitions, JQL search.

The OpenAPI schemas of createIssue and addComment leave ``fields`` and ``body`` open, so the
fake adds what Jira enforces on top (from the v3 reference): ``project``, ``issuetype`` and
``summary`` are required, ``description`` and comment bodies are Atlassian documents (checked
against the ADF schema, draft-04), a transition names one of the issue's transition ids.
"""

from __future__ import annotations

import base64
import json
import re
import time
from typing import Any

from tests.collector_server.forwarders.vendors._core import (
    Answer,
    Call,
    Route,
    VendorProfile,
    iter_text,
    schema_errors,
)

ADF = "schemas/jira.adf-v1-full.schema.json"
# id, name, the status it leads to, its category key
TRANSITIONS = [
    ("11", "To Do", "new"),
    ("21", "In Progress", "indeterminate"),
    ("31", "Done", "done"),
]


class JiraProfile(VendorProfile):
    """Keys are ``<project_key>-1``, ``-2``, ...; basic auth with ``email:api_token``."""

    name = "jira"

    def __init__(
        self,
        email: str = "bot@example.com",
        api_token: str = "jira-api-token",
        project_key: str = "BUG",
        webhook_secret: str = "jira-webhook-secret",
    ) -> None:
        self.credentials = "Basic " + base64.b64encode(f"{email}:{api_token}".encode()).decode()
        self.project_key = project_key
        self.webhook_secret = webhook_secret
        self.issues: dict[str, dict[str, Any]] = {}

    def routes(self) -> list[Route]:
        issue = "/rest/api/3/issue/{key}"
        create = "schemas/jira.issue-create.IssueUpdateDetails.schema.json"
        comment = "schemas/jira.issue-comment-add.Comment.schema.json"
        transition = "schemas/jira.issue-transition.schema.json"
        return [
            Route("POST", "/rest/api/3/issue", self._create, schema=create, check=_create_errors),
            Route("GET", issue, self._get),
            Route("POST", issue + "/comment", self._comment, schema=comment, check=_comment_errors),
            Route("GET", issue + "/transitions", self._transitions),
            Route("POST", issue + "/transitions", self._transition, schema=transition),
            Route("GET", "/rest/api/3/search/jql", self._search),
            Route("GET", "/rest/api/3/search", self._search),
        ]

    def authorised(self, call: Call) -> bool:
        return call.headers.get("authorization") == self.credentials

    def unauthorised(self, call: Call) -> Answer:
        return Answer(401, "Client must be authenticated to access this resource.")

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        fields: dict[str, str] = {}
        for error in errors:
            path, _, message = error.partition(": ")
            name = re.sub(r"^\$\.(fields\.)?", "", path).split(".")[0] or "body"
            fields.setdefault(name, message)
        return Answer(400, {"errorMessages": [], "errors": fields})

    def not_found(self, call: Call) -> Answer:
        message = "Issue does not exist or you do not have permission to see it."
        return Answer(404, {"errorMessages": [message], "errors": {}})

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        headers = {"Retry-After": str(retry_after), "X-RateLimit-Remaining": "0"}
        return Answer(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}}, headers)

    # the routes

    def _create(self, call: Call) -> Answer:
        fields = call.json["fields"]
        project = fields["project"]
        if project.get("key", self.project_key) != self.project_key:
            return Answer(
                400, {"errorMessages": [], "errors": {"project": "valid project is required"}}
            )
        key = f"{self.project_key}-{len(self.issues) + 1}"
        issue_id = str(10000 + len(self.issues) + 1)
        self.issues[key] = {
            "id": issue_id,
            "key": key,
            "fields": fields,
            "comments": [],
            "status": "To Do",
            "category": "new",
        }
        return Answer(201, {"id": issue_id, "key": key, "self": self._self(issue_id)})

    def _get(self, call: Call) -> Answer:
        issue = self.issues.get(call.params["key"])
        return self.not_found(call) if issue is None else Answer(200, self._issue_json(issue))

    def _comment(self, call: Call) -> Answer:
        issue = self.issues.get(call.params["key"])
        if issue is None:
            return self.not_found(call)
        comment_id = str(20000 + sum(len(i["comments"]) for i in self.issues.values()) + 1)
        issue["comments"].append({"id": comment_id, "body": call.json["body"]})
        url = f"{self._self(issue['id'])}/comment/{comment_id}"
        return Answer(
            201, {"id": comment_id, "self": url, "body": call.json["body"], "created": _now()}
        )

    def _transitions(self, call: Call) -> Answer:
        if call.params["key"] not in self.issues:
            return self.not_found(call)
        listed = [
            {"id": tid, "name": name, "to": {"name": name, "statusCategory": {"key": category}}}
            for tid, name, category in TRANSITIONS
        ]
        return Answer(200, {"transitions": listed})

    def _transition(self, call: Call) -> Answer:
        issue = self.issues.get(call.params["key"])
        if issue is None:
            return self.not_found(call)
        wanted = (call.json.get("transition") or {}).get("id")
        for tid, name, category in TRANSITIONS:
            if tid == wanted:
                issue["status"], issue["category"] = name, category
                return Answer(204)
        message = f"Transition id '{wanted}' is not valid for this issue."
        return Answer(400, {"errorMessages": [message], "errors": {}})

    def _search(self, call: Call) -> Answer:
        jql = call.query.get("jql", "")
        phrases = [p.lower() for p in re.findall(r'~\s*"((?:[^"\\]|\\.)*)"', jql)]
        found = [
            self._issue_json(issue)
            for issue in self.issues.values()
            if all(phrase in _text(issue) for phrase in phrases)
        ]
        if call.path.endswith("/jql"):
            return Answer(200, {"issues": found, "isLast": True})
        return Answer(200, {"startAt": 0, "maxResults": 50, "total": len(found), "issues": found})

    def _self(self, issue_id: str) -> str:
        return f"{self.base_url}/rest/api/3/issue/{issue_id}"

    def _issue_json(self, issue: dict[str, Any]) -> dict[str, Any]:
        status = {"name": issue["status"], "statusCategory": {"key": issue["category"]}}
        fields = {**issue["fields"], "status": status}
        return {
            "id": issue["id"],
            "key": issue["key"],
            "self": self._self(issue["id"]),
            "fields": fields,
        }

    # the webhook

    def webhook(self, event: str, details: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """``jira:issue_updated`` moving ``key`` (default: the last issue) to Done or back.

        Jira's own admin webhooks carry no signature; the shared secret goes in the
        ``X-BugRelay-Webhook-Secret`` header (DESIGN.md), or ``?secret=`` with ``secret_in="query"``
        (the caller appends it to the URL: see :func:`secret_query`).
        """
        key = details.get("key") or list(self.issues)[-1]
        issue = self.issues[key]
        done = event in ("closed", "resolved")
        if not done and event != "reopened":
            raise ValueError(f"jira webhook events: closed, reopened; not {event!r}")
        before, after = ("To Do", "Done") if done else ("Done", "To Do")
        items = [
            {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": "10000" if done else "10001",
                "fromString": before,
                "to": "10001" if done else "10000",
                "toString": after,
            },
            {
                "field": "resolution",
                "fieldtype": "jira",
                "fieldId": "resolution",
                "from": None if done else "10000",
                "fromString": None if done else "Done",
                "to": "10000" if done else None,
                "toString": "Done" if done else None,
            },
        ]
        fields = {
            "summary": issue["fields"].get("summary"),
            "status": {"name": after, "statusCategory": {"key": "done" if done else "new"}},
            "resolution": {"name": "Done"} if done else None,
            "fixVersions": [{"name": details["fix_version"]}] if details.get("fix_version") else [],
        }
        payload = {
            "timestamp": int(time.time() * 1000),
            "webhookEvent": "jira:issue_updated",
            "issue_event_type_name": "issue_generic",
            "user": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Dev"},
            "issue": {
                "id": issue["id"],
                "key": key,
                "self": self._self(issue["id"]),
                "fields": fields,
            },
            "changelog": {"id": "10400", "items": items},
        }
        issue["status"], issue["category"] = after, "done" if done else "new"
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Atlassian Webhook HTTP Client",
        }
        if details.get("secret_in", "header") == "header":
            headers["X-BugRelay-Webhook-Secret"] = self.webhook_secret
        return body, headers


def _create_errors(call: Call) -> list[str]:
    fields = call.json.get("fields")
    if not isinstance(fields, dict):
        return ["$.fields: fields are required"]
    errors = []
    if not isinstance(fields.get("project"), dict):
        errors.append("$.fields.project: Specify a valid project ID or key")
    if not isinstance(fields.get("issuetype"), dict):
        errors.append("$.fields.issuetype: Specify an issue type")
    if not isinstance(fields.get("summary"), str) or not fields["summary"].strip():
        errors.append("$.fields.summary: You must specify a summary of the issue.")
    elif len(fields["summary"]) > 255:
        errors.append("$.fields.summary: Summary must be less than 255 characters.")
    if "description" in fields and fields["description"] is not None:
        errors += _adf_errors("$.fields.description", fields["description"])
    return errors


def _comment_errors(call: Call) -> list[str]:
    if "body" not in call.json:
        return ["$.body: Comment body can not be empty!"]
    return _adf_errors("$.body", call.json["body"])


def _adf_errors(where: str, document: Any) -> list[str]:
    if not isinstance(document, dict):
        return [f"{where}: Operation value must be an Atlassian Document (see the ADF)"]
    return [f"{where}{e[1:]}" for e in schema_errors(ADF, document)]


def _text(issue: dict[str, Any]) -> str:
    fields = issue["fields"]
    parts = [str(fields.get("summary", "")), *iter_text(fields.get("description"))]
    parts += [text for c in issue["comments"] for text in iter_text(c["body"])]
    return "\n".join(parts).lower()


def secret_query(url: str, secret: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}secret={secret}"


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000+0000", time.gmtime())
