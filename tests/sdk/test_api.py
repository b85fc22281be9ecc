"""The public SDK API, with the CapturingTransport (no network)."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

import sdk
from sdk import _guard
from sdk.dsn import InvalidDsnError
from sdk.models import MAX_TAGS, MAX_TITLE
from sdk.testing import CapturingTransport, capture_reports
from sdk.transports.base import Transport

DSN = "http://publickey@127.0.0.1:9/1"  # port 9: nothing listens; these tests never send


@pytest.fixture
def captured() -> CapturingTransport:
    transport = CapturingTransport()
    sdk.init(DSN, release="2.4.1", environment="staging", transport=transport)
    return transport


def test_without_a_dsn_the_sdk_is_off_and_every_call_is_a_no_op(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("BUGRELAY_DSN", raising=False)
    sdk.init()
    assert not sdk.is_enabled()
    assert sdk.report_bug("nobody hears this") == ""
    sdk.add_action("clicked")
    sdk.set_user(id="1")
    sdk.set_tag("a", "b")
    assert sdk.flush(0.1) is True
    assert not [t for t in threading.enumerate() if t.name.startswith("bugrelay")]


def test_the_dsn_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BUGRELAY_DSN", DSN)
    monkeypatch.setenv("BUGRELAY_RELEASE", "9.9.9")
    transport = CapturingTransport()
    sdk.init(transport=transport)
    assert sdk.is_enabled()
    sdk.report_bug("from env")
    assert transport.reports[0].app is not None
    assert transport.reports[0].app.release == "9.9.9"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"colour": "red"}, TypeError, "unknown option.*colour"),
        ({"max_actions": 0}, ValueError, "max_actions must be a positive int"),
        ({"shutdown_timeout": -1}, ValueError, "shutdown_timeout must be seconds"),
        ({"before_send": 3}, TypeError, "before_send must be callable"),
        ({"before_action": "x"}, TypeError, "before_action must be callable"),
        ({"max_logs": -1}, ValueError, "max_logs must be an int >= 0"),
        ({"log_level": "loud"}, ValueError, "log_level must be one of debug"),
        ({"denylist": "password"}, TypeError, "denylist must be a list of str"),
        ({"dsn": "http://nokey.example.com/1"}, InvalidDsnError, "no public key"),
    ],
)
def test_init_refuses_bad_options_clearly(
    kwargs: dict[str, Any], error: type[Exception], message: str
) -> None:
    kwargs.setdefault("dsn", DSN)
    with pytest.raises(error, match=message):
        sdk.init(**kwargs)


def test_a_report_carries_the_call_the_trail_the_user_and_the_environment(
    captured: CapturingTransport,
) -> None:
    sdk.set_user(id="42", plan="pro")
    sdk.set_tag("feature", "settings")
    sdk.add_action("opened Settings", category="navigation")
    sdk.add_action("clicked Save", category="ui.click", data={"selector": "#save"})
    report_id = sdk.report_bug(
        "Save does nothing",
        description="Clicked Save twice",
        extra={"cart": 3},
        attachments=[("notes.txt", b"hello", "text/plain")],
    )
    [report] = captured.reports
    assert str(report.id) == report_id
    assert (report.title, report.description, report.kind) == (
        "Save does nothing",
        "Clicked Save twice",
        "bug",
    )
    assert [a.message for a in report.actions] == ["opened Settings", "clicked Save"]
    assert report.actions[1].data == {"selector": "#save"}
    assert report.user is not None
    assert (report.user.id, report.user.plan) == ("42", "pro")
    assert report.tags == {"feature": "settings"}
    assert report.extra == {"cart": 3}
    assert report.attachments[0].size == 5
    assert report.app is not None
    assert (report.app.release, report.app.environment) == ("2.4.1", "staging")
    assert report.runtime is not None
    assert report.runtime.version == ".".join(map(str, sys.version_info[:3]))
    assert report.os is not None
    assert report.os.name
    assert report.sdk is not None
    assert report.sdk.name == "bugrelay.python"


def test_the_exception_being_handled_is_attached(captured: CapturingTransport) -> None:
    def load_price(cart: dict[str, int]) -> int:
        return cart["price"]

    try:
        load_price({})
    except KeyError:
        sdk.report_bug("Checkout fails")
    exc = captured.reports[0].exception
    assert exc is not None
    assert (exc.type, exc.value, exc.handled) == ("KeyError", "'price'", True)
    assert exc.frames[-1].function.endswith("load_price")  # type: ignore[union-attr]
    assert exc.frames[-1].in_app


def test_what_does_not_fit_the_schema_is_trimmed_not_lost(captured: CapturingTransport) -> None:
    for i in range(MAX_TAGS + 10):
        sdk.set_tag(f"t{i}", "v")
    sdk.report_bug("x" * 1000, extra={"huge": "y" * 100_000, "bad": object()})
    [report] = captured.reports
    assert len(report.title) == MAX_TITLE
    assert report.title.endswith("…")
    assert len(report.tags) == MAX_TAGS
    assert report.extra is None  # over the size limit: dropped, the rest of the report kept


def test_the_action_trail_is_a_bounded_ring() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport, max_actions=5)
    for i in range(1000):
        sdk.add_action(f"step {i}")
    sdk.report_bug("ring")
    assert [a.message for a in transport.reports[0].actions] == [
        f"step {i}" for i in range(995, 1000)
    ]


def test_isolation_scopes_keep_their_trails_apart(captured: CapturingTransport) -> None:
    sdk.add_action("global step")
    with sdk.isolation_scope():
        sdk.add_action("request step")
        sdk.set_user(id="7")
        sdk.report_bug("inside")
    sdk.report_bug("outside")
    inside, outside = captured.reports
    assert [a.message for a in inside.actions] == ["global step", "request step"]
    assert [a.message for a in outside.actions] == ["global step"]
    assert inside.user is not None
    assert outside.user is None


def test_before_send_can_change_or_drop_a_report() -> None:
    transport = CapturingTransport()

    def before_send(report: dict[str, Any]) -> dict[str, Any] | None:
        if "secret" in report["title"]:
            return None
        report["tags"] = {"checked": "yes"}
        return report

    sdk.init(DSN, transport=transport, before_send=before_send)
    assert sdk.report_bug("a secret thing")  # before_send runs on the worker, later
    assert sdk.report_bug("a normal thing")
    [report] = transport.reports
    assert report.tags == {"checked": "yes"}
    assert transport.lost == {}  # dropped by the app's choice: not lost


class ExplodingTransport(Transport):
    def send(self, payload: bytes, report_id: str) -> bool:
        raise RuntimeError("disk on fire")

    def flush(self, timeout: float) -> bool:
        raise RuntimeError("still on fire")


def test_the_sdk_never_raises_into_the_host() -> None:
    sdk.init(DSN, transport=ExplodingTransport())
    _guard.set_testing(reraise=False)
    assert sdk.report_bug("boom") == ""
    assert sdk.flush(1) is False
    sdk.add_action("still fine", data={"x": object()})


def test_capture_reports_restores_the_previous_client(captured: CapturingTransport) -> None:
    with capture_reports() as reports:
        sdk.report_bug("in the test")
    sdk.report_bug("after the test")
    assert [r.title for r in reports] == ["in the test"]
    assert [r.title for r in captured.reports] == ["after the test"]


def test_importing_and_initialising_the_sdk_loads_neither_pydantic_nor_requests() -> None:
    code = (
        "import sys, sdk\n"
        "heavy = lambda: sorted(\n"
        "    m for m in ('pydantic', 'requests', 'tenacity') if m in sys.modules\n"
        ")\n"
        "print(heavy())\n"
        f"sdk.init({DSN!r})\n"
        "print(heavy())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split("\n")
    assert out[0] == "[]"
    assert out[1] == "['tenacity']"


def test_capture_reports_shows_the_collected_context() -> None:
    logger = logging.getLogger("shop.capture")
    logger.setLevel(logging.INFO)
    with capture_reports() as reports:
        logger.info("saving %s", "invoice-7")
        sdk.add_action("clicked Save", category="ui.click")
        try:
            {}["price"]
        except KeyError:
            sdk.report_bug("Save fails")
    logger.setLevel(logging.NOTSET)
    [report] = reports  # filled at once: the worker's half ran inside report_bug
    assert [e.message for e in report.logs] == ["saving invoice-7"]
    assert [a.message for a in report.actions] == ["saving invoice-7", "clicked Save"]
    assert report.exception is not None
    assert report.exception.type == "KeyError"
    assert report.runtime is not None
    assert report.device is not None
    assert report.device.family in {"server", "desktop"}


def test_app_data_marshal_and_json_cannot_write_is_sent_as_text_or_left_out(
    captured: CapturingTransport,
) -> None:
    class Money:
        def __repr__(self) -> str:
            return "Money(9.50 EUR)"

    circular: dict[str, Any] = {}
    circular["self"] = circular
    sdk.add_action("paid", data={"amount": Money()})
    sdk.report_bug("objects", extra={"total": Money(), "when": datetime(2026, 1, 2, tzinfo=UTC)})
    sdk.report_bug("circular", extra={"loop": circular})
    objects, looped = captured.reports
    assert objects.extra == {"total": "Money(9.50 EUR)", "when": "2026-01-02T00:00:00+00:00"}
    assert objects.actions[0].data == {"amount": "Money(9.50 EUR)"}
    assert looped.title == "circular"
    assert looped.extra is None  # could not be written at all: the report still goes


def test_isolation_scopes_keep_their_logs_apart(captured: CapturingTransport) -> None:
    logger = logging.getLogger("shop.requests")
    logger.setLevel(logging.INFO)
    try:
        logger.info("before any request")
        with sdk.isolation_scope():
            logger.info("in request A")
            sdk.report_bug("A")
        logger.info("after")
        sdk.report_bug("outside")
    finally:
        logger.setLevel(logging.NOTSET)
    inside, outside = captured.reports
    assert [e.message for e in inside.logs] == ["before any request", "in request A"]
    assert [e.message for e in outside.logs] == ["before any request", "after"]
