import base64
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest
from jsonschema import Draft4Validator

from collector_server.forwarders.neutralise import ZWJ, utf16_len
from collector_server.forwarders.render import TicketContent, build_ticket_content, group_marker
from collector_server.forwarders.render_adf import to_adf
from collector_server.forwarders.render_chat import to_slack, to_telegram
from collector_server.forwarders.render_markdown import MAX_BODY, to_markdown
from sdk.models import Report
from tests.collector_server.forwarders.test_neutralise import assert_inert_markdown

CONTRACTS = Path(__file__).parents[3] / ".." / "shared" / "contracts" / "schemas"
GROUP_URL = "https://bugrelay.example/projects/7/groups/42"


def load(name: str) -> dict[str, Any]:
    return json.loads((CONTRACTS / name).read_text())


ADF = Draft4Validator(load("jira.adf-v1-full.schema.json"))
_SLACK_SCHEMA = load("slack.incoming-webhook.request.schema.json")
SLACK = jsonschema.validators.validator_for(_SLACK_SCHEMA)(_SLACK_SCHEMA)


def attachment_url(name: str) -> str:
    return f"https://bugrelay.example/attachments/r1/{quote(name)}"


def group(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 42,
        "project_id": 7,
        "title": "TypeError: Cannot read properties of undefined (reading 'total')",
        "status": "open",
        "severity": "high",
        "severity_reasons": ["crash", "12 reporters in an hour"],
        "report_count": 30,
        "reporters": 12,
        "users_affected": 12,
        "first_seen": "2026-11-25T10:00:00+00:00",
        "last_seen": "2026-11-25T12:30:00Z",
        "releases": ["2.4.0", "2.4.1"],
        "environments": ["production"],
        "top_routes": ["/checkout"],
        "fixed_in": None,
    }
    return base | changes


def stored(**fields: Any) -> dict[str, Any]:
    """A report as the store keeps it: validated by the wire model, dumped as JSON."""
    fields.setdefault("id", "0b6f3f0e-8f7c-4c43-9a39-3c3d7e9a1a01")
    fields.setdefault("created_at", "2026-11-25T12:30:00Z")
    return Report.model_validate(fields).model_dump(mode="json")


def actions(n: int) -> list[dict[str, Any]]:
    return [
        {"timestamp": "2026-11-25T12:29:00Z", "category": "ui.click", "message": f"button#step-{i}"}
        for i in range(n)
    ]


JS_CRASH = stored(
    kind="crash",
    title="",
    app={"name": "shop", "release": "2.4.1", "environment": "production", "build": "a1b2c3"},
    runtime={"name": "Chrome", "version": "131.0"},
    os={"name": "Windows", "version": "11"},
    device={"family": "desktop"},
    browser={
        "name": "Chrome",
        "version": "131.0.6778.86",
        "url": "https://shop.example/checkout?step=pay",
        "user_agent": "Mozilla/5.0",
    },
    actions=actions(20),
    logs=[
        {
            "timestamp": "2026-11-25T12:29:59Z",
            "level": "error",
            "logger": "console",
            "message": f"x{i}",
        }
        for i in range(30)
    ],
    exception={
        "type": "TypeError",
        "value": "Cannot read properties of undefined (reading 'total')",
        "handled": False,
        "frames": [
            {"file": "https://shop.example/vendor.js", "function": "r", "line": 1, "in_app": False},
            *[
                {
                    "file": "https://shop.example/static/app.js",
                    "function": f"Cart.step{i}",
                    "line": 100 + i,
                    "in_app": True,
                }
                for i in range(20)
            ],
        ],
        "stack": "TypeError: Cannot read properties of undefined (reading 'total')\n"
        "    at Cart.total (https://shop.example/static/app.js:120:15)",
    },
    network=[
        {
            "method": "POST",
            "url": "https://api.shop.example/cart",
            "status": 500,
            "duration_ms": 212.4,
        },
        {"method": "GET", "url": "https://api.shop.example/price", "error": "net::ERR_FAILED"},
    ],
)

PY_CRASH = stored(
    kind="crash",
    app={"release": "1.0.3", "environment": "staging"},
    runtime={"name": "CPython", "version": "3.12.4"},
    os={"name": "Linux", "version": "6.8"},
    device={"family": "server", "arch": "x86_64"},
    exception={
        "type": "KeyError",
        "value": "'user_id'",
        "frames": [
            {"module": "django.core.handlers", "function": "inner", "line": 55, "in_app": False},
            {
                "file": "app/views.py",
                "function": "profile",
                "line": 12,
                "in_app": True,
                "code": "return request.session['user_id']",
            },
        ],
        "chain": [{"type": "ValueError", "value": "bad session"}],
    },
)

SCREENSHOT = base64.b64encode(b"\x89PNG fake").decode()
RUSSIAN = stored(
    kind="bug",
    title="Не работает кнопка «Оплатить»",
    description="Нажимаю «Оплатить», ничего не происходит.\n\nПробовал дважды.",
    impact="blocks_work",
    browser={"name": "Firefox", "version": "133", "language": "ru-RU"},
    attachments=[
        {"name": "снимок экрана.png", "content_type": "image/png", "size": 9, "data": SCREENSHOT}
    ],
)

HOSTILE_TEXT = (
    "@octocat @org/team Fixes #1 closes owner/repo#2 GH-3 !4 ~bug %v1 $5 &6\n"
    "/close\n<script>alert(1)</script> [x](https://evil.example) ![i](https://evil.example/i.png)"
    " <!channel> <!here> <@U1> <#C1> @channel @everyone www.evil.example\n# h\n| t |"
)
HOSTILE = stored(
    title="@here Fixes #9 <b>x</b>",
    description=HOSTILE_TEXT,
    app={"release": "@octocat #1", "environment": "<!channel>"},
    browser={"name": "![x](https://evil.example)", "url": "https://evil.example/@octocat#1"},
    actions=[
        {"timestamp": "2026-11-25T12:29:00Z", "category": "ui.click", "message": HOSTILE_TEXT[:900]}
    ],
    logs=[{"timestamp": "2026-11-25T12:29:00Z", "message": "/close\n@octocat closes #1 ```"}],
    exception={
        "type": "Error",
        "value": "@octocat fixes #7\n/close",
        "frames": [
            {"file": "/app/@octocat.py", "function": "#1", "in_app": True, "code": "``` @x"}
        ],
    },
    network=[{"method": "GET", "url": "https://evil.example/?q=@octocat#1", "status": 404}],
    attachments=[{"name": "[x](https:__evil) @octocat #1", "size": 9, "data": SCREENSHOT}],
)

REPORTS = {"js": JS_CRASH, "python": PY_CRASH, "russian": RUSSIAN, "hostile": HOSTILE}


def content(report: dict[str, Any], **changes: Any) -> TicketContent:
    return build_ticket_content(
        group(**changes), report, group_url=GROUP_URL, attachment_url=attachment_url
    )


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


# --- content ---------------------------------------------------------------------------------


def test_js_crash_content() -> None:
    c = content(JS_CRASH)
    assert c.title.startswith("TypeError: Cannot read")
    assert len(c.steps) == 15
    assert c.steps[0] == "ui.click: button#step-5"  # the last 15, oldest first
    assert c.steps[-1] == "ui.click: button#step-19"
    assert len(c.logs) == 20
    assert c.logs[-1] == "2026-11-25T12:29:59Z ERROR [console] x29"
    assert c.exception is not None
    assert c.exception.frame_count == 21
    assert c.exception.in_app_count == 20
    assert len(c.exception.frames) == 15
    assert c.exception.frames[-1] == "https://shop.example/static/app.js:119 in Cart.step19"
    assert ("Release", "2.4.1 (build a1b2c3)") in [(r.name, r.value) for r in c.environment]
    url_row = next(r for r in c.environment if r.name == "URL")
    assert url_row.code
    assert c.failed_requests == (
        "POST https://api.shop.example/cart → 500, 212 ms",
        "GET https://api.shop.example/price → no response (net::ERR_FAILED)",
    )
    assert c.group_line == (
        "12 reporters · 30 reports · first seen 2026-11-25 10:00 UTC · "
        "last seen 2026-11-25 12:30 UTC · releases 2.4.0, 2.4.1"
    )
    assert c.marker == "bugrelay-group:7:42"


def test_python_crash_content() -> None:
    c = content(
        PY_CRASH, title="", reporters=1, report_count=1, releases=[f"1.{i}" for i in range(8)]
    )
    assert c.title == "KeyError: 'user_id'"
    assert c.exception is not None
    assert c.exception.frames == (
        "app/views.py:12 in profile\n    return request.session['user_id']",
    )
    assert c.exception.chain == ("ValueError: bad session",)
    assert c.group_line.startswith("1 reporter · 1 report · ")
    assert c.group_line.endswith("releases 1.3, 1.4, 1.5, 1.6, 1.7 (+3 more)")


def test_russian_report_with_screenshot() -> None:
    c = content(RUSSIAN, title="")
    assert c.title == "Не работает кнопка «Оплатить»"
    assert c.summary.startswith("Нажимаю")
    assert c.attachments[0].name == "снимок экрана.png"
    assert c.attachments[0].url == attachment_url("снимок экрана.png")
    md = to_markdown(c)
    assert "Нажимаю «Оплатить», ничего не происходит." in md
    assert "[снимок экрана.png](https://bugrelay.example/attachments/r1/%D1%81" in md


def test_title_is_capped() -> None:
    assert len(content(PY_CRASH, title="x" * 400).title) == 255


def test_marker_is_stable_and_safe() -> None:
    assert group_marker(7, 42) == "bugrelay-group:7:42"
    assert group_marker("p 1`", "g:2") == "bugrelay-group:p1:g2"


# --- markdown --------------------------------------------------------------------------------


@pytest.mark.parametrize("flavour", ["github", "gitlab"])
@pytest.mark.parametrize("name", REPORTS)
def test_markdown_body(name: str, flavour: Any) -> None:
    md = to_markdown(content(REPORTS[name]), flavour)
    assert len(md) <= MAX_BODY
    assert "`bugrelay-group:7:42`" in md
    assert f"[Open the group in BugRelay]({GROUP_URL})" in md


def test_markdown_sections() -> None:
    md = to_markdown(content(JS_CRASH))
    assert "| URL | `https://shop.example/checkout?step=pay` |" in md
    assert "<details>\n<summary>20 log lines</summary>\n\n```text\n" in md
    assert "<summary>15 of 20 in-app frames (21 in all), innermost last</summary>" in md
    assert f"1. ui.click: button\\#{ZWJ}step-5" in md


OUR_LINE = re.compile(r"^(?:### .*|\| \| \||\|---\|---\||---|</?details>|<summary>.*</summary>)$")
OUR_PREFIX = re.compile(r"^(?:\d+\. |- |\| [A-Za-z]+ \| |\*\*Severity: \w+\*\* )")


def user_parts(md: str) -> list[str]:
    """The pieces of ``md`` that carry user text: our own markup (headings, list markers,
    table rows, details, fences, links to our URLs) taken away."""
    md = re.sub(r"(?ms)^(`{3,})\w*\n.*?\n\1$", "", md)  # fenced code: inert by construction
    md = re.sub(r"(?<!\\)\[((?:\\.|[^\]\n])*)\]\(https://bugrelay\.example[^)\s]*\)", r"\1", md)
    parts = []
    for line in md.splitlines():
        if OUR_LINE.match(line):
            continue
        part = OUR_PREFIX.sub("", line)
        parts.append(part.removesuffix(" |").removesuffix("  "))
    return parts


@pytest.mark.parametrize("flavour", ["github", "gitlab"])
def test_markdown_hostile_is_inert(flavour: Any) -> None:
    md = to_markdown(content(HOSTILE, title="@here Fixes #9"), flavour)
    for part in user_parts(md):
        assert_inert_markdown(part)
    assert "<script>" not in md
    if flavour == "gitlab":
        assert not re.search(r"(?m)^\s*/\w", md)  # no quick action, in code or not


def test_markdown_is_capped() -> None:
    huge = stored(
        description="long " * 1999,
        actions=[{"timestamp": "2026-11-25T12:29:00Z", "message": "<" * 2000} for _ in range(200)],
        logs=[{"timestamp": "2026-11-25T12:29:00Z", "message": "*" * 2000} for _ in range(500)],
    )
    md = to_markdown(content(huge))
    assert len(md) <= MAX_BODY
    assert md.rstrip().endswith("`bugrelay-group:7:42`")


# --- Jira ADF --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
def test_adf_validates(name: str) -> None:
    doc = to_adf(content(REPORTS[name]))
    errors = sorted(ADF.iter_errors(doc), key=str)
    assert not errors, errors[0]


def test_adf_hostile_text_stays_text() -> None:
    doc = to_adf(content(HOSTILE))
    types = {node.get("type") for node in walk(doc)}
    assert not types & {"mention", "inlineCard", "blockCard", "emoji", "embedCard"}
    hrefs = {n["attrs"]["href"] for n in walk(doc) if n.get("type") == "link"}
    assert hrefs
    assert all(h.startswith("https://bugrelay.example/") for h in hrefs)
    texts = [n["text"] for n in walk(doc) if n.get("type") == "text"]
    assert all("\x00" not in t and t for t in texts)
    assert any("@octocat" in t for t in texts)  # shown, as plain text


def test_adf_structure() -> None:
    doc = to_adf(content(JS_CRASH))
    types = [node["type"] for node in doc["content"]]
    assert {
        "heading",
        "paragraph",
        "orderedList",
        "table",
        "codeBlock",
        "bulletList",
        "rule",
    } <= set(types)
    assert doc["version"] == 1


# --- Slack -----------------------------------------------------------------------------------


def test_slack_schema_dialect() -> None:
    assert _SLACK_SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert isinstance(SLACK, jsonschema.Draft202012Validator)


@pytest.mark.parametrize("name", REPORTS)
def test_slack_validates(name: str) -> None:
    body = to_slack(content(REPORTS[name]))
    errors = sorted(SLACK.iter_errors(body), key=str)
    assert not errors, errors[0]
    assert body["blocks"][0]["type"] == "header"
    assert body["blocks"][-1]["elements"][0]["url"] == GROUP_URL


def test_slack_limits() -> None:
    long = stored(title="t" * 200, description="d" * 9000, app={"release": "r" * 100})
    body = to_slack(content(long, title="x" * 255))
    assert not list(SLACK.iter_errors(body))
    assert len(body["blocks"][0]["text"]["text"]) <= 150
    assert len(body["blocks"][1]["text"]["text"]) <= 3000
    assert len(body["blocks"][2]["fields"]) <= 10


def test_slack_hostile_is_inert() -> None:
    body = to_slack(content(HOSTILE))
    for node in walk(body):
        text = node.get("text")
        if isinstance(text, str):
            ours = text.replace(f"<{GROUP_URL}|Open in BugRelay>", "")
            assert not re.search(r"<[!@#]", ours), text
            assert not re.search(r"@(?:channel|here|everyone|octocat)", ours), text
            assert "<" not in ours
    assert body["unfurl_links"] is False


# --- Telegram --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORTS)
def test_telegram_message(name: str) -> None:
    text = to_telegram(content(REPORTS[name]))
    assert utf16_len(text) <= 4096
    assert f'<a href="{GROUP_URL}">Open in BugRelay</a>' in text
    assert "<code>bugrelay-group:7:42</code>" in text


def test_telegram_is_capped() -> None:
    long = stored(title="😀" * 200, description="😀<" * 5000)
    text = to_telegram(content(long, title="😀" * 255))
    assert utf16_len(text) <= 4096


def test_telegram_hostile_is_inert() -> None:
    text = to_telegram(content(HOSTILE))
    tags = re.findall(r"</?([a-z]+)", text)
    assert set(tags) <= {"b", "i", "code", "pre", "a"}
    assert text.count("<a ") == 1
    assert not re.search(r"@\w", text)
    assert f"@{ZWJ}octocat" in text
