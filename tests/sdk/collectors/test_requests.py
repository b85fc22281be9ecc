"""The requests collector: real ``requests`` calls to a real HTTP server on a loopback port."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest
import requests

import sdk
from sdk.testing import CapturingTransport
from tests.support import HttpSink, free_port, run_python

DSN = "http://publickey@127.0.0.1:9/1"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status = int(self.path.split("/")[1].split("?")[0] or 200)
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_GET

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def api() -> Iterator[str]:
    """An HTTP server whose first path segment is the status it answers with."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_calls_join_the_trail_and_failed_ones_the_network_list(api: str) -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport)
    assert requests.get(f"{api}/200/cart", timeout=5).status_code == 200
    requests.post(f"{api}/502/pay?api_key=sk_live_123&page=2", timeout=5)
    session = requests.Session()
    session.get(f"{api}/404/missing", timeout=5)
    dead = f"http://127.0.0.1:{free_port()}/orders"
    with pytest.raises(requests.ConnectionError):
        requests.get(dead, timeout=5)
    sdk.report_bug("Checkout fails")
    [report] = transport.reports

    http = [a for a in report.actions if a.category == "http"]
    assert [(a.level, a.data["method"], a.data.get("status_code")) for a in http] == [  # type: ignore[index]
        ("info", "GET", 200),
        ("error", "POST", 502),
        ("warning", "GET", 404),
        ("error", "GET", None),
    ]
    assert http[0].message == f"GET {api}/200/cart 200"
    assert http[1].message == f"POST {api}/502/pay 502"  # no query string in the message
    assert all(isinstance(a.data["duration_ms"], float) for a in http)  # type: ignore[index]

    assert [(n.method, n.status) for n in report.network] == [
        ("POST", 502),
        ("GET", 404),
        ("GET", None),
    ]
    assert "api_key=[Filtered]" in report.network[0].url
    assert "sk_live_123" not in report.model_dump_json()
    assert "page=2" in report.network[0].url
    assert report.network[2].error is not None
    assert report.network[2].error.startswith("ConnectionError")


def test_the_exception_from_requests_reaches_the_app_unchanged(api: str) -> None:
    sdk.init(DSN, transport=CapturingTransport())
    with pytest.raises(requests.exceptions.InvalidSchema):
        requests.get("gopher://127.0.0.1/", timeout=5)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{free_port()}/", timeout=5)


def test_the_sdks_own_deliveries_are_not_recorded() -> None:
    sink = HttpSink()
    try:
        sdk.init(sink.dsn())
        sdk.report_bug("first")
        assert sdk.flush(10)
        sdk.report_bug("second")
        assert sdk.flush(10)
    finally:
        sink.close()
    second = json.loads(sink.requests[1].body)
    assert [a for a in second.get("actions", []) if a["category"] == "http"] == []


def test_requests_is_not_imported_by_the_sdk_but_hooked_when_the_app_imports_it(
    api: str,
) -> None:
    code = textwrap.dedent(
        f"""
        import sys, sdk
        from sdk.testing import CapturingTransport
        transport = CapturingTransport()
        sdk.init({DSN!r}, transport=transport)
        assert "requests" not in sys.modules, "the SDK imported requests"
        import requests
        requests.get("{api}/503/later", timeout=5)
        sdk.report_bug("late import")
        [report] = transport.reports
        print([(n.method, n.status) for n in report.network])
        """
    )
    result = run_python(["-c", code], env={"PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[('GET', 503)]"


def test_requests_can_be_turned_off(api: str) -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport, disabled_collectors=["requests"])
    requests.get(f"{api}/500/x", timeout=5)
    sdk.report_bug("off")
    assert transport.reports[0].network == []
    assert transport.reports[0].actions == []
