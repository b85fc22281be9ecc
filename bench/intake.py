"""Intake throughput and latency of the collector, as ratios measured in one run.

Each target is served by uvicorn on a loopback port in its own process and loaded by wrk
(`apt-get install wrk`) with a 3.5 KB report and a new report id per request (bench/intake.lua):
most reports join the few largest groups, one in NEW_GROUP_EVERY opens a group of its own. Rate
limiting is off; logging at warning level for every target. req/s counts accepted reports (2xx)
per second; "failed" counts the other answers and wrk's socket errors (timeouts: 2 s).

The anchor: a bare Starlette endpoint that only parses the same JSON (bench/_bare_app.py), against
the collector on an empty SQLite database (WAL, ``synchronous=FULL``: durable commits, grouping
on; goal: at least 0.5 of the anchor) and, when a server answers at BUGRELAY_TEST_POSTGRES_URL,
on PostgreSQL.

Flatness (``--flatness``): the same load on a store that already holds 1,000,000 reports
(``--stored``) against one that holds 1,000, same project, seeded by bench/bulk_load.py (the
load's reports join its largest groups and open new ones); goal: at least 0.9. On SQLite, and on
PostgreSQL too with ``--postgres``. Seeds are built once and kept, keyed by the number of reports,
the schema revision and bench/bulk_load.py's FORMAT, for a week (``--reseed`` rebuilds): SQLite
template files under $BUGRELAY_BENCH_CACHE (default <tmp>/bugrelay-bench), PostgreSQL template
databases ``bugrelay_bench_seed_*`` on the server. Every measurement runs on a fresh copy.

    .venv/bin/python bench/intake.py [--seconds 10] [--connections 32]
    .venv/bin/python bench/intake.py --flatness [--postgres] [--rounds 3] [--skip-anchor]

The flatness rows are medians of ``--rounds`` pairs (small store, big store, small, big, ...):
the machines are shared and one 10-second pair can differ by 10% either way.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import requests
from bulk_load import FORMAT, HOT_TITLES, REPORTS_PER_GROUP, bulk_load, schema_revision

HERE = Path(__file__).resolve().parent
PG_ADMIN = os.environ.get("BUGRELAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
CACHE = Path(
    os.environ.get("BUGRELAY_BENCH_CACHE") or Path(tempfile.gettempdir()) / "bugrelay-bench"
)
SEED_MAX_AGE = 7 * 86_400  # seconds; received_at of seeded reports is relative to the seeding
SMALL_STORE = 1_000
NEW_GROUP_EVERY = REPORTS_PER_GROUP
ANCHOR_GOAL = 0.5
FLATNESS_GOAL = 0.9

LUA = (HERE / "intake.lua").read_text()


@dataclass(frozen=True, slots=True)
class Result:
    rps: float  # accepted (2xx) reports per second
    p50: float  # ms
    p99: float
    failed: int  # non-2xx answers and socket errors


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


def lua_script(key: str) -> str:
    titles = ", ".join(json.dumps(title) for title in HOT_TITLES)  # plain ASCII: valid Lua
    return f'key = "{key}"\ntitles = {{{titles}}}\nnew_group_every = {NEW_GROUP_EVERY}\n' + LUA


def run_wrk(url: str, key: str, seconds: int, connections: int) -> Result:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(lua_script(key))
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

    def count(pattern: str) -> int:
        match = re.search(pattern, out)
        return sum(int(n) for n in match.groups()) if match else 0

    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    total = count(r"(\d+) requests in")
    bad = count(r"Non-2xx or 3xx responses: (\d+)")
    sockets = count(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
    accepted = rps * (total - bad) / total if total else 0.0
    return Result(accepted, ms("50%"), ms("99%"), bad + sockets)


def collector(database_url: str, data_dir: Path, seconds: int, connections: int) -> Result:
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


def bare(seconds: int, connections: int) -> Result:
    port = free_port()
    with serve([sys.executable, str(HERE / "_bare_app.py"), str(port)], dict(os.environ), port):
        return run_wrk(
            f"http://127.0.0.1:{port}/api/v1/projects/1/reports", "x", seconds, connections
        )


# Seeded stores: built once by bench/bulk_load.py, copied for every measurement.


def seed_name(stored: int) -> str:
    return f"seed_{stored}_r{schema_revision()}_f{FORMAT}"


def seed(stored: int, url: str) -> None:
    print(f"seeding {stored:,} reports ({url}); kept for later runs", file=sys.stderr, flush=True)
    loaded = bulk_load(url, stored)
    print(f"  seeded in {loaded.seconds:.0f} s", file=sys.stderr, flush=True)


def sqlite_template(stored: int, reseed: bool) -> Path:
    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"{seed_name(stored)}.sqlite3"
    if path.exists() and not reseed and time.time() - path.stat().st_mtime < SEED_MAX_AGE:
        return path
    for stale in CACHE.glob(f"seed_{stored}_*"):  # older revisions, unfinished loads
        stale.unlink()
    building = CACHE / f"{seed_name(stored)}.building-{os.getpid()}"
    seed(stored, f"sqlite:///{building}")
    for leftover in (Path(f"{building}-wal"), Path(f"{building}-shm")):
        assert not leftover.exists(), f"{leftover} left after the load"
    with building.open("rb+") as file:  # loaded with synchronous=OFF: on disk before we measure
        os.fsync(file.fileno())
    os.replace(building, path)
    return path


@contextmanager
def sqlite_copy(template: Path) -> Iterator[tuple[str, Path]]:
    """A fresh copy of ``template``, on disk before the measurement starts."""
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "bench.sqlite3"
        shutil.copyfile(template, target)
        with target.open("rb+") as copy:
            os.fsync(copy.fileno())
        yield f"sqlite:///{target}", Path(tmp)


def pg_admin() -> psycopg.Connection[tuple[object, ...]] | None:
    try:
        return psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        return None


def pg_url(name: str) -> str:
    return PG_ADMIN.rsplit("/", 1)[0] + "/" + name


@contextmanager
def postgres_database(template: str | None = None) -> Iterator[str | None]:
    """A new database (a copy of ``template``), dropped afterwards; None without a server."""
    admin = pg_admin()
    if admin is None:
        yield None
        return
    name = f"bugrelay_bench_{secrets.token_hex(4)}"
    copy = f' TEMPLATE "{template}" STRATEGY FILE_COPY' if template else ""
    admin.execute(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield pg_url(name)
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def postgres_template(stored: int, reseed: bool) -> str:
    admin = pg_admin()
    if admin is None:
        raise SystemExit(f"--postgres: no PostgreSQL server answers at {PG_ADMIN}")
    name = f"bugrelay_bench_{seed_name(stored)}"
    with admin:
        row = admin.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            (name,),
        ).fetchone()
        seeded = float(str(row[0])) if row and row[0] else 0.0
        if row and not reseed and time.time() - seeded < SEED_MAX_AGE:
            return name
        stale = admin.execute(
            "SELECT datname FROM pg_database WHERE datname LIKE %s",
            (f"bugrelay_bench_seed\\_{stored}\\_%",),
        ).fetchall()
        for (old,) in stale:  # older revisions, unfinished loads
            admin.execute(f'DROP DATABASE "{old}" WITH (FORCE)')
        building = f"{name}_building"
        admin.execute(f'CREATE DATABASE "{building}"')
        seed(stored, pg_url(building))
        admin.execute("CHECKPOINT")  # write the load out now, not during the measurements
        admin.execute(f"COMMENT ON DATABASE \"{building}\" IS '{time.time():.0f}'")
        admin.execute(f'ALTER DATABASE "{building}" RENAME TO "{name}"')
    return name


@contextmanager
def postgres_copy(template: str) -> Iterator[tuple[str, Path]]:
    with postgres_database(template) as url, tempfile.TemporaryDirectory() as tmp:
        assert url is not None
        yield url, Path(tmp)


# A fresh database holding n reports: (its URL, a data directory for the collector).
Copy = Callable[[int], AbstractContextManager[tuple[str, Path]]]


def measure_flatness(copy: Copy, big: int, args: argparse.Namespace) -> dict[int, list[Result]]:
    """Each round the small and the big store, in turns (ABBA), each on a fresh copy."""
    runs: dict[int, list[Result]] = {SMALL_STORE: [], big: []}
    for number in range(args.rounds):
        for stored in (SMALL_STORE, big) if number % 2 == 0 else (big, SMALL_STORE):
            with copy(stored) as (url, data_dir):
                runs[stored].append(collector(url, data_dir, args.seconds, args.connections))
    return runs


def median(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.rps for r in results),
        statistics.median(r.p50 for r in results),
        statistics.median(r.p99 for r in results),
        sum(r.failed for r in results),
    )


def row(name: str, result: Result, ratio: str = "", goal: str = "") -> str:
    return (
        f"{name:38} {result.rps:8.0f} {result.p50:8.1f} {result.p99:8.1f} {result.failed:7d}"
        f"  {ratio:22} {goal}"
    ).rstrip()


def verdict(ratio: float, goal: float) -> str:
    return f">= {goal}: {'met' if ratio >= goal else 'NOT MET'}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="of wrk per target (10)")
    parser.add_argument("--connections", type=int, default=32, help="wrk's -c (32)")
    parser.add_argument("--flatness", action="store_true", help="also 1,000 vs --stored reports")
    parser.add_argument("--stored", type=int, default=1_000_000, help="the big store (1,000,000)")
    parser.add_argument("--postgres", action="store_true", help="flatness on PostgreSQL too")
    parser.add_argument("--rounds", type=int, default=3, help="flatness pairs; medians shown (3)")
    parser.add_argument("--reseed", action="store_true", help="rebuild the cached seeds")
    parser.add_argument("--skip-anchor", action="store_true", help="flatness only")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("bench/intake.py needs wrk: apt-get install wrk")
    if args.skip_anchor and not args.flatness:
        raise SystemExit("--skip-anchor leaves nothing to measure without --flatness")

    # Seed first (minutes, once), so that the measurements of one run stay close in time.
    templates: dict[str, Copy] = {}
    if args.flatness:
        sqlite_seeds = {n: sqlite_template(n, args.reseed) for n in (SMALL_STORE, args.stored)}
        templates["SQLite"] = lambda n: sqlite_copy(sqlite_seeds[n])
        if args.postgres:
            pg_seeds = {n: postgres_template(n, args.reseed) for n in (SMALL_STORE, args.stored)}
            templates["PostgreSQL"] = lambda n: postgres_copy(pg_seeds[n])

    anchor: dict[str, Result] = {}
    if not args.skip_anchor:
        anchor["bare Starlette (anchor)"] = bare(args.seconds, args.connections)
        with tempfile.TemporaryDirectory() as tmp:
            anchor["collector, SQLite, empty"] = collector(
                f"sqlite:///{tmp}/bench.sqlite3", Path(tmp), args.seconds, args.connections
            )
        with postgres_database() as url, tempfile.TemporaryDirectory() as tmp:
            if url is not None:
                anchor["collector, PostgreSQL, empty"] = collector(
                    url, Path(tmp), args.seconds, args.connections
                )
    flat = {label: measure_flatness(copy, args.stored, args) for label, copy in templates.items()}

    print(
        f"wrk -t2 -c{args.connections} -d{args.seconds}s on loopback, {os.cpu_count()} CPUs: "
        f"3.5 KB reports, {len(HOT_TITLES)} hot titles, a new group every {NEW_GROUP_EVERY}th"
    )
    print("SQLite: WAL, synchronous=FULL (durable before the answer); grouping on")
    if flat and args.rounds > 1:
        print(
            f"N-stored rows: medians of {args.rounds} rounds, each on a fresh copy "
            "(failed: the sum)"
        )
    print(
        f"{'target':38} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'failed':>7}  {'ratio':22} goal"
    )
    if anchor:
        base = anchor["bare Starlette (anchor)"]
        for name, result in anchor.items():
            if result is base:
                print(row(name, result))
                continue
            ratio = result.rps / base.rps
            goal = verdict(ratio, ANCHOR_GOAL) if "SQLite" in name else ""
            print(row(name, result, f"{ratio:.2f} of anchor", goal))
    for label, runs in flat.items():
        small, big = median(runs[SMALL_STORE]), median(runs[args.stored])
        ratio = big.rps / small.rps
        print(row(f"collector, {label}, {SMALL_STORE:,} stored", small))
        print(
            row(
                f"collector, {label}, {args.stored:,} stored",
                big,
                f"{ratio:.2f} of {SMALL_STORE:,} stored",
                verdict(ratio, FLATNESS_GOAL),
            )
        )
        if args.rounds > 1:
            pairs = zip(runs[args.stored], runs[SMALL_STORE], strict=True)
            each = ", ".join(f"{b.rps / s.rps:.2f}" for b, s in pairs)
            print(f"  {label}: the ratio in each round: {each}")


if __name__ == "__main__":
    main()
