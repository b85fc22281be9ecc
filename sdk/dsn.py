"""The DSN: ``http(s)://<public_key>@<host>[:<port>]/<project_id>``."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit


class InvalidDsnError(ValueError):
    """The DSN given to ``sdk.init()`` cannot be parsed; the message says which part is wrong."""


@dataclass(frozen=True, slots=True)
class Dsn:
    scheme: str
    public_key: str
    host: str
    port: int | None
    path_prefix: str  # for a collector served under a path, e.g. "/bugrelay"
    project_id: str

    @classmethod
    def parse(cls, value: str) -> Dsn:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https"):
            raise InvalidDsnError(f"DSN scheme must be http or https, not {parts.scheme!r}")
        if not parts.username:
            raise InvalidDsnError("DSN has no public key (expected http://<key>@host/<project>)")
        if parts.password:
            raise InvalidDsnError("DSN must not contain a secret: only the public key goes there")
        if not parts.hostname:
            raise InvalidDsnError("DSN has no host")
        try:
            port = parts.port
        except ValueError as exc:
            raise InvalidDsnError(f"DSN port is not a number: {exc}") from None
        prefix, _, project_id = parts.path.rstrip("/").rpartition("/")
        if not project_id.isdigit():
            raise InvalidDsnError(
                f"DSN path must end in the numeric project id, not {parts.path!r}"
            )
        if parts.query or parts.fragment:
            raise InvalidDsnError("DSN must not have a query or a fragment")
        return cls(parts.scheme, parts.username, parts.hostname, port, prefix, project_id)

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        netloc = f"{host}:{self.port}" if self.port is not None else host
        return f"{self.scheme}://{netloc}{self.path_prefix}"

    @property
    def reports_url(self) -> str:
        return f"{self.base_url}/api/v1/projects/{self.project_id}/reports"

    @property
    def client_report_url(self) -> str:
        return f"{self.base_url}/api/v1/projects/{self.project_id}/client-report"

    def __str__(self) -> str:
        base = self.base_url.replace("://", f"://{self.public_key}@", 1)
        return f"{base}/{self.project_id}"
