"""The smallest BugRelay integration: a script that reports a user's bug and a crash.

    BUGRELAY_DSN=<the DSN that `bugrelay project create` printed> python examples/quickstart/app.py

It prints the two report ids; read them back with the admin API (see README.md here).
"""

from __future__ import annotations

import sdk


def load_settings(path: str) -> dict[str, str]:
    sdk.add_action(f"loading settings from {path}", category="io")
    raise FileNotFoundError(path)


def main() -> None:
    sdk.init(release="1.0.0", environment="example")  # the DSN comes from BUGRELAY_DSN
    if not sdk.is_enabled():
        raise SystemExit("set BUGRELAY_DSN to the DSN of a BugRelay project")
    sdk.set_user(id="user-1", segment="example")
    sdk.add_action("opened Settings", category="navigation")
    bug = sdk.report_bug("Save does nothing", description="I clicked Save and nothing happened.")
    try:
        load_settings("/etc/example/settings.toml")
    except FileNotFoundError:
        crash = sdk.report_bug("Settings cannot be loaded")
    delivered = sdk.flush(timeout=10)
    print(bug)
    print(crash)
    if not delivered:
        raise SystemExit("the collector did not take the reports within 10 s")


if __name__ == "__main__":
    main()
