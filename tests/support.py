"""Test helpers that run real things: collector processes, PostgreSQL databases, HTTP sinks."""

from __future__ import annotations

import gzip
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

PG_ADMIN_URL = os.environ.get(
    "BUGRELAY_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
ADMIN_TOKEN = "test-admin-token-" + secrets.token_hex(8)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Collector:
    url: str
    dsn: str
    project_id: int
    public_key: str
    admin_token: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path
    extra_projects: dict[str, str] = field(default_factory=dict)

    @property
    def reports_url(self) -> str:
        return f"{self.url}/api/v1/projects/{self.project_id}/reports"

    def post_report(self, body: Any, timeout: float = 60) -> requests.Response:
        """POST one report as JSON with this collector's demo project key."""
        return requests.post(
            self.reports_url,
            json=body,
            headers={"X-BugRelay-Key": self.public_key},
            timeout=timeout,
        )

    def admin_get(self, path: str) -> requests.Response:
        return requests.get(
            self.url + path, headers={"Authorization": f"Bearer {self.admin_token}"}, timeout=10
        )

    def get_report(self, report_id: str, project_id: int | None = None) -> requests.Response:
        pid = self.project_id if project_id is None else project_id
        return self.admin_get(f"/api/v1/projects/{pid}/reports/{report_id}")

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(self.env, *args)

    def create_project(self, name: str) -> str:
        result = self.cli("project", "create", name)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "collector_server", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def run_python(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run this interpreter with ``args`` (a script path or ``-c`` code) in a fresh process.

    Its SDK spools into a new directory (beside the test's own spool, so pytest cleans it up)
    unless ``env`` names one (``BUGRELAY_SPOOL_DIR``).
    """
    if "BUGRELAY_SPOOL_DIR" not in env:
        test_spool = os.environ.get("BUGRELAY_SPOOL_DIR")
        base = Path(test_spool).parent if test_spool else Path(tempfile.gettempdir())
        base.mkdir(parents=True, exist_ok=True)
        env = {**env, "BUGRELAY_SPOOL_DIR": tempfile.mkdtemp(prefix="child-spool-", dir=base)}
    return subprocess.run(
        [sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def run_concurrently(target: Callable[[], object], threads: int) -> None:
    """Start ``threads`` threads on ``target`` at the same moment and wait for all of them."""
    barrier = threading.Barrier(threads)

    def run() -> None:
        barrier.wait()
        target()

    started = [threading.Thread(target=run) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()


def collector_env(data_dir: Path, database_url: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("BUGRELAY_")}
    env.update(
        {
            "BUGRELAY_DATA_DIR": str(data_dir),
            "BUGRELAY_DATABASE_URL": database_url,
            "BUGRELAY_ADMIN_TOKEN": ADMIN_TOKEN,
            "BUGRELAY_RATE_LIMIT": "off",
            **extra,
        }
    )
    return env


@contextmanager
def start_collector(data_dir: Path, database_url: str, **extra_env: str) -> Iterator[Collector]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = collector_env(data_dir, database_url, BUGRELAY_PUBLIC_URL=url, **extra_env)
    data_dir.mkdir(parents=True, exist_ok=True)
    log = data_dir / "serve.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "collector_server", "serve", "--port", str(port), "--demo"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_healthy(url, process, log)
        match = re.search(r"demo DSN\s+(\S+)", log.read_text())
        assert match, log.read_text()
        dsn = match.group(1)
        key, project_id = re.fullmatch(r"http://(\w+)@[^/]+/(\d+)", dsn).groups()  # type: ignore[union-attr]
        yield Collector(url, dsn, int(project_id), key, ADMIN_TOKEN, env, process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the collector exited with {process.returncode}:\n{log.read_text()}")
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the collector did not become healthy in 60 s:\n{log.read_text()}")


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new database on the local PostgreSQL server, dropped afterwards."""
    admin_url = PG_ADMIN_URL
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL is not reachable at {admin_url}: {exc}")
    name = f"bugrelay_test_{secrets.token_hex(6)}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield admin_url.rsplit("/", 1)[0] + "/" + name
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def send_json(
    handler: BaseHTTPRequestHandler, status: int, headers: dict[str, str], payload: bytes
) -> None:
    """Answer ``handler``'s request with ``status``, extra ``headers`` and a JSON ``payload``."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(payload)))
    handler.end_headers()
    handler.wfile.write(payload)


@dataclass
class SinkRequest:
    path: str
    headers: dict[str, str]
    body: bytes  # decompressed


class HttpSink:
    """A real HTTP server on a loopback port that answers from a script and records requests.

    ``answers`` is consumed one per request: ``(status, headers)``; when it runs out, 202.
    """

    def __init__(self) -> None:
        self.requests: list[SinkRequest] = []
        self.answers: list[tuple[int, dict[str, str]]] = []
        self._lock = threading.Lock()
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                with sink._lock:
                    sink.requests.append(SinkRequest(self.path, dict(self.headers), body))
                    status, headers = sink.answers.pop(0) if sink.answers else (202, {})
                payload = b'{"id": "x", "group_id": 1}' if status < 300 else b'{"error": {}}'
                send_json(self, status, headers, payload)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def dsn(self, project_id: int = 1, key: str = "sinkkey") -> str:
        return f"http://{key}@127.0.0.1:{self.port}/{project_id}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


class FlakyProxy:
    """A real HTTP proxy on a loopback port in front of a collector, whose behaviour tests set.

    Modes: ``"up"`` forwards; ``"down"`` closes the listening socket (connections are refused);
    ``answers`` (a list of ``(status, headers)``) are answered by the proxy itself, one per
    request, before forwarding resumes; ``hold_after_forward`` forwards a request and then keeps
    the client waiting until :meth:`release` (to kill a client in the middle of a send).
    ``forwarded`` holds ``(report id, collector status)`` for each request that reached it.
    """

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        self.answers: list[tuple[int, dict[str, str]]] = []
        self.forwarded: list[tuple[str, int]] = []
        self.discarded_headers: list[str] = []
        self.hold_after_forward = False
        self.holding = threading.Event()
        self._released = threading.Event()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.port = free_port()
        self.up()

    def dsn(self, collector: Collector) -> str:
        return f"http://{collector.public_key}@127.0.0.1:{self.port}/{collector.project_id}"

    def up(self) -> None:
        if self._server is not None:
            return
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with proxy._lock:
                    answer = proxy.answers.pop(0) if proxy.answers else None
                if answer is not None:
                    send_json(self, answer[0], answer[1], b'{"error": {"code": "proxy"}}')
                    return
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("content-type", "content-encoding", "x-bugrelay-key")
                    or k.lower().startswith("x-bugrelay")
                }
                if "X-BugRelay-Discarded" in self.headers:
                    proxy.discarded_headers.append(self.headers["X-BugRelay-Discarded"])
                response = requests.post(
                    proxy.upstream + self.path, data=body, headers=headers, timeout=60
                )
                raw = gzip.decompress(body) if headers.get("Content-Encoding") == "gzip" else body
                report_id = str(json.loads(raw).get("id"))
                with proxy._lock:
                    proxy.forwarded.append((report_id, response.status_code))
                if proxy.hold_after_forward:
                    proxy.holding.set()
                    proxy._released.wait(60)
                    return  # the client never hears back
                send_json(self, response.status_code, {}, response.content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def down(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def release(self) -> None:
        self._released.set()

    def stored(self) -> list[str]:
        """Ids the collector stored anew (answered 202) through this proxy, in order."""
        with self._lock:
            return [rid for rid, status in self.forwarded if status == 202]

    def close(self) -> None:
        self.release()
        self.down()


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """An ASGI app served by a real uvicorn on a loopback port, in a thread; yields its URL."""
    import uvicorn  # noqa: PLC0415

    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@contextmanager
def serve_wsgi(app: Any) -> Iterator[str]:
    """A WSGI app served by the standard library's server on a loopback port, in a thread."""
    from socketserver import ThreadingMixIn  # noqa: PLC0415
    from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server  # noqa: PLC0415

    class Server(ThreadingMixIn, WSGIServer):
        daemon_threads = True

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = make_server("127.0.0.1", 0, app, server_class=Server, handler_class=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="wsgi", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def wait_until(condition: Callable[[], object], timeout: float = 20.0) -> None:
    """Wait for something another thread or process does; fail (not hang) if it never comes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still waiting for {condition!r} after {timeout} s")
        time.sleep(0.02)


class TcpGate:
    """A TCP relay on a loopback port in front of a server, which a test opens and closes.

    Open, it pipes every connection to the upstream untouched (any protocol, any method: a
    browser's CORS preflight and beacons included); closed, it refuses connections and cuts the
    ones it carries, as if the network were gone.
    """

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.port = free_port()
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()
        self.open()

    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def open(self) -> None:
        if self._listener is not None:
            return
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def close(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            # close() alone does not wake the thread blocked in accept() (on Linux the socket
            # would go on accepting); shutdown() does.
            with suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.upstream_port))
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
