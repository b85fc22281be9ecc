"""The logging collector: recent logs and log lines in the trail, through the real ``logging``."""

from __future__ import annotations

import gc
import logging
import logging.config
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import sdk
from sdk.scope import global_scope
from sdk.testing import CapturingTransport

DSN = "http://publickey@127.0.0.1:9/1"


@pytest.fixture
def app_logger() -> Iterator[logging.Logger]:
    """A logger at DEBUG whose records go nowhere but to the SDK's hook."""
    logger = logging.getLogger("shop.checkout")
    old_level, old_propagate = logger.level, logger.propagate
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    yield logger
    logger.setLevel(old_level)
    logger.propagate = old_propagate


def capture(**options: Any) -> CapturingTransport:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport, **options)
    return transport


def test_log_records_become_recent_logs_and_info_and_above_join_the_trail(
    app_logger: logging.Logger,
) -> None:
    transport = capture()
    app_logger.debug("cart has %d items", 3)
    app_logger.info("user %s opened checkout", "ann")
    app_logger.warning("payment slow: %.1f s", 2.5)
    sdk.add_action("clicked Pay", category="ui.click")
    sdk.report_bug("Pay does nothing")
    [report] = transport.reports
    assert [(entry.level, entry.logger, entry.message) for entry in report.logs] == [
        ("debug", "shop.checkout", "cart has 3 items"),
        ("info", "shop.checkout", "user ann opened checkout"),
        ("warning", "shop.checkout", "payment slow: 2.5 s"),
    ]
    trail = [(a.category, a.level, a.message) for a in report.actions]
    assert trail == [
        ("log", "info", "user ann opened checkout"),
        ("log", "warning", "payment slow: 2.5 s"),
        ("ui.click", "info", "clicked Pay"),
    ]
    assert report.actions[0].data == {"logger": "shop.checkout"}


def test_a_mutable_argument_is_formatted_when_logged_not_when_reported(
    app_logger: logging.Logger,
) -> None:
    transport = capture()
    cart = ["apple"]
    app_logger.info("cart: %s", cart)
    cart.append("pear")
    app_logger.info("named %(n)s", {"n": "arg"})
    sdk.report_bug("cart")
    assert [e.message for e in transport.reports[0].logs] == ["cart: ['apple']", "named arg"]


def test_a_logged_exception_keeps_its_type_and_message(app_logger: logging.Logger) -> None:
    transport = capture()
    try:
        {}["price"]
    except KeyError:
        app_logger.exception("checkout failed")
    sdk.report_bug("checkout")
    assert transport.reports[0].logs[0].message == "checkout failed\nKeyError: 'price'"
    assert transport.reports[0].logs[0].level == "error"


def test_a_broken_format_string_is_kept_not_raised(app_logger: logging.Logger) -> None:
    transport = capture()
    logging.raiseExceptions, old = False, logging.raiseExceptions
    try:
        app_logger.info("two %s %s", "one")  # noqa: PLE1206  (the app's mistake, on purpose)
    finally:
        logging.raiseExceptions = old
    sdk.report_bug("format")
    assert transport.reports[0].logs[0].message == "two %s %s ['one']"


def test_levels_and_buffer_sizes_are_options(app_logger: logging.Logger) -> None:
    transport = capture(log_level="warning", action_log_level="error", max_logs=2)
    for i in range(5):
        app_logger.warning("w%d", i)
    app_logger.info("not kept")
    app_logger.error("e")
    sdk.report_bug("levels")
    [report] = transport.reports
    assert [e.message for e in report.logs] == ["w4", "e"]
    assert [a.message for a in report.actions] == ["e"]


def test_logs_can_be_turned_off(app_logger: logging.Logger) -> None:
    transport = capture(disabled_collectors=["logs"])
    app_logger.error("nobody records this")
    sdk.report_bug("off")
    assert transport.reports[0].logs == []
    assert transport.reports[0].actions == []


def test_the_sdks_own_urllib3_and_ignored_loggers_are_not_recorded(
    app_logger: logging.Logger,
) -> None:
    transport = capture(ignore_loggers=["shop.noisy"])
    for name in ("bugrelay.sdk", "bugrelay", "urllib3.connectionpool", "shop.noisy.db"):
        logger = logging.getLogger(name)
        old = logger.level, logger.propagate, logger.disabled
        logger.setLevel(logging.INFO)
        logger.propagate, logger.disabled = False, False
        try:
            logger.warning("from %s", name)
        finally:
            logger.level, logger.propagate, logger.disabled = old
    app_logger.warning("kept")
    sdk.report_bug("ignored")
    assert [e.message for e in transport.reports[0].logs] == ["kept"]


def test_records_are_seen_after_dict_config_replaces_the_handlers() -> None:
    transport = capture()
    root = logging.getLogger()
    old_handlers, old_level = root.handlers[:], root.level
    try:
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "handlers": {"null": {"class": "logging.NullHandler"}},
                "root": {"level": "INFO", "handlers": ["null"]},
            }
        )
        logging.getLogger("shop.after_config").info("still seen")
    finally:
        root.handlers[:] = old_handlers
        root.setLevel(old_level)
    sdk.report_bug("dictConfig")
    assert [e.message for e in transport.reports[0].logs] == ["still seen"]


def test_the_app_handlers_still_run_and_run_first(app_logger: logging.Logger) -> None:
    seen: list[int] = []

    class Counting(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(len(global_scope().logs))

    handler = Counting()
    app_logger.addHandler(handler)
    try:
        capture()
        app_logger.info("one")
        app_logger.info("two")
    finally:
        app_logger.removeHandler(handler)
    assert seen == [0, 1]


def test_a_before_action_hook_that_logs_does_not_recurse(app_logger: logging.Logger) -> None:
    calls: list[str] = []

    def before_action(action: dict[str, Any]) -> dict[str, Any] | None:
        calls.append(action["message"])
        app_logger.info("hook saw %s", action["message"])  # would loop without the guard
        if "drop" in action["message"]:
            return None
        action["message"] = action["message"].upper()
        return action

    transport = capture(before_action=before_action)
    app_logger.info("keep %s", "me")
    app_logger.info("drop me")
    sdk.add_action("manual")
    sdk.report_bug("hooks")
    assert calls == ["keep me", "drop me", "manual"]
    assert [a.message for a in transport.reports[0].actions] == ["KEEP ME", "MANUAL"]


def test_nothing_is_recorded_while_the_sdk_is_off(app_logger: logging.Logger) -> None:
    capture()
    sdk.close()
    app_logger.info("after close")
    assert len(global_scope().logs) == 0


def test_a_million_log_lines_keep_memory_bounded(app_logger: logging.Logger) -> None:
    capture()
    for i in range(2_000):
        app_logger.info("warm-up line %d of %s", i, "x" * 50)
    # pytest hangs its own capturing handlers (which keep every record) on loggers that do not
    # propagate; only the SDK's hook may hold on to anything here.
    pytest_handlers = app_logger.handlers[:]
    app_logger.handlers.clear()
    try:
        gc.collect()
        before = sys.getallocatedblocks()
        for i in range(1_000_000):
            app_logger.info("line %d of %s", i, "x" * 50)
        gc.collect()
        grown = sys.getallocatedblocks() - before
    finally:
        app_logger.handlers[:] = pytest_handlers
    scope = global_scope()
    assert len(scope.logs) == 200
    assert len(scope.actions) == 100
    # 300 rows are kept whatever was logged; a leak of one block per line would be 1,000,000.
    assert grown < 2_000, f"{grown} more memory blocks after a million lines"


def test_a_library_wrapping_the_hook_after_us_does_not_make_us_record_twice(
    app_logger: logging.Logger,
) -> None:
    capture()  # our hook is in place
    ours = logging.Logger.callHandlers

    def theirs(self: logging.Logger, record: logging.LogRecord) -> None:  # as Sentry does
        ours(self, record)

    logging.Logger.callHandlers = theirs  # type: ignore[method-assign]
    try:
        transport = capture()  # a second init() must not wrap theirs again
        app_logger.info("once")
        sdk.report_bug("once")
    finally:
        logging.Logger.callHandlers = ours  # type: ignore[method-assign]
    assert [e.message for e in transport.reports[0].logs] == ["once"]
