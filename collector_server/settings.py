"""Collector settings, read from the environment (``BUGRELAY_*``)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from collector_server.ratelimit import Rate

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024
DEFAULT_RATE_PER_IP = "600/60"
DEFAULT_RATE_PER_KEY = "6000/60"
ADMIN_TOKEN_FILE = "admin-token"  # noqa: S105  (a file name, not a secret)


class SettingsError(ValueError):
    """A setting has a value the collector cannot use; the message names the variable."""


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
    max_body_bytes: int
    config_path: Path
    sentry_dsn: str | None = None

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
        max_body = env.get("BUGRELAY_MAX_BODY_BYTES") or str(DEFAULT_MAX_BODY_BYTES)
        if not max_body.isdigit() or int(max_body) < 1024:
            raise SettingsError(
                f"BUGRELAY_MAX_BODY_BYTES must be an integer >= 1024, not {max_body!r}"
            )
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
            max_body_bytes=int(max_body),
            config_path=Path(env.get("BUGRELAY_CONFIG") or data_dir / "bugrelay.toml"),
            sentry_dsn=env.get("BUGRELAY_SENTRY_DSN") or None,
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
