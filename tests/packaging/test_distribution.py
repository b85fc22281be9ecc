"""The distribution as users get it: the SDK without the server extra, and the built wheel."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from tests.support import run_python

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = ("starlette", "uvicorn", "sqlalchemy", "alembic", "psycopg", "prometheus_client")

# Makes the server-only packages unimportable, as in `pip install bugrelay` without [server].
BLOCKER = f"""
import sys
class Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {SERVER_ONLY!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None
sys.meta_path.insert(0, Blocker())
"""


def test_the_sdk_works_without_the_server_extra() -> None:
    code = BLOCKER + (
        "import sdk\n"
        "from sdk.testing import capture_reports\n"
        "sdk.init('http://k@127.0.0.1:9/1')\n"
        "with capture_reports() as reports:\n"
        "    sdk.report_bug('works without the server extra')\n"
        "print(reports[0].title)\n"
    )
    result = run_python(["-c", code], dict(os.environ))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "works without the server extra"


def test_the_command_explains_the_missing_server_extra() -> None:
    code = BLOCKER + "from collector_server.cli import main\nraise SystemExit(main(['serve']))\n"
    result = run_python(["-c", code], dict(os.environ))
    assert result.returncode == 1
    assert "pip install 'bugrelay[server]'" in result.stderr


@pytest.mark.slow
def test_the_built_wheel_installs_and_runs(tmp_path: Path) -> None:
    """Build the wheel, install it into a new virtualenv, and use it as a user would."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        timeout=300,
    )
    [wheel] = tmp_path.glob("bugrelay-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run([*pip, str(wheel)], check=True, timeout=600)
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGRELAY_")}
    env["BUGRELAY_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            args, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
        )

    # The built widget ships inside the package: serving it needs no Node.
    shipped = run(
        str(python),
        "-c",
        "from sdk.integrations import assets; print(len(assets.asset('widget.js').body) > 1000)",
    )
    assert shipped.stdout.strip() == "True", shipped.stderr
    heavy = "('starlette', 'sqlalchemy', 'pydantic')"
    imported = run(
        str(python), "-c", f"import sdk, sys; print([m for m in {heavy} if m in sys.modules])"
    )
    assert imported.stdout.strip() == "[]", imported.stderr
    bugrelay = str(env_dir / "bin" / "bugrelay")
    without_server = run(bugrelay, "project", "create", "shop")
    assert without_server.returncode == 1
    assert "bugrelay[server]" in without_server.stderr
    schema = run(bugrelay, "schema", "export", "--output", "schema/report.json")
    assert schema.returncode == 0, schema.stderr  # needs only the SDK's dependencies
    assert (tmp_path / "schema" / "report.json").exists()

    subprocess.run([*pip, f"{wheel}[server]"], check=True, timeout=600)
    created = run(bugrelay, "project", "create", "shop")  # runs the migrations shipped in the wheel
    assert created.returncode == 0, created.stderr
    assert re.fullmatch(r"http://[0-9a-f]{32}@127\.0\.0\.1:8000/1\n", created.stdout)
