"""The Client: runs the collectors, builds a report draft and hands it to a Transport.

Everything here runs on the host thread, so it only builds plain dicts and one ``json.dumps``;
validation, compression and the network happen on the transport's worker.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from sdk._guard import capture_internal_exceptions, logger
from sdk._version import __version__
from sdk.collectors import DEFAULT_COLLECTORS, Collector, DidNotEnable, Draft, load
from sdk.options import Options
from sdk.scope import current_scope
from sdk.transports.base import Transport

AttachmentInput = Mapping[str, Any] | tuple[str, bytes] | tuple[str, bytes, str]


class Client:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.transport = options.transport or self._default_transport(options)
        self.collectors: list[Collector] = []
        names = dict(DEFAULT_COLLECTORS) if options.default_collectors else {}
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

    @staticmethod
    def _default_transport(options: Options) -> Transport:
        from sdk.transports.http import HttpTransport  # noqa: PLC0415

        assert options.dsn is not None
        return HttpTransport(
            options.dsn, queue_size=options.queue_size, timeout=options.send_timeout
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
    ) -> str:
        """Build one report and hand it to the transport; returns its id ("" if none was made)."""
        report_id = str(uuid.uuid4())
        scope = current_scope()
        draft: Draft = {
            "id": report_id,
            "schema_version": 1,
            "created_at": datetime.now(UTC).isoformat(),
            "kind": kind,
            "title": str(title),
            "actions": scope.snapshot_actions(),
            "sdk": {"name": "bugrelay.python", "version": __version__},
        }
        if description is not None:
            draft["description"] = str(description)
        merged_user = {**(scope.user or {}), **(user or {})}
        if merged_user:
            draft["user"] = merged_user
        if scope.tags:
            draft["tags"] = dict(scope.tags)
        if extra:
            draft["extra"] = dict(extra)
        if attachments:
            draft["attachments"] = [_attachment(a) for a in attachments]
        if exception is not None:
            draft["exception"] = dict(exception)
        for collector in self.collectors:
            with capture_internal_exceptions():
                collector.apply(draft)
        if self.options.before_send is not None:
            result = self.options.before_send(draft)
            if result is None:
                return ""  # dropped on purpose by the app: not an error, not counted as lost
            draft = result
        payload = json.dumps(draft, default=_to_json, ensure_ascii=False).encode()
        self.transport.send(payload, report_id)
        return report_id

    def flush(self, timeout: float) -> bool:
        return self.transport.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        self.transport.close(self.options.shutdown_timeout if timeout is None else timeout)


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


def _to_json(value: object) -> object:
    """Fallback for values json cannot encode: readable text, never an exception."""
    if isinstance(value, datetime):
        return value.isoformat()
    return repr(value)
