"""Validated SDK options. ``sdk.init()`` is the only SDK call that may raise, and only here."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sdk.dsn import Dsn

if TYPE_CHECKING:
    from sdk.transports.base import Transport

BeforeSend = Callable[[dict[str, Any]], dict[str, Any] | None]
BeforeAction = Callable[[dict[str, Any]], dict[str, Any] | None]

# Set by init() itself, never by the app.
_INTERNAL = frozenset({"dsn", "release", "environment", "caller_module", "caller_file"})

LEVEL_NAMES = ("debug", "info", "warning", "error", "critical")


@dataclass(slots=True)
class Options:
    """Everything ``sdk.init()`` accepts. See docs/sdk.md for the meaning of each."""

    dsn: Dsn | None = None
    release: str | None = None
    environment: str | None = None
    app_name: str | None = None
    max_actions: int = 100
    max_logs: int = 200
    max_network: int = 30
    log_level: str = "debug"
    action_log_level: str | None = "info"
    ignore_loggers: list[str] = field(default_factory=list)
    queue_size: int = 100
    spool: bool = True
    spool_dir: str | None = None
    spool_max_reports: int = 1000
    spool_max_bytes: int = 64 * 2**20
    spool_max_age: float = 7 * 86400.0
    spool_fsync: bool = True
    shutdown_timeout: float = 2.0
    send_timeout: float = 10.0
    send_default_pii: bool = False
    denylist: list[str] = field(default_factory=list)
    scrub_defaults: bool = True
    in_app_include: list[str] = field(default_factory=list)
    in_app_exclude: list[str] = field(default_factory=list)
    before_send: BeforeSend | None = None
    before_action: BeforeAction | None = None
    sentry_feedback: bool = False
    transport: Transport | None = None
    default_collectors: bool = True
    disabled_collectors: list[str] = field(default_factory=list)
    extra_collectors: list[str] = field(default_factory=list)
    debug: bool = False
    # Who called init(): the module name and file of the app, for release detection.
    caller_module: str | None = None
    caller_file: str | None = None

    @classmethod
    def from_init(
        cls,
        dsn: str | None,
        release: str | None,
        environment: str | None,
        options: dict[str, Any],
        *,
        caller_module: str | None = None,
        caller_file: str | None = None,
    ) -> Options:
        known = {f.name for f in fields(cls)} - _INTERNAL
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(
                f"sdk.init() got unknown option(s) {', '.join(unknown)}; "
                f"known options are {', '.join(sorted(known))}"
            )
        dsn = dsn if dsn is not None else os.environ.get("BUGRELAY_DSN") or None
        opts = cls(
            dsn=Dsn.parse(dsn) if dsn else None,
            release=release or os.environ.get("BUGRELAY_RELEASE") or None,
            environment=environment or os.environ.get("BUGRELAY_ENVIRONMENT") or None,
            spool_dir=options.pop("spool_dir", None) or os.environ.get("BUGRELAY_SPOOL_DIR"),
            caller_module=caller_module,
            caller_file=caller_file,
            **options,
        )
        opts._check()
        return opts

    def _check(self) -> None:
        self._check_numbers()
        for name in ("before_send", "before_action"):
            if getattr(self, name) is not None and not callable(getattr(self, name)):
                raise TypeError(f"sdk.init() option {name} must be callable")
        for name in ("release", "environment", "app_name", "spool_dir"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"sdk.init() option {name} must be a str, not {value!r}")
        for name in (
            "ignore_loggers",
            "denylist",
            "in_app_include",
            "in_app_exclude",
            "disabled_collectors",
            "extra_collectors",
        ):
            value = getattr(self, name)
            if isinstance(value, str) or not all(isinstance(v, str) for v in value):
                raise TypeError(f"sdk.init() option {name} must be a list of str, not {value!r}")
            setattr(self, name, list(value))
        self.log_level = _level_name("log_level", self.log_level)
        if self.action_log_level is not None:
            self.action_log_level = _level_name("action_log_level", self.action_log_level)

    def _check_numbers(self) -> None:
        for name in ("max_actions", "queue_size", "spool_max_reports", "spool_max_bytes"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"sdk.init() option {name} must be a positive int, not {value!r}")
        for name in ("max_logs", "max_network"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"sdk.init() option {name} must be an int >= 0, not {value!r}")
        for name in ("shutdown_timeout", "send_timeout", "spool_max_age"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"sdk.init() option {name} must be seconds >= 0, not {value!r}")

    @property
    def enabled(self) -> bool:
        return self.dsn is not None or self.transport is not None


def _level_name(option: str, value: object) -> str:
    """A level given as a name (any case) or a ``logging`` number, as its lower-case name."""
    if isinstance(value, int) and not isinstance(value, bool):
        name = logging.getLevelName(value)
        value = name if isinstance(name, str) else ""
    if isinstance(value, str) and value.lower() in LEVEL_NAMES:
        return value.lower()
    if isinstance(value, str) and value.lower() == "warn":
        return "warning"
    raise ValueError(
        f"sdk.init() option {option} must be one of {', '.join(LEVEL_NAMES)}, not {value!r}"
    )


def level_number(name: str) -> int:
    """The ``logging`` number of a level name from :data:`LEVEL_NAMES`."""
    number: int = getattr(logging, name.upper())
    return number
