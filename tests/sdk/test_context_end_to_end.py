"""Automatic context, end to end: a real app process, real requests calls, the real collector.

The app logs a line holding a password, makes a failing ``requests`` call and one that gets no
answer, records two actions, crashes in a thread and then in its main thread. Both crashes must
reach the collector with the trail, the logs, the failed requests, the exception, the release
(detected from the app's git checkout) and the environment -- and the password nowhere.
"""

from __future__ import annotations

import json
import subprocess
import textwrap
import uuid
from pathlib import Path

from tests.support import Collector, free_port, run_python

PASSWORD = "hunter2-" + uuid.uuid4().hex[:8]

APP = """
import logging, threading, requests, sdk

logging.basicConfig(level=logging.INFO)
log = logging.getLogger("shop.checkout")
sdk.init()  # BUGRELAY_DSN and BUGRELAY_ENVIRONMENT come from the environment
sdk.set_user(id="u-7", plan="pro")
log.info("login ok for ann, password=%s", PASSWORD)
sdk.add_action("opened the cart", category="navigation")
sdk.add_action("clicked Pay", category="ui.click", data={{"button": "pay", "password": PASSWORD}})
requests.get(COLLECTOR + "/api/v1/no-such-page?token=" + PASSWORD, timeout=10)
try:
    requests.get("http://127.0.0.1:{dead_port}/pay?password=" + PASSWORD, timeout=10)
except requests.ConnectionError:
    log.warning("payment service unreachable")

def sync():
    raise KeyError("sync {run}")

thread = threading.Thread(target=sync, name="sync-worker")
thread.start()
thread.join()

def pay(amount):
    raise RuntimeError(f"payment {run} failed for {{amount}} with password={{PASSWORD}}")

pay(42)
"""


def _git_checkout(path: Path) -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=path,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()

    git("init", "-q")
    git("add", "app.py")
    git("commit", "-q", "-m", "the app")
    return git("rev-parse", "HEAD")


def test_a_crashing_app_reports_its_whole_context_and_no_password(
    collector: Collector, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:10]
    source = f"PASSWORD = {PASSWORD!r}\nCOLLECTOR = {collector.url!r}\n" + APP.format(
        run=run, dead_port=free_port()
    )
    (tmp_path / "app.py").write_text(textwrap.dedent(source))
    commit = _git_checkout(tmp_path)
    env = {
        "PATH": "/usr/bin:/bin",
        "BUGRELAY_DSN": collector.dsn,
        "BUGRELAY_ENVIRONMENT": "staging",
    }
    result = run_python([str(tmp_path / "app.py")], env=env, timeout=120)
    assert result.returncode == 1, result.stderr
    assert "RuntimeError" in result.stderr  # Python's own hook still printed the traceback

    listed = collector.admin_get(f"/api/v1/projects/{collector.project_id}/reports?limit=50")
    mine = [item for item in listed.json()["items"] if run in item["title"]]
    assert sorted(item["kind"] for item in mine) == ["crash", "crash"]
    reports = {item["title"]: collector.get_report(item["id"]).json() for item in mine}
    main = reports[f"RuntimeError: payment {run} failed for 42 with password=[Filtered]"]
    in_thread = reports[f"KeyError: 'sync {run}'"]

    for report in (main, in_thread):
        assert PASSWORD not in json.dumps(report)
        assert report["app"]["release"] == commit
        assert report["app"]["environment"] == "staging"
        assert report["user"] == {"id": "u-7", "plan": "pro"}
        assert report["exception"]["handled"] is False

    assert main["exception"]["type"] == "RuntimeError"
    assert main["exception"]["frames"][-1]["function"] == "pay"
    assert main["exception"]["frames"][-1]["in_app"] is True
    assert "password=[Filtered]" in main["exception"]["value"]
    assert in_thread["extra"] == {"thread": "sync-worker"}

    trail = [(a["category"], a["message"]) for a in main["actions"]]
    assert ("log", "login ok for ann, password=[Filtered]") in trail
    assert ("navigation", "opened the cart") in trail
    assert ("ui.click", "clicked Pay") in trail
    assert ("log", "payment service unreachable") in trail
    clicked = next(a for a in main["actions"] if a["message"] == "clicked Pay")
    assert clicked["data"] == {"button": "pay", "password": "[Filtered]"}
    http = [a for a in main["actions"] if a["category"] == "http"]
    assert [a["data"].get("status_code") for a in http] == [404, None]

    logged = [(entry["logger"], entry["message"]) for entry in main["logs"]]
    assert ("shop.checkout", "login ok for ann, password=[Filtered]") in logged
    assert all(not logger.startswith(("urllib3", "bugrelay")) for logger, _ in logged)

    network = main["network"]
    assert [(n["method"], n.get("status")) for n in network] == [("GET", 404), ("GET", None)]
    assert "token=[Filtered]" in network[0]["url"]
    assert network[1]["error"].startswith("ConnectionError")
