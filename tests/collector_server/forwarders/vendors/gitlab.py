"""GitLab REST v4 issues and notes, and its ``Issue Hook`` webhooks (``X-Gitlab-Token``)."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from tests.collector_server.forwarders.vendors._core import Answer, Call, Route, VendorProfile

# putApiV4ProjectsIdIssuesIssueIid and the notes endpoint have no contract file here:
# hand-written from GitLab's OpenAPI fragment and doc/api/notes.md.
ISSUE_UPDATE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "state_event": {"enum": ["close", "reopen"]},
        "title": {"type": "string"},
        "description": {"type": "string", "maxLength": 1048576},
        "labels": {"type": ["array", "string"]},
        "add_labels": {"type": ["array", "string"]},
        "remove_labels": {"type": ["array", "string"]},
    },
}
NOTE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["body"],
    "properties": {
        "body": {"type": "string", "minLength": 1, "maxLength": 1000000},
        "internal": {"type": "boolean"},
        "confidential": {"type": "boolean"},
    },
}


class GitLabProfile(VendorProfile):
    """``project`` is the id or URL-encoded path the forwarder uses; iids count from 1."""

    name = "gitlab"

    def __init__(
        self,
        token: str = "glpat-fake-token",
        project: str = "7",
        webhook_secret: str = "gitlab-webhook-secret",
    ) -> None:
        self.token = token
        self.project = project
        self.webhook_secret = webhook_secret
        self.issues: dict[int, dict[str, Any]] = {}

    def routes(self) -> list[Route]:
        issues = "/api/v4/projects/{project}/issues"
        create = "schemas/gitlab.projects-issues-create.request.schema.json"
        return [
            Route("POST", issues, self._create, schema=create),
            Route("GET", issues, self._search),
            Route("PUT", issues + "/{iid}", self._update, schema=ISSUE_UPDATE),
            Route("POST", issues + "/{iid}/notes", self._note, schema=NOTE),
        ]

    def authorised(self, call: Call) -> bool:
        return self.token in (
            call.headers.get("private-token"),
            call.headers.get("authorization", "").removeprefix("Bearer "),
        )

    def unauthorised(self, call: Call) -> Answer:
        return Answer(401, {"message": "401 Unauthorized"})

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        return Answer(400, {"error": ", ".join(errors)})

    def not_found(self, call: Call) -> Answer:
        return Answer(404, {"message": "404 Not found"})

    def rate_headers(self) -> dict[str, str]:
        reset = int(time.time()) + 60
        return {
            "RateLimit-Limit": "2000",
            "RateLimit-Remaining": "1999",
            "RateLimit-Reset": str(reset),
        }

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        headers = {
            "Retry-After": str(retry_after),
            "RateLimit-Limit": "2000",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(int(time.time()) + retry_after),
        }
        return Answer(429, "Retry later\n", headers)

    def _create(self, call: Call) -> Answer:
        if call.params["project"] != self.project:
            return self.not_found(call)
        iid = len(self.issues) + 1
        self.issues[iid] = {
            "iid": iid,
            "title": call.json["title"],
            "description": call.json.get("description"),
            "labels": call.json.get("labels") or [],
            "state": "opened",
            "notes": [],
        }
        return Answer(201, self._issue_json(iid))

    def _search(self, call: Call) -> Answer:
        if call.params["project"] != self.project:
            return self.not_found(call)
        words = call.query.get("search", "").lower()
        found = [
            self._issue_json(iid)
            for iid, issue in self.issues.items()
            if words in f"{issue['title']}\n{issue['description'] or ''}".lower()
        ]
        return Answer(200, found)

    def _update(self, call: Call) -> Answer:
        issue = self._issue(call)
        if issue is None:
            return self.not_found(call)
        event = call.json.get("state_event")
        if event:
            issue["state"] = "closed" if event == "close" else "opened"
        for key in ("title", "description", "labels"):
            if key in call.json:
                issue[key] = call.json[key]
        return Answer(200, self._issue_json(issue["iid"]))

    def _note(self, call: Call) -> Answer:
        issue = self._issue(call)
        if issue is None:
            return self.not_found(call)
        note_id = sum(len(i["notes"]) for i in self.issues.values()) + 1
        issue["notes"].append({"id": note_id, "body": call.json["body"]})
        note = {
            "id": note_id,
            "body": call.json["body"],
            "noteable_iid": issue["iid"],
            "noteable_type": "Issue",
            "internal": call.json.get("internal", False),
        }
        return Answer(201, note)

    def _issue(self, call: Call) -> dict[str, Any] | None:
        iid = call.params["iid"]
        if call.params["project"] != self.project or not iid.isdigit():
            return None
        return self.issues.get(int(iid))

    def _issue_json(self, iid: int) -> dict[str, Any]:
        issue = self.issues[iid]
        return {
            "id": 5000 + iid,
            "iid": iid,
            "project_id": int(self.project) if self.project.isdigit() else 1,
            "title": issue["title"],
            "description": issue["description"],
            "state": issue["state"],
            "labels": issue["labels"],
            "web_url": f"https://gitlab.example.com/acme/shop/-/issues/{iid}",
            "user_notes_count": len(issue["notes"]),
        }

    def webhook(self, event: str, details: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """An ``Issue Hook`` with ``object_attributes.action`` ``close`` or ``reopen``."""
        action = {"closed": "close", "reopened": "reopen"}[event]
        iid = details.get("iid") or max(self.issues)
        issue = self._issue_json(iid)
        state = "closed" if action == "close" else "opened"
        payload = {
            "object_kind": "issue",
            "event_type": "issue",
            "user": {"id": 1, "name": "Dev", "username": "dev"},
            "project": {
                "id": issue["project_id"],
                "name": "shop",
                "path_with_namespace": "acme/shop",
                "web_url": "https://gitlab.example.com/acme/shop",
            },
            "object_attributes": {
                "id": issue["id"],
                "iid": iid,
                "title": issue["title"],
                "state": state,
                "action": action,
                "url": issue["web_url"],
                "description": issue["description"],
                "milestone_id": None,
            },
            "labels": [{"title": label} for label in issue["labels"]],
            "changes": {
                "state_id": {
                    "previous": 1 if state == "closed" else 2,
                    "current": 2 if state == "closed" else 1,
                }
            },
        }
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitLab/17.0.0",
            "X-Gitlab-Event": "Issue Hook",
            "X-Gitlab-Token": self.webhook_secret,
            "X-Gitlab-Event-UUID": str(uuid.uuid4()),
            "X-Gitlab-Webhook-UUID": str(uuid.uuid4()),
        }
        return body, headers
