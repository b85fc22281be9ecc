"""HttpTransport against a real HTTP server on a loopback port (no mocks)."""

from __future__ import annotations

import email.utils
import json
import threading
import time
from collections.abc import Iterator

import pytest
import tenacity

import sdk
from collector_server.client_reports import DISCARD_REASONS as COLLECTOR_REASONS
from sdk.transports import http
from sdk.transports.base import DISCARD_REASONS
from sdk.transports.http import HttpTransport, parse_retry_after
from sdk.transports.worker import Outcome
from tests.support import HttpSink


@pytest.fixture
def sink() -> Iterator[HttpSink]:
    server = HttpSink()
    yield server
    server.close()


def transport_for(sink: HttpSink, **kwargs: int) -> HttpTransport:
    """The HTTP transport alone, without the disk spool (tested in test_delivery.py)."""
    sdk.init(sink.dsn(), spool=False, **kwargs)
    client = sdk._client
    assert client is not None
    assert isinstance(client.transport, HttpTransport)
    return client.transport


def test_a_report_is_posted_with_the_key_and_a_valid_body(sink: HttpSink) -> None:
    transport_for(sink)
    report_id = sdk.report_bug("Save does nothing")
    assert sdk.flush(10)
    [request] = sink.requests
    assert request.path == "/api/v1/projects/1/reports"
    assert request.headers["X-BugRelay-Key"] == "sinkkey"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.body)
    assert body["id"] == report_id
    assert body["title"] == "Save does nothing"


def test_large_bodies_are_gzipped(sink: HttpSink) -> None:
    transport_for(sink)
    sdk.report_bug("big", description="x" * 5000)
    assert sdk.flush(10)
    assert sink.requests[0].headers.get("Content-Encoding") == "gzip"
    assert json.loads(sink.requests[0].body)["description"] == "x" * 5000


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
def test_retryable_answers_are_retried_with_the_same_report_id(sink: HttpSink, status: int) -> None:
    sink.answers = [(status, {}), (status, {})]
    transport = transport_for(sink)
    sdk.report_bug("flaky")
    assert sdk.flush(10)
    assert len(sink.requests) == 3
    assert len({json.loads(r.body)["id"] for r in sink.requests}) == 1
    assert transport.lost == {}


def test_other_client_errors_are_not_retried_and_are_counted(sink: HttpSink) -> None:
    sink.answers = [(400, {})]
    transport = transport_for(sink)
    sdk.report_bug("refused")
    assert sdk.flush(10)
    assert len(sink.requests) == 1
    assert transport.lost == {"rejected": 1}


def test_a_collector_that_stays_down_costs_a_bounded_number_of_attempts(sink: HttpSink) -> None:
    sink.answers = [(503, {})] * 100
    transport = transport_for(sink)
    sdk.report_bug("never arrives")
    assert sdk.flush(10)
    assert len(sink.requests) == http.MAX_ATTEMPTS
    assert transport.lost == {"network_error": 1}


def test_an_unreachable_collector_is_counted_not_raised() -> None:
    sdk.init("http://k@127.0.0.1:9/1", spool=False)  # the discard port: connection refused
    sdk.report_bug("nobody listens")
    assert sdk.flush(30)
    client = sdk._client
    assert client is not None
    assert client.transport.lost == {"network_error": 1}


def test_a_full_queue_refuses_at_once_and_counts(sink: HttpSink) -> None:
    transport = transport_for(sink, queue_size=2)
    picked_up, gate = threading.Event(), threading.Event()
    deliver = transport._worker._deliver

    def held_at_the_gate(report_id: str, payload: bytes) -> Outcome:
        picked_up.set()
        gate.wait()
        return deliver(report_id, payload)

    transport._worker._deliver = held_at_the_gate
    sdk.report_bug("in flight")
    assert picked_up.wait(10)  # the worker is busy with it, the queue (2 places) is empty
    # If report_bug waited for room in the queue, this test would hang here: gate is set below.
    ids = [sdk.report_bug(f"report {i}") for i in range(5)]
    assert all(ids)
    gate.set()
    assert sdk.flush(10)
    assert len(sink.requests) == 3
    assert transport.lost == {"queue_full": 3}


def test_lost_reports_are_told_to_the_collector_with_the_next_accepted_one(
    sink: HttpSink,
) -> None:
    sink.answers = [(400, {}), (202, {}), (202, {})]
    transport_for(sink)
    sdk.report_bug("refused")
    sdk.report_bug("accepted, carries the count")
    sdk.report_bug("accepted, nothing more to tell")
    assert sdk.flush(10)
    told = [r.headers.get("X-BugRelay-Discarded") for r in sink.requests]
    assert told == [None, "rejected=1", None]


def test_retry_after_is_honoured_as_the_minimum_wait() -> None:
    error = http._RetryableError("HTTP 429", retry_after=30.0)
    state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
    state.attempt_number = 1
    state.set_exception((type(error), error, None))
    assert http._wait(state) >= 30.0


def test_parse_retry_after_takes_seconds_and_http_dates() -> None:
    assert parse_retry_after("120") == 120.0
    now = time.time()
    date = email.utils.formatdate(now + 60, usegmt=True)
    assert parse_retry_after(date, now=now) == pytest.approx(60, abs=1)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_the_sdk_tells_only_reasons_the_collector_knows() -> None:
    assert DISCARD_REASONS == COLLECTOR_REASONS


def test_losses_no_report_is_left_to_carry_are_told_on_their_own_at_close(
    sink: HttpSink,
) -> None:
    sink.answers = [(400, {}), (204, {})]
    transport = transport_for(sink)
    sdk.report_bug("refused, and nothing comes after it")
    sdk.close(timeout=10)
    _refused, told = sink.requests
    assert told.path == "/api/v1/projects/1/client-report"
    assert json.loads(told.body) == {"discarded": {"rejected": 1}}
    assert transport._discarded() == {}  # told: not to be told again
