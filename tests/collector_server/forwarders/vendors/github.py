"""GitHub's REST API (issues, comments, search) and its signed ``issues`` webhooks."""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
from typing import Any

from tests.collector_server.forwarders.vendors._core import (
    Answer,
    Call,
    Route,
    VendorProfile,
    contract_json,
    hmac_hex,
    schema_errors,
)

DOCS = "https://docs.github.com/rest"
MAX_BODY = 65536  # "body is too long (maximum is 65536 characters)"
PAYLOADS = "webhooks/github-octokit/payload-%s/api.github.com/issues/"

# issues/update has no contract file: hand-written from the REST reference (Update an issue).
ISSUE_UPDATE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {
        "title": {"type": ["string", "integer", "null"]},
        "body": {"type": ["string", "null"], "maxLength": MAX_BODY},
        "state": {"enum": ["open", "closed"]},
        "state_reason": {"enum": ["completed", "not_planned", "duplicate", "reopened", None]},
        "milestone": {"type": ["string", "integer", "null"]},
        "labels": {"type": "array"},
        "assignees": {"type": "array", "items": {"type": "string"}},
    },
}
# issues/create-comment and issues/update-comment: {"body": string}, required.
COMMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["body"],
    "properties": {"body": {"type": "string", "maxLength": MAX_BODY}},
}


class GitHubProfile(VendorProfile):
    """``POST /repos/{owner}/{repo}/issues`` and friends; numbers count from 1."""

    name = "github"
    API_VERSION = "2022-11-28"

    def __init__(
        self,
        token: str = "ghp_test_token",
        repo: str = "acme/shop",
        webhook_secret: str = "github-webhook-secret",
        rate_limit: int = 5000,
    ) -> None:
        self.token = token
        self.repo = repo
        self.webhook_secret = webhook_secret
        self.limit = rate_limit
        self.remaining = rate_limit
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, dict[str, Any]] = {}
        self._next_comment = 1

    def routes(self) -> list[Route]:
        repo = "/repos/{owner}/{repo}"
        return [
            Route(
                "POST",
                repo + "/issues",
                self._create,
                schema="schemas/github.issues-create.request.schema.json",
                check=_body_length,
            ),
            Route("GET", repo + "/issues/{number}", self._get),
            Route("PATCH", repo + "/issues/{number}", self._update, schema=ISSUE_UPDATE),
            Route("POST", repo + "/issues/{number}/comments", self._comment, schema=COMMENT),
            Route("PATCH", repo + "/issues/comments/{comment_id}", self._edit, schema=COMMENT),
            Route("GET", "/search/issues", self._search),
        ]

    # the GitHub way of saying no

    def authorised(self, call: Call) -> bool:
        return call.headers.get("authorization") in (f"Bearer {self.token}", f"token {self.token}")

    def unauthorised(self, call: Call) -> Answer:
        return Answer(
            401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}
        )

    def header_errors(self, call: Call) -> list[str]:
        errors = []
        if not call.headers.get("user-agent"):
            errors.append("a User-Agent header is required")
        if call.headers.get("x-github-api-version") != self.API_VERSION:
            errors.append(f"X-GitHub-Api-Version must be {self.API_VERSION}")
        return errors

    def bad_headers(self, call: Call, errors: list[str]) -> Answer:
        if not call.headers.get("user-agent"):
            message = "Request forbidden by administrative rules. Please make sure your request has a User-Agent header"  # noqa: E501
            return Answer(403, {"message": message, "documentation_url": DOCS})
        return Answer(400, {"message": "; ".join(errors), "documentation_url": DOCS})

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        detail = [{"resource": "Issue", "code": "invalid", "message": e} for e in errors]
        body = {"message": "Validation Failed", "errors": detail, "documentation_url": DOCS}
        return Answer(422, body)

    def rate_headers(self) -> dict[str, str]:
        self.remaining = max(self.remaining - 1, 0)
        return {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": str(self.remaining),
            "x-ratelimit-used": str(self.limit - self.remaining),
            "x-ratelimit-reset": str(int(time.time()) + 3600),
            "x-ratelimit-resource": "core",
        }

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        if secondary:
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."  # noqa: E501
            return Answer(429, {"message": message}, {"retry-after": str(retry_after)})
        headers = {
            "x-ratelimit-limit": str(self.limit),
            "x-ratelimit-remaining": "0",
            "x-ratelimit-used": str(self.limit),
            "x-ratelimit-reset": str(int(time.time()) + retry_after),
            "x-ratelimit-resource": "core",
        }
        return Answer(
            403, {"message": "API rate limit exceeded", "documentation_url": DOCS}, headers
        )

    # the routes

    def _create(self, call: Call) -> Answer:
        if f"{call.params['owner']}/{call.params['repo']}" != self.repo:
            return self.not_found(call)
        number = len(self.issues) + 1
        labels = [
            lbl if isinstance(lbl, str) else lbl.get("name") for lbl in call.json.get("labels", [])
        ]
        now = _now()
        self.issues[number] = {
            "number": number,
            "title": str(call.json["title"]),
            "body": call.json.get("body"),
            "labels": labels,
            "state": "open",
            "state_reason": None,
            "comments": [],
            "created_at": now,
            "updated_at": now,
            "closed_at": None,
        }
        return Answer(201, self._issue_json(number), {"location": self._api_url(number)})

    def _get(self, call: Call) -> Answer:
        number = self._number(call)
        return self.not_found(call) if number is None else Answer(200, self._issue_json(number))

    def _update(self, call: Call) -> Answer:
        number = self._number(call)
        if number is None:
            return self.not_found(call)
        issue = self.issues[number]
        for key in ("title", "body", "labels", "state_reason"):
            if key in call.json:
                issue[key] = call.json[key]
        if call.json.get("state") in ("open", "closed") and call.json["state"] != issue["state"]:
            issue["state"] = call.json["state"]
            closed = issue["state"] == "closed"
            issue["closed_at"] = _now() if closed else None
            issue["state_reason"] = call.json.get(
                "state_reason", "completed" if closed else "reopened"
            )
        issue["updated_at"] = _now()
        return Answer(200, self._issue_json(number))

    def _comment(self, call: Call) -> Answer:
        number = self._number(call)
        if number is None:
            return self.not_found(call)
        comment_id = self._next_comment
        self._next_comment += 1
        self.comments[comment_id] = {"id": comment_id, "issue": number, "body": call.json["body"]}
        self.issues[number]["comments"].append(comment_id)
        return Answer(201, self._comment_json(comment_id))

    def _edit(self, call: Call) -> Answer:
        comment_id = int(call.params["comment_id"]) if call.params["comment_id"].isdigit() else 0
        if comment_id not in self.comments:
            return self.not_found(call)
        self.comments[comment_id]["body"] = call.json["body"]
        return Answer(200, self._comment_json(comment_id))

    def _search(self, call: Call) -> Answer:
        query = call.query.get("q")
        if not query:
            detail = [{"resource": "Search", "field": "q", "code": "missing"}]
            return Answer(422, {"message": "Validation Failed", "errors": detail})
        items = [self._issue_json(n) for n in self.issues if _matches(self.issues[n], query)]
        return Answer(200, {"total_count": len(items), "incomplete_results": False, "items": items})

    # helpers

    def _number(self, call: Call) -> int | None:
        if f"{call.params['owner']}/{call.params['repo']}" != self.repo:
            return None
        number = call.params["number"]
        return int(number) if number.isdigit() and int(number) in self.issues else None

    def _api_url(self, number: int) -> str:
        return f"{self.base_url}/repos/{self.repo}/issues/{number}"

    def _issue_json(self, number: int) -> dict[str, Any]:
        issue = self.issues[number]
        return {
            "id": 100000 + number,
            "node_id": f"I_fake{number}",
            "number": number,
            "url": self._api_url(number),
            "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "title": issue["title"],
            "body": issue["body"],
            "state": issue["state"],
            "state_reason": issue["state_reason"],
            "labels": [{"name": name} for name in issue["labels"]],
            "comments": len(issue["comments"]),
            "user": {"login": "bugrelay-bot", "type": "Bot"},
            "created_at": issue["created_at"],
            "updated_at": issue["updated_at"],
            "closed_at": issue["closed_at"],
        }

    def _comment_json(self, comment_id: int) -> dict[str, Any]:
        comment = self.comments[comment_id]
        number = comment["issue"]
        return {
            "id": comment_id,
            "url": f"{self.base_url}/repos/{self.repo}/issues/comments/{comment_id}",
            "html_url": f"https://github.com/{self.repo}/issues/{number}#issuecomment-{comment_id}",
            "issue_url": self._api_url(number),
            "body": comment["body"],
            "user": {"login": "bugrelay-bot", "type": "Bot"},
        }

    # the webhook

    def webhook(self, event: str, details: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """``issues`` ``closed`` or ``reopened`` for ``number`` (default: the last issue).

        Built from octokit's real example payloads, validated against octokit's payload schema,
        signed like GitHub (``X-Hub-Signature-256``, and the legacy SHA-1 one).
        """
        if event not in ("closed", "reopened"):
            raise ValueError(f"github webhook events: closed, reopened; not {event!r}")
        number = details.get("number") or max(self.issues)
        issue = self.issues[number]
        payload = contract_json(PAYLOADS % "examples" + "reopened.payload.json")
        owner, name = self.repo.split("/")
        payload["action"] = event
        payload["repository"].update(
            name=name, full_name=self.repo, html_url=f"https://github.com/{self.repo}"
        )
        payload["repository"]["owner"]["login"] = owner
        closed = event == "closed"
        payload["issue"].update(
            number=number,
            title=issue["title"],
            body=issue["body"],
            html_url=f"https://github.com/{self.repo}/issues/{number}",
            url=f"https://api.github.com/repos/{self.repo}/issues/{number}",
            state="closed" if closed else "open",
            closed_at=_now() if closed else None,
            state_reason=details.get("state_reason", "completed" if closed else "reopened"),
            labels=[],
        )
        if details.get("milestone"):
            example = contract_json(PAYLOADS % "examples" + "milestoned.payload.json")
            milestone = copy.deepcopy(example["issue"]["milestone"])
            milestone["title"] = details["milestone"]
            payload["issue"]["milestone"] = milestone
        errors = schema_errors(PAYLOADS % "schemas" + f"{event}.schema.json", payload)
        assert not errors, errors
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/fake",
            "X-GitHub-Event": "issues",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-GitHub-Hook-ID": "1",
            "X-Hub-Signature": "sha1=" + hmac_hex(self.webhook_secret, body, "sha1"),
            "X-Hub-Signature-256": "sha256=" + hmac_hex(self.webhook_secret, body),
        }
        return body, headers


def _body_length(call: Call) -> list[str]:
    body = call.json.get("body")
    if isinstance(body, str) and len(body) > MAX_BODY:
        return [f"body is too long (maximum is {MAX_BODY} characters)"]
    return []


def _matches(issue: dict[str, Any], query: str) -> bool:
    """GitHub search, cut down: ``repo:``, ``is:``/``state:``, ``in:``, quoted or bare words."""
    text = f"{issue['title']}\n{issue['body'] or ''}".lower()
    for qualifier, raw in re.findall(r'(?:(\w+):)?("[^"]*"|\S+)', query):
        value = raw.strip('"').lower()
        if qualifier in ("is", "state") and value in ("open", "closed"):
            if issue["state"] != value:
                return False
        elif qualifier == "label":
            if value not in [lbl.lower() for lbl in issue["labels"]]:
                return False
        elif qualifier in ("repo", "is", "in", "type", "author"):
            continue
        elif (f"{qualifier}:{value}" if qualifier else value) not in text:
            return False
    return True


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
