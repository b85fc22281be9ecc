"""The Client: runs the collectors, builds a report draft and hands it to a Transport.

Everything here runs on the host thread, so it only snapshots the scope's buffers, builds plain
dicts and serialises them once (:func:`encode_draft`); expanding, scrubbing, validation,
compression and the network happen on the transport's worker (``sdk._prepare``).
"""

from __future__ import annotations

import base64
import json
import marshal
import os
import sys
import time
import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sdk._guard import busy, capture_internal_exceptions, logger
from sdk._version import __version__
from sdk.collectors import DEFAULT_COLLECTORS, Collector, DidNotEnable, Draft, load
from sdk.options import Options
from sdk.scope import ORIGIN_MANUAL, ActionRow, current_scope
from sdk.transports.base import Transport

if TYPE_CHECKING:
    from sdk.transports.spool import Spool

AttachmentInput = Mapping[str, Any] | tuple[str, bytes] | tuple[str, bytes, str]


class Client:
    def __init__(self, options: Options) -> None:
        from sdk._prepare import Preparer  # noqa: PLC0415

        self.options = options
        self.transport = options.transport or self._default_transport(options)
        self.transport.bind(Preparer(options))
        self.collectors: list[Collector] = []
        self.collector_by_name: dict[str, Collector] = {}
        names = dict(DEFAULT_COLLECTORS) if options.default_collectors else {}
        for name in options.disabled_collectors:
            names.pop(name, None)
        names.update({path: path for path in options.extra_collectors})
        for name, import_string in names.items():
            with capture_internal_exceptions():
                collector = load(import_string)()
                try:
                    collector.setup(self)
                except DidNotEnable as reason:
                    logger.debug("collector %s not enabled: %s", name, reason)
                    continue
                self.collectors.append(collector)
                self.collector_by_name[getattr(collector, "name", name)] = collector

    @staticmethod
    def _default_transport(options: Options) -> Transport:
        from sdk.transports.http import HttpTransport  # noqa: PLC0415

        assert options.dsn is not None
        return HttpTransport(
            options.dsn,
            queue_size=options.queue_size,
            timeout=options.send_timeout,
            spool=_open_spool(options),
        )

    def report(
        self,
        title: str,
        *,
        kind: str = "bug",
        description: str | None = None,
        user: Mapping[str, Any] | None = None,
        attachments: Iterable[AttachmentInput] | None = None,
        extra: Mapping[str, Any] | None = None,
        exception: Mapping[str, Any] | None = None,
        impact: str | None = None,
        tags: Mapping[str, str] | None = None,
        leave_out: Collection[str] = (),
    ) -> str:
        """Build one report and hand it to the transport; returns its id ("" if none was made).

        ``impact`` is the reporter's "how bad is it"; ``tags`` join the scope's. ``leave_out``
        names what the reporter chose not to send, removed once the collectors ran: a trail
        section (``actions``, with Sentry's breadcrumbs; ``logs``; ``network``) or a top-level
        field (``os``, ``exception``, ...).
        """
        report_id = str(uuid.uuid4())
        scope = current_scope()
        draft: Draft = {
            "id": report_id,
            "schema_version": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "kind": kind,
            "title": str(title),
            "sdk": {"name": "bugrelay.python", "version": __version__},
            "_trail": scope.snapshot(),
        }
        if description is not None:
            draft["description"] = str(description)
        merged_user = {**(scope.user or {}), **(user or {})}
        if merged_user:
            draft["user"] = merged_user
        if impact is not None:
            draft["impact"] = impact
        if scope.tags or tags:
            draft["tags"] = {**scope.tags, **(tags or {})}
        if extra:
            draft["extra"] = dict(extra)
        if attachments:
            draft["attachments"] = [_attachment(a) for a in attachments]
        if exception is not None:
            draft["exception"] = dict(exception)
        for collector in self.collectors:
            with capture_internal_exceptions():
                collector.apply(draft)
        trail = draft.get("_trail") or {}
        for key in leave_out:
            draft.pop(key, None)
            trail.pop(key, None)
        if "actions" in leave_out:
            trail.pop("sentry", None)  # Sentry's breadcrumbs join the actions
        self.transport.send(encode_draft(draft), report_id)
        return report_id

    def add_action(
        self, message: str, category: str, level: str, data: dict[str, Any] | None
    ) -> None:
        row: ActionRow | None = (time.time(), category, message, level, data, None, ORIGIN_MANUAL)
        if self.options.before_action is not None:
            row = self.filter_action(row)  # type: ignore[arg-type]
        if row is not None:
            current_scope().actions.append(row)

    def filter_action(self, row: ActionRow) -> ActionRow | None:
        """Run ``before_action`` on one trail row: the row to keep (maybe changed), or None."""
        hook = self.options.before_action
        if hook is None:
            return row
        ts, category, message, level, data, args, origin = row
        if args:
            from sdk._prepare import format_message  # noqa: PLC0415

            message, args = format_message(message, args), None
        action = {
            "timestamp": datetime.fromtimestamp(ts, UTC),
            "category": category,
            "message": message,
            "level": level,
            "data": data,
        }
        with busy():  # what the hook logs is not the app's trail, and cannot recurse
            result = hook(action)
        if result is None:
            return None
        return (
            ts,
            str(result.get("category", category)),
            str(result.get("message", message)),
            result.get("level", level),
            result.get("data"),
            None,
            origin,
        )

    def flush(self, timeout: float) -> bool:
        return self.transport.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        self.transport.close(self.options.shutdown_timeout if timeout is None else timeout)


def _open_spool(options: Options) -> Spool | None:
    """The disk spool for this DSN, or None (off, or unusable here: reports stay in memory)."""
    if not options.spool:
        return None
    from sdk.transports.spool import Spool  # noqa: PLC0415

    root = options.spool_dir or default_spool_dir()
    try:
        return Spool.open(
            root,
            str(options.dsn),
            max_reports=options.spool_max_reports,
            max_bytes=options.spool_max_bytes,
            max_age=options.spool_max_age,
            fsync=options.spool_fsync,
        )
    except OSError as exc:  # SpoolUnavailable: not writable, disk full, no fcntl
        logger.warning("BugRelay cannot use its spool at %s (%s): memory only", root, exc)
        return None


def default_spool_dir() -> str:
    """The user's cache directory, as platformdirs would say (importing it costs ~25 ms)."""
    home = os.path.expanduser("~")
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "bugrelay", "Cache", "spool")
    if sys.platform == "darwin":
        return os.path.join(home, "Library", "Caches", "bugrelay", "spool")
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "bugrelay", "spool")


def _attachment(value: AttachmentInput) -> dict[str, Any]:
    """An attachment as the app gave it (``(name, bytes[, content_type])`` or a mapping)."""
    if isinstance(value, tuple):
        name, data, *rest = value
        content_type = rest[0] if rest else "application/octet-stream"
    else:
        name = value["name"]
        data = value["data"]
        content_type = value.get("content_type") or "application/octet-stream"
    if isinstance(data, str):
        data = data.encode()
    return {
        "name": name,
        "content_type": content_type,
        "size": len(data),
        "data": base64.b64encode(data).decode("ascii"),
    }


DRAFT_MARSHAL = b"M"


def encode_draft(draft: Draft) -> bytes:
    """The draft as bytes, once, as fast as the host thread can have it.

    ``marshal`` writes plain dicts, lists, tuples, strings and numbers (the buffers' rows) about ten
    times faster than ``json``, floats above all; a draft holding anything else (an app object in
    ``extra``) falls back to JSON, with readable text for what JSON cannot encode. The worker
    reads both (``sdk._prepare.decode_draft``) and never runs code from them.
    """
    try:
        return DRAFT_MARSHAL + marshal.dumps(draft)
    except ValueError:  # an object marshal does not write
        pass
    try:
        return json.dumps(draft, default=to_json, ensure_ascii=False).encode()
    except (ValueError, RecursionError):  # circular or absurdly deep app data: leave it out
        draft.pop("extra", None)
        trail = draft.get("_trail") or {}
        trail["actions"] = [(*row[:4], None, *row[5:]) for row in trail.get("actions", [])]
        return json.dumps(draft, default=to_json, ensure_ascii=False).encode()


def to_json(value: object) -> object:
    """Fallback for values json cannot encode: readable text, never an exception."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    return repr(value)
