"""The web middleware in the four frameworks, served for real, reporting to the real collector.

Each test runs against the same shop app (tests.sdk.integrations.apps) in Starlette, FastAPI
(ASGI, served by uvicorn), Flask and Django (WSGI, served by the standard library's server).
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from PIL import Image

import sdk
from sdk.integrations import assets
from sdk.integrations.asgi import BugRelayMiddleware
from sdk.integrations.wsgi import BugRelayWSGIMiddleware
from sdk.testing import CapturingTransport
from tests.sdk.integrations.apps import ASGI_APPS, NONCE, PAGE, WSGI_APPS
from tests.support import Collector, serve_asgi, serve_wsgi, wait_until

RELEASE = "2.4.1"


@pytest.fixture(params=[*ASGI_APPS, *WSGI_APPS])
def app_url(request: pytest.FixtureRequest) -> Iterator[str]:
    name: str = request.param
    if name in ASGI_APPS:
        app = ASGI_APPS[name]()
        if name == "fastapi":
            app.add_middleware(BugRelayMiddleware, widget={"lang": "ru"})  # the framework's way
        else:
            app = BugRelayMiddleware(app, widget={"lang": "ru"})
        with serve_asgi(app) as url:
            yield url
    else:
        wsgi = WSGI_APPS[name]()
        if name == "flask":
            wsgi.wsgi_app = BugRelayWSGIMiddleware(wsgi.wsgi_app, widget={"lang": "ru"})
        else:
            wsgi = BugRelayWSGIMiddleware(wsgi, widget={"lang": "ru"})
        with serve_wsgi(wsgi) as url:
            yield url


def widget_report(**fields: Any) -> dict[str, Any]:
    """A report as the widget makes it."""
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    return {
        "id": str(uuid.uuid4()),
        "schema_version": 1,
        "created_at": now,
        "kind": "bug",
        "title": "Pay does nothing",
        "description": "I clicked Pay and nothing happened",
        "user": {"email": "ann@example.com"},
        "browser": {"name": "Chrome", "version": "156", "url": "http://shop.example/cart"},
        "actions": [{"timestamp": now, "category": "ui.click", "message": "button#pay Pay"}],
        "logs": [{"timestamp": now, "level": "error", "logger": "console", "message": "pay 500"}],
        "sdk": {"name": "bugrelay.widget", "version": "test"},
        **fields,
    }


def png(width: int = 40, height: int = 30) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def test_html_pages_get_the_widget_tag_and_a_session_cookie(app_url: str) -> None:
    sdk.init(dsn="http://k@127.0.0.1:9/1", release=RELEASE, transport=CapturingTransport())
    answer = requests.get(app_url + "/page", timeout=10)
    assert answer.status_code == 200
    tag = (
        '<script src="/_bugrelay/widget.js" data-endpoint="/_bugrelay"'
        f' data-release="{RELEASE}" data-lang="ru" async></script>'
    )
    assert answer.text == PAGE.replace("</head>", tag + "</head>")
    assert int(answer.headers["Content-Length"]) == len(answer.content)
    cookie = answer.headers["Set-Cookie"]
    assert cookie.startswith("bugrelay_sid=")
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    # A browser that has its cookie is not given a new one.
    session = requests.Session()
    session.get(app_url + "/page", timeout=10)
    again = session.get(app_url + "/page", timeout=10)
    assert "Set-Cookie" not in again.headers


def test_a_strict_csp_gets_its_nonce_and_other_answers_are_untouched(app_url: str) -> None:
    sdk.init(dsn="http://k@127.0.0.1:9/1", release=RELEASE, transport=CapturingTransport())
    csp = requests.get(app_url + "/csp", timeout=10)
    assert f'nonce="{NONCE}" async></script></head>' in csp.text

    optout = requests.get(app_url + "/optout", timeout=10)
    assert optout.text == PAGE
    data = requests.get(app_url + "/data.json", timeout=10)
    assert data.json() == {"items": 3}
    assert "widget.js" not in data.text


def test_a_head_request_is_left_alone(app_url: str) -> None:
    sdk.init(dsn="http://k@127.0.0.1:9/1", release=RELEASE, transport=CapturingTransport())
    head = requests.head(app_url + "/page", timeout=10)
    assert head.content == b""
    if head.status_code == 200 and "Content-Length" in head.headers:  # FastAPI answers 405
        assert int(head.headers["Content-Length"]) in (0, len(PAGE))


def test_no_tag_while_the_sdk_is_off(app_url: str) -> None:
    sdk.init(dsn=None)
    assert requests.get(app_url + "/page", timeout=10).text == PAGE


def test_the_widget_is_served_on_the_apps_own_origin(app_url: str) -> None:
    answer = requests.get(app_url + "/_bugrelay/widget.js", timeout=10)
    assert answer.status_code == 200
    assert answer.content == assets.asset("widget.js").body  # requests undoes the gzip
    assert answer.headers["Content-Encoding"] == "gzip"
    assert answer.headers["Content-Type"].startswith("application/javascript")
    etag = answer.headers["ETag"]
    cached = requests.get(
        app_url + "/_bugrelay/widget.js", headers={"If-None-Match": etag}, timeout=10
    )
    assert cached.status_code == 304
    chunk = requests.get(app_url + "/_bugrelay/widget-screenshot.js", timeout=10)
    assert chunk.content == assets.asset("widget-screenshot.js").body
    missing = requests.get(app_url + "/_bugrelay/nothing.js", timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


def test_a_widget_report_is_joined_with_the_servers_view_of_its_session(
    app_url: str, collector: Collector
) -> None:
    sdk.init(dsn=collector.dsn, release=RELEASE)
    browser = requests.Session()
    assert browser.get(app_url + "/page", timeout=10).status_code == 200
    assert browser.get(app_url + "/fail", timeout=10).status_code == 500
    report = widget_report()
    shot = png()
    answer = browser.post(
        app_url + "/_bugrelay/report",
        files={
            "report": ("report.json", json.dumps(report), "application/json"),
            "file": ("screenshot.png", shot, "image/png"),
        },
        timeout=10,
    )
    assert answer.status_code == 202, answer.text
    assert answer.json() == {"id": report["id"]}
    assert sdk.flush(10)
    stored = collector.get_report(report["id"]).json()
    assert stored["description"] == report["description"]
    assert stored["browser"]["name"] == "Chrome"
    assert stored["app"]["release"] == RELEASE
    # The user the app knows (set while serving /page), with the email the reporter typed.
    assert stored["user"]["id"] == "u-42"
    assert stored["user"]["plan"] == "pro"
    assert stored["user"]["email"] == "ann@example.com"
    steps = [(a["category"], a["message"]) for a in stored["actions"]]
    assert ("request", "GET /page 200") in steps
    assert ("request", "GET /fail 500") in steps
    assert ("ui.click", "button#pay Pay") in steps
    times = [a["timestamp"] for a in stored["actions"]]
    assert times == sorted(times, key=datetime.fromisoformat)
    messages = [entry["message"] for entry in stored["logs"]]
    assert "cart loaded for ann with 3 items" in messages
    assert "payment backend timed out after 3000 ms" in messages
    assert "pay 500" in messages  # the browser's console line, kept beside the server's
    assert len(stored["links"]["session_id"]) == 32
    assert browser.cookies["bugrelay_sid"] not in json.dumps(stored)
    (attachment,) = stored["attachments"]
    assert attachment["name"] == "screenshot.png"
    assert attachment["size"] == len(shot)


def test_another_browsers_trail_is_not_joined(app_url: str, collector: Collector) -> None:
    sdk.init(dsn=collector.dsn, release=RELEASE)
    other = requests.Session()
    other.get(app_url + "/fail", timeout=10)
    mine = requests.Session()
    mine.get(app_url + "/data.json", timeout=10)
    report = widget_report()
    answer = mine.post(app_url + "/_bugrelay/report", json=report, timeout=10)
    assert answer.status_code == 202, answer.text
    assert sdk.flush(10)
    stored = collector.get_report(report["id"]).json()
    steps = [a["message"] for a in stored["actions"] if a["category"] == "request"]
    assert steps == ["GET /data.json 200"]
    assert "payment backend" not in json.dumps(stored)


def test_a_bad_report_gets_a_specific_error_and_nothing_is_sent(app_url: str) -> None:
    transport = CapturingTransport()
    sdk.init(dsn="http://k@127.0.0.1:9/1", transport=transport)
    too_long = requests.post(
        app_url + "/_bugrelay/report", json=widget_report(description="x" * 10_001), timeout=10
    )
    assert too_long.status_code == 422
    body = too_long.json()["error"]
    assert body["code"] == "invalid_report"
    assert [f["field"] for f in body["fields"]] == ["description"]
    not_json = requests.post(app_url + "/_bugrelay/report", data=b"{nope", timeout=10)
    assert not_json.status_code == 400
    assert not_json.json()["error"]["code"] == "invalid_json"
    no_id = requests.post(app_url + "/_bugrelay/report", json={"title": "x"}, timeout=10)
    assert no_id.status_code == 422
    wrong_method = requests.get(app_url + "/_bugrelay/report", timeout=10)
    assert wrong_method.status_code == 405
    huge = requests.post(
        app_url + "/_bugrelay/report",
        data=b"x" * (7 * 2**20 + 1),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    assert huge.status_code == 413
    assert transport.reports == []


def test_status_and_rating_are_passed_on_to_the_collector(
    app_url: str, collector: Collector
) -> None:
    sdk.init(dsn=collector.dsn, release=RELEASE)
    report = widget_report()
    assert requests.post(app_url + "/_bugrelay/report", json=report, timeout=10).status_code == 202
    assert sdk.flush(10)
    base = f"{app_url}/_bugrelay/reports/{report['id']}"
    status = requests.get(base + "/status", timeout=10)
    assert status.status_code == 200
    assert status.json() == {"id": report["id"], "status": "received", "fixed_in": None}
    rating = requests.post(base + "/rating", json={"score": 5, "comment": "quick"}, timeout=10)
    assert rating.status_code == 201, rating.text
    again = requests.post(base + "/rating", json={"score": 4}, timeout=10)
    assert again.status_code == 409
    unknown = requests.get(f"{app_url}/_bugrelay/reports/{uuid.uuid4()}/status", timeout=10)
    assert unknown.status_code == 404


def test_a_crash_in_a_handler_is_reported_with_the_sessions_trail(app_url: str) -> None:
    transport = CapturingTransport()
    sdk.init(dsn="http://k@127.0.0.1:9/1", transport=transport)
    browser = requests.Session()
    browser.get(app_url + "/page", timeout=10)
    assert browser.get(app_url + "/boom", timeout=10).status_code == 500
    # Some frameworks answer 500 before the exception reaches the middleware.
    wait_until(lambda: any(r.kind == "crash" for r in transport.reports))
    (crash,) = [r for r in transport.reports if r.kind == "crash"]
    assert crash.exception is not None
    assert crash.exception.type == "RuntimeError"
    assert crash.exception.value == "boom in the checkout handler"
    assert [a.message for a in crash.actions if a.category == "request"] == ["GET /page 200"]
    assert crash.user is not None
    assert crash.user.id == "u-42"


def test_the_widgets_counts_of_reports_given_up_reach_the_collector(
    app_url: str, collector: Collector
) -> None:
    sdk.init(dsn=collector.dsn, release=RELEASE)
    answer = requests.post(
        app_url + "/_bugrelay/client-report", json={"discarded": {"rejected": 2}}, timeout=10
    )
    assert answer.status_code == 204, answer.text  # the collector's own answer
    metrics = requests.get(collector.url + "/metrics", timeout=10).text
    label = f'project_id="{collector.project_id}",reason="rejected"'
    assert any(label in line for line in metrics.splitlines() if "sdk_discarded" in line)
    bad = requests.post(
        app_url + "/_bugrelay/client-report", json={"discarded": {"nope": 1}}, timeout=10
    )
    assert bad.status_code == 400
    assert bad.json()["error"]["code"] == "invalid_client_report"
