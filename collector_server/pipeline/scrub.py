"""Server-side scrubbing: secrets out of every report before the collector stores it.

The SDK scrubs on the client (:mod:`sdk._scrub`), but reports also come from the browser widget
and from clients that scrub nothing, so the collector scrubs every validated report again, with
each project's :class:`ScrubSettings` (docs/scrubbing.md). :class:`ServerScrubber` is the SDK's
:class:`~sdk._scrub.Scrubber` (the same deny-list, the same handling of free-form JSON, the same
``[Filtered]``) with its text patterns switchable by name (:data:`PATTERNS`), a few more of them
(IBANs, AWS key ids, vendors' tokens), a stricter card rule, ``[name, value]`` pairs (header
lists) in free-form JSON, and URLs searched whole (a token in a path). It removes no personal
data: emails and IP addresses are the SDK's ``send_default_pii`` decision, and ``user.email`` is
how support answers the reporter.

:func:`scrub_report` is on the request path, so it is built for the common case, a report with
nothing to scrub: :meth:`ServerScrubber.suspects` joins every text the scrubbing would look at
and runs one cheap check per pattern over it. Only a suspect report is scrubbed field by field,
compared with the original for the paths of what changed, and validated again. The pre-check may
call a clean report suspect, never a report with a secret clean (the tests hold it to that by
scrubbing with and without it).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache, partial
from typing import Any, Literal
from urllib.parse import unquote_plus

from pydantic import ValidationError

from sdk._problems import field_path
from sdk._scrub import (
    _AUTH_HEADER,
    _AUTHORITY,
    _BEARER,
    _COOKIE_HEADER,
    _JWT,
    _MIN_LENGTH,
    _PEM,
    _SPACE,
    _TEXT_USERINFO,
    DEFAULT_DENYLIST,
    FILTERED,
    MAX_DEPTH,
    Scrubber,
    _keep_head,
    _luhn,
    _replace_pem,
    _userinfo,
    normalize_key,
)
from sdk.models import ExceptionInfo, Report

PATTERNS: dict[str, str] = {
    "authorization": "`Authorization` and `Proxy-Authorization` values, bare `Bearer` tokens",
    "aws_key": "AWS access key ids (`AKIA...`, `ASIA...`)",
    "card": "payment card numbers: a card's length and first digits, and the Luhn check",
    "iban": "IBANs: a country's code and length, and the mod-97 check",
    "jwt": "JSON Web Tokens (`eyJ...`)",
    "pem": "PEM key blocks (`-----BEGIN ... KEY-----`)",
    "url_password": "the password of `scheme://user:password@host`",
    "vendor_token": "GitHub, GitLab, Slack, Stripe, Google, npm, PyPI, SendGrid, OpenAI and "
    "Anthropic keys, by their prefixes",
}
"""The text patterns by name, as ``disabled_patterns`` names them; all are on by default."""

SETTING_KEYS = ("enabled", "extra_fields", "default_fields", "disabled_patterns")
MAX_EXTRA_FIELDS = 100
MAX_FIELD_NAME = 100

_MAX_ROUNDS = 4  # of cutting a field to its limit and scrubbing it again; two are the most seen


@dataclass(frozen=True, slots=True)
class ScrubSettings:
    """One project's server-side scrubbing (its ``scrubbing`` setting, see docs/scrubbing.md)."""

    enabled: bool = True
    extra_fields: tuple[str, ...] = ()  # key names denied besides the SDK's DEFAULT_DENYLIST
    default_fields: bool = True  # False: deny only extra_fields
    disabled_patterns: frozenset[str] = frozenset()  # names from PATTERNS

    def __post_init__(self) -> None:
        # Tuples and frozensets whatever was passed: the settings are scrubber_for's cache key.
        object.__setattr__(self, "extra_fields", _field_names(self.extra_fields))
        object.__setattr__(self, "disabled_patterns", _check_patterns(self.disabled_patterns))

    @classmethod
    def from_mapping(cls, value: object) -> ScrubSettings:
        """Settings from a project's stored JSON; None: the defaults. ValueError names the
        problem: an unknown key, a wrong type, an unknown pattern, an empty field name."""
        if value is None:
            return cls()
        if not isinstance(value, Mapping):
            raise ValueError(f"scrubbing settings must be a JSON object, not {_kind(value)}")
        for key in value:
            if key not in SETTING_KEYS:
                raise ValueError(f"unknown key {key!r}; the keys are {', '.join(SETTING_KEYS)}")
        return cls(
            enabled=_flag(value, "enabled"),
            extra_fields=tuple(_strings(value, "extra_fields")),
            default_fields=_flag(value, "default_fields"),
            disabled_patterns=frozenset(_strings(value, "disabled_patterns")),
        )

    def to_mapping(self) -> dict[str, Any]:
        """The JSON form, which :meth:`from_mapping` reads back to equal settings."""
        return {
            "enabled": self.enabled,
            "extra_fields": list(self.extra_fields),
            "default_fields": self.default_fields,
            "disabled_patterns": sorted(self.disabled_patterns),
        }


def scrub_report(report: Report, settings: ScrubSettings) -> tuple[Report, list[str]]:
    """``report`` without secrets, and the sorted paths of the fields whose values were replaced
    (``actions[3].data.password``, never the values).

    The result is a new, validated report when something was replaced, and ``report`` itself
    when nothing was (then the list is empty). Attachments are kept as they are.
    """
    if not settings.enabled:
        return report, []
    scrubber = scrubber_for(settings)
    if not scrubber.suspects(report):
        return report, []
    return scrubber.scrub(report)


@lru_cache(maxsize=1024)
def scrubber_for(settings: ScrubSettings) -> ServerScrubber:
    """The scrubber of ``settings``, built once (its regular expressions are compiled)."""
    return ServerScrubber(
        settings.extra_fields,
        defaults=settings.default_fields,
        patterns=frozenset(PATTERNS) - settings.disabled_patterns,
    )


Kind = Literal["text", "url", "json"]
Loc = tuple[int | str, ...]
Check = Callable[[str, str], bool]  # (text, text.lower()) -> whether a pattern could change it


class ServerScrubber(Scrubber):
    """The SDK's scrubber with the collector's patterns (only ``patterns`` of
    :data:`PATTERNS`), no PII rules, and a fast pre-check. Thread-safe."""

    def __init__(
        self,
        denylist: Iterable[str] = (),
        *,
        defaults: bool = True,
        patterns: frozenset[str] = frozenset(PATTERNS),
    ) -> None:
        names = list(denylist) + (list(DEFAULT_DENYLIST) if defaults else [])
        # send_default_pii: the server never removes emails or IP addresses.
        super().__init__(names, send_default_pii=True, defaults=False)
        self._patterns = _check_patterns(patterns)
        normal = {normalize_key(name) for name in names} - {""}
        # The names as substrings of normalised text (the deny-list's own rule), without the
        # ones that contain another (`auth_token` is denied by `token` already).
        minimal = sorted(n for n in normal if not any(o in n for o in normal - {n}))
        self._names = re.compile(_trie(minimal)) if minimal else None
        on = self._patterns
        self._checks: list[Check] = [check for name, check in _CHECKS if name in on]
        if "card" in on or "iban" in on:
            self._checks.append(partial(_has_card_or_iban, card="card" in on, iban="iban" in on))
        if self._cookies:
            self._checks.append(_has_cookie_header)
        if self._names is not None:
            self._checks.append(self._has_pair)

    def suspects(self, report: Report) -> bool:
        """Whether scrubbing may change ``report``: never False when :meth:`scrub` would."""
        texts: list[str] = []
        keys: list[str] = []
        for kind, _loc, value in _fields(report):
            if kind == "text":
                texts.append(value)
            elif kind == "url":
                _gather_url(value, texts, keys)
            else:
                _gather_json(value, texts, keys)
        if keys and self._has_name("\n".join(keys).lower()):
            return True
        # Every text joined with newlines, which no pattern crosses: what changes one of them
        # changes the joined text (and a few things change only the joined one).
        text = "\n".join(texts)
        lower = text.lower()
        return any(check(text, lower) for check in self._checks)

    def scrub(self, report: Report) -> tuple[Report, list[str]]:
        """``report`` scrubbed field by field (no pre-check), validated again, and the sorted
        paths of the fields that changed; ``report`` itself and ``[]`` when none did."""
        data: dict[str, Any] | None = None
        kinds: dict[Loc, Kind] = {}
        paths: list[str] = []
        for kind, loc, value in _fields(report):
            scrubbed = self._scrub_field(kind, value)
            if scrubbed == value:
                continue
            if data is None:
                data = report.model_dump(mode="json", exclude={"attachments"})
            parent: Any = data
            for part in loc[:-1]:
                parent = parent[part]
            parent[loc[-1]] = scrubbed
            kinds[loc] = kind
            if kind == "json":
                _diff(value, scrubbed, loc, paths)
            else:
                paths.append(field_path(loc))
        if data is None:
            return report, []
        data["attachments"] = report.attachments  # instances: not decoded and checked again
        return self._validate(data, kinds, paths), sorted(set(paths))

    # The SDK's Scrubber, with the collector's patterns.

    def scrub_url(self, url: str, *, pii: bool = True) -> str:
        """``url`` without the userinfo's password and denied query and fragment parameters, as
        the SDK scrubs it, and (unlike the SDK) with the text patterns over the rest of it too:
        a token as the user name, a JWT in the path or in the fragment's route.

        Text with white space in it is not a URL: it is scrubbed as text, and if that took the
        white space out (``?token='a b`` is ``?token='[Filtered]``), as the URL it is now, as
        the SDK does: scrubbing the result again must change nothing."""
        if _SPACE.search(url):
            url = self.scrub_text(url, pii=False)
            if _SPACE.search(url):
                return url
        rest, hash_mark, fragment = url.partition("#")
        rest, question_mark, query = rest.partition("?")
        match = _AUTHORITY.match(rest)
        start = match.start("authority") if match else 0
        tail = rest[start:]
        if match and "url_password" in self._patterns:
            userinfo, at, host = match["authority"].rpartition("@")
            if at:
                tail = _userinfo(userinfo, False) + at + host + rest[match.end("authority") :]
        rest = rest[:start] + self.scrub_text(tail, pii=False)
        if query:
            query = self._scrub_params(query, False)
        if fragment:
            route, fragment_mark, params = fragment.rpartition("?")
            fragment = self.scrub_text(route, pii=False) + fragment_mark
            fragment += self._scrub_params(params, False)
        return rest + question_mark + query + hash_mark + fragment

    def _scrub_params(self, params: str, pii: bool) -> str:
        # A part without `=` (`?eyJ...`, `#/reset/eyJ...`) is text, not a name without a value.
        parts = [p if "=" in p else self.scrub_text(p, pii=False) for p in params.split("&")]
        return super()._scrub_params("&".join(parts), pii)

    def _scrub_text_once(self, text: str, pii: bool) -> str:
        # The SDK's order of patterns, each only when on, and the collector's own among them.
        if len(text) < _MIN_LENGTH:
            return text
        on = self._patterns
        if "pem" in on and "-----BEGIN " in text:
            text = _PEM.sub(_replace_pem, text)
        if "jwt" in on and "eyJ" in text:
            text = _JWT.sub(FILTERED, text)
        text = self._scrub_shapes(text)
        if "url_password" in on and "://" in text and "@" in text:
            text = _TEXT_USERINFO.sub(
                lambda m: f"{m['scheme']}{_userinfo(m['userinfo'], False)}@", text
            )
        lower = text.lower()
        if "authorization" in on and "authorization" in lower:
            text = _AUTH_HEADER.sub(_keep_head, text)
        if "authorization" in on and "bearer" in lower:
            text = _BEARER.sub(_keep_head, text)
        if self._cookies and "cookie" in lower:
            text = _COOKIE_HEADER.sub(_keep_head, text)
        return self._scrub_pairs(text)

    def _scrub_shapes(self, text: str) -> str:
        """Cards, IBANs, AWS key ids and vendors' tokens, each behind a cheap sign (a
        [Filtered] put in breaks a run of the characters looked for, it never makes one)."""
        on = self._patterns
        if _run(text, _CARD_OR_IBAN_CHARS, 13):
            if "card" in on:
                text = _CARD.sub(_replace_card, text)
            if "iban" in on:
                text = _scrub_ibans(text)
        if _run(text, _TOKEN_CHARS, 15):
            if "aws_key" in on and _AWS_HINT.search(text):
                text = _AWS.sub(FILTERED, text)
            if "vendor_token" in on and _VENDOR_HINT.search(text):
                text = _VENDOR.sub(FILTERED, text)
        return text

    def _scrub_value(self, value: Any, pii: bool, key: str | None, depth: int) -> Any:
        # A list of [name, value] pairs (headers, query parameters) is a mapping by another name.
        if depth < MAX_DEPTH and _is_pair_list(value):
            return [
                [item[0], FILTERED]
                if self.is_denied_key(item[0])
                else super(ServerScrubber, self)._scrub_value(item, pii, key, depth + 1)
                for item in value
            ]
        return super()._scrub_value(value, pii, key, depth)

    # The pre-check's helpers.

    def _has_name(self, lower: str) -> bool:
        normal = lower.replace("-", "").replace("_", "").replace(".", "").replace(" ", "")
        return self._names is not None and self._names.search(normal) is not None

    def _has_pair(self, text: str, _lower: str) -> bool:
        """Whether Scrubber._scrub_pairs may change ``text`` (which is slow to ask): a denied
        key, a separator, and a value that is not ``[Filtered]``.

        The keys are found backwards from the separators, which are rare, so the text is
        searched reversed: ``password=x`` is ``x=drowssap``."""
        if self._names is None or ("=" not in text and ":" not in text):
            return False
        backwards = text[::-1]
        keys = _KEY_BEFORE_EQUALS.findall(backwards) + _KEY_BEFORE_COLON.findall(backwards)
        if not keys or not self._has_name("\n".join(keys)[::-1].lower()):
            return False  # the common case: no denied name before a separator
        # Again with where they are: the keys, last first, one a line, normalised as the
        # deny-list compares them (a key has no spaces); the line of a name is its key.
        pairs = [*_KEY_BEFORE_EQUALS.finditer(backwards), *_KEY_BEFORE_COLON.finditer(backwards)]
        lines = "\n".join([pair[1] for pair in pairs])[::-1].lower()
        lines = lines.replace("-", "").replace("_", "").replace(".", "")
        for found in self._names.finditer(lines):
            pair = pairs[len(pairs) - 1 - lines.count("\n", 0, found.start())]
            if not _FILTERED_VALUE.match(text, len(text) - pair.start()):
                return True
        return False

    # The slow path's helpers.

    def _scrub_field(self, kind: Kind, value: Any) -> Any:
        if kind == "text":
            return self.scrub_text(value, pii=False)
        if kind == "url":
            return self.scrub_url(value, pii=False)
        return self.scrub_value(value, pii=False)

    def _validate(self, data: dict[str, Any], kinds: dict[Loc, Kind], paths: list[str]) -> Report:
        """``data`` as a report, after fitting what the replacements made too long (a field over
        its length limit is cut) or too large (free-form JSON over its limit becomes null)."""
        for _ in range(_MAX_ROUNDS):
            try:
                return Report.model_validate(data)
            except ValidationError as exc:
                errors = exc.errors(include_url=False)
                if not all(self._repair(data, error, kinds, paths) for error in errors):
                    raise  # not something scrubbing did: our bug, and never half-scrubbed
        return Report.model_validate(data)

    def _repair(
        self, data: dict[str, Any], error: Any, kinds: dict[Loc, Kind], paths: list[str]
    ) -> bool:
        loc = tuple(error["loc"])
        parent: Any = data
        for part in loc[:-1]:
            parent = parent[part]
        key = loc[-1]
        if error["type"] == "string_too_long":
            # A tag's value (`tags.<key>`) is scrubbed as Scrubber.scrub_value scrubs it.
            kind = kinds.get(loc) or ("url" if str(key).lower().endswith("url") else "text")
            parent[key] = self._fit(parent[key], error["ctx"]["max_length"], kind)
            return True
        if error["type"] == "value_error" and kinds.get(loc) == "json":
            parent[key] = None  # free-form JSON that the replacements made too large
            paths.append(field_path(loc))
            return True
        return False

    def _fit(self, text: str, limit: int, kind: Kind) -> str:
        """``text`` cut to ``limit``, never inside a ``[Filtered]``, and scrubbed as it is then,
        so that scrubbing it again changes nothing."""
        for _ in range(_MAX_ROUNDS):
            cut = limit
            start = text.rfind(FILTERED, 0, cut + len(FILTERED) - 1)
            if 0 <= start < cut < start + len(FILTERED):
                cut = start
            text = text[:cut]
            again: str = self._scrub_field(kind, text)
            if again == text:
                break
            text = again
        return text[:limit]


# The fields scrubbing looks at, one list for the pre-check and the slow path (docs/scrubbing.md
# lists them). Not: user.id and user.email, the app, runtime, OS and device facts, the browser's
# names and user agent, categories, levels, loggers, methods, the exceptions' types and modules,
# the frames' modules, functions, files and lines, fingerprint, sdk, attachments.

_USER_FIELDS = ("name", "plan", "segment")


def _fields(report: Report) -> list[tuple[Kind, Loc, Any]]:
    """Every field to scrub that holds something: how it is scrubbed, where it is in the wire
    shape, and its value (a string, or free-form JSON)."""
    fields: list[tuple[Kind, Loc, Any]] = [
        ("text", ("title",), report.title),
        ("text", ("description",), report.description),
    ]
    if (user := report.user) is not None:
        fields += [("text", ("user", name), getattr(user, name)) for name in _USER_FIELDS]
    for i, action in enumerate(report.actions):
        fields.append(("text", ("actions", i, "message"), action.message))
        fields.append(("json", ("actions", i, "data"), action.data))
    fields += [("text", ("logs", i, "message"), log.message) for i, log in enumerate(report.logs)]
    if (exception := report.exception) is not None:
        _exception_fields(exception, ("exception",), fields)
        for i, cause in enumerate(exception.chain):
            _exception_fields(cause, ("exception", "chain", i), fields)
    for i, request in enumerate(report.network):
        fields.append(("url", ("network", i, "url"), request.url))
        fields.append(("text", ("network", i, "error"), request.error))
    fields.append(("json", ("tags",), report.tags))
    fields.append(("json", ("extra",), report.extra))
    if (browser := report.browser) is not None:
        fields.append(("url", ("browser", "url"), browser.url))
        fields.append(("url", ("browser", "referrer"), browser.referrer))
    return [field for field in fields if field[2]]


def _exception_fields(
    exception: ExceptionInfo, loc: Loc, fields: list[tuple[Kind, Loc, Any]]
) -> None:
    """The fields of one exception, the report's or one of its chain, into ``fields``."""
    fields.append(("text", (*loc, "value"), exception.value))
    fields.append(("text", (*loc, "stack"), exception.stack))
    for i, frame in enumerate(exception.frames):
        fields.append(("text", (*loc, "frames", i, "code"), frame.code))


def _gather_json(value: Any, texts: list[str], keys: list[str], key: str | None = None) -> None:
    """The strings of free-form JSON into ``texts`` (URLs as :func:`_gather_url` gathers them)
    and the keys the deny-list could deny into ``keys``; what is filtered already is left out."""
    if isinstance(value, dict):
        for name, item in value.items():
            if item == FILTERED:
                continue
            keys.append(name)
            if type(item) is str:  # the most common case: no need to ask what it is
                _gather_string(item, name, texts, keys)
            elif isinstance(item, dict | list):
                _gather_json(item, texts, keys, name)
    elif isinstance(value, list):
        if _is_pair_list(value):
            keys.extend(name for name, item in value if item != FILTERED)
        for item in value:
            _gather_json(item, texts, keys, key)
    elif isinstance(value, str) and value != FILTERED:
        _gather_string(value, key, texts, keys)


def _gather_string(value: str, key: str | None, texts: list[str], keys: list[str]) -> None:
    if key is not None and key.lower().endswith("url"):
        _gather_url(value, texts, keys)
    else:
        texts.append(value)


def _gather_url(url: str, texts: list[str], keys: list[str]) -> None:
    """``url`` into ``texts`` (and decoded: each decoded parameter is a part of it) and the
    names of its query and fragment parameters that have a value into ``keys``."""
    texts.append(url)
    if "%" in url or "+" in url:
        texts.append(unquote_plus(url))
    if "?" not in url and "#" not in url:
        return
    rest, _, fragment = url.partition("#")
    query = rest.partition("?")[2]
    for pair in (*query.split("&"), *fragment.rpartition("?")[2].split("&")):
        name, _, value = pair.partition("=")
        if value and value != FILTERED:
            keys.append(unquote_plus(name) if "%" in name or "+" in name else name)


def _is_pair_list(value: Any) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(
            isinstance(item, list)
            and len(item) == 2
            and isinstance(item[0], str)
            and isinstance(item[1], str)
            and _HEADER_NAME.fullmatch(item[0]) is not None
            for item in value
        )
    )


def _diff(before: Any, after: Any, loc: Loc, paths: list[str]) -> None:
    """The paths of the leaves that differ between two JSON values of the same shape."""
    if before == after:
        return
    if isinstance(before, dict) and isinstance(after, dict) and before.keys() == after.keys():
        for key, value in before.items():
            _diff(value, after[key], (*loc, key), paths)
    elif isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        for i, (old, new) in enumerate(zip(before, after, strict=True)):
            _diff(old, new, (*loc, i), paths)
    else:
        paths.append(field_path(loc))


# The patterns the SDK does not have.

# `AKIA` long-term and `ASIA` temporary key ids (and two rarer prefixes); the secret key that
# goes with one has no shape of its own and is left to the deny-list (`aws_secret_access_key`).
_AWS = re.compile(r"(?<![\w\]])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![\w\[])")
_AWS_HINT = re.compile(r"A(?:KIA|SIA|BIA|CCA)")
_VENDOR = re.compile(
    r"(?<![\w\]])(?:"
    r"gh[pousr]_[A-Za-z0-9]{36,251}"  # GitHub
    r"|github_pat_[A-Za-z0-9_]{22,}"
    r"|glpat-[A-Za-z0-9_\-]{20,}"  # GitLab
    r"|xox[abposr]-[A-Za-z0-9\-]{10,}"  # Slack
    r"|[rs]k_(?:live|test)_[A-Za-z0-9]{16,}"  # Stripe
    r"|AIza[A-Za-z0-9_\-]{35}"  # Google
    r"|npm_[A-Za-z0-9]{36}"
    r"|pypi-AgE[A-Za-z0-9_\-]{50,}"
    r"|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}"  # SendGrid
    r"|sk-(?:proj|svcacct|admin|ant)-[A-Za-z0-9_\-]{20,}"  # OpenAI, Anthropic
    r")(?![\w\[])"
)


def _trie(words: Iterable[str]) -> str:
    """A regular expression that finds any of ``words``, shaped as a trie: much faster than
    ``a|b|c``, which tries every word at every position."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}
    return _trie_node(tree)


def _trie_node(node: dict[str, Any]) -> str:
    if "" in node:
        return ""  # a word ends here: finding it is enough
    branches = []
    for char, child in sorted(node.items()):
        branches.append(re.escape(char) + _trie_node(child))
    return branches[0] if len(branches) == 1 else f"(?:{'|'.join(branches)})"


# A literal part of each of _VENDOR's shapes, for a fast first look.
_VENDOR_HINT = re.compile(
    _trie(
        (
            *("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "xox", "k_live_"),
            *("k_test_", "AIza", "npm_", "pypi-", "SG.", "sk-proj-", "sk-svcacct-", "sk-admin-"),
            "sk-ant-",
        )
    )
)
# The SDK's card candidates, but not right after a `+`: `+4915112345678` is a phone number.
_CARD = re.compile(r"(?<![\w.+\]])[0-9](?:[ -]?[0-9]){12,18}(?![\w\[]|\.[0-9])")
# Where an IBAN may start; the rest is checked by hand (country length, spaces, mod 97).
_IBAN_START = re.compile(r"(?<![\w\]])([A-Z]{2})[0-9]{2}")
# Each country's IBAN length, from the SWIFT IBAN registry.
_IBAN_LENGTHS = {
    country: int(length)
    for country, length in re.findall(
        r"([A-Z]{2})([0-9]{2})",
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 "
        "DE22 DJ27 DK18 DO28 EE20 EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 "
        "GT28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 KW30 KZ20 LB28 LC32 LI21 LT20 LU20 "
        "LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 PK24 PL28 "
        "PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 "
        "TL23 TN24 TR26 UA29 VA22 VG24 XK20 YE30",
    )
}
# `//` up to an `@` with a `:` before it: a URL's userinfo with a password, in text or not.
_USERINFO = re.compile(r"//[^/?#\n]*:[^/?#\n]*@")
# Scrubber._scrub_pairs's separator (`=`, `==`, `=>`, `:`) and key (`key"]: `) backwards, one
# regular expression for each separator's first character (much faster to find than a set of
# them); and a value it leaves as it is (`[Filtered]`, quoted or not, maybe after an auth scheme).
_KEY_BEFORE_EQUALS = re.compile(r"==?[ \t]*[\"']?\]?([\w.\-%]+)")
_KEY_BEFORE_COLON = re.compile(r":[ \t]*[\"']?\]?([\w.\-%]+)")
_SCHEME = r"(?:(?i:bearer|basic|digest|token|negotiate|ntlm)[ \t]+)?"
_FILTERED_VALUE = re.compile(
    rf""">?[ \t]*{_SCHEME}(?:(["']){_SCHEME}\[Filtered\]\1|\[Filtered\](?![^\s"'&;,)}}>]))"""
)
# Tables for bytes.translate: "0" for the characters of a class, "x" for any other byte, so that
# a run of them is a plain substring search, in C.
_CARD_OR_IBAN_CHARS = bytes(
    0x30 if chr(b) in "0123456789 -" or "A" <= chr(b) <= "Z" else 0x78 for b in range(256)
)
_TOKEN_CHARS = bytes(
    0x30 if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "_-") else 0x78 for b in range(256)
)
_WORD_OR_BRACKET = re.compile(r"[\w\[]")
_HEADER_NAME = re.compile(r"[A-Za-z][\w.\-]{0,63}")


def _replace_card(match: re.Match[str]) -> str:
    return FILTERED if _is_card(match[0]) else match[0]


def _is_card(candidate: str) -> bool:
    """Stricter than the SDK, which filters any 13 to 19 digits that pass the Luhn check: also a
    card's length for its first digits, and a card's grouping, so that order ids, phone numbers,
    timestamps (in ms always, in us and ns until 2039) and all-digit UUID groups stay."""
    digits = candidate.replace(" ", "").replace("-", "")
    length = len(digits)
    if length == 13:
        issued = digits[0] == "4"  # old Visa
    elif length <= 15:
        issued = digits[0] == "3"  # Amex, Diners
    else:  # Visa, Mastercard, Discover, UnionPay, JCB..., Mir 2200-2204, Mastercard 2221-2720
        issued = digits[0] in "3456" or "2200" <= digits[:4] <= "2204"
        issued = issued or (length == 16 and "2221" <= digits[:4] <= "2720")
    if not issued or not _luhn(digits):
        return False
    if length == len(candidate):
        return True
    groups = candidate.split(" " if " " in candidate else "-")
    return (
        all(group.isdigit() for group in groups)  # one kind of separator
        and len(groups[0]) == 4
        and all(3 <= len(group) <= 6 for group in groups[1:])
    )


def _scrub_ibans(text: str) -> str:
    parts: list[str] = []
    done = 0
    for match in _IBAN_START.finditer(text):
        start = match.start()
        length = _IBAN_LENGTHS.get(match[1])
        if start < done or length is None:
            continue
        end = _iban_end(text, start, length)
        if end is None or not _mod97(text[start:end].replace(" ", "")):
            continue
        parts += (text[done:start], FILTERED)
        done = end
    return "".join(parts) + text[done:] if parts else text


def _iban_end(text: str, start: int, length: int) -> int | None:
    """Where ``length`` letters and digits from ``start`` end (single spaces allowed after the
    country and check digits), if a word ends there too."""
    count = 0
    i = start
    while i < len(text):
        char = text[i]
        if "A" <= char <= "Z" or "0" <= char <= "9":
            count += 1
            i += 1
            if count == length:
                return None if _WORD_OR_BRACKET.match(text, i) else i
        elif char == " " and count >= 4 and text[i + 1 : i + 2].isalnum():
            i += 1
        else:
            return None
    return None


def _mod97(iban: str) -> bool:
    """ISO 13616: the country and check digits moved to the end, letters as 10 to 35."""
    return int("".join(str(int(char, 36)) for char in iban[4:] + iban[:4])) % 97 == 1


# The pre-check's checks, one per pattern: `(text, text.lower()) -> bool`, True when the pattern
# could change the text. Each looks for a cheap sign first.


def _has_pem(text: str, _lower: str) -> bool:
    return "-----BEGIN " in text and _PEM.sub(_replace_pem, text) != text


def _has_jwt(text: str, _lower: str) -> bool:
    return "eyJ" in text and _JWT.search(text) is not None


def _has_card_or_iban(text: str, _lower: str, *, card: bool, iban: bool) -> bool:
    # Both are 13 or more digits, capitals, spaces and dashes in a row.
    if not _run(text, _CARD_OR_IBAN_CHARS, 13):
        return False
    if card and any(_is_card(match[0]) for match in _CARD.finditer(text)):
        return True
    return iban and _scrub_ibans(text) != text


def _has_url_password(text: str, _lower: str) -> bool:
    if "//" not in text or "@" not in text:
        return False
    for match in _USERINFO.finditer(text):
        userinfo = match[0][2:-1]
        if _userinfo(userinfo, False) != userinfo:
            return True
    return False


def _has_aws_key(text: str, _lower: str) -> bool:
    return _AWS_HINT.search(text) is not None and _AWS.search(text) is not None


def _has_vendor_token(text: str, _lower: str) -> bool:
    # Every shape of _VENDOR is 15 or more letters, digits, `_` and `-` in a row.
    if not _run(text, _TOKEN_CHARS, 15):
        return False
    return _VENDOR_HINT.search(text) is not None and _VENDOR.search(text) is not None


def _run(text: str, table: bytes, length: int) -> bool:
    """Whether ``text`` has ``length`` characters in a row that ``table`` maps to ``0``."""
    return b"0" * length in text.encode("utf-8", "surrogatepass").translate(table)


def _has_authorization(text: str, lower: str) -> bool:
    if "authorization" in lower and _header_changes(_AUTH_HEADER, "authorization", text, lower):
        return True
    if "bearer" not in lower:
        return False
    if len(lower) != len(text):  # lower() made a character two: positions differ
        return _BEARER.search(text) is not None
    start = lower.find("bearer")
    while start >= 0:  # _BEARER at each `bearer`: searching all of the text is slow
        if _BEARER.match(text, start):
            return True
        start = lower.find("bearer", start + 1)
    return False


def _has_cookie_header(text: str, lower: str) -> bool:
    return "cookie" in lower and _header_changes(_COOKIE_HEADER, "cookie", text, lower)


def _header_changes(header: re.Pattern[str], name: str, text: str, lower: str) -> bool:
    """Whether ``header.sub(_keep_head, text)`` changes ``text``, asked only where ``name`` is:
    a case-insensitive search of a whole text is slow. Not for text that is not ASCII, where
    such a search also finds `ı` for `i` (which ``lower`` does not make an `i`)."""
    if not text.isascii():
        return header.sub(_keep_head, text) != text
    start = lower.find(name)
    while start >= 0:
        # At the name itself, also when `proxy-` or `set-` is before it: the same value.
        match = header.match(text, start)
        if match and match[0][len(match["head"]) :] != FILTERED:
            return True
        start = lower.find(name, start + 1)
    return False


_CHECKS: tuple[tuple[str, Check], ...] = (
    ("pem", _has_pem),
    ("jwt", _has_jwt),
    ("url_password", _has_url_password),
    ("aws_key", _has_aws_key),
    ("vendor_token", _has_vendor_token),
    ("authorization", _has_authorization),
)


# Settings' checks.


def _field_names(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` stripped and without repeats; ValueError for an empty or overlong name."""
    if isinstance(names, str):
        raise ValueError(f"extra_fields must be a list of names, not the string {names!r}")
    checked: dict[str, None] = {}
    for raw in names:
        if not isinstance(raw, str):
            raise ValueError(f"extra_fields: {raw!r} is not a string")
        name = raw.strip()
        if not normalize_key(name):
            raise ValueError(f"extra_fields: {raw!r} is empty without its spaces, '-', '_' and '.'")
        if len(name) > MAX_FIELD_NAME:
            raise ValueError(f"extra_fields: {name[:20]!r}... is over {MAX_FIELD_NAME} characters")
        checked[name] = None
    if len(checked) > MAX_EXTRA_FIELDS:
        raise ValueError(f"extra_fields: at most {MAX_EXTRA_FIELDS} names, not {len(checked)}")
    return tuple(checked)


def _check_patterns(names: Iterable[str]) -> frozenset[str]:
    names = frozenset(names)
    unknown = sorted(names - PATTERNS.keys())
    if unknown:
        raise ValueError(
            f"disabled_patterns: unknown pattern {unknown[0]!r}; "
            f"the patterns are {', '.join(PATTERNS)}"
        )
    return names


def _flag(value: Mapping[str, Any], key: str) -> bool:
    flag = value.get(key, True)
    if not isinstance(flag, bool):
        raise ValueError(f"{key} must be true or false, not {flag!r}")
    return flag


def _strings(value: Mapping[str, Any], key: str) -> list[str]:
    items = value.get(key, [])
    if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
        raise ValueError(f"{key} must be a list of strings, not {items!r}")
    return list(items)


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", bool: "a boolean"}.get(
        type(value), type(value).__name__
    )
