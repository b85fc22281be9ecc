"""Delivery costs, as ratios measured in one run.

    .venv/bin/python bench/delivery.py [--reports 2000]

1. ``report_bug`` on the host thread with the disk spool on (fsync on the worker, as by
   default), with 10 and with 10,000 reports waiting in the spool (the collector unreachable),
   against ``sentry_sdk.capture_message`` with a null transport, same process. Targets: at most
   0.1 of Sentry's, and the same with 10,000 waiting as with 10.
2. Sustained delivery: reports per second from ``report_bug`` until the receiver has them all,
   for the SDK's worker (spool on) to a local ``bugrelay serve`` (SQLite) and to a bare local
   HTTP sink, against sentry-sdk's own transport to the same sink.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import sentry_sdk
import sentry_sdk.transport

import sdk

sys.path.insert(0, str(Path(__file__).resolve().parent))
from intake import free_port, serve


class Sink:
    """A bare HTTP server that counts the requests it answered."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with sink.lock:
                    sink.count += 1
                # One write: headers and body in separate segments meet Nagle and delayed ACKs
                # and cost 40 ms a request on loopback.
                body = b'{"id": "x"}'
                head = f"HTTP/1.1 202 Accepted\r\nContent-Length: {len(body)}\r\n\r\n"
                self.wfile.write(head.encode() + body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, n: int, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while self.count < n and time.monotonic() < deadline:
            time.sleep(0.005)


def per_call(fn: Any, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def host_costs(spool_dir: str) -> dict[str, float]:
    """As in bench/sdk_overhead.py: 100 actions and 200 log records buffered (Sentry: 100
    breadcrumbs), so that the figure compares with the context issue's budget."""

    class SentryNull(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope: Any) -> None:
            pass

    logger = logging.getLogger("bench.app")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())
    dead = f"http://key@127.0.0.1:{free_port()}/1"  # nothing listens: everything stays spooled
    results: dict[str, float] = {}
    sdk.init(dead, spool_dir=os.path.join(spool_dir, "warm-up"), spool_max_reports=100_000)
    for i in range(200):
        logger.info("order %d paid by %s", i, "ann")
    for i in range(100):
        sdk.add_action(f"step {i}", category="ui.click", data={"i": i})
    per_call(lambda: sdk.report_bug("warm-up"), 200)
    for waiting in (10, 10_000):
        sdk.init(dead, spool_dir=os.path.join(spool_dir, str(waiting)), spool_max_reports=100_000)
        per_call(lambda: sdk.report_bug("filler"), waiting)
        rounds = [per_call(lambda: sdk.report_bug("Pay does nothing"), 50) for _ in range(7)]
        results[f"report_bug, {waiting} waiting"] = statistics.median(rounds)
    sdk.close(timeout=0)
    sentry_sdk.init(dead, transport=SentryNull)
    for i in range(100):
        sentry_sdk.add_breadcrumb(message=f"step {i}", category="ui.click", data={"i": i})
    per_call(lambda: sentry_sdk.capture_message("Pay does nothing"), 50)
    rounds = [
        per_call(lambda: sentry_sdk.capture_message("Pay does nothing"), 50) for _ in range(7)
    ]
    results["capture_message"] = statistics.median(rounds)
    sentry_sdk.get_client().close()
    return results


def rate_ours(dsn: str, reports: int, spool_dir: str) -> float:
    sdk.init(dsn, spool_dir=spool_dir)
    start = time.perf_counter()
    for i in range(reports):
        sdk.report_bug(f"delivery {i}")
    assert sdk.flush(600)
    elapsed = time.perf_counter() - start
    sdk.close()
    return reports / elapsed


def rate_sentry(sink: Sink, reports: int) -> float:
    before = sink.count
    sentry_sdk.init(f"http://key@127.0.0.1:{sink.port}/1", transport_queue_size=reports + 10)
    start = time.perf_counter()
    for i in range(reports):
        sentry_sdk.capture_message(f"delivery {i}")
    sink.wait_for(before + reports)
    elapsed = time.perf_counter() - start
    sentry_sdk.get_client().close()
    return reports / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        costs = host_costs(os.path.join(tmp, "spool-host"))
        capture = costs.pop("capture_message")
        print(f"{'host thread':44} {'µs':>9} {'/ capture_message':>18}")
        for label, value in costs.items():
            print(f"{label:44} {value * 1e6:9.2f} {value / capture:18.3f}")
        print(f"{'sentry_sdk.capture_message':44} {capture * 1e6:9.2f}")
        growth = costs["report_bug, 10000 waiting"] / costs["report_bug, 10 waiting"]
        print(f"10,000 waiting / 10 waiting: {growth:.2f} (target: about 1)\n")

        sink = Sink()
        data = Path(tmp) / "collector"
        port = free_port()
        env = {
            **os.environ,
            "BUGRELAY_DATA_DIR": str(data),
            "BUGRELAY_RATE_LIMIT": "off",
            "BUGRELAY_PUBLIC_URL": f"http://127.0.0.1:{port}",
        }
        command = [sys.executable, "-m", "collector_server", "serve", "--port", str(port)]
        with serve([*command, "--demo"], env, port) as log:
            dsn = re.search(r"demo DSN\s+(\S+)", log.read_text())
            assert dsn, log.read_text()
            to_sink = rate_ours(
                f"http://key@127.0.0.1:{sink.port}/1", args.reports, os.path.join(tmp, "spool-sink")
            )
            to_collector = rate_ours(
                dsn.group(1), args.reports, os.path.join(tmp, "spool-collector")
            )
            sentry = rate_sentry(sink, args.reports)
        print(f"{'sustained delivery':44} {'reports/s':>9} {'/ sentry':>9}")
        for label, rate in (
            ("BugRelay worker -> local sink (spool on)", to_sink),
            ("BugRelay worker -> bugrelay serve (SQLite)", to_collector),
            ("sentry-sdk transport -> local sink", sentry),
        ):
            print(f"{label:44} {rate:9.0f} {rate / sentry:9.2f}")


if __name__ == "__main__":
    main()
