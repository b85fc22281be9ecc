"""Collectors: each adds one kind of context to every report.

A collector is set up once by :class:`sdk.client.Client` and then applied to each report draft
on the host thread, so ``apply`` must be fast and do no I/O: anything slow (reading files,
asking the OS) belongs in ``setup``. The draft is a plain dict in wire-schema shape; the worker
validates it later. A collector whose dependency is missing raises :class:`DidNotEnable` from
``setup`` and is skipped.

Collectors are registered by name with an import string and imported lazily.
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
    "environment": "sdk.collectors.environment:EnvironmentCollector",
    "exceptions": "sdk.collectors.exceptions:ExceptionCollector",
}


def load(import_string: str) -> type[Collector]:
    module_name, _, attr = import_string.partition(":")
    cls: type[Collector] = getattr(importlib.import_module(module_name), attr)
    return cls
