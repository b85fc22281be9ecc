"""Client reports: how many reports an SDK had to give up on, by reason (as Sentry's do).

They reach the collector in two forms with the same limits: the ``X-BugRelay-Discarded``
header of a report delivery, and the JSON body of the client-report route:

    X-BugRelay-Discarded: queue_full=3, network_error=1
    {"discarded": {"queue_full": 3, "network_error": 1}}

The parsers here only check and return ``{reason: count}``. Counting belongs to the routes, and
happens only once the request has been accepted.
"""

from __future__ import annotations

import re
from typing import Any

from collector_server.errors import ApiError

REASON_MEANINGS: dict[str, str] = {
    "queue_full": "the SDK's in-memory queue was full when the app handed in a report",
    "spool_full": "the on-disk spool was at its size limit, so the report could not be kept",
    "expired": "the report waited in the spool longer than its maximum age",
    "invalid": "the report could not be made to match the wire schema",
    "rejected": "the collector refused the report with an error that a retry cannot fix",
    "network_error": "every delivery attempt failed (connection, timeout, 429 or 5xx)",
    "corrupted": "a spooled report could not be read back",
    "torn": "a spooled report was only partly written (the process stopped mid-write)",
}
"""Every reason an SDK may give, with its meaning. A report the app chose to drop
(``before_send`` returned None) is not lost, so it has no reason here."""

DISCARD_REASONS = frozenset(REASON_MEANINGS)
MAX_COUNT = 1_000_000_000
MAX_ENTRIES = 16
MAX_HEADER_LENGTH = 1024
HEADER = "X-BugRelay-Discarded"
HEADER_CODE = "invalid_discarded_header"
BODY_CODE = "invalid_client_report"

_DIGITS = re.compile(r"[0-9]{1,10}", re.ASCII)
_REASONS_TEXT = ", ".join(sorted(DISCARD_REASONS))


def parse_discarded_header(values: list[str]) -> dict[str, int]:
    """``{reason: count}`` from the header's values (several headers are one comma list).

    Grammar: ``entry *("," entry)`` with ``entry = reason "=" count``; spaces and tabs are
    allowed around entries and around ``=``; ``count`` is a decimal integer 1..MAX_COUNT. No
    values: ``{}``.
    """
    if not values:
        return {}
    text = ",".join(values)
    if len(text) > MAX_HEADER_LENGTH:
        raise _header_error(f"is {len(text)} characters long; the limit is {MAX_HEADER_LENGTH}")
    if not text.strip(" \t"):
        raise _header_error("is empty; leave it out when nothing was discarded")
    entries = [entry.strip(" \t") for entry in text.split(",")]
    if len(entries) > MAX_ENTRIES:
        raise _header_error(f"has {len(entries)} entries; the limit is {MAX_ENTRIES}")
    counts: dict[str, int] = {}
    for entry in entries:
        if not entry:
            raise _header_error("has an empty entry (a comma too many?)")
        reason, equals, digits = (part.strip(" \t") for part in entry.partition("="))
        if not equals:
            raise _header_error(f"entry {entry!r} is not <reason>=<count>")
        if reason not in DISCARD_REASONS:
            raise _header_error(
                f"entry {entry!r} has an unknown reason {reason!r}; known: {_REASONS_TEXT}"
            )
        if reason in counts:
            raise _header_error(f"entry {entry!r} repeats the reason {reason!r}")
        if not _DIGITS.fullmatch(digits) or not 1 <= int(digits) <= MAX_COUNT:
            raise _header_error(
                f"entry {entry!r} has a count that is not an integer 1..{MAX_COUNT}"
            )
        counts[reason] = int(digits)
    return counts


def parse_client_report(data: Any) -> dict[str, int]:
    """``{reason: count}`` from the client-report body ``{"discarded": {reason: count}}``.

    Strict: unknown fields and reasons, and counts that are not integers in 1..MAX_COUNT, are
    errors naming the field. At least one reason, and each reason once (the JSON must not repeat
    a key: see :func:`refuse_duplicate_keys`).
    """
    if not isinstance(data, dict):
        raise _body_error("(body)", "must be a JSON object", "object_type")
    for name in data:
        if name != "discarded":
            raise _body_error(name, f"unknown field {name!r}", "extra_forbidden")
    if "discarded" not in data:
        raise _body_error("discarded", "field required", "missing")
    discarded = data["discarded"]
    if not isinstance(discarded, dict):
        raise _body_error("discarded", "must be an object of reason: count", "object_type")
    if not discarded:
        raise _body_error("discarded", "must name at least one reason", "too_short")
    counts: dict[str, int] = {}
    for reason, count in discarded.items():
        field = f"discarded.{reason}"
        if reason not in DISCARD_REASONS:
            message = f"unknown reason {reason!r}; known: {_REASONS_TEXT}"
            raise _body_error(field, message, "unknown_reason")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT:
            message = f"must be an integer in 1..{MAX_COUNT}, not {count!r}"
            raise _body_error(field, message, "count_range")
        counts[reason] = count
    return counts


def refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A ``json.loads`` object hook: a key given twice is an error, not "the last one wins"."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            field = f"discarded.{key}" if key in DISCARD_REASONS else key
            raise _body_error(field, f"the key {key!r} is given twice", "duplicate_key")
        result[key] = value
    return result


def _header_error(problem: str) -> ApiError:
    return ApiError(400, HEADER_CODE, f"the {HEADER} header {problem}")


def _body_error(field: str, message: str, kind: str) -> ApiError:
    return ApiError(
        400,
        BODY_CODE,
        f'the client report must be {{"discarded": {{"<reason>": <count>}}}}; {field}: {message}',
        fields=[{"field": field, "message": message, "type": kind}],
    )
