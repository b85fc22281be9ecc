"""The generic part of the vendor fakes: a real HTTP server that a per-vendor profile drives.

A request goes through the same steps for every vendor, each answered the vendor's way by its
:class:`VendorProfile`:

1. an injected outage (:meth:`VendorFake.fail_next`) answers first, as a load balancer would;
2. the credentials (``authorised``) and the headers every call must carry (``header_errors``);
3. an injected rate limit (:meth:`VendorFake.rate_limit_next`);
4. the route; then the body against the route's contract (a schema file in
   ``../shared/contracts/``, or a hand-written schema or check where the vendor publishes none);
5. the route's handler, which keeps the vendor's state in memory.

Every body, header or route the vendor would reject is recorded in ``fake.violations``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from jsonschema import FormatChecker  # type: ignore[import-untyped]
from jsonschema.protocols import Validator  # type: ignore[import-untyped]
from jsonschema.validators import validator_for  # type: ignore[import-untyped]
from referencing import Registry, Resource
from referencing.jsonschema import specification_with

from tests.support import free_port

REPO = Path(__file__).resolve().parents[4]
CONTRACTS = REPO / ".." / "shared" / "contracts"


@dataclass(frozen=True)
class Call:
    """One request as the fake received it; ``headers`` have lower-case names."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    json: Any
    params: dict[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    """What the fake answers: ``body`` is JSON, or sent as is when it is ``str``."""

    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    """A request the real vendor would reject: which call, which contract, what was wrong."""

    method: str
    path: str
    contract: str
    errors: tuple[str, ...]


Schema = str | Mapping[str, Any]  # a contract file under CONTRACTS, or a hand-written schema


@dataclass(frozen=True)
class Route:
    """``template`` is a path with ``{name}`` segments; ``check`` holds what a schema can't."""

    method: str
    template: str
    handle: Callable[[Call], Answer]
    schema: Schema | None = None
    check: Callable[[Call], list[str]] | None = None
    label: str | None = None  # names the contract when ``check`` is all there is

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method != self.method:
            return None
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.template))
        found = re.fullmatch(pattern, path)
        return found.groupdict() if found else None

    @property
    def contract(self) -> str:
        if self.label is not None:
            return self.label
        if isinstance(self.schema, str):
            return self.schema
        return f"hand-written: {self.method} {self.template}"


class VendorProfile:
    """How one vendor's API behaves; subclasses override what differs from these defaults."""

    name = "vendor"
    base_url = ""  # set by VendorFake when it starts

    def routes(self) -> list[Route]:
        raise NotImplementedError

    def authorised(self, call: Call) -> bool:
        return True

    def unauthorised(self, call: Call) -> Answer:
        return Answer(401, {"message": "Unauthorized"})

    def header_errors(self, call: Call) -> list[str]:
        return []

    def bad_headers(self, call: Call, errors: list[str]) -> Answer:
        return Answer(400, {"message": "; ".join(errors)})

    def invalid(self, call: Call, errors: list[str]) -> Answer:
        return Answer(400, {"message": "; ".join(errors)})

    def not_found(self, call: Call) -> Answer:
        return Answer(404, {"message": "Not Found"})

    def rate_headers(self) -> dict[str, str]:
        return {}

    def rate_limited(self, retry_after: int, secondary: bool) -> Answer:
        return Answer(429, {"message": "Too Many Requests"}, {"Retry-After": str(retry_after)})

    def failure(self, status: int) -> Answer:
        return Answer(status, {"message": HTTPStatus(status).phrase})

    def webhook(self, event: str, details: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
        """The raw body and headers of a signed status webhook for ``event``."""
        raise NotImplementedError(f"{self.name} sends no status webhooks")


class VendorFake:
    """A ticketing vendor's API on a loopback port, in a thread; use it as a context manager."""

    def __init__(self, profile: VendorProfile) -> None:
        self.profile = profile
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        profile.base_url = self.base_url
        self.requests: list[Call] = []
        self.violations: list[Violation] = []
        self.webhooks_sent: list[tuple[str, dict[str, str], bytes]] = []
        self._routes = profile.routes()
        self._failures: list[int] = []
        self._limits: list[tuple[int, bool]] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.up()

    def __enter__(self) -> VendorFake:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def url(self, path: str) -> str:
        return self.base_url + path

    # failure injection

    def fail_next(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` requests get ``status`` (the vendor's own error body)."""
        with self._lock:
            self._failures += [status] * n

    def rate_limit_next(self, n: int = 1, *, retry_after: int = 1, secondary: bool = False) -> None:
        """The next ``n`` authorised requests are rate limited the vendor's way."""
        with self._lock:
            self._limits += [(retry_after, secondary)] * n

    def down(self) -> None:
        """Close the listening socket: connections are refused until :meth:`up`."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()

    def up(self) -> None:
        if self._server is not None:
            return
        ThreadingHTTPServer.allow_reuse_address = True
        server = ThreadingHTTPServer(("127.0.0.1", self.port), _handler_for(self))
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def close(self) -> None:
        self.down()

    # outbound webhooks

    def send_webhook(self, url: str, event: str, **details: Any) -> requests.Response:
        """POST the vendor's signed status webhook for ``event`` (``closed``, ``reopened``)."""
        body, headers = self.profile.webhook(event, details)
        self.webhooks_sent.append((url, headers, body))
        return requests.post(url, data=body, headers=headers, timeout=10)

    # the request pipeline

    def answer(self, call: Call) -> Answer:
        with self._lock:
            self.requests.append(call)
            if self._failures:
                return self.profile.failure(self._failures.pop(0))
            answer = self._answer(call)
            answer.headers = {**self.profile.rate_headers(), **answer.headers}
            return answer

    def _answer(self, call: Call) -> Answer:
        profile = self.profile
        if not profile.authorised(call):
            return profile.unauthorised(call)
        if errors := profile.header_errors(call):
            self._violate(call, "headers", errors)
            return profile.bad_headers(call, errors)
        if self._limits:
            return profile.rate_limited(*self._limits.pop(0))
        for route in self._routes:
            params = route.match(call.method, call.path)
            if params is None:
                continue
            call = Call(**{**call.__dict__, "params": params})
            if errors := self._contract_errors(route, call):
                self._violate(call, route.contract, errors)
                return profile.invalid(call, errors)
            return route.handle(call)
        self._violate(call, "routes", [f"{profile.name} has no route {call.method} {call.path}"])
        return profile.not_found(call)

    def _contract_errors(self, route: Route, call: Call) -> list[str]:
        if call.body and call.json is None:
            return ["the body is not JSON"]
        errors = schema_errors(route.schema, call.json) if route.schema is not None else []
        if route.check is not None and not errors:
            errors = route.check(call)
        return errors

    def _violate(self, call: Call, contract: str, errors: list[str]) -> None:
        self.violations.append(Violation(call.method, call.path, contract, tuple(errors)))


def _handler_for(fake: VendorFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            try:
                body = json.loads(raw) if raw else None
            except ValueError:
                body = None
            parts = urlsplit(self.path)
            call = Call(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=raw,
                json=body,
            )
            answer = fake.answer(call)
            if answer.body is None:
                payload, kind = b"", "application/json"
            elif isinstance(answer.body, str):
                payload, kind = answer.body.encode(), "text/plain; charset=utf-8"
            else:
                payload, kind = json.dumps(answer.body).encode(), "application/json; charset=utf-8"
            self.send_response(answer.status)
            for name, value in {"Content-Type": kind, **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


# contracts


def schema_errors(schema: Schema, value: Any) -> list[str]:
    """Why ``value`` fails ``schema`` (a contract file's name or a hand-written schema)."""
    validator = contract_validator(schema) if isinstance(schema, str) else _inline(schema)
    return [
        f"{error.json_path}: {error.message[:300]}"
        for error in sorted(validator.iter_errors(value), key=lambda e: e.json_path)
    ]


@cache
def contract_validator(name: str) -> Validator:
    """The validator for a contract file, of the class its ``$schema`` names."""
    path = CONTRACTS / name
    schema = json.loads(path.read_text())
    cls = validator_for(schema)
    cls.check_schema(schema)
    registry: Registry[Any] = Registry(retrieve=_retriever(path.parent, schema))  # type: ignore[call-arg]
    validator: Validator = cls(schema, format_checker=FormatChecker(), registry=registry)
    return validator


def _inline(schema: Mapping[str, Any]) -> Validator:
    validator: Validator = validator_for(schema)(schema, format_checker=FormatChecker())
    return validator


def _retriever(folder: Path, root: Mapping[str, Any]) -> Callable[[str], Resource[Any]]:
    """Resolve the relative ``$ref``s of the octokit payload schemas: by path, else by name."""
    spec = specification_with(root.get("$schema", "https://json-schema.org/draft/2020-12/schema"))

    def retrieve(uri: str) -> Resource[Any]:
        relative = uri.split("#", 1)[0]
        candidates = [base / relative for base in (folder, *folder.parents)]
        candidates += sorted(folder.parent.rglob(Path(relative).name))
        for candidate in candidates:
            if candidate.is_file():
                return Resource.from_contents(
                    json.loads(candidate.read_text()), default_specification=spec
                )
        raise LookupError(uri)

    return retrieve


def contract_json(name: str) -> Any:
    return json.loads((CONTRACTS / name).read_text())


# helpers the profiles share


def hmac_hex(secret: str, message: bytes, digest: str = "sha256") -> str:
    return hmac.new(secret.encode(), message, getattr(hashlib, digest)).hexdigest()


def iter_text(adf: Any) -> Iterator[str]:
    """The text nodes of an Atlassian document (or any JSON), for searches."""
    if isinstance(adf, dict):
        if isinstance(adf.get("text"), str):
            yield adf["text"]
        for value in adf.values():
            yield from iter_text(value)
    elif isinstance(adf, list):
        for item in adf:
            yield from iter_text(item)
