"""The exception being handled, and the exceptions it was raised from, as the report's chain."""

from __future__ import annotations

import itertools

import pytest

import sdk
from sdk import _guard, models
from sdk.collectors.exceptions import MAX_CHAIN, causes, describe
from sdk.models import ExceptionInfo
from sdk.testing import CapturingTransport

DSN = "http://publickey@127.0.0.1:9/1"


class ConfigError(Exception):
    pass


def load_price(prices: dict[str, int]) -> int:
    return prices["price"]


def load_config(prices: dict[str, int]) -> int:
    try:
        return load_price(prices)
    except KeyError as exc:
        raise ConfigError("no price configured") from exc


def reported_exception(transport: CapturingTransport) -> ExceptionInfo:
    [report] = transport.reports
    assert report.exception is not None
    return report.exception


def test_a_cause_is_reported_in_the_chain_with_its_own_frames() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport)
    try:
        load_config({})
    except ConfigError:
        sdk.report_bug("config broken")
    exception = reported_exception(transport)
    assert (exception.type, exception.value) == ("ConfigError", "no price configured")
    assert exception.frames[-1].function == "load_config"
    [cause] = exception.chain
    assert (cause.type, cause.module, cause.value) == ("KeyError", "builtins", "'price'")
    assert [f.function for f in cause.frames] == ["load_config", "load_price"]
    assert cause.frames[-1].in_app
    assert cause.frames[-1].code == 'return prices["price"]'
    assert cause.chain == []


def test_the_chain_is_nearest_first_and_the_root_cause_last() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport)
    try:
        try:
            load_config({})
        except ConfigError:
            raise RuntimeError("start-up failed")  # noqa: B904  (the implicit context)
    except RuntimeError:
        sdk.report_bug("start-up")
    exception = reported_exception(transport)
    assert exception.type == "RuntimeError"
    assert [e.type for e in exception.chain] == ["ConfigError", "KeyError"]


def test_from_none_suppresses_the_context_but_an_explicit_cause_still_counts() -> None:
    def hidden() -> None:
        try:
            load_price({})
        except KeyError:
            raise ValueError("bad price") from None

    with pytest.raises(ValueError, match="bad price") as caught:
        hidden()
    assert causes(caught.value) == []
    assert "chain" not in describe(caught.value, handled=True)

    explicit = ValueError("bad price")
    explicit.__cause__ = OSError("disk")
    explicit.__suppress_context__ = True
    explicit.__context__ = KeyError("price")
    assert [type(e) for e in causes(explicit)] == [OSError]


def test_a_long_chain_keeps_its_nearest_links_and_the_root_cause() -> None:
    exceptions = [ValueError(str(i)) for i in range(MAX_CHAIN + 5)]
    for exc, cause in itertools.pairwise(exceptions):
        exc.__cause__ = cause
    chain = causes(exceptions[0])
    assert MAX_CHAIN == models.MAX_CHAIN  # the SDK's copy of the schema's limit
    assert len(chain) == MAX_CHAIN
    assert chain[: MAX_CHAIN - 1] == exceptions[1:MAX_CHAIN]
    assert chain[-1] is exceptions[-1]


def test_a_cycle_in_the_chain_ends_it() -> None:
    first, second = ValueError("first"), KeyError("second")
    first.__context__ = second
    second.__context__ = first
    assert causes(first) == [second]
    assert [e["type"] for e in describe(first, handled=True)["chain"]] == ["KeyError"]


class BrokenCause(Exception):
    """An app exception whose ``__cause__`` cannot be read."""

    @property
    def __cause__(self) -> BaseException | None:  # type: ignore[override]
        raise RuntimeError("no cause for you")


def test_a_chain_that_cannot_be_walked_still_reports_the_exception() -> None:
    _guard.set_testing(reraise=False)  # as in production: the guard swallows our error
    described = describe(BrokenCause("boom"), handled=False)
    assert (described["type"], described["value"], described["handled"]) == (
        "BrokenCause",
        "boom",
        False,
    )
    assert "chain" not in described


def test_secrets_in_a_cause_are_scrubbed_before_sending() -> None:
    transport = CapturingTransport()
    sdk.init(DSN, transport=transport)
    try:
        try:
            raise KeyError("password=hunter2")
        except KeyError as exc:
            raise ConfigError("cannot log in") from exc
    except ConfigError:
        sdk.report_bug("login")
    [cause] = reported_exception(transport).chain
    assert "hunter2" not in cause.value
    assert "[Filtered]" in cause.value
