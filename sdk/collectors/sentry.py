"""The Sentry bridge: ties reports to the app's own sentry-sdk, when the app runs one.

When the app has imported and initialised sentry-sdk (2.x), every report

- carries Sentry's last event id and the current trace id in ``links`` (``sentry_event_id``,
  ``sentry_trace_id``), so that a report and the Sentry issue behind it find each other;
- reuses Sentry's breadcrumbs: :class:`SentryBridgeCollector` puts them, as Sentry keeps them,
  under ``_trail["sentry"]``, and lists in ``_trail["sentry_covers"]`` what Sentry records itself
  (``"log"``: its LoggingIntegration keeps log breadcrumbs at our action level or below;
  ``"http"``: its StdlibIntegration records ``http.client``, so ``requests`` too). The worker
  turns them into actions with :func:`crumbs_to_actions` and leaves out our own rows of the
  covered origins, so a log line or an HTTP call is not in the trail twice;
- is also sent to Sentry as User Feedback when ``sentry_feedback`` is on (:func:`send_feedback`,
  called on the worker).

Nothing here imports sentry-sdk: the bridge looks the module up in ``sys.modules`` and asks its
client whether it is active, once per report, so an app that initialises Sentry after BugRelay is
bridged from its next report on, and an app without Sentry pays one dict lookup.
"""

from __future__ import annotations

import json
import math
import sys
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from sdk._guard import capture_internal_exceptions
from sdk.collectors import Draft
from sdk.options import level_number

if TYPE_CHECKING:
    from pydantic import BaseModel
    from sentry_sdk.client import BaseClient

    from sdk.client import Client

COVERS_LOG = "log"
COVERS_HTTP = "http"

MAX_FEEDBACK_MESSAGE = 4096  # Sentry's limit for contexts.feedback.message
_ELLIPSIS = "…"

_LEVELS = {
    "debug": "debug",
    "info": "info",
    "log": "info",
    "warning": "warning",
    "warn": "warning",
    "error": "error",
    "critical": "critical",
    "fatal": "critical",
}
_HTTP_KINDS = frozenset({"http", "httplib"})
# Where Sentry's HTTP integrations (stdlib, httpx, aiohttp, span streaming) put these values.
_HTTP_METHOD_KEYS = ("method", "http.method", "http.request.method")
_HTTP_URL_KEYS = ("url", "url.full")
_HTTP_STATUS_KEYS = ("status_code", "http.response.status_code", "http.status_code")
_HTTP_KEYS = frozenset(_HTTP_METHOD_KEYS + _HTTP_URL_KEYS + _HTTP_STATUS_KEYS)


class SentryBridgeCollector:
    name: ClassVar[str] = "sentry"

    def __init__(self) -> None:
        self._action_log_level: int | None = None

    def setup(self, client: Client) -> None:
        level = client.options.action_log_level
        self._action_log_level = level_number(level) if level is not None else None
        if "sentry_sdk.integrations.logging" in sys.modules:  # only if the app loaded it
            _keep_our_logs_out_of_sentry()

    def apply(self, draft: Draft) -> None:
        with capture_internal_exceptions():
            sentry = _active_client()
            if sentry is None:
                return
            with capture_internal_exceptions():
                _add_links(draft)
            with capture_internal_exceptions():
                trail = draft.setdefault("_trail", {})
                trail["sentry"] = _breadcrumbs()
                trail["sentry_covers"] = self._covers(sentry)

    def _covers(self, sentry: BaseClient) -> list[str]:
        covers = []
        handler = getattr(sentry.get_integration("logging"), "_breadcrumb_handler", None)
        if handler is not None and (
            self._action_log_level is None or handler.level <= self._action_log_level
        ):
            covers.append(COVERS_LOG)
        if sentry.get_integration("stdlib") is not None:
            covers.append(COVERS_HTTP)
        return covers


def _active_client() -> BaseClient | None:
    """Sentry's client when the app imported and initialised sentry-sdk, else None. Cheap."""
    module = sys.modules.get("sentry_sdk")
    if module is None or getattr(module.__spec__, "_initializing", False):
        return None  # not imported, or being imported by another thread: don't wait for it
    import sentry_sdk  # noqa: PLC0415  (the app's own import, only looked up)

    client = sentry_sdk.get_client()
    if not client.is_active() or client.transport is None:
        return None  # not initialised, closed, or initialised without a DSN
    _keep_our_logs_out_of_sentry()
    return client


_ignoring = False


def _keep_our_logs_out_of_sentry() -> None:
    """Sentry's LoggingIntegration sees every logger, even ``propagate=False`` ones: the SDK's
    own log (``bugrelay.sdk``) is the SDK's business, not an event in the app's Sentry."""
    global _ignoring  # noqa: PLW0603
    if not _ignoring:
        from sentry_sdk.integrations.logging import ignore_logger  # noqa: PLC0415

        ignore_logger("bugrelay.sdk")
        _ignoring = True


def _add_links(draft: Draft) -> None:
    import sentry_sdk  # noqa: PLC0415

    links = draft.setdefault("links", {})
    event_id = _hex_id(sentry_sdk.last_event_id())
    if event_id is not None:
        links.setdefault("sentry_event_id", event_id)
    trace_id = _trace_id()
    if trace_id is not None:
        links.setdefault("sentry_trace_id", trace_id)


def _trace_id() -> str | None:
    """The trace id an event captured now would carry, without freezing the trace's baggage.

    ``Scope.get_trace_context()`` would give the same id but computes the dynamic sampling
    context, which freezes a running transaction's baggage; the traceparent does not.
    """
    import sentry_sdk  # noqa: PLC0415
    from sentry_sdk import scope as sentry_scope  # noqa: PLC0415

    scope = sentry_sdk.get_current_scope()
    external = getattr(sentry_scope, "get_external_propagation_context", None)
    if external is not None and scope.span is None:
        ids = external()  # set by the OTLP integration: its ids are what events carry
        if ids:
            return _hex_id(ids[0])
    traceparent = scope.get_traceparent()
    return _hex_id(traceparent.split("-", 1)[0]) if traceparent else None


def _hex_id(value: object) -> str | None:
    """A 32-hex id (a UUID's hex), or None for anything else."""
    if not isinstance(value, str):
        return None
    value = value.replace("-", "").lower()
    if len(value) == 32 and all(c in "0123456789abcdef" for c in value):
        return value
    return None


def _breadcrumbs() -> list[dict[str, Any]]:
    """Sentry's breadcrumbs of the global, isolation and current scope, oldest first.

    The same merge Sentry does for an event. Each crumb is a shallow copy with its timestamp as
    Unix time, so that the client's one serialisation of the draft stays on its fast path
    (``marshal`` writes no datetimes).
    """
    import sentry_sdk  # noqa: PLC0415

    crumbs: list[dict[str, Any]] = []
    scopes_with_crumbs = 0
    for scope in (
        sentry_sdk.get_global_scope(),
        sentry_sdk.get_isolation_scope(),
        sentry_sdk.get_current_scope(),
    ):
        if not scope._breadcrumbs:
            continue
        scopes_with_crumbs += 1
        for crumb in scope._breadcrumbs:
            when = crumb.get("timestamp")
            if isinstance(when, datetime):
                crumb = {**crumb, "timestamp": when.timestamp()}  # noqa: PLW2901
            crumbs.append(crumb)
    if scopes_with_crumbs > 1:  # each scope's crumbs are in order already: merge only then
        crumbs.sort(key=_sort_key)
    return crumbs


def _sort_key(crumb: object) -> float:
    when = crumb.get("timestamp") if isinstance(crumb, dict) else None
    if isinstance(when, float):
        return when  # what _breadcrumbs made of a datetime
    parsed = _timestamp(when)
    return parsed.timestamp() if parsed is not None else 0.0


def _timestamp(value: object) -> datetime | None:
    """A breadcrumb's time as an aware datetime (naive ones are local time, as Sentry reads
    them), from a datetime, an ISO 8601 string or Unix time; None when there is none."""
    try:
        if isinstance(value, datetime):
            return value.astimezone(UTC)
        if isinstance(value, str):
            return datetime.fromisoformat(value).astimezone(UTC)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
            return datetime.fromtimestamp(value, UTC)
    except (ValueError, OverflowError, OSError):
        return None
    return None


def crumbs_to_actions(crumbs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sentry breadcrumbs as wire ``Action`` dicts, in the order given (worker side).

    Levels are mapped onto ours (``fatal`` is ``critical``, anything unknown ``info``). HTTP and
    log crumbs take the shape of the SDK's own steps they stand in for: category ``http`` with
    ``method``, ``url`` and ``status_code`` in data (whichever Sentry integration recorded them),
    and category ``log`` with the logger's name as ``data["logger"]``. Crumbs without a usable
    timestamp are left out, and so is data that is not JSON or over the schema's limits. Every
    dict returned validates as ``Action``.
    """
    from sdk.models import MAX_MESSAGE, MAX_SHORT, Action  # noqa: PLC0415

    actions = []
    for crumb in crumbs:
        if not isinstance(crumb, dict):
            continue
        when = _timestamp(crumb.get("timestamp"))
        if when is None:
            continue
        kind = crumb.get("type")
        category = crumb.get("category") or (kind if kind and kind != "default" else None)
        message = crumb.get("message")
        message = "" if message is None else str(message)
        data = _json_data(crumb.get("data"))
        if kind in _HTTP_KINDS or category in _HTTP_KINDS:
            # Shaped like the SDK's own HTTP steps, which these stand in for.
            category, data = "http", _http_data(data or {})
            if not message:
                status = data.get("status_code")
                outcome = "no response" if status is None else status
                message = f"{data.get('method', 'GET')} {data.get('url', '')} {outcome}"
        elif kind == "log":
            # Sentry's category is the logger's name; the SDK's own log steps say "log".
            data = {**(data or {}), "logger": str(category or "")}
            category = "log"
        action: dict[str, Any] = {
            "timestamp": when.isoformat(),
            "category": _cut(str(category or "default"), MAX_SHORT),
            "message": _cut(message, MAX_MESSAGE),
            "level": _level(crumb.get("level")),
        }
        if data:
            action["data"] = data
        if not _valid(action, Action) and (
            action.pop("data", None) is None or not _valid(action, Action)
        ):
            continue
        actions.append(action)
    return actions


def _valid(action: dict[str, Any], model: type[BaseModel]) -> bool:
    from pydantic import ValidationError  # noqa: PLC0415

    try:
        model.model_validate(action)
    except ValidationError:
        return False
    return True


def _level(value: object) -> str:
    return _LEVELS.get(value.lower(), "info") if isinstance(value, str) else "info"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def _json_data(data: object) -> dict[str, Any] | None:
    """``data`` as plain JSON (it may come straight from Sentry, with any values in it)."""
    if not isinstance(data, dict) or not data:
        return None
    try:
        plain = json.loads(json.dumps(data, default=str, skipkeys=True, allow_nan=False))
    except (TypeError, ValueError, RecursionError):
        return None
    return plain if isinstance(plain, dict) else None


def _http_data(data: dict[str, Any]) -> dict[str, Any]:
    out = {key: value for key, value in data.items() if key not in _HTTP_KEYS}
    method = next((data[k] for k in _HTTP_METHOD_KEYS if data.get(k) is not None), None)
    url = next((data[k] for k in _HTTP_URL_KEYS if data.get(k) is not None), None)
    status = next((data[k] for k in _HTTP_STATUS_KEYS if data.get(k) is not None), None)
    if method is not None:
        out["method"] = str(method).upper()
    if url is not None:
        out["url"] = str(url)
    if status is not None:
        out["status_code"] = int(status) if str(status).isdigit() else status
    return out


def send_feedback(report: dict[str, Any]) -> bool:
    """Hand ``report`` (final wire JSON) to the app's Sentry as a User Feedback envelope.

    Worker side. Returns True once Sentry's transport has it (Sentry sends it on its own worker),
    False when Sentry is not active. The envelope goes to the transport directly, so Sentry's
    ``before_send`` and sampling do not apply to it. Never raises.
    """
    with capture_internal_exceptions():
        sentry = _active_client()
        if sentry is None or sentry.transport is None:
            return False
        from sentry_sdk.envelope import Envelope, Item, PayloadRef  # noqa: PLC0415
        from sentry_sdk.utils import format_timestamp  # noqa: PLC0415

        payload = feedback_payload(report)
        headers: dict[str, Any] = {
            "event_id": payload["event_id"],
            "sent_at": format_timestamp(datetime.now(UTC)),
        }
        if sentry.dsn:
            headers["dsn"] = sentry.dsn
        item = Item(payload=PayloadRef(json=payload), type="feedback")
        sentry.transport.capture_envelope(Envelope(headers=headers, items=[item]))
        return True
    return False


def feedback_payload(report: dict[str, Any]) -> dict[str, Any]:
    """The payload of a Sentry ``feedback`` envelope item for a wire-schema report dict."""
    title = str(report.get("title") or "")
    description = str(report.get("description") or "")
    message = f"{title}\n\n{description}" if title and description else title or description
    feedback: dict[str, Any] = {"message": _cut(message, MAX_FEEDBACK_MESSAGE)}
    user = report.get("user") or {}
    browser = report.get("browser") or {}
    links = report.get("links") or {}
    for key, value in (
        ("contact_email", user.get("email")),
        ("name", user.get("name")),
        ("url", browser.get("url")),
        ("associated_event_id", links.get("sentry_event_id")),
    ):
        if value:
            feedback[key] = value
    feedback["source"] = "bugrelay"
    payload: dict[str, Any] = {
        "event_id": uuid.uuid4().hex,
        "timestamp": report.get("created_at") or datetime.now(UTC).isoformat(),
        "platform": "python",
        "level": "info",
        "type": "feedback",
        "contexts": {"feedback": feedback},
    }
    app = report.get("app") or {}
    for key in ("release", "environment"):
        if app.get(key):
            payload[key] = app[key]
    # Ours last: an app tag of the same name cannot hide which report this is.
    payload["tags"] = {**(report.get("tags") or {}), "bugrelay_report_id": str(report["id"])}
    return payload
