"""What the SDK costs the host thread, as ratios against sentry-sdk 2.x measured in the same run.

    .venv/bin/python bench/sdk_overhead.py [--rounds N]

1. Recording one action: ``sdk.add_action`` / ``sentry_sdk.add_breadcrumb`` (same process,
   both SDKs initialised, interleaved rounds). Target <= 1.0.
2. Log capture per ``logging.info`` call: what BugRelay's hook adds over plain logging / what
   sentry's LoggingIntegration adds over plain logging. Each SDK patches ``logging`` for good, so
   each is measured in its own fresh interpreter against plain logging measured first in that same
   interpreter; the interpreters alternate. Target <= 0.2.
3. ``sdk.report_bug`` on the host thread / ``sentry_sdk.capture_message``, both with a null
   transport (so only host-thread work counts), with 100 actions and 200 log records buffered
   (Sentry: 100 breadcrumbs, its maximum) and every default collector on. Measured twice: before
   Sentry is initialised, and with Sentry running, when the Sentry bridge also snapshots Sentry's
   breadcrumbs and links. Target <= 0.1.

Figures are medians over rounds; each round times a batch of calls.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import sentry_sdk
import sentry_sdk.transport

import sdk
from sdk.transports.base import Transport

DSN = "http://publickey@127.0.0.1:9/1"


def per_call(fn: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def interleaved(
    ours: Callable[[], object], theirs: Callable[[], object], calls: int, rounds: int
) -> tuple[float, float]:
    a, b = [], []
    for _ in range(rounds):
        a.append(per_call(ours, calls))
        b.append(per_call(theirs, calls))
    return statistics.median(a), statistics.median(b)


def _null_transports() -> tuple[Any, Any]:
    class NullTransport(Transport):
        def send(self, payload: bytes, report_id: str) -> bool:
            return True

        def flush(self, timeout: float) -> bool:
            return True

    class SentryNull(sentry_sdk.transport.Transport):
        def capture_envelope(self, envelope: Any) -> None:
            pass

    return NullTransport, SentryNull


def host_costs(rounds: int) -> dict[str, float]:
    null_ours, null_sentry = _null_transports()
    logger = logging.getLogger("bench.app")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    logger.addHandler(logging.NullHandler())

    sdk.init(DSN, transport=null_ours(), release="1.0.0")
    for i in range(200):
        logger.info("order %d paid by %s", i, "ann")
    for i in range(100):
        sdk.add_action(f"step {i}", category="ui.click", data={"i": i})
    report = per_call(lambda: sdk.report_bug("Pay does nothing"), 200)  # warm-up
    reports = [per_call(lambda: sdk.report_bug("Pay does nothing"), 200) for _ in range(rounds)]

    sentry_sdk.init(DSN, transport=null_sentry, release="1.0.0")
    for i in range(100):
        sentry_sdk.add_breadcrumb(message=f"step {i}", category="ui.click", data={"i": i})
    per_call(lambda: sentry_sdk.capture_message("Pay does nothing"), 20)  # warm-up
    captures = [
        per_call(lambda: sentry_sdk.capture_message("Pay does nothing"), 50) for _ in range(rounds)
    ]
    bridged = [per_call(lambda: sdk.report_bug("Pay does nothing"), 200) for _ in range(rounds)]

    action, crumb = interleaved(
        lambda: sdk.add_action("clicked Save", category="ui.click", data={"selector": "#save"}),
        lambda: sentry_sdk.add_breadcrumb(
            message="clicked Save", category="ui.click", data={"selector": "#save"}
        ),
        20_000,
        rounds,
    )
    del report
    return {
        "add_action": action,
        "add_breadcrumb": crumb,
        "report_bug": statistics.median(reports),
        "report_bug_with_sentry": statistics.median(bridged),
        "capture_message": statistics.median(captures),
    }


LOG_CHILD = """
import json, logging, statistics, sys, time
which = sys.argv[1]
logger = logging.getLogger("bench.app")
logger.setLevel(logging.INFO)
logger.propagate = False
logger.addHandler(logging.NullHandler())

def timed():
    runs = []
    for _ in range(7):
        start = time.perf_counter()
        for i in range(20_000):
            logger.info("order %d paid by %s", i, "ann")
        runs.append((time.perf_counter() - start) / 20_000)
    return statistics.median(runs)

timed()
plain = timed()
if which == "bugrelay":
    import sdk
    from sdk.testing import CapturingTransport
    sdk.init("http://k@127.0.0.1:9/1", transport=CapturingTransport())
else:
    import sentry_sdk
    sentry_sdk.init("http://k@127.0.0.1:9/1", transport=lambda envelope: None)
timed()
hooked = timed()
print(json.dumps({"plain": plain, "hooked": hooked}))
"""


def log_overheads(rounds: int) -> dict[str, float]:
    results: dict[str, list[float]] = {"bugrelay": [], "sentry": []}
    for _ in range(rounds):
        for which in ("bugrelay", "sentry"):
            out = subprocess.run(
                [sys.executable, "-c", LOG_CHILD, which],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            figures = json.loads(out)
            results[which].append(figures["hooked"] - figures["plain"])
    return {which: statistics.median(values) for which, values in results.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    costs = host_costs(args.rounds)
    logs = log_overheads(max(3, args.rounds // 2))
    us = 1e6
    print(f"{'measure':58} {'ours µs':>9} {'sentry µs':>9} {'ratio':>7} {'target':>7}")
    capture = costs["capture_message"]
    rows = [
        ("1. one action: add_action / add_breadcrumb", "add_action", "add_breadcrumb", 1.0),
        ("2. logging.info overhead: our hook / LoggingIntegration", "log_ours", "log_sentry", 0.2),
        ("3. report_bug / capture_message (Sentry not running)", "report_bug", "capture", 0.1),
        ("3b. the same, Sentry running (bridged)", "report_bug_with_sentry", "capture", 0.1),
    ]
    figures_by_name = {**costs, "log_ours": logs["bugrelay"], "log_sentry": logs["sentry"]}
    figures_by_name["capture"] = capture
    for label, ours_name, theirs_name, target in rows:
        ours, theirs = figures_by_name[ours_name], figures_by_name[theirs_name]
        ratio = ours / theirs
        verdict = "ok" if ratio <= target else "MISSED"
        figures = f"{ours * us:9.2f} {theirs * us:9.2f} {ratio:7.3f} {target:5.1f}"
        print(f"{label:58} {figures} {verdict}")


if __name__ == "__main__":
    main()
