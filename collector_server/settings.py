"""Collector settings, read from the environment (``BUGRELAY_*``)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from collector_server.ratelimit import Rate

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_MAX_JSON_BYTES = 1024 * 1024
DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024
DEFAULT_MAX_ATTACHMENTS = 10
DEFAULT_KEY_GRACE = "24h"
DEFAULT_RETENTION_DAYS = 90
_DURATION = re.compile(r"(\d+)(s|m|h|d)")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
DEFAULT_RATE_PER_IP = "600/60"
DEFAULT_RATE_PER_KEY = "6000/60"
ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105  (a file name, not a secret)


class SettingsError(ValueError):
    """A setting has a value the collector cannot use; the message names the variable."""


def parse_duration(value: str) -> timedelta:
    """``"45s"``, ``"30m"``, ``"24h"``, ``"7d"`` (or ``"0"``)."""
    value = value.strip()
    if value == "0":
        return timedelta(0)
    match = _DURATION.fullmatch(value)
    if not match:
        raise ValueError(f"{value!r} is not a duration like 45s, 30m, 24h or 7d")
    return timedelta(seconds=int(match[1]) * _UNITS[match[2]])


def _integer(env: dict[str, str], name: str, default: int, minimum: int) -> int:
    value = (env.get(name) or str(default)).strip()
    if not value.isdigit() or int(value) < minimum:
        raise SettingsError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return int(value)


def default_data_dir() -> Path:
    import platformdirs  # noqa: PLC0415

    return Path(platformdirs.user_data_dir("bugrelay", appauthor=False))


def normalise_database_url(url: str) -> str:
    """Accept the URLs operators write (``postgresql://``) and pick our driver for them."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith(("postgresql+psycopg://", "sqlite://")):
        return url
    scheme = url.split(":", maxsplit=1)[0]
    raise SettingsError(
        f"BUGRELAY_DATABASE_URL must be a sqlite:/// or postgresql:// URL, not {scheme!r}"
    )


@dataclass(frozen=True, slots=True)
class Settings:
    data_dir: Path
    database_url: str
    admin_token: str
    admin_token_generated: bool
    public_url: str
    public_url_set: bool  # False: the default, which `serve` replaces with where it listens
    rate_limit: bool
    rate_per_ip: Rate
    rate_per_key: Rate
    max_json_bytes: int
    config_path: Path
    sentry_dsn: str | None = None
    max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES
    max_attachments: int = DEFAULT_MAX_ATTACHMENTS
    key_grace: timedelta = timedelta(hours=24)
    retention_days: int = DEFAULT_RETENTION_DAYS
    redis_url: str | None = None
    attachments: str = "database"  # or "dir:<path>"
    log_format: str = "text"  # or "json"

    @classmethod
    def from_env(
        cls, env: dict[str, str] | None = None, *, need_admin_token: bool = True
    ) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("BUGRELAY_DATA_DIR") or default_data_dir()).expanduser()
        database_url = (
            env.get("BUGRELAY_DATABASE_URL") or f"sqlite:///{data_dir / 'bugrelay.sqlite3'}"
        )
        rate_limit = env.get("BUGRELAY_RATE_LIMIT", "on").strip().lower()
        if rate_limit not in ("on", "off"):
            raise SettingsError(f"BUGRELAY_RATE_LIMIT must be 'on' or 'off', not {rate_limit!r}")
        rates = {}
        for name, default in (
            ("BUGRELAY_RATE_LIMIT_PER_IP", DEFAULT_RATE_PER_IP),
            ("BUGRELAY_RATE_LIMIT_PER_KEY", DEFAULT_RATE_PER_KEY),
        ):
            try:
                rates[name] = Rate.parse(env.get(name) or default)
            except ValueError as exc:
                raise SettingsError(f"{name}: {exc}") from None
        # BUGRELAY_MAX_BODY_BYTES: the name before attachments left the JSON; still read.
        json_name = (
            "BUGRELAY_MAX_BODY_BYTES"
            if env.get("BUGRELAY_MAX_BODY_BYTES") and not env.get("BUGRELAY_MAX_JSON_BYTES")
            else "BUGRELAY_MAX_JSON_BYTES"
        )
        max_json = _integer(env, json_name, DEFAULT_MAX_JSON_BYTES, 1024)
        max_attachment = _integer(
            env, "BUGRELAY_MAX_ATTACHMENT_BYTES", DEFAULT_MAX_ATTACHMENT_BYTES, 1
        )
        max_attachments = _integer(env, "BUGRELAY_MAX_ATTACHMENTS", DEFAULT_MAX_ATTACHMENTS, 0)
        retention_days = _integer(env, "BUGRELAY_RETENTION_DAYS", DEFAULT_RETENTION_DAYS, 0)
        try:
            key_grace = parse_duration(env.get("BUGRELAY_KEY_GRACE") or DEFAULT_KEY_GRACE)
        except ValueError as exc:
            raise SettingsError(f"BUGRELAY_KEY_GRACE: {exc}") from None
        redis_url = env.get("BUGRELAY_REDIS_URL") or None
        if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise SettingsError(
                f"BUGRELAY_REDIS_URL must be a redis:// or rediss:// URL, not {redis_url!r}"
            )
        attachments = env.get("BUGRELAY_ATTACHMENTS") or "database"
        if attachments != "database" and not (
            attachments.startswith("dir:") and len(attachments) > 4
        ):
            raise SettingsError(
                f"BUGRELAY_ATTACHMENTS must be 'database' or 'dir:<path>', not {attachments!r}"
            )
        log_format = (env.get("BUGRELAY_LOG_FORMAT") or "text").strip().lower()
        if log_format not in ("text", "json"):
            raise SettingsError(f"BUGRELAY_LOG_FORMAT must be 'text' or 'json', not {log_format!r}")
        public_url = (env.get("BUGRELAY_PUBLIC_URL") or DEFAULT_PUBLIC_URL).rstrip("/")
        if not public_url.startswith(("http://", "https://")) or "@" in public_url:
            raise SettingsError(
                f"BUGRELAY_PUBLIC_URL must be an http:// or https:// URL, not {public_url!r}"
            )
        database_url = normalise_database_url(database_url)
        # Last, so that a bad setting above does not leave a new token file behind.
        admin_token = env.get("BUGRELAY_ADMIN_TOKEN") or ""
        generated = False
        if not admin_token and need_admin_token:
            admin_token, generated = _stored_admin_token(data_dir)
        return cls(
            data_dir=data_dir,
            database_url=database_url,
            admin_token=admin_token,
            admin_token_generated=generated,
            public_url=public_url,
            public_url_set=bool(env.get("BUGRELAY_PUBLIC_URL")),
            rate_limit=rate_limit == "on",
            rate_per_ip=rates["BUGRELAY_RATE_LIMIT_PER_IP"],
            rate_per_key=rates["BUGRELAY_RATE_LIMIT_PER_KEY"],
            max_json_bytes=max_json,
            config_path=Path(env.get("BUGRELAY_CONFIG") or data_dir / "bugrelay.toml"),
            sentry_dsn=env.get("BUGRELAY_SENTRY_DSN") or None,
            max_attachment_bytes=max_attachment,
            max_attachments=max_attachments,
            key_grace=key_grace,
            retention_days=retention_days,
            redis_url=redis_url,
            attachments=attachments,
            log_format=log_format,
        )

    @property
    def database_label(self) -> str:
        """The database URL without a password, for printing."""
        from sqlalchemy.engine import make_url  # noqa: PLC0415

        return make_url(self.database_url).render_as_string(hide_password=True)


def make_data_dir(data_dir: Path) -> None:
    """Create the data directory readable by its owner only: it holds every report."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)


def _stored_admin_token(data_dir: Path) -> tuple[str, bool]:
    """The token kept in the data directory (mode 0600), made on first use. True if new."""
    path = data_dir / ADMIN_TOKEN_FILE
    if path.exists():
        return path.read_text().strip(), False
    make_data_dir(data_dir)
    token = secrets.token_urlsafe(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it a moment ago
        return path.read_text().strip(), False
    with os.fdopen(fd, "w") as fh:
        fh.write(token + "\n")
    return token, True
