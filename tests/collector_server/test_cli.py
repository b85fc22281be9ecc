"""The `bugrelay` command, run as a real process."""

from __future__ import annotations

import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from collector_server.settings import Settings
from tests.support import collector_env, run_cli

DSN = re.compile(r"http://[0-9a-f]{32}@127\.0\.0\.1:8000/\d+")


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    result = collector_env(data, f"sqlite:///{data / 'bugrelay.sqlite3'}")
    del result["BUGRELAY_ADMIN_TOKEN"]
    return result


def test_project_create_prints_the_dsn_and_nothing_else(env: dict[str, str]) -> None:
    result = run_cli(env, "project", "create", "shop")
    assert result.returncode == 0, result.stderr
    assert DSN.fullmatch(result.stdout.rstrip("\n"))
    assert result.stdout.count("\n") == 1


def test_the_dsn_uses_the_public_url(env: dict[str, str]) -> None:
    env["BUGRELAY_PUBLIC_URL"] = "https://bugs.example.com/relay/"
    result = run_cli(env, "project", "create", "shop")
    assert re.fullmatch(r"https://[0-9a-f]{32}@bugs\.example\.com/relay/1\n", result.stdout)


def test_a_second_project_with_the_same_name_is_refused(env: dict[str, str]) -> None:
    assert run_cli(env, "project", "create", "shop").returncode == 0
    again = run_cli(env, "project", "create", "shop")
    assert again.returncode == 1
    assert again.stdout == ""
    assert "a project named 'shop' exists already" in again.stderr


def test_project_list_shows_every_project(env: dict[str, str]) -> None:
    first = run_cli(env, "project", "create", "shop").stdout.strip()
    second = run_cli(env, "project", "create", "blog").stdout.strip()
    listing = run_cli(env, "project", "list").stdout
    assert listing == f"1\tshop\t{first}\n2\tblog\t{second}\n"


def test_the_data_directory_is_created_and_the_admin_token_kept_private(
    env: dict[str, str],
) -> None:
    data = Path(env["BUGRELAY_DATA_DIR"])
    assert not data.exists()
    assert run_cli(env, "project", "create", "shop").returncode == 0
    assert (data / "bugrelay.sqlite3").exists()
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    # `serve` makes the admin token when none is set, readable by the owner only.
    settings = Settings.from_env(env)
    assert settings.admin_token_generated
    token_file = data / "admin-token"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert Settings.from_env(env).admin_token == settings.admin_token


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("BUGRELAY_DATABASE_URL", "mysql://localhost/db", "must be a sqlite:/// or postgresql://"),
        ("BUGRELAY_PUBLIC_URL", "bugs.example.com", "must be an http:// or https:// URL"),
        ("BUGRELAY_MAX_BODY_BYTES", "lots", "must be an integer >= 1024"),
        ("BUGRELAY_RATE_LIMIT", "sometimes", "must be 'on' or 'off'"),
    ],
)
def test_bad_settings_are_named(env: dict[str, str], name: str, value: str, message: str) -> None:
    env[name] = value
    result = run_cli(env, "serve", "--port", "1")
    assert result.returncode == 1
    assert name in result.stderr
    assert message in result.stderr
    assert not Path(env["BUGRELAY_DATA_DIR"], "admin-token").exists()


def test_an_unreachable_database_is_a_clear_error(env: dict[str, str]) -> None:
    env["BUGRELAY_DATABASE_URL"] = "postgresql://nobody@127.0.0.1:9/none"
    result = run_cli(env, "project", "list")
    assert result.returncode == 1
    assert "cannot open the database postgresql+psycopg://nobody@127.0.0.1:9/none" in result.stderr


def test_schema_export_check_fails_on_a_stale_file(tmp_path: Path) -> None:
    target = tmp_path / "schema" / "report.json"
    command = [
        sys.executable,
        "-m",
        "collector_server",
        "schema",
        "export",
        "--output",
        str(target),
    ]
    assert subprocess.run([*command, "--check"], capture_output=True, check=False).returncode == 1
    assert subprocess.run(command, capture_output=True, check=False).returncode == 0
    assert subprocess.run([*command, "--check"], capture_output=True, check=False).returncode == 0
    assert (tmp_path / "wire-schema.md").read_text().startswith("# Wire schema v1")
    (tmp_path / "wire-schema.md").write_text("edited by hand")
    stale = subprocess.run([*command, "--check"], capture_output=True, text=True, check=False)
    assert stale.returncode == 1
    assert "wire-schema.md out of date" in stale.stderr


@pytest.mark.parametrize("name", ["", "   ", " padded", "x" * 101])
def test_bad_project_names_are_refused(env: dict[str, str], name: str) -> None:
    result = run_cli(env, "project", "create", name)
    assert result.returncode == 1
    assert "a project name has 1 to 100 characters" in result.stderr
    assert result.stdout == ""
