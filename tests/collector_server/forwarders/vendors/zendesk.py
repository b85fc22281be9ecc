"""Zendesk Support tickets (create, comment by update) and its signed ticket events."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from tests.collector_server.forwarders.vendors._core import Answer, Call, Route, VendorProfile

CREATE = "schemas/zendesk.tickets-create.request.schema.json"


class ZendeskProfile(VendorProfile):
    """``POST /api/v2/tickets`` and ``PUT /api/v2/tickets/{id}``; basic ``email/token:TOKEN``.

    The update body is the same ``{"ticket": TicketObject}`` and is checked with the create
    schema (a comment, a status, tags); a new ticket needs a first comment.
    """

    name = "zendesk"

    def __init__(
        self,
        email: str = "agent@example.com",
        api_token: str = "zendesk-api-token",
        webhook_secret: str = "zendesk-signing-secret",
    ) -> None:
        raw = f"{email}/token:{api_token}".encode()
        self.credentials = "Basic " + base64.b64encode(raw).decode()
        self.webhook_secret = webhook_secret
        self.tickets: dict[int, dict[str, Any]] = {}

    def routes(self) -> list[Route]:
        return [
            Route("POST", "/api/v2/tickets", self._create, schema=CREATE, check=_first_comment),
            Route("PUT", "/api/v2/tickets/{id}", self._update, schema=CREATE, check=_has_ticket),
            Route("GET", "/api/v2/tickets/{id}", self._get),
        ]

    def authorised(self, call: Call) -> bool:
        return call.headers.get("authorization") == self.credentials

    def unauthorised(self, call: Call) -> Answer:
        return Answer(401, {"error": "Couldn't authenticate you"})

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        details = {"base": [{"description": error} for error in errors]}
        body = {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": details,
        }
        return Answer(422, body)

    def not_found(self, call: Call) -> Answer:
        return Answer(404, {"error": "RecordNotFound", "description": "Not found"})

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        body = {
            "error": "APIRateLimitExceeded",
            "description": "Number of allowed API requests per minute exceeded",
        }
        return Answer(429, body, {"Retry-After": str(retry_after)})

    def _create(self, call: Call) -> Answer:
        ticket = call.json["ticket"]
        ticket_id = len(self.tickets) + 1
        comment = ticket.get("comment") or {"body": ticket.get("description"), "public": True}
        self.tickets[ticket_id] = {
            **ticket,
            "id": ticket_id,
            "status": ticket.get("status", "new"),
            "comments": [comment],
        }
        return Answer(201, {"ticket": self._ticket_json(ticket_id)})

    def _update(self, call: Call) -> Answer:
        ticket = self._ticket(call)
        if ticket is None:
            return self.not_found(call)
        change = call.json["ticket"]
        if "comment" in change:
            # "The initial value set on ticket creation persists for any additional comment"
            public = ticket["comments"][0].get("public", True)
            ticket["comments"].append({"public": public, **change["comment"]})
        ticket.update({k: v for k, v in change.items() if k != "comment"})
        return Answer(200, {"ticket": self._ticket_json(ticket["id"])})

    def _get(self, call: Call) -> Answer:
        ticket = self._ticket(call)
        return (
            self.not_found(call)
            if ticket is None
            else Answer(200, {"ticket": self._ticket_json(ticket["id"])})
        )

    def _ticket(self, call: Call) -> dict[str, Any] | None:
        ticket_id = call.params["id"]
        return self.tickets.get(int(ticket_id)) if ticket_id.isdigit() else None

    def _ticket_json(self, ticket_id: int) -> dict[str, Any]:
        ticket = self.tickets[ticket_id]
        shown = {k: v for k, v in ticket.items() if k not in ("comments", "comment", "requester")}
        return {**shown, "url": f"{self.base_url}/api/v2/tickets/{ticket_id}.json"}

    def webhook(self, event: str, details: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """``zen:event-type:ticket.status_changed``: ``SOLVED`` (closed), ``OPEN`` (reopened)."""
        status = {"closed": "SOLVED", "solved": "SOLVED", "reopened": "OPEN"}[event]
        ticket_id = details.get("id") or max(self.tickets)
        payload = {
            "type": "zen:event-type:ticket.status_changed",
            "account_id": 1,
            "id": str(uuid.uuid4()),
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "zendesk_event_version": "2022-11-06",
            "subject": f"zen:ticket:{ticket_id}",
            "detail": {
                "id": str(ticket_id),
                "status": status,
                "subject": self.tickets[ticket_id].get("subject"),
            },
            "event": {"previous": "OPEN" if status == "SOLVED" else "SOLVED", "current": status},
        }
        body = json.dumps(payload).encode()
        timestamp = details.get("timestamp") or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        mac = hmac.new(self.webhook_secret.encode(), timestamp.encode() + body, hashlib.sha256)
        headers = {
            "Content-Type": "application/json",
            "X-Zendesk-Webhook-Id": "01FAKEWEBHOOK",
            "X-Zendesk-Webhook-Signature": base64.b64encode(mac.digest()).decode(),
            "X-Zendesk-Webhook-Signature-Timestamp": timestamp,
        }
        return body, headers


def _first_comment(call: Call) -> list[str]:
    ticket = call.json.get("ticket")
    if not isinstance(ticket, dict):
        return ["ticket: is required"]
    comment = ticket.get("comment") or {}
    if not (comment.get("body") or comment.get("html_body") or ticket.get("description")):
        return ["Description: cannot be blank"]
    return []


def _has_ticket(call: Call) -> list[str]:
    return [] if isinstance(call.json.get("ticket"), dict) else ["ticket: is required"]
