"""The vendor fakes are themselves right: they accept what the vendor accepts, refuse what it
refuses (and record it), enforce auth, inject limits and outages, and sign their webhooks."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from tests.collector_server.forwarders.vendors import (
    CONTRACTS,
    GitHubProfile,
    GitLabProfile,
    JiraProfile,
    LinearProfile,
    SlackProfile,
    TelegramProfile,
    VendorFake,
    ZendeskProfile,
    schema_errors,
)
from tests.support import HttpSink

ADF_DOC = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "bugrelay:group:42"}]}],
}


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    server = HttpSink()
    yield server
    server.close()


def sink_url(sink: HttpSink) -> str:
    return f"http://127.0.0.1:{sink.port}/api/v1/webhooks/test"


# GitHub

GH = {"Authorization": "Bearer ghp_test_token", "X-GitHub-Api-Version": "2022-11-28"}


@pytest.fixture
def github() -> Iterator[VendorFake]:
    with VendorFake(GitHubProfile()) as fake:
        yield fake


def gh_open(github: VendorFake, **body: Any) -> requests.Response:
    body = {"title": "Crash on save", "body": "marker bugrelay-42", "labels": ["bug"], **body}
    return requests.post(github.url("/repos/acme/shop/issues"), json=body, headers=GH, timeout=5)


def test_github_routes_accept_valid_requests(github: VendorFake) -> None:
    first, second = gh_open(github), gh_open(github, title="Other", body="x")
    assert (first.status_code, first.json()["number"], second.json()["number"]) == (201, 1, 2)
    assert first.json()["html_url"] == "https://github.com/acme/shop/issues/1"
    issue = github.url("/repos/acme/shop/issues/1")
    comment = requests.post(issue + "/comments", json={"body": "+1"}, headers=GH, timeout=5)
    assert comment.status_code == 201
    edited = requests.patch(
        github.url(f"/repos/acme/shop/issues/comments/{comment.json()['id']}"),
        json={"body": "+2"},
        headers=GH,
        timeout=5,
    )
    assert edited.json()["body"] == "+2"
    closed = requests.patch(issue, json={"state": "closed"}, headers=GH, timeout=5)
    assert (closed.json()["state"], closed.json()["state_reason"]) == ("closed", "completed")
    found = requests.get(
        github.url("/search/issues"),
        params={"q": 'repo:acme/shop is:issue in:body "bugrelay-42"'},
        headers=GH,
        timeout=5,
    ).json()
    assert [item["number"] for item in found["items"]] == [1]
    assert github.violations == []
    assert [r.method for r in github.requests] == ["POST", "POST", "POST", "PATCH", "PATCH", "GET"]
    assert github.requests[0].json["title"] == "Crash on save"
    assert int(closed.headers["x-ratelimit-remaining"]) < 5000
    assert int(closed.headers["x-ratelimit-reset"]) > time.time()


@pytest.mark.parametrize(
    "body",
    [{"body": "no title"}, {"title": "t", "labels": "bug"}, {"title": "t", "body": "x" * 65537}],
)
def test_github_refuses_what_github_rejects(github: VendorFake, body: dict[str, Any]) -> None:
    answer = requests.post(github.url("/repos/acme/shop/issues"), json=body, headers=GH, timeout=5)
    assert answer.status_code == 422
    assert answer.json()["message"] == "Validation Failed"
    assert answer.json()["errors"]
    assert len(github.violations) == 1
    assert github.violations[0].path == "/repos/acme/shop/issues"
    assert github.profile.issues == {}  # type: ignore[attr-defined]


def test_github_refuses_a_bad_state_and_an_unknown_route(github: VendorFake) -> None:
    gh_open(github)
    issue = github.url("/repos/acme/shop/issues/1")
    assert requests.patch(issue, json={"state": "done"}, headers=GH, timeout=5).status_code == 422
    assert requests.delete(issue, headers=GH, timeout=5).status_code == 404
    assert [v.contract for v in github.violations][-1] == "routes"
    assert len(github.violations) == 2


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({}, 401),
        ({"Authorization": "Bearer wrong", "X-GitHub-Api-Version": "2022-11-28"}, 401),
        ({"Authorization": "Bearer ghp_test_token"}, 400),  # no API version
        ({**GH, "User-Agent": ""}, 403),
    ],
)
def test_github_enforces_auth_and_headers(
    github: VendorFake, headers: dict[str, str], status: int
) -> None:
    answer = requests.post(
        github.url("/repos/acme/shop/issues"), json={"title": "t"}, headers=headers, timeout=5
    )
    assert answer.status_code == status
    assert github.profile.issues == {}  # type: ignore[attr-defined]
    if status == 401:
        assert answer.json()["message"] == "Bad credentials"


def test_github_rate_limits_like_github(github: VendorFake) -> None:
    github.rate_limit_next(1, retry_after=30)
    github.rate_limit_next(1, retry_after=7, secondary=True)
    primary, secondary, fine = gh_open(github), gh_open(github), gh_open(github)
    assert primary.status_code == 403
    assert primary.headers["x-ratelimit-remaining"] == "0"
    assert 0 < int(primary.headers["x-ratelimit-reset"]) - time.time() <= 31
    assert (secondary.status_code, secondary.headers["retry-after"]) == (429, "7")
    assert "secondary rate limit" in secondary.json()["message"]
    assert (fine.status_code, fine.json()["number"]) == (201, 1)


def test_failures_and_outages_are_injected(github: VendorFake) -> None:
    github.fail_next(2, status=502)
    assert [gh_open(github).status_code for _ in range(3)] == [502, 502, 201]
    github.down()
    with pytest.raises(requests.ConnectionError):
        gh_open(github)
    github.up()
    assert gh_open(github).json()["number"] == 2


def test_github_webhooks_validate_and_are_signed(github: VendorFake, sink: HttpSink) -> None:
    gh_open(github)
    for event in ("closed", "reopened"):
        assert github.send_webhook(sink_url(sink), event, milestone="2.4.1").status_code == 202
    for received, event in zip(sink.requests, ("closed", "reopened"), strict=True):
        secret = b"github-webhook-secret"
        digest = hmac.new(secret, received.body, hashlib.sha256).hexdigest()
        assert received.headers["X-Hub-Signature-256"] == f"sha256={digest}"
        assert received.headers["X-GitHub-Event"] == "issues"
        payload = json.loads(received.body)
        schema = (
            f"webhooks/github-octokit/payload-schemas/api.github.com/issues/{event}.schema.json"
        )
        assert schema_errors(schema, payload) == []
        assert (payload["action"], payload["issue"]["number"]) == (event, 1)
        assert payload["issue"]["milestone"]["title"] == "2.4.1"
        assert payload["repository"]["full_name"] == "acme/shop"


# Slack


@pytest.fixture
def slack() -> Iterator[VendorFake]:
    with VendorFake(SlackProfile()) as fake:
        yield fake


def test_slack_accepts_a_valid_message(slack: VendorFake) -> None:
    body = {
        "text": "Critical: Crash on save",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "Crash on save"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*12 reports*"}},
        ],
    }
    url = slack.profile.webhook_url  # type: ignore[attr-defined]
    answer = requests.post(url, json=body, timeout=5)
    assert (answer.status_code, answer.text) == (200, "ok")
    assert slack.violations == []


@pytest.mark.parametrize(
    "body",
    [
        {"blocks": [{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}]},
        {"username": "no content"},
        {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": ""}}]},
    ],
)
def test_slack_refuses_an_invalid_payload(slack: VendorFake, body: dict[str, Any]) -> None:
    answer = requests.post(slack.profile.webhook_url, json=body, timeout=5)  # type: ignore[attr-defined]
    assert (answer.status_code, answer.text) == (400, "invalid_payload")
    assert len(slack.violations) == 1


def test_slack_url_is_the_secret_and_limits_answer_429(slack: VendorFake) -> None:
    wrong = requests.post(slack.url("/services/T0/B0/wrong"), json={"text": "x"}, timeout=5)
    assert (wrong.status_code, wrong.text) == (404, "no_service")
    slack.rate_limit_next(retry_after=3)
    limited = requests.post(slack.profile.webhook_url, json={"text": "x"}, timeout=5)  # type: ignore[attr-defined]
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "3")


# Telegram


@pytest.fixture
def telegram() -> Iterator[VendorFake]:
    with VendorFake(TelegramProfile()) as fake:
        yield fake


def tg_send(telegram: VendorFake, token: str = "123456:fake-bot-token", **body: Any) -> Any:
    body = {
        "chat_id": -1001,
        "text": "<b>Crash</b> on save &amp; more",
        "parse_mode": "HTML",
        **body,
    }
    return requests.post(telegram.url(f"/bot{token}/sendMessage"), json=body, timeout=5)


def test_telegram_accepts_a_valid_message(telegram: VendorFake) -> None:
    answer = tg_send(telegram)
    assert answer.status_code == 200
    assert answer.json()["ok"] is True
    assert answer.json()["result"]["message_id"] == 1
    markdown = tg_send(
        telegram, text="*Crash* in 2\\.4\\.1 [open](https://x.example/a.b)", parse_mode="MarkdownV2"
    )
    assert markdown.status_code == 200
    assert tg_send(telegram, text="x" * 4096, parse_mode=None).status_code == 200
    assert telegram.violations == []


@pytest.mark.parametrize(
    ("body", "description"),
    [
        ({"text": "x" * 4097, "parse_mode": None}, "message is too long"),
        ({"text": ""}, "message text is empty"),
        ({"parse_mode": "html5"}, "unsupported parse_mode"),
        ({"text": "a < b"}, "can't parse entities"),
        ({"text": "<div>x</div>"}, "Unsupported start tag"),
        ({"text": "<b>x</i>"}, "Unexpected end tag"),
        ({"text": "version 2.4.1", "parse_mode": "MarkdownV2"}, "Character '.' is reserved"),
        ({"chat_id": None}, "chat_id is empty"),
    ],
)
def test_telegram_refuses_what_telegram_rejects(
    telegram: VendorFake, body: dict[str, Any], description: str
) -> None:
    answer = tg_send(telegram, **body)
    assert answer.status_code == 400
    assert answer.json()["ok"] is False
    assert description in answer.json()["description"]
    assert len(telegram.violations) == 1


def test_telegram_auth_chat_and_flood_limit(telegram: VendorFake) -> None:
    assert tg_send(telegram, token="123:wrong").status_code == 401
    unknown = tg_send(telegram, chat_id=42)
    assert (unknown.status_code, unknown.json()["description"]) == (
        400,
        "Bad Request: chat not found",
    )
    telegram.rate_limit_next(retry_after=5)
    limited = tg_send(telegram)
    assert limited.status_code == 429
    assert limited.json()["parameters"]["retry_after"] == 5


# Jira

JIRA = {"Authorization": "Basic " + base64.b64encode(b"bot@example.com:jira-api-token").decode()}


@pytest.fixture
def jira() -> Iterator[VendorFake]:
    with VendorFake(JiraProfile()) as fake:
        yield fake


def jira_open(jira: VendorFake, **fields: Any) -> requests.Response:
    body = {
        "fields": {
            "project": {"key": "BUG"},
            "issuetype": {"name": "Bug"},
            "summary": "Crash on save",
            "description": ADF_DOC,
            "labels": ["bugrelay"],
            **fields,
        }
    }
    return requests.post(jira.url("/rest/api/3/issue"), json=body, headers=JIRA, timeout=5)


def test_jira_routes_accept_valid_requests(jira: VendorFake) -> None:
    created = jira_open(jira)
    assert (created.status_code, created.json()["key"]) == (201, "BUG-1")
    issue = jira.url("/rest/api/3/issue/BUG-1")
    comment = requests.post(issue + "/comment", json={"body": ADF_DOC}, headers=JIRA, timeout=5)
    assert comment.status_code == 201
    transitions = requests.get(issue + "/transitions", headers=JIRA, timeout=5).json()
    done = next(t["id"] for t in transitions["transitions"] if t["name"] == "Done")
    moved = requests.post(
        issue + "/transitions", json={"transition": {"id": done}}, headers=JIRA, timeout=5
    )
    assert moved.status_code == 204
    for path in ("/rest/api/3/search/jql", "/rest/api/3/search"):
        jql = 'project = BUG AND text ~ "bugrelay:group:42"'
        found = requests.get(jira.url(path), params={"jql": jql}, headers=JIRA, timeout=5).json()
        assert [i["key"] for i in found["issues"]] == ["BUG-1"]
        assert found["issues"][0]["fields"]["status"]["statusCategory"]["key"] == "done"
    assert jira.violations == []


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"description": "markdown is not ADF"}, "description"),
        ({"description": {"type": "doc", "version": 2, "content": []}}, "description"),
        ({"summary": ""}, "summary"),
        ({"issuetype": None}, "issuetype"),
    ],
)
def test_jira_refuses_what_jira_rejects(
    jira: VendorFake, fields: dict[str, Any], field: str
) -> None:
    answer = jira_open(jira, **fields)
    assert answer.status_code == 400
    assert answer.json()["errorMessages"] == []
    assert field in answer.json()["errors"]
    assert len(jira.violations) == 1


def test_jira_refuses_a_markdown_comment_and_an_unknown_transition(jira: VendorFake) -> None:
    jira_open(jira)
    issue = jira.url("/rest/api/3/issue/BUG-1")
    text = requests.post(issue + "/comment", json={"body": "plain"}, headers=JIRA, timeout=5)
    assert text.status_code == 400
    assert len(jira.violations) == 1
    wrong = requests.post(
        issue + "/transitions", json={"transition": {"id": "99"}}, headers=JIRA, timeout=5
    )
    assert wrong.status_code == 400
    assert "not valid" in wrong.json()["errorMessages"][0]


def test_jira_auth_and_rate_limit(jira: VendorFake) -> None:
    wrong = {"Authorization": "Basic " + base64.b64encode(b"bot@example.com:nope").decode()}
    assert (
        requests.get(jira.url("/rest/api/3/search/jql"), headers=wrong, timeout=5).status_code
        == 401
    )
    jira.rate_limit_next(retry_after=4)
    limited = jira_open(jira)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "4")


def test_jira_webhook_carries_a_status_changelog_and_the_secret(
    jira: VendorFake, sink: HttpSink
) -> None:
    jira_open(jira)
    jira.send_webhook(sink_url(sink), "closed", fix_version="2.4.1")
    received = sink.requests[0]
    assert received.headers["X-BugRelay-Webhook-Secret"] == "jira-webhook-secret"
    payload = json.loads(received.body)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["issue"]["key"] == "BUG-1"
    status = next(i for i in payload["changelog"]["items"] if i["field"] == "status")
    assert status["toString"] == "Done"
    assert payload["issue"]["fields"]["fixVersions"] == [{"name": "2.4.1"}]


# GitLab

GL = {"PRIVATE-TOKEN": "glpat-fake-token"}


@pytest.fixture
def gitlab() -> Iterator[VendorFake]:
    with VendorFake(GitLabProfile()) as fake:
        yield fake


def test_gitlab_routes_accept_valid_requests(gitlab: VendorFake) -> None:
    issues = gitlab.url("/api/v4/projects/7/issues")
    body = {
        "title": "Crash",
        "description": "bugrelay-42",
        "labels": ["bug"],
        "issue_type": "incident",
    }
    created = requests.post(issues, json=body, headers=GL, timeout=5)
    assert (created.status_code, created.json()["iid"]) == (201, 1)
    assert "RateLimit-Remaining" in created.headers
    bearer = {"Authorization": "Bearer glpat-fake-token"}
    note = requests.post(issues + "/1/notes", json={"body": "+1"}, headers=bearer, timeout=5)
    assert note.status_code == 201
    closed = requests.put(issues + "/1", json={"state_event": "close"}, headers=GL, timeout=5)
    assert closed.json()["state"] == "closed"
    found = requests.get(issues, params={"search": "bugrelay-42"}, headers=GL, timeout=5).json()
    assert [i["iid"] for i in found] == [1]
    assert gitlab.violations == []


def test_gitlab_refuses_bad_bodies_and_credentials(gitlab: VendorFake) -> None:
    issues = gitlab.url("/api/v4/projects/7/issues")
    bad = {"title": "t", "severity": "urgent"}
    assert requests.post(issues, json=bad, headers=GL, timeout=5).status_code == 400
    requests.post(issues, json={"title": "t"}, headers=GL, timeout=5)
    wrong = requests.put(issues + "/1", json={"state_event": "closed"}, headers=GL, timeout=5)
    assert wrong.status_code == 400
    assert len(gitlab.violations) == 2
    no_key = requests.post(issues, json={"title": "t"}, timeout=5)
    assert (no_key.status_code, no_key.json()) == (401, {"message": "401 Unauthorized"})
    gitlab.rate_limit_next(retry_after=9)
    limited = requests.post(issues, json={"title": "t"}, headers=GL, timeout=5)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "9")
    assert limited.headers["RateLimit-Remaining"] == "0"


def test_gitlab_issue_hook_carries_the_token(gitlab: VendorFake, sink: HttpSink) -> None:
    issues = gitlab.url("/api/v4/projects/7/issues")
    requests.post(issues, json={"title": "t"}, headers=GL, timeout=5)
    gitlab.send_webhook(sink_url(sink), "closed")
    received = sink.requests[0]
    assert received.headers["X-Gitlab-Event"] == "Issue Hook"
    assert received.headers["X-Gitlab-Token"] == "gitlab-webhook-secret"
    attributes = json.loads(received.body)["object_attributes"]
    assert (attributes["action"], attributes["state"], attributes["iid"]) == ("close", "closed", 1)


# Linear

LINEAR = {"Authorization": "lin_api_fake"}


@pytest.fixture
def linear() -> Iterator[VendorFake]:
    pytest.importorskip("graphql", reason="graphql-core is needed to check Linear's GraphQL")
    with VendorFake(LinearProfile()) as fake:
        yield fake


def operation(name: str) -> str:
    return (CONTRACTS / f"linear-{name}.graphql").read_text()


def linear_post(linear: VendorFake, name: str, data: dict[str, Any], **headers: str) -> Any:
    body = {"query": operation(name), "variables": {"input": data}}
    return requests.post(linear.url("/graphql"), json=body, headers=headers or LINEAR, timeout=5)


def test_linear_operations_run_against_linears_schema(linear: VendorFake) -> None:
    issue_id = str(uuid.uuid4())
    created = linear_post(
        linear, "issueCreate", {"id": issue_id, "teamId": "team-1", "title": "Crash", "priority": 1}
    )
    assert created.status_code == 200
    issue = created.json()["data"]["issueCreate"]["issue"]
    assert (issue["id"], issue["identifier"], issue["priority"]) == (issue_id, "ENG-1", 1)
    comment = linear_post(linear, "commentCreate", {"issueId": issue_id, "body": "+1"})
    assert comment.json()["data"]["commentCreate"]["success"] is True
    attached = linear_post(
        linear,
        "attachmentCreate",
        {"issueId": "ENG-1", "title": "report", "url": "https://x.example/r"},
    )
    assert attached.json()["data"]["attachmentCreate"]["attachment"]["url"] == "https://x.example/r"
    assert linear.violations == []


def test_linear_client_chosen_id_is_idempotent(linear: VendorFake) -> None:
    data = {"id": str(uuid.uuid4()), "teamId": "team-1", "title": "Crash"}
    assert linear_post(linear, "issueCreate", data).status_code == 200
    again = linear_post(linear, "issueCreate", data)
    assert again.status_code == 400
    assert again.json()["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    assert len(linear.profile.issues) == 1  # type: ignore[attr-defined]
    assert linear.violations == []  # a vendor error, not a contract violation


@pytest.mark.parametrize(
    "body",
    [
        {"query": "mutation { issueCreate(input: {teamId: 1}) { nope } }"},
        {"query": operation("issueCreate"), "variables": {"input": {"title": "no team"}}},
        {
            "query": operation("issueCreate"),
            "variables": {"input": {"teamId": "team-1", "title": "t", "priority": "high"}},
        },
    ],
)
def test_linear_refuses_invalid_operations(linear: VendorFake, body: dict[str, Any]) -> None:
    answer = requests.post(linear.url("/graphql"), json=body, headers=LINEAR, timeout=5)
    assert answer.status_code == 400
    assert answer.json()["errors"]
    assert len(linear.violations) == 1


def test_linear_auth_and_rate_limit(linear: VendorFake) -> None:
    data = {"teamId": "team-1", "title": "t"}
    bearer = linear_post(linear, "issueCreate", data, Authorization="Bearer lin_api_fake")
    assert bearer.status_code == 401
    linear.rate_limit_next(retry_after=2)
    limited = linear_post(linear, "issueCreate", data)
    assert limited.status_code == 429
    assert limited.json()["errors"][0]["extensions"]["type"] == "ratelimited"


def test_linear_webhook_validates_and_is_signed(linear: VendorFake, sink: HttpSink) -> None:
    linear_post(linear, "issueCreate", {"teamId": "team-1", "title": "t"})
    linear.send_webhook(sink_url(sink), "closed")
    received = sink.requests[0]
    digest = hmac.new(b"linear-webhook-secret", received.body, hashlib.sha256).hexdigest()
    assert received.headers["Linear-Signature"] == digest
    payload = json.loads(received.body)
    assert schema_errors("webhooks/linear.issue-webhook.schema.json", payload) == []
    assert payload["data"]["state"]["type"] == "completed"
    assert abs(payload["webhookTimestamp"] / 1000 - time.time()) < 60


# Zendesk

ZD = {
    "Authorization": "Basic "
    + base64.b64encode(b"agent@example.com/token:zendesk-api-token").decode()
}


@pytest.fixture
def zendesk() -> Iterator[VendorFake]:
    with VendorFake(ZendeskProfile()) as fake:
        yield fake


def test_zendesk_tickets_and_private_comments(zendesk: VendorFake) -> None:
    ticket = {
        "subject": "Crash",
        "comment": {"body": "Steps", "public": False},
        "priority": "high",
        "external_id": "group-42",
        "requester": {"name": "Ann", "email": "ann@example.com"},
    }
    tickets = zendesk.url("/api/v2/tickets")
    created = requests.post(tickets, json={"ticket": ticket}, headers=ZD, timeout=5)
    assert (created.status_code, created.json()["ticket"]["id"]) == (201, 1)
    update = {"ticket": {"comment": {"body": "+1", "public": False}}}
    assert requests.put(tickets + "/1", json=update, headers=ZD, timeout=5).status_code == 200
    assert zendesk.profile.tickets[1]["comments"][1]["public"] is False  # type: ignore[attr-defined]
    assert zendesk.violations == []


def test_zendesk_refuses_bad_tickets_and_credentials(zendesk: VendorFake) -> None:
    tickets = zendesk.url("/api/v2/tickets")
    bad = {"ticket": {"priority": "critical", "comment": {"body": "x"}}}
    answer = requests.post(tickets, json=bad, headers=ZD, timeout=5)
    assert (answer.status_code, answer.json()["error"]) == (422, "RecordInvalid")
    blank = requests.post(
        tickets, json={"ticket": {"subject": "no comment"}}, headers=ZD, timeout=5
    )
    assert blank.status_code == 422
    assert len(zendesk.violations) == 2
    assert requests.post(tickets, json=bad, timeout=5).status_code == 401
    zendesk.rate_limit_next(retry_after=6)
    limited = requests.post(tickets, json=bad, headers=ZD, timeout=5)
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "6")


def test_zendesk_status_event_is_signed(zendesk: VendorFake, sink: HttpSink) -> None:
    ticket = {"ticket": {"subject": "Crash", "comment": {"body": "x"}}}
    requests.post(zendesk.url("/api/v2/tickets"), json=ticket, headers=ZD, timeout=5)
    zendesk.send_webhook(sink_url(sink), "closed")
    received = sink.requests[0]
    timestamp = received.headers["X-Zendesk-Webhook-Signature-Timestamp"]
    mac = hmac.new(b"zendesk-signing-secret", timestamp.encode() + received.body, hashlib.sha256)
    assert (
        received.headers["X-Zendesk-Webhook-Signature"] == base64.b64encode(mac.digest()).decode()
    )
    payload = json.loads(received.body)
    assert payload["type"] == "zen:event-type:ticket.status_changed"
    assert (payload["detail"]["id"], payload["detail"]["status"]) == ("1", "SOLVED")
