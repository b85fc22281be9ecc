"""The worker's half of making a report: from the host's draft to the JSON the collector gets.

The host thread hands over a draft (``sdk.collectors`` describes it) serialised once. Here, on
the worker, in this order:

1. expand the compact buffers into wire dicts: format log messages, ISO timestamps, level
   names, the frames' ``in_app`` and source lines (also in the exception's chain), Sentry's
   breadcrumbs merged into the trail;
2. scrub secrets (and, unless ``send_default_pii``, emails and IP addresses) out of everything
   (:mod:`sdk._scrub`), then name the HTTP steps from their scrubbed URLs;
3. ``before_send(report)``, which may change the report or drop it;
4. validate against wire schema v1, trimming what does not fit (:mod:`sdk._payload`);
5. with ``sentry_feedback``, also hand the report to Sentry as user feedback.

Importing this module is light; pydantic is loaded on the first report.
"""

from __future__ import annotations

import json
import marshal
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from sdk.options import Options
from sdk.scope import ORIGIN_HTTP, ORIGIN_LOG
from sdk.transports.base import DropReport

if TYPE_CHECKING:
    from sdk._scrub import Scrubber
    from sdk.collectors.exceptions import InApp

_LEVELS = {10: "debug", 20: "info", 30: "warning", 40: "error", 50: "critical"}
_LEVEL_ALIASES = {"warn": "warning", "fatal": "critical", "log": "info", "exception": "error"}
_WIRE_LEVELS = frozenset(_LEVELS.values())
_COVERS = {"log": ORIGIN_LOG, "http": ORIGIN_HTTP}


class Preparer:
    """``prepare(payload) -> bytes``; raises :class:`DropReport` for a report not to send."""

    def __init__(self, options: Options | None = None) -> None:
        self._options = options or Options()
        self._scrubber: Scrubber | None = None
        self._in_app: InApp | None = None

    def __call__(self, payload: bytes) -> bytes:
        from sdk._payload import validate  # noqa: PLC0415  (pydantic: on the worker only)

        options = self._options
        report = expand(decode_draft(payload), self._frames_in_app())
        self._get_scrubber().scrub_report(report)
        name_http_steps(report)
        if options.before_send is not None:
            result = options.before_send(report)
            if result is None:
                raise DropReport("before_send", lost=False)
            report = result
        model = validate(report)
        if model is None:
            raise DropReport("invalid")
        if options.sentry_feedback:
            from sdk.collectors.sentry import send_feedback  # noqa: PLC0415

            send_feedback(model.model_dump(mode="json", exclude_none=True))
        return model.model_dump_json(exclude_none=True).encode()

    def _get_scrubber(self) -> Scrubber:
        if self._scrubber is None:
            from sdk._scrub import Scrubber  # noqa: PLC0415

            options = self._options
            self._scrubber = Scrubber(
                options.denylist,
                send_default_pii=options.send_default_pii,
                defaults=options.scrub_defaults,
            )
        return self._scrubber

    def _frames_in_app(self) -> InApp:
        if self._in_app is None:
            from sdk.collectors.exceptions import InApp  # noqa: PLC0415

            self._in_app = InApp(self._options.in_app_include, self._options.in_app_exclude)
        return self._in_app


def decode_draft(payload: bytes) -> dict[str, Any]:
    """A draft from :func:`sdk.client.encode_draft`, as JSON-shaped data (str keys, lists)."""
    from sdk.client import DRAFT_MARSHAL, to_json  # noqa: PLC0415

    if payload[:1] == DRAFT_MARSHAL:
        loaded = marshal.loads(payload[1:])  # noqa: S302  (our own bytes: data, never code)
        data: dict[str, Any] = json.loads(json.dumps(loaded, default=to_json, ensure_ascii=False))
        return data
    result: dict[str, Any] = json.loads(payload)
    return result


def expand(draft: dict[str, Any], in_app: InApp) -> dict[str, Any]:
    """The draft in wire shape (changed in place and returned)."""
    trail = draft.pop("_trail", None)
    if isinstance(trail, dict):
        skip = {_COVERS[c] for c in trail.get("sentry_covers") or () if c in _COVERS}
        # A draft may bring rows of its own (a browser's report joined with the server's trail
        # of its session): two sources, put in time order.
        own = list(draft.get("actions") or [])
        actions = own + [_action(row) for row in trail.get("actions") or () if row[6] not in skip]
        crumbs = trail.get("sentry")
        if crumbs:
            from sdk.collectors.sentry import crumbs_to_actions  # noqa: PLC0415

            actions += crumbs_to_actions(crumbs)
        if crumbs or (own and len(actions) > len(own)):
            actions.sort(key=lambda a: _sort_key(a.get("timestamp")))
        if actions:
            draft["actions"] = actions
        logs = [_log(row) for row in trail.get("logs") or ()]
        if logs:
            own_logs = list(draft.get("logs") or [])
            logs = own_logs + logs
            if own_logs:
                logs.sort(key=lambda a: _sort_key(a.get("timestamp")))
            draft["logs"] = logs
        network = [_network(row) for row in trail.get("network") or ()]
        if network:
            draft["network"] = list(draft.get("network") or []) + network
    exception = draft.get("exception")
    if isinstance(exception, dict):
        chain = exception.get("chain")
        for item in [exception, *(chain if isinstance(chain, list) else ())]:
            if isinstance(item, dict) and "_frames" in item:
                item["frames"] = in_app.frames(item.pop("_frames") or [])
    return draft


def _action(row: list[Any]) -> dict[str, Any]:
    ts, category, message, level, data, args, origin = row
    if origin == ORIGIN_LOG:
        data = {"logger": data}
    action = {
        "timestamp": _iso(ts),
        "category": category,
        "message": format_message(message, args),
        "level": level_name(level),
    }
    if data is not None:
        action["data"] = data
    return action


def _log(row: list[Any]) -> dict[str, Any]:
    ts, levelno, logger, message, args = row
    return {
        "timestamp": _iso(ts),
        "level": level_name(levelno),
        "logger": logger,
        "message": format_message(message, args),
    }


def _network(row: list[Any]) -> dict[str, Any]:
    ts, method, url, status, duration_ms, error = row
    entry = {"timestamp": _iso(ts), "method": method, "url": url}
    for key, value in (("status", status), ("duration_ms", duration_ms), ("error", error)):
        if value is not None:
            entry[key] = value
    return entry


def name_http_steps(report: dict[str, Any]) -> None:
    """Give the HTTP steps of the trail their message, from their (scrubbed) data.

    Done after scrubbing, from the scrubbed URL: the host stays readable (an address in a URL is
    the service called, not a person), the query string is left out.
    """
    for action in report.get("actions") or ():
        data = action.get("data")
        is_http = action.get("category") == "http" and isinstance(data, dict)
        if is_http and not action.get("message"):
            action["message"] = _http_message(data)


def _http_message(data: dict[str, Any]) -> str:
    """``GET https://api.example.com/v1/pay 502``: the call without its query string."""
    url = str(data.get("url", ""))
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host
        host = f"{host}:{parts.port}" if parts.port else host
        url = urlunsplit((parts.scheme, host, parts.path, "", ""))
    except ValueError:
        url = url.split("?", 1)[0]
    outcome = data.get("status_code")
    if outcome is None:
        outcome = str(data.get("error") or "no response").split(":", 1)[0]
    return f"{data.get('method', 'GET')} {url} {outcome}"


def format_message(message: Any, args: Any) -> str:
    text = str(message)
    if not args:
        return text
    try:
        return str(text % tuple(args))
    except Exception:  # as logging does for a bad format string: keep both parts
        return f"{text} {args!r}"


def level_name(level: Any) -> str:
    """A wire level for a ``logging`` number or a level name in any spelling."""
    if isinstance(level, int) and not isinstance(level, bool):
        for number in (50, 40, 30, 20, 10):
            if level >= number:
                return _LEVELS[number]
        return "debug"
    name = str(level).lower()
    name = _LEVEL_ALIASES.get(name, name)
    return name if name in _WIRE_LEVELS else "info"


def _iso(ts: Any) -> str:
    return datetime.fromtimestamp(float(ts), UTC).isoformat()


def _sort_key(timestamp: Any) -> float:
    try:
        return datetime.fromisoformat(str(timestamp)).timestamp()
    except ValueError:
        return 0.0
