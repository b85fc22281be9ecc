"""BugRelay SDK: in-product bug reports with the context needed to reproduce them.

    import sdk
    sdk.init(dsn="http://<key>@bugrelay.example.com/1", release="2.4.1")
    report_id = sdk.report_bug("Save does nothing", description="Clicked Save twice")

No call here raises into the app or blocks it, except ``init()`` for invalid options. Without a
DSN (argument or ``BUGRELAY_DSN``) the SDK is off and every call is a cheap no-op.

Importing this package is deliberately light (standard library only); pydantic and requests are
loaded by ``init()`` and the background worker when they are first needed.
"""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sdk._guard import capture_internal_exceptions
from sdk._version import __version__
from sdk.scope import current_scope, global_scope, isolation_scope

if TYPE_CHECKING:
    import tkinter

    from sdk.client import AttachmentInput, Client

__all__ = [
    "__version__",
    "add_action",
    "ask_for_report",
    "close",
    "flush",
    "init",
    "is_enabled",
    "isolation_scope",
    "report_bug",
    "set_tag",
    "set_user",
]

_client: Client | None = None
_client_lock = threading.Lock()
_atexit_registered = False


def init(
    dsn: str | None = None,
    *,
    release: str | None = None,
    environment: str | None = None,
    **options: Any,
) -> None:
    """Start the SDK. Raises ``TypeError``/``ValueError`` (only) for invalid options or DSN.

    Options are listed in docs/sdk.md. Calling ``init()`` again replaces the previous
    configuration; reports already accepted are still delivered.
    """
    from sdk.client import Client  # noqa: PLC0415
    from sdk.options import Options  # noqa: PLC0415

    caller = sys._getframe(1).f_globals
    opts = Options.from_init(
        dsn,
        release,
        environment,
        options,
        caller_module=caller.get("__name__"),
        caller_file=caller.get("__file__"),
    )
    if opts.debug:
        _enable_debug_logging()
    global_scope().resize(opts.max_actions, opts.max_logs, opts.max_network)
    client = Client(opts) if opts.enabled else None
    previous = _swap_client(client)
    if previous is not None:
        with capture_internal_exceptions():
            previous.close(timeout=0)
    _register_atexit()


def is_enabled() -> bool:
    """True when ``init()`` configured a destination for reports."""
    return _client is not None


def report_bug(
    title: str,
    description: str | None = None,
    *,
    user: Mapping[str, Any] | None = None,
    attachments: Iterable[AttachmentInput] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> str:
    """Send a bug report; returns its id at once ("" when the SDK is off).

    Called inside an ``except`` block, the exception being handled is attached. ``attachments``
    are ``(name, bytes)`` or ``(name, bytes, content_type)`` tuples, or mappings with those keys.
    """
    client = _client
    if client is None:
        return ""
    with capture_internal_exceptions():
        return client.report(
            title, description=description, user=user, attachments=attachments, extra=extra
        )
    return ""


def ask_for_report(
    parent: tkinter.Misc | None = None,
    *,
    lang: str | None = None,
    title: str | None = None,
    description: str | None = None,
    include_screenshot: bool = True,
    strings: Mapping[str, str] | None = None,
) -> str:
    """Ask the user for a report in a small modal Tkinter dialog; returns the id of the report
    sent ("" when cancelled, when the SDK is off or when no dialog can be shown here).

    Call it from the Tk main thread, e.g. from a "Report a bug" menu item; see
    docs/desktop-dialog.md for the fields, the languages, the screenshot and the preview.
    """
    if _client is None:
        return ""
    with capture_internal_exceptions():
        from sdk.integrations.tk import ask_for_report as ask  # noqa: PLC0415

        return ask(
            parent,
            lang=lang,
            title=title,
            description=description,
            include_screenshot=include_screenshot,
            strings=strings,
        )
    return ""


def add_action(
    message: str,
    category: str = "default",
    data: Mapping[str, Any] | None = None,
    *,
    level: str = "info",
) -> None:
    """Record one step of the action trail ("opened Settings", "clicked Save")."""
    client = _client
    if client is None:
        return
    with capture_internal_exceptions():
        client.add_action(message, category, level, dict(data) if data else None)


def set_user(user: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
    """Set who is using the app: ``set_user(id="42", email=..., name=..., plan=..., segment=...)``.

    ``set_user(None)`` forgets the user. Applies to the current scope (see ``isolation_scope``).
    """
    if _client is None:
        return
    with capture_internal_exceptions():
        scope = current_scope()
        if user is None and not fields:
            scope.user = None
        else:
            scope.user = {**(user or {}), **fields}


def set_tag(key: str, value: str) -> None:
    """Attach a searchable tag to every later report of the current scope."""
    if _client is None:
        return
    with capture_internal_exceptions():
        current_scope().tags[str(key)] = str(value)


def flush(timeout: float = 2.0) -> bool:
    """Wait up to ``timeout`` seconds for accepted reports to be delivered; True when all were."""
    client = _client
    if client is None:
        return True
    with capture_internal_exceptions():
        return client.flush(timeout)
    return False


def close(timeout: float | None = None) -> None:
    """Flush (up to ``timeout``, default the ``shutdown_timeout`` option) and turn the SDK off."""
    client = _swap_client(None)
    if client is not None:
        with capture_internal_exceptions():
            client.close(timeout)


def _swap_client(client: Client | None) -> Client | None:
    global _client
    with _client_lock:
        previous, _client = _client, client
    return previous


def _register_atexit() -> None:
    global _atexit_registered  # noqa: PLW0603
    if not _atexit_registered:
        atexit.register(close)
        _atexit_registered = True


def _enable_debug_logging() -> None:
    import logging  # noqa: PLC0415

    from sdk._guard import logger  # noqa: PLC0415

    if not any(getattr(h, "_bugrelay_debug", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler._bugrelay_debug = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("[bugrelay] %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
