"""Intake throughput and latency of the collector, as ratios to a bare Starlette endpoint.

Each target is served by uvicorn on a loopback port in its own process and loaded by wrk
(`apt-get install wrk`) with a 3.5 KB report, a new report id per request, and a handful of
titles so that reports also join existing groups. The anchor is a Starlette endpoint that only
parses the same JSON, measured in the same run. Rate limiting is off; logging at warning level
for every target.

    .venv/bin/python bench/intake.py [--seconds 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import requests

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("BUGRELAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")

LUA = (HERE / "intake.lua").read_text()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_up(url: str, process: subprocess.Popen[bytes]) -> None:
    for _ in range(600):
        if process.poll() is not None:
            raise SystemExit(f"{url}: the server exited with {process.returncode}")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise SystemExit(f"{url} did not come up")


@contextmanager
def serve(command: list[str], env: dict[str, str], port: int) -> Iterator[Path]:
    """Run a server until the block ends; yields the file its output goes to."""
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "server.log"
        with log.open("wb") as out:
            process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_up(f"http://127.0.0.1:{port}/", process)
            yield log
        finally:
            process.terminate()
            process.wait(30)


def run_wrk(url: str, key: str, seconds: int, connections: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'key = "{key}"\n' + LUA)
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", script.name, url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(script.name)

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\b", out, flags=re.M)
        assert match, out
        value, unit = float(match.group(1)), match.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rps,
        "p50": ms("50%"),
        "p99": ms("99%"),
        "errors": float(bad.group(1)) if bad else 0.0,
    }


def collector(
    database_url: str, data_dir: Path, seconds: int, connections: int
) -> dict[str, float]:
    port = free_port()
    env = {
        **os.environ,
        "BUGRELAY_DATA_DIR": str(data_dir),
        "BUGRELAY_DATABASE_URL": database_url,
        "BUGRELAY_ADMIN_TOKEN": "bench",
        "BUGRELAY_RATE_LIMIT": "off",
    }
    command = [
        sys.executable,
        "-m",
        "collector_server",
        "serve",
        "--port",
        str(port),
        "--demo",
        "--log-level",
        "warning",
    ]
    with serve(command, env, port) as log:
        banner = log.read_text()
        match = re.search(r"demo DSN\s+http://(\w+)@[^/]+/(\d+)", banner)
        assert match, banner
        key, project = match.groups()
        return run_wrk(
            f"http://127.0.0.1:{port}/api/v1/projects/{project}/reports", key, seconds, connections
        )


@contextmanager
def postgres_database() -> Iterator[str | None]:
    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        yield None
        return
    name = f"bugrelay_bench_{secrets.token_hex(4)}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/intake.py needs wrk: apt-get install wrk")
    results: dict[str, dict[str, float]] = {}
    port = free_port()
    with serve([sys.executable, str(HERE / "_bare_app.py"), str(port)], dict(os.environ), port):
        results["bare Starlette (anchor)"] = run_wrk(
            f"http://127.0.0.1:{port}/api/v1/projects/1/reports",
            "x",
            args.seconds,
            args.connections,
        )
    with tempfile.TemporaryDirectory() as tmp:
        results["collector, SQLite"] = collector(
            f"sqlite:///{tmp}/bench.sqlite3", Path(tmp), args.seconds, args.connections
        )
    with postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
        if url is not None:
            results["collector, PostgreSQL"] = collector(
                url, Path(tmp), args.seconds, args.connections
            )
    anchor = results["bare Starlette (anchor)"]["rps"]
    print(f"wrk -t2 -c{args.connections} -d{args.seconds}s, 3.5 KB reports, {os.cpu_count()} CPUs")
    print(f"{'':26} {'req/s':>9} {'x anchor':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8}")
    for name, r in results.items():
        ratio = r["rps"] / anchor
        print(
            f"{name:26} {r['rps']:9.0f} {ratio:9.2f} "
            f"{r['p50']:8.1f} {r['p99']:8.1f} {r['errors']:8.0f}"
        )


if __name__ == "__main__":
    main()
