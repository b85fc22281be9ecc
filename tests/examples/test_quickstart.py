"""The quickstart example, run as its README says, against a real collector."""

from __future__ import annotations

from pathlib import Path

from tests.support import Collector, run_python

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "quickstart" / "app.py"


def test_the_quickstart_example_delivers_a_bug_and_a_crash(collector: Collector) -> None:
    env = {**collector.env, "BUGRELAY_DSN": collector.dsn}
    result = run_python([str(EXAMPLE)], env)
    assert result.returncode == 0, result.stderr
    bug_id, crash_id = result.stdout.split()
    bug = collector.get_report(bug_id).json()
    crash = collector.get_report(crash_id).json()
    assert bug["title"] == "Save does nothing"
    assert (bug["app"]["release"], bug["app"]["environment"]) == ("1.0.0", "example")
    assert crash["exception"]["type"] == "FileNotFoundError"
    assert crash["exception"]["frames"][-1]["function"] == "load_settings"
    assert [a["message"] for a in crash["actions"]] == [
        "opened Settings",
        "loading settings from /etc/example/settings.toml",
    ]
    # "cannot" in the title outranks a handled exception (medium): high, with its reason.
    assert crash["severity"] == "high"
    assert crash["severity_reasons"] == ["the title says 'cannot' (high-level words)"]


def test_without_a_dsn_the_example_says_what_to_do(collector: Collector) -> None:
    env = {k: v for k, v in collector.env.items() if k != "BUGRELAY_DSN"}
    result = run_python([str(EXAMPLE)], env)
    assert result.returncode == 1
    assert "set BUGRELAY_DSN" in result.stderr
