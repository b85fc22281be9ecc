"""Linear's GraphQL API, run by graphql-core against Linear's own published schema.

Every operation is parsed and validated against ``linear-schema.graphql`` and its variables
coerced to the declared input types; ``issueCreate``, ``commentCreate`` and
``attachmentCreate`` bodies are also checked against their contract schemas. The operations
then really execute, so an answer holds exactly the fields the forwarder selected (of those
the fake models: selecting a non-null field it does not model answers a GraphQL error).
graphql-core is imported lazily: without it this profile cannot start.
"""

from __future__ import annotations

import json
import time
import uuid
from functools import cache
from typing import TYPE_CHECKING, Any

from tests.collector_server.forwarders.vendors._core import (
    CONTRACTS,
    Answer,
    Call,
    Route,
    VendorProfile,
    hmac_hex,
    schema_errors,
)

if TYPE_CHECKING:
    from graphql import GraphQLSchema

PRIORITY = {0: "No priority", 1: "Urgent", 2: "High", 3: "Medium", 4: "Low"}
CONTRACT = "linear-schema.graphql and schemas/linear.*.request.schema.json"
CHECKED = ("issueCreate", "commentCreate", "attachmentCreate")  # the ones with a body schema


@cache
def linear_schema() -> GraphQLSchema:
    from graphql import build_schema  # noqa: PLC0415

    return build_schema((CONTRACTS / "linear-schema.graphql").read_text())


def _error(message: str, kind: str, code: str, **extensions: Any) -> dict[str, Any]:
    return {"message": message, "extensions": {"type": kind, "code": code, **extensions}}


class LinearProfile(VendorProfile):
    """``POST /graphql`` with ``Authorization: <api key>`` (no ``Bearer``)."""

    name = "linear"

    def __init__(
        self,
        api_key: str = "lin_api_fake",
        team_id: str = "team-1",
        team_key: str = "ENG",
        webhook_secret: str = "linear-webhook-secret",
    ) -> None:
        self.api_key = api_key
        self.team = {"id": team_id, "key": team_key, "name": "Engineering"}
        self.webhook_secret = webhook_secret
        self.issues: dict[str, dict[str, Any]] = {}  # by id
        self.comments: list[dict[str, Any]] = []
        self.attachments: list[dict[str, Any]] = []
        self.sync_id = 1000.0

    def routes(self) -> list[Route]:
        return [Route("POST", "/graphql", self._execute, check=self._check, label=CONTRACT)]

    def authorised(self, call: Call) -> bool:
        return call.headers.get("authorization") == self.api_key

    def unauthorised(self, call: Call) -> Answer:
        message = "Authentication required, not authenticated"
        error = _error(message, "authentication error", "AUTHENTICATION_ERROR", statusCode=401)
        return Answer(401, {"errors": [error]})

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        found = [_error(e, "graphql error", "GRAPHQL_VALIDATION_FAILED") for e in errors]
        return Answer(400, {"errors": found})

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        reset_ms = int((time.time() + retry_after) * 1000)
        headers = {
            "Retry-After": str(retry_after),
            "X-RateLimit-Requests-Limit": "1500",
            "X-RateLimit-Requests-Remaining": "0",
            "X-RateLimit-Requests-Reset": str(reset_ms),
        }
        error = _error("Rate limit exceeded", "ratelimited", "RATELIMITED", statusCode=429)
        return Answer(429, {"errors": [error]}, headers)

    # GraphQL

    def _check(self, call: Call) -> list[str]:
        from graphql import GraphQLError, OperationDefinitionNode, parse, validate  # noqa: PLC0415
        from graphql.execution.values import get_variable_values  # noqa: PLC0415

        body = call.json
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return ["$.query: a GraphQL request needs a query string"]
        try:
            document = parse(body["query"])
        except GraphQLError as exc:
            return [f"$.query: {exc.message}"]
        if errors := validate(linear_schema(), document):
            return [f"$.query: {e.message}" for e in errors]
        found: list[str] = []
        for operation in document.definitions:
            if not isinstance(operation, OperationDefinitionNode):
                continue
            coerced = get_variable_values(
                linear_schema(), operation.variable_definitions or (), body.get("variables") or {}
            )
            if isinstance(coerced, list):
                found += [f"$.variables: {e.message}" for e in coerced]
            for selection in operation.selection_set.selections:
                name = getattr(selection, "name", None)
                if name is not None and name.value in CHECKED:
                    schema = f"schemas/linear.{name.value}.request.schema.json"
                    found += schema_errors(schema, body)
        return found

    def _execute(self, call: Call) -> Answer:
        from graphql import graphql_sync  # noqa: PLC0415

        result = graphql_sync(
            linear_schema(),
            call.json["query"],
            root_value=self,
            variable_values=call.json.get("variables"),
            operation_name=call.json.get("operationName"),
        )
        if result.errors:
            errors = [
                (e.extensions and {"message": e.message, "extensions": e.extensions})
                or {"message": e.message}
                for e in result.errors
            ]
            return Answer(400, {"data": result.data, "errors": errors})
        return Answer(200, {"data": result.data})

    # resolvers (graphql-core's default resolver calls these with (info, **arguments))

    def issueCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        from graphql import GraphQLError  # noqa: PLC0415

        issue_id = input.get("id") or str(uuid.uuid4())
        if issue_id in self.issues:
            message = "Entity already exists"
            raise GraphQLError(
                message,
                extensions=_error(
                    message,
                    "invalid input",
                    "INVALID_INPUT",
                    userPresentableMessage="An issue with this id already exists.",
                )["extensions"],
            )
        if input["teamId"] != self.team["id"]:
            raise GraphQLError("Entity not found: Team", extensions={"type": "invalid input"})
        number = len(self.issues) + 1
        identifier = f"{self.team['key']}-{number}"
        now = _now()
        priority = int(input.get("priority") or 0)
        self.issues[issue_id] = {
            "id": issue_id,
            "identifier": identifier,
            "number": float(number),
            "url": f"https://linear.app/acme/issue/{identifier}",
            "title": input["title"],
            "description": input.get("description"),
            "priority": float(priority),
            "priorityLabel": PRIORITY.get(priority, "No priority"),
            "state": {"id": "state-todo", "name": "Todo", "type": "unstarted", "color": "#e2e2e2"},
            "team": self.team,
            "labelIds": input.get("labelIds") or [],
            "createdAt": now,
            "updatedAt": now,
        }
        return self._payload(issue=self.issues[issue_id])

    def commentCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        issue = self._find(input.get("issueId"))
        comment = {
            "id": str(uuid.uuid4()),
            "body": input.get("body") or "",
            "url": f"{issue['url']}#comment-{len(self.comments) + 1}",
            "createdAt": _now(),
            "updatedAt": _now(),
        }
        self.comments.append({**comment, "issueId": issue["id"]})
        return self._payload(comment=comment)

    def attachmentCreate(self, info: Any, input: dict[str, Any]) -> dict[str, Any]:
        issue = self._find(input.get("issueId"))
        attachment = {"id": str(uuid.uuid4()), "url": input["url"], "title": input["title"]}
        self.attachments.append({**attachment, "issueId": issue["id"]})
        return self._payload(attachment={**attachment, "issue": issue})

    def issue(self, info: Any, id: str) -> dict[str, Any]:
        return self._find(id)

    def _find(self, key: str | None) -> dict[str, Any]:
        from graphql import GraphQLError  # noqa: PLC0415

        for issue in self.issues.values():
            if key in (issue["id"], issue["identifier"]):
                return issue
        raise GraphQLError("Entity not found: Issue", extensions={"type": "invalid input"})

    def _payload(self, **entity: Any) -> dict[str, Any]:
        self.sync_id += 1
        return {"success": True, "lastSyncId": self.sync_id, **entity}

    # the webhook

    def webhook(self, event: str, details: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """An ``Issue`` ``update`` moving the issue (default: the last) to completed or back.

        ``state_type`` overrides the state (``canceled``); ``timestamp_ms`` the
        ``webhookTimestamp`` (to send a stale one). Validated against the webhook schema.
        """
        issue = self.issues[details.get("id") or list(self.issues)[-1]]
        kind = details.get("state_type") or {"closed": "completed", "reopened": "unstarted"}[event]
        names = {"completed": "Done", "canceled": "Canceled", "unstarted": "Todo"}
        state = {
            "id": f"state-{kind}",
            "name": names.get(kind, kind),
            "type": kind,
            "color": "#5e6ad2",
        }
        done = kind in ("completed", "canceled")
        data = {
            key: issue[key]
            for key in (
                "id",
                "identifier",
                "number",
                "title",
                "url",
                "priority",
                "priorityLabel",
                "labelIds",
                "createdAt",
                "description",
            )
        }
        data.update(
            updatedAt=_now(),
            labels=[],
            previousIdentifiers=[],
            prioritySortOrder=0,
            reactionData={},
            sortOrder=0,
            state=state,
            stateId=state["id"],
            subscriberIds=[],
            teamId=self.team["id"],
            completedAt=_now() if done else None,
        )
        issue["state"] = state
        payload = {
            "action": "update",
            "type": "Issue",
            "createdAt": _now(),
            "organizationId": "org-1",
            "webhookId": "webhook-1",
            "webhookTimestamp": details.get("timestamp_ms") or int(time.time() * 1000),
            "url": issue["url"],
            "actor": {"id": "user-1", "name": "Dev", "type": "user"},
            "updatedFrom": {"stateId": "state-previous", "completedAt": None},
            "data": data,
        }
        errors = schema_errors("webhooks/linear.issue-webhook.schema.json", payload)
        assert not errors, errors
        body = json.dumps(payload).encode()
        headers = {
            "Content-Type": "application/json",
            "Linear-Delivery": str(uuid.uuid4()),
            "Linear-Event": "Issue",
            "Linear-Signature": hmac_hex(self.webhook_secret, body),
        }
        return body, headers


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
