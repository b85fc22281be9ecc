"""Collectors: each adds one kind of context to every report.

A collector is set up once by :class:`sdk.client.Client` and then applied to each report draft
on the host thread, so ``apply`` must be fast and do no I/O: anything slow (reading files,
asking the OS) belongs in ``setup``. A collector whose dependency is missing raises
:class:`DidNotEnable` from ``setup`` and is skipped. Collectors that hook into the host (logging,
``requests``, ``sys.excepthook``) install their hooks once per process; the hooks look up the
current client when they fire and do nothing while the SDK is off, so a second ``init()`` never
hooks twice.

The draft is a plain dict in wire-schema shape (``sdk.models.Report``), with one exception: the
buffers that would be costly to turn into wire dicts on the host thread travel compact, under the
private key ``"_trail"``, and the worker expands them (``sdk._prepare.expand``):

- ``_trail["actions"]``: rows ``[ts, category, message, level, data, args, origin]``; ``ts`` is
  Unix time, ``level`` a level name or a ``logging`` number, ``args`` the %-arguments of a log
  message not yet formatted (or null), ``origin`` one of :data:`sdk.scope.ORIGIN_MANUAL`,
  ``ORIGIN_LOG``, ``ORIGIN_HTTP`` (for a log row ``data`` is the logger's name).
- ``_trail["logs"]``: rows ``[ts, levelno, logger, message, args]``.
- ``_trail["network"]``: rows ``[ts, method, url, status, duration_ms, error]``.
- ``_trail["sentry"]``: Sentry's breadcrumbs as Sentry keeps them, when the Sentry bridge found
  an active sentry-sdk; ``_trail["sentry_covers"]`` lists the origins (``"log"``, ``"http"``)
  Sentry already records, whose rows of our own the worker then leaves out.

Collectors are registered by name with an import string and imported lazily; the app turns one
off with ``disabled_collectors=[name]``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from sdk.client import Client

Draft = dict[str, Any]


class DidNotEnable(Exception):
    """Raised by ``Collector.setup`` when the collector cannot run here (e.g. a missing library)."""


class Collector(Protocol):
    name: ClassVar[str]

    def setup(self, client: Client) -> None: ...

    def apply(self, draft: Draft) -> None: ...


DEFAULT_COLLECTORS: dict[str, str] = {
    "release": "sdk.collectors.release:ReleaseCollector",
    "environment": "sdk.collectors.environment:EnvironmentCollector",
    "exceptions": "sdk.collectors.exceptions:ExceptionCollector",
    "crashes": "sdk.collectors.crashes:CrashCollector",
    "logs": "sdk.collectors.logs:LoggingCollector",
    "requests": "sdk.collectors.requests:RequestsCollector",
    "sentry": "sdk.collectors.sentry:SentryBridgeCollector",
}


def fill(draft: Draft, key: str, values: dict[str, Any]) -> None:
    """Copy ``values`` into the draft's section ``key``, keeping every field already there."""
    section = draft.get(key)
    if section is None:
        draft[key] = dict(values)
    elif isinstance(section, dict):
        for field, value in values.items():
            section.setdefault(field, value)


def load(import_string: str) -> type[Collector]:
    module_name, _, attr = import_string.partition(":")
    cls: type[Collector] = getattr(importlib.import_module(module_name), attr)
    return cls
