"""Delivery that loses nothing: the real collector behind a real proxy that fails on purpose.

Every test runs against `bugrelay serve` (SQLite and PostgreSQL) on a loopback port; the proxy
in front of it refuses connections, answers 503/429 itself, or keeps a client waiting, and the
host processes are really killed with SIGKILL.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

import sdk
from sdk.transports import _retry
from tests.support import Collector, FlakyProxy, run_python


@pytest.fixture
def proxy(collector: Collector) -> Iterator[FlakyProxy]:
    running = FlakyProxy(collector.url)
    yield running
    running.close()


def app_env(proxy: FlakyProxy, collector: Collector, spool: Path) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "BUGRELAY_DSN": proxy.dsn(collector),
        "BUGRELAY_SPOOL_DIR": str(spool),
    }


def discarded_at_the_collector(collector: Collector) -> dict[str, float]:
    """``{reason: count}`` of this project's discarded-reports counter on ``/metrics``."""
    text = requests.get(collector.url + "/metrics", timeout=10).text
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "bugrelay_sdk_discarded_reports_total" and sample.labels.get(
                "project_id"
            ) == str(collector.project_id):
                counts[sample.labels["reason"]] = sample.value
    return counts


def stored_once(collector: Collector, report_ids: list[str]) -> bool:
    return all(collector.get_report(rid).status_code == 200 for rid in report_ids)


def test_reports_made_while_the_collector_is_down_arrive_once_it_is_back(
    collector: Collector, proxy: FlakyProxy
) -> None:
    proxy.down()
    sdk.init(proxy.dsn(collector))
    ids = [sdk.report_bug(f"made during the outage {i}") for i in range(20)]
    assert all(ids)
    assert not sdk.flush(0.5)  # nothing can arrive yet
    proxy.up()
    assert sdk.flush(60)
    assert sorted(proxy.stored()) == sorted(ids)  # each stored once, none lost
    assert stored_once(collector, ids)
    client = sdk._client
    assert client is not None
    assert client.transport.lost == {}


def test_503_and_429_with_retry_after_are_waited_out_as_told(
    collector: Collector, proxy: FlakyProxy
) -> None:
    proxy.answers = [(503, {"Retry-After": "3"})] * 2 + [(429, {"Retry-After": "7"})] * 2
    _retry.requested.clear()
    sdk.init(proxy.dsn(collector))
    report_id = sdk.report_bug("arrives after the collector asked us to wait")
    assert sdk.flush(60)
    assert proxy.stored() == [report_id]
    waits = list(_retry.requested)
    # Waiting is switched off in tests; what the SDK would have slept is noted instead.
    assert len([w for w in waits if w >= 3]) >= 2
    assert len([w for w in waits if w >= 7]) >= 2
    assert max(waits) < 60 + 1  # the backoff stays bounded


def test_a_host_killed_right_after_report_bug_returned_delivers_at_its_next_start(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path
) -> None:
    proxy.down()  # nothing can leave before the kill: the spool alone must keep the report
    env = app_env(proxy, collector, tmp_path / "spool")
    killed = run_python(
        [
            "-c",
            "import os, signal, sdk\n"
            "sdk.init()\n"
            "print(sdk.report_bug('killed one instruction later'), flush=True)\n"
            "os.kill(os.getpid(), signal.SIGKILL)\n",
        ],
        env=env,
    )
    assert killed.returncode == -signal.SIGKILL
    report_id = killed.stdout.strip()
    assert report_id
    proxy.up()
    restarted = run_python(["-c", "import sdk; sdk.init(); print(sdk.flush(60))"], env=env)
    assert restarted.stdout.strip() == "True", restarted.stderr
    assert proxy.stored() == [report_id]
    assert stored_once(collector, [report_id])


def test_a_host_killed_in_the_middle_of_a_send_is_stored_once(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path
) -> None:
    proxy.hold_after_forward = True  # the collector stores it, the answer never comes back
    env = app_env(proxy, collector, tmp_path / "spool")
    code = (
        "import sdk, time\n"
        "sdk.init()\n"
        "print(sdk.report_bug('killed mid-send'), flush=True)\n"
        "time.sleep(60)\n"
    )
    app = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert app.stdout is not None
        report_id = app.stdout.readline().strip()
        assert proxy.holding.wait(30)
    finally:
        app.send_signal(signal.SIGKILL)
        app.wait(30)
        if app.stdout is not None:
            app.stdout.close()
    proxy.hold_after_forward = False
    proxy.release()
    restarted = run_python(["-c", "import sdk; sdk.init(); print(sdk.flush(60))"], env=env)
    assert restarted.stdout.strip() == "True", restarted.stderr
    # Sent twice (the first answer was lost), stored once: the second answer is "already had it".
    assert [status for rid, status in proxy.forwarded if rid == report_id] == [202, 200]
    assert stored_once(collector, [report_id])


def _mount_tmpfs(path: Path, options: str) -> None:
    path.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.strip()}")


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def sdk_warnings() -> Iterator[_Warnings]:
    handler = _Warnings()
    logger = logging.getLogger("bugrelay.sdk")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_a_full_disk_degrades_to_memory_and_loses_nothing(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path, sdk_warnings: _Warnings
) -> None:
    spool = tmp_path / "tiny"
    _mount_tmpfs(spool, "size=64k")
    try:
        proxy.down()
        sdk.init(proxy.dsn(collector), spool_dir=str(spool), queue_size=200)
        ids = [sdk.report_bug(f"disk full {i}", description="x" * 2000) for i in range(60)]
        assert all(ids)  # the host never noticed
        proxy.up()
        assert sdk.flush(60)
        sdk.close()
    finally:
        subprocess.run(["umount", "-l", str(spool)], check=False)
    assert sorted(proxy.stored()) == sorted(ids)
    said = [m for m in sdk_warnings.messages if "cannot write its spool" in m]
    assert len(said) == 1  # said once, not once per report


def test_a_read_only_spool_directory_keeps_reports_in_memory(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path, sdk_warnings: _Warnings
) -> None:
    spool = tmp_path / "readonly"
    _mount_tmpfs(spool, "ro,size=64k")
    try:
        sdk.init(proxy.dsn(collector), spool_dir=str(spool))
        report_id = sdk.report_bug("no spool, still delivered")
        assert sdk.flush(30)
        sdk.close()
    finally:
        subprocess.run(["umount", "-l", str(spool)], check=False)
    assert proxy.stored() == [report_id]
    assert any("cannot use its spool" in m for m in sdk_warnings.messages)


def _leave_reports_behind(env: dict[str, str], count: int, label: str) -> list[str]:
    """A process that makes ``count`` reports and is SIGKILLed before it can send them."""
    code = textwrap.dedent(
        f"""
        import os, signal, sdk
        sdk.init()
        for i in range({count}):
            print(sdk.report_bug(f"{label} {{i}}"), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    result = run_python(["-c", code], env=env)
    assert result.returncode == -signal.SIGKILL, result.stderr
    return result.stdout.split()


def test_corrupted_and_torn_segments_are_set_aside_counted_and_the_rest_delivered(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path
) -> None:
    proxy.down()
    before = discarded_at_the_collector(collector)
    env = app_env(proxy, collector, tmp_path / "spool")
    first = _leave_reports_behind(env, 10, "segment one")
    second = _leave_reports_behind(env, 10, "segment two")
    segments = sorted((tmp_path / "spool").rglob("*.seg"), key=lambda p: p.stat().st_mtime)
    assert len(segments) == 2
    corrupt, torn = segments
    data = bytearray(corrupt.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 32] = b"\xff" * 32  # garbage in the middle of the first
    corrupt.write_bytes(bytes(data))
    with torn.open("r+b") as file:  # the last record of the second cut short
        file.truncate(torn.stat().st_size - 3)

    proxy.up()
    restarted = run_python(
        [
            "-c",
            "import sdk; sdk.init(); print(sdk.flush(60)); sdk.report_bug('after'); sdk.flush(30)",
        ],
        env=env,
    )
    assert restarted.stdout.strip() == "True", restarted.stderr
    stored = set(proxy.stored())
    assert first[0] in stored  # records before the garbage still delivered
    assert len(stored & set(first)) < len(first)  # the garbled ones are not
    assert set(second[:-1]) <= stored  # all but the torn last one
    assert second[-1] not in stored
    assert list((tmp_path / "spool").rglob("corrupt/*")), "the corrupted segment was set aside"
    told = ", ".join(proxy.discarded_headers)
    assert "corrupted=" in told
    assert "torn=1" in told
    after = discarded_at_the_collector(collector)
    assert after.get("torn", 0) - before.get("torn", 0) == 1
    assert after.get("corrupted", 0) - before.get("corrupted", 0) >= 1


FLAPPING_APP = """
import json, sys, threading, sdk
sdk.init()
run = sys.argv[1]
ids, lock = [], threading.Lock()

def reporter(thread):
    for i in range(125):
        report_id = sdk.report_bug(f"flapping {run} {thread} {i}")
        with lock:
            ids.append(report_id)

threads = [threading.Thread(target=reporter, args=(t,)) for t in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
flushed = sdk.flush(120)
print(json.dumps({"ids": ids, "flushed": flushed, "lost": sdk._client.transport.lost}))
"""


@pytest.mark.slow
def test_a_thousand_reports_from_two_processes_through_a_flapping_collector_arrive_once_each(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path
) -> None:
    env = app_env(proxy, collector, tmp_path / "spool")
    stop = threading.Event()
    outages: list[int] = []

    def flap() -> None:
        for _ in range(150):  # bounded: about 150 s at most
            if stop.wait(0.8):
                break
            proxy.down()  # a fifth of the time down: every report meets some outages
            outages.append(1)
            if stop.wait(0.2):
                break
            proxy.up()
        proxy.up()

    flapper = threading.Thread(target=flap, daemon=True)
    flapper.start()
    apps = [
        subprocess.Popen(
            [sys.executable, "-c", FLAPPING_APP, f"p{n}"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(2)
    ]
    try:
        outputs = [app.communicate(timeout=240) for app in apps]
    finally:
        stop.set()
        flapper.join(30)
        for app in apps:
            if app.poll() is None:
                app.kill()
    assert len(outages) >= 3, "the collector did not flap while the apps reported"
    results = [json.loads(out) for out, _ in outputs]
    reported = [rid for result in results for rid in result["ids"]]
    assert len(reported) == 1000 == len(set(reported))
    assert all(result["flushed"] for result in results), [err for _, err in outputs]
    dropped = sum(n for result in results for n in result["lost"].values())
    stored = proxy.stored()
    assert len(stored) == len(set(stored))  # none stored twice
    # sent + counted drops = reported, exactly.
    assert len(set(stored)) + dropped == len(reported)
    assert dropped == 0
    assert set(stored) == set(reported)


def test_init_delivers_what_earlier_processes_left_without_delaying_the_app(
    collector: Collector, proxy: FlakyProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy.down()
    env = app_env(proxy, collector, tmp_path / "spool")
    left = _leave_reports_behind(env, 5, "left behind")
    monkeypatch.setenv("BUGRELAY_SPOOL_DIR", env["BUGRELAY_SPOOL_DIR"])
    sdk.init(proxy.dsn(collector))  # returns although nothing can be delivered yet
    mine = sdk.report_bug("made after the restart")
    proxy.up()
    assert sdk.flush(60)
    stored = proxy.stored()
    assert sorted(stored) == sorted([*left, mine])
    assert stored.index(mine) == len(stored) - 1  # the older reports went first
