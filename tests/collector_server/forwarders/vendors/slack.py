"""A Slack incoming webhook: the URL is the secret; answers are plain strings."""

from __future__ import annotations

from tests.collector_server.forwarders.vendors._core import Answer, Call, Route, VendorProfile


class SlackProfile(VendorProfile):
    """``POST /services/T.../B.../...``; the body checked against Slack's contract schema."""

    name = "slack"

    def __init__(self, path: str = "/services/T00000000/B00000000/fakeSlackHookSecret") -> None:
        self.path = path
        self.messages: list[dict[str, object]] = []

    @property
    def webhook_url(self) -> str:
        return self.base_url + self.path

    def routes(self) -> list[Route]:
        schema = "schemas/slack.incoming-webhook.request.schema.json"
        return [Route("POST", self.path, self._post, schema=schema)]

    def authorised(self, call: Call) -> bool:
        return call.path == self.path

    def unauthorised(self, call: Call) -> Answer:
        # Slack answers an unknown or revoked hook URL so, not with 401.
        return Answer(404 if call.path.startswith("/services/") else 403, "no_service")

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        return Answer(400, "invalid_payload")

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        return Answer(429, "rate_limited", {"Retry-After": str(retry_after)})

    def failure(self, status: int) -> Answer:
        return Answer(status, "rollup_error" if status == 500 else "service_unavailable")

    def _post(self, call: Call) -> Answer:
        self.messages.append(call.json)
        return Answer(200, "ok")
