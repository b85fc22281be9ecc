"""Unhandled exceptions become crash reports: in real threads and in a real child process."""

from __future__ import annotations

import json
import sys
import textwrap
import threading

import pytest

import sdk
from sdk.testing import CapturingTransport
from tests.support import HttpSink, run_python

DSN = "http://publickey@127.0.0.1:9/1"


# pytest's own thread-exception hook, which ours chains to, turns each crash into a warning.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")


def test_an_exception_nobody_caught_in_a_thread_is_a_crash_and_the_old_hook_still_runs() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport, release="2.4.1")
    seen: list[str] = []
    previous = threading.excepthook

    def worker() -> None:
        sdk.add_action("sync started", category="job")
        {}["price"]

    def app_hook(args: threading.ExceptHookArgs) -> None:
        seen.append(type(args.exc_value).__name__)

    # The app's own hook, set after sdk.init(), is the one threading calls; it must not lose ours
    # when it chains to what was there (as a well-behaved hook does) -- and ours chains to Python's.
    threading.excepthook = lambda args: (app_hook(args), previous(args))  # type: ignore[func-returns-value]
    try:
        thread = threading.Thread(target=worker, name="sync-worker")
        thread.start()
        thread.join()
    finally:
        threading.excepthook = previous
    assert seen == ["KeyError"]
    [report] = transport.reports
    assert report.kind == "crash"
    assert report.title == "KeyError: 'price'"
    assert report.exception is not None
    assert report.exception.handled is False
    assert report.exception.frames[-1].function.endswith("<locals>.worker")
    assert report.exception.frames[-1].in_app
    assert report.exception.frames[-1].code == '{}["price"]'
    assert report.extra == {"thread": "sync-worker"}
    assert [a.message for a in report.actions] == ["sync started"]


def test_keyboard_interrupt_is_not_a_crash() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport)

    def interrupted() -> None:
        raise KeyboardInterrupt

    thread = threading.Thread(target=interrupted)
    thread.start()
    thread.join()
    assert transport.reports == []


def test_crashes_can_be_turned_off() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport, disabled_collectors=["crashes"])
    thread = threading.Thread(target=lambda: 1 / 0)
    thread.start()
    thread.join()
    assert transport.reports == []


def test_a_main_thread_crash_is_delivered_before_the_process_exits() -> None:
    sink = HttpSink()
    code = textwrap.dedent(
        f"""
        import sys, sdk
        def previous(*args):
            print("previous hook ran", file=sys.stderr)
        sys.excepthook = previous
        sdk.init({sink.dsn()!r}, release="9.1.0", environment="test")
        sdk.add_action("opened the app", category="navigation")
        def charge(amount):
            raise RuntimeError(f"card declined for {{amount}}")
        charge(42)
        """
    )
    try:
        result = run_python(["-c", code], env={"PATH": "/usr/bin:/bin"})
    finally:
        sink.close()
    assert result.returncode == 1
    assert "previous hook ran" in result.stderr
    [request] = sink.requests
    report = json.loads(request.body)
    assert report["kind"] == "crash"
    assert report["title"] == "RuntimeError: card declined for 42"
    assert report["exception"]["handled"] is False
    assert report["exception"]["frames"][-1]["function"] == "charge"
    assert report["app"]["release"] == "9.1.0"
    assert [a["message"] for a in report["actions"]] == ["opened the app"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX paths")
def test_frames_from_the_standard_library_and_site_packages_are_not_in_app() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport)
    try:
        json.loads("{not json")
    except ValueError:
        sdk.report_bug("bad json")
    frames = transport.reports[0].exception.frames  # type: ignore[union-attr]
    assert frames[0].in_app  # this test
    assert not frames[-1].in_app  # inside json.decoder
    assert frames[-1].module == "json.decoder"
