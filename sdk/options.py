"""Validated SDK options. ``sdk.init()`` is the only SDK call that may raise, and only here."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from sdk.dsn import Dsn

if TYPE_CHECKING:
    from sdk.transports.base import Transport

BeforeSend = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(slots=True)
class Options:
    """Everything ``sdk.init()`` accepts. See docs/sdk.md for the meaning of each."""

    dsn: Dsn | None = None
    release: str | None = None
    environment: str | None = None
    app_name: str | None = None
    max_actions: int = 100
    queue_size: int = 100
    shutdown_timeout: float = 2.0
    send_timeout: float = 10.0
    send_default_pii: bool = False
    before_send: BeforeSend | None = None
    transport: Transport | None = None
    default_collectors: bool = True
    debug: bool = False
    extra_collectors: list[str] = field(default_factory=list)

    @classmethod
    def from_init(
        cls,
        dsn: str | None,
        release: str | None,
        environment: str | None,
        options: dict[str, Any],
    ) -> Options:
        known = {f.name for f in fields(cls)} - {"dsn", "release", "environment"}
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
            **options,
        )
        opts._check()
        return opts

    def _check(self) -> None:
        for name in ("max_actions", "queue_size"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"sdk.init() option {name} must be a positive int, not {value!r}")
        for name in ("shutdown_timeout", "send_timeout"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise ValueError(f"sdk.init() option {name} must be seconds >= 0, not {value!r}")
        if self.before_send is not None and not callable(self.before_send):
            raise TypeError("sdk.init() option before_send must be callable")
        for name in ("release", "environment", "app_name"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise TypeError(f"sdk.init() option {name} must be a str, not {value!r}")

    @property
    def enabled(self) -> bool:
        return self.dsn is not None or self.transport is not None
