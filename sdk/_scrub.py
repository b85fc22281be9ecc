"""Privacy scrubbing of a report before it leaves the process, on the worker.

:class:`Scrubber` works on a report already in wire shape (plain dicts, lists and strings, as
``sdk.models.Report`` dumps to JSON), before validation. It never raises on odd shapes: a field of
the wrong type is left alone for validation to deal with. Whatever it removes becomes
:data:`FILTERED`, which is never scrubbed into anything else, so scrubbing twice changes nothing.

What is removed:

* **denied keys**: a dict key on the deny-list (:data:`DEFAULT_DENYLIST` plus the app's
  ``denylist``) has its whole value replaced, whatever its type. Keys match case-insensitively
  after removing ``-``, ``_``, ``.`` and spaces, by substring: ``db_password``, ``X-Api-Key`` and
  ``SESSIONID`` are denied, ``author`` is not;
* **secrets in text**, always: the value of ``key=value``, ``key: value``, ``"key": "value"``
  (and query strings inside text) for a denied key, ``Authorization`` headers and bare
  ``Bearer`` tokens, ``Cookie`` headers, passwords in URLs, PEM key blocks, JWTs and card numbers
  that pass the Luhn check;
* **PII in text**, unless ``send_default_pii`` (and only where the caller asks for it): email
  addresses and IPv4 / IPv6 addresses;
* **URLs** (:meth:`Scrubber.scrub_url`): the password of the userinfo (with PII, the whole
  userinfo), and the values of denied query and fragment parameters; the scheme, host and path
  are kept as they are.

Where, in :meth:`Scrubber.scrub_report`:

* secrets only (the reporter or the developer wrote these on purpose): ``title``,
  ``description``, ``extra``, ``tags``;
* secrets and PII: ``actions[*].message`` and ``.data``, ``logs[*].message``,
  ``network[*].url`` and ``.error``, ``exception.value`` and ``.stack`` (also of each exception
  in ``exception.chain``), ``browser.url`` and ``.referrer``;
* left alone: ``user`` (set by the developer), ``attachments``, ``links``, ``sdk``,
  ``fingerprint``, ``device`` (its host name is hashed by the environment collector) and the rest.

In free-form JSON (``extra``, action ``data``, ``tags``) a string under a key ending in ``url``
is scrubbed as a URL, anything nested deeper than :data:`MAX_DEPTH` becomes :data:`FILTERED`, and
keys themselves are never rewritten.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import quote, unquote_plus

FILTERED = "[Filtered]"

# Key names whose values are secrets, matched by substring after normalisation, so `token` also
# denies `github_token`, `access_token`, `x-auth-token` and `csrftoken`, and `api_key` denies
# `X-Api-Key`. A bare `auth` is deliberately absent: it would deny `author`.
DEFAULT_DENYLIST: tuple[str, ...] = (
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "secret",  # client_secret, secret_key, aws_secret_access_key
    "token",
    "api_key",
    "authorization",
    "auth_token",
    "auth_key",
    "cookie",  # set-cookie
    "session",  # sessionid, session_key
    "sessid",  # PHPSESSID
    "csrf",
    "xsrf",
    "private_key",
    "signing_key",
    "access_key",
    "credential",  # credentials, X-Amz-Credential
    "signature",  # X-Amz-Signature, signed URLs
    "card_number",
    "cvv",
)

MAX_DEPTH = 20  # twice the schema's nesting limit: deeper data cannot be valid anyway
_MIN_LENGTH = 3  # the shortest text anything below can match (`::1`)
_MAX_ROUNDS = 4  # of scrubbing text that changed; more than two are rarely needed

_NORMALIZE = str.maketrans("", "", "-_. ")

# `-----BEGIN RSA PRIVATE KEY----- ... -----END RSA PRIVATE KEY-----`, or a cut-off block.
_PEM = re.compile(
    r"(?P<begin>-----BEGIN (?P<label>[A-Z0-9 ]*KEY[A-Z0-9 ]*)-----)"
    r"(?:.*?(?P<end>-----END (?P=label)-----)|.*)",
    re.DOTALL,
)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
# `scheme://user:password@` inside text.
_TEXT_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^\s/?#@]+)@")
_AUTH_SCHEMES = r"(?:bearer|basic|digest|token|negotiate|ntlm)"
_AUTH_HEADER = re.compile(
    r"(?P<head>\b(?:proxy-)?authorization[\"']?[ \t]*[:=][ \t]*[\"']?"
    rf"(?:{_AUTH_SCHEMES}[ \t]+)?)[^\s\"',;]+",
    re.IGNORECASE,
)
# A bare `Bearer <token>`: 8+ token characters including a digit, so "bearer of bad news" stays.
_BEARER = re.compile(r"\b(?P<head>(?:[Bb]earer|BEARER)[ \t]+)(?=[\w\-.~+/]*\d)[\w\-.~+/]{8,}=*")
_COOKIE_HEADER = re.compile(
    r"(?P<head>\b(?:set-)?cookie[ \t]*:[ \t]*)[^\s\"'][^\r\n\"']*", re.IGNORECASE
)
# A key (maybe quoted, or the last of `user[password]`), its separator and (looked ahead at, not
# consumed, so that text inside a value that turns out not to be secret is still searched) its
# value: quoted, maybe after an auth scheme, or bare up to a space, quote or delimiter.
_KEY_VALUE = re.compile(
    r"(?<![\w.\-%\]])(?P<key>[A-Za-z_][\w.\-%]{0,63})\]?[\"']?[ \t]*(?:=>|==?|:)[ \t]*"
    rf"(?=(?P<scheme>(?i:{_AUTH_SCHEMES})[ \t]+)?"
    r"(?P<value>\"(?:[^\"\\\n]|\\.)*\"?|'(?:[^'\\\n]|\\.)*'?|[^\s\"'&;,)}>]+))"
)
_SCHEME = re.compile(rf"{_AUTH_SCHEMES}[ \t]+(?=\S)", re.IGNORECASE)  # inside a quoted value
# In the boundaries below `[` and `]` count as word characters, so that text next to a
# FILTERED left by an earlier pattern is seen as it was before: scrubbing twice changes nothing.
_CARD = re.compile(r"(?<![\w.\]])[0-9](?:[ -]?[0-9]){12,18}(?![\w\[]|\.[0-9])")
_EMAIL = re.compile(r"(?<![\w.%+\]])[\w%+](?:[.\-]?[\w%+])*@(?:[\w\-]+\.)+[^\W\d_]{2,}(?![\w\-\[])")
_OCTET = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
_IPV4 = re.compile(rf"(?<![\w.\]]){_OCTET}(?:\.{_OCTET}){{3}}(?![\w\[]|\.[0-9])")
# Candidates only: each is checked with `ipaddress`, so `12:30:45` and MAC addresses stay.
_IPV6 = re.compile(
    r"(?<![\w:.\]])(?:[0-9A-Fa-f]{0,4}:){2,7}"
    r"(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[\w.\-]+)?(?![\w:\[])"
)
_AUTHORITY = re.compile(r"(?:[A-Za-z][A-Za-z0-9+.\-]*:)?//(?P<authority>[^/]*)")
_SPACE = re.compile(r"\s")


def normalize_key(key: str) -> str:
    """``key`` as the deny-list compares it: lower case, without ``-``, ``_``, ``.`` and spaces."""
    return key.lower().translate(_NORMALIZE)


class Scrubber:
    """Removes secrets (and, unless ``send_default_pii``, PII) from reports. Thread-safe."""

    def __init__(
        self, denylist: Iterable[str] = (), *, send_default_pii: bool = False, defaults: bool = True
    ) -> None:
        names = [denylist] if isinstance(denylist, str) else list(denylist)
        if defaults:
            names += DEFAULT_DENYLIST
        patterns = sorted({normalize_key(name) for name in names if isinstance(name, str)} - {""})
        self._denied = re.compile("|".join(map(re.escape, patterns))) if patterns else None
        self._send_default_pii = send_default_pii
        self._cookies = self.is_denied_key("cookie")

    def is_denied_key(self, key: str) -> bool:
        """Whether the value under ``key`` is a secret."""
        return self._denied is not None and self._denied.search(normalize_key(key)) is not None

    def scrub_report(self, report: dict[str, Any]) -> None:
        """Scrub the wire-shaped ``report`` in place (see the module's docstring for where)."""
        if not isinstance(report, dict):
            return
        for name in ("title", "description"):
            self._scrub_text_field(report, name, pii=False)
        for name in ("extra", "tags"):
            if isinstance(report.get(name), dict):
                report[name] = self.scrub_value(report[name], pii=False)
        for action in _dicts(report.get("actions")):
            self._scrub_text_field(action, "message")
            if isinstance(action.get("data"), dict):
                action["data"] = self.scrub_value(action["data"])
        for entry in _dicts(report.get("logs")):
            self._scrub_text_field(entry, "message")
        for request in _dicts(report.get("network")):
            self._scrub_url_field(request, "url")
            self._scrub_text_field(request, "error")
        exception = report.get("exception")
        if isinstance(exception, dict):
            for item in [exception, *_dicts(exception.get("chain"))]:
                self._scrub_text_field(item, "value")
                self._scrub_text_field(item, "stack")
        browser = report.get("browser")
        if isinstance(browser, dict):
            self._scrub_url_field(browser, "url")
            self._scrub_url_field(browser, "referrer")

    def scrub_value(self, value: Any, *, pii: bool = True) -> Any:
        """``value`` with denied keys' values and strings scrubbed, recursively (a new object)."""
        return self._scrub_value(value, pii, None, 0)

    def scrub_text(self, text: str, *, pii: bool = True) -> str:
        """``text`` without secrets and, if ``pii`` and not ``send_default_pii``, emails and IPs."""
        pii = pii and not self._send_default_pii
        # What one pattern filters can change what another sees (a card number next to a
        # password, an address inside a URL's userinfo): text that changed is scrubbed again
        # until it no longer does, so that scrubbing twice is scrubbing once.
        for _ in range(_MAX_ROUNDS):
            scrubbed = self._scrub_text_once(text, pii)
            if scrubbed == text:
                break
            text = scrubbed
        return text

    def _scrub_text_once(self, text: str, pii: bool) -> str:
        if len(text) < _MIN_LENGTH:
            return text
        if "-----BEGIN " in text:
            text = _PEM.sub(_replace_pem, text)
        if "eyJ" in text:
            text = _JWT.sub(FILTERED, text)
        text = _CARD.sub(_replace_card, text)
        if "://" in text and "@" in text:
            text = _TEXT_USERINFO.sub(
                lambda m: f"{m['scheme']}{_userinfo(m['userinfo'], pii)}@", text
            )
        lower = text.lower()
        if "authorization" in lower:
            text = _AUTH_HEADER.sub(_keep_head, text)
        if "bearer" in lower:
            text = _BEARER.sub(_keep_head, text)
        if self._cookies and "cookie" in lower:
            text = _COOKIE_HEADER.sub(_keep_head, text)
        text = self._scrub_pairs(text)
        return _scrub_pii(text) if pii else text

    def scrub_url(self, url: str, *, pii: bool = True) -> str:
        """``url`` without the userinfo's password and denied query and fragment parameters.

        With ``pii`` (and not ``send_default_pii``) the whole userinfo goes, and emails and IPs
        in parameter values too. Text with white space in it is not a URL: it is scrubbed as text.
        """
        pii = pii and not self._send_default_pii
        if _SPACE.search(url):
            url = self.scrub_text(url, pii=pii)
            if _SPACE.search(url):
                return url
        if "@" not in url and "?" not in url and "#" not in url:
            return url
        rest, hash_mark, fragment = url.partition("#")
        rest, question_mark, query = rest.partition("?")
        match = _AUTHORITY.match(rest)
        if match and "@" in match["authority"]:
            userinfo, _, host = match["authority"].rpartition("@")
            start, end = match.span("authority")
            rest = f"{rest[:start]}{_userinfo(userinfo, pii)}@{host}{rest[end:]}"
        if query:
            query = self._scrub_params(query, pii)
        if fragment:
            route, fragment_mark, params = fragment.rpartition("?")
            fragment = route + fragment_mark + self._scrub_params(params, pii)
        return rest + question_mark + query + hash_mark + fragment

    def _scrub_value(self, value: Any, pii: bool, key: str | None, depth: int) -> Any:
        if isinstance(value, str):
            if key is not None and key.lower().endswith("url"):
                return self.scrub_url(value, pii=pii)
            return self.scrub_text(value, pii=pii)
        if not isinstance(value, dict | list | tuple):
            return value
        if depth >= MAX_DEPTH:
            return FILTERED
        if isinstance(value, dict):
            return {
                k: FILTERED
                if isinstance(k, str) and self.is_denied_key(k)
                else self._scrub_value(v, pii, k if isinstance(k, str) else None, depth + 1)
                for k, v in value.items()
            }
        return [self._scrub_value(item, pii, key, depth + 1) for item in value]

    def _scrub_pairs(self, text: str) -> str:
        """Replace the values of ``key=value``-like pairs whose key is denied."""
        if self._denied is None or ("=" not in text and ":" not in text):
            return text
        if not self._denied.search(text.lower().translate(_NORMALIZE)):
            return text  # no denied key anywhere
        parts: list[str] = []
        done = 0
        for match in _KEY_VALUE.finditer(text):
            if match.start() < done or not self.is_denied_key(match["key"]):
                continue
            start, end = match.span("value")
            value = match["value"]
            opening = value[0] if value[0] in "\"'" else ""
            closing = opening if len(value) > 1 and value.endswith(opening) else ""
            scheme = _SCHEME.match(value, len(opening)) if opening else None
            parts += (text[done:start], opening, scheme[0] if scheme else "", FILTERED, closing)
            done = end
        return "".join(parts) + text[done:] if parts else text

    def _scrub_params(self, params: str, pii: bool) -> str:
        """``a=1&b=2`` with denied names' values filtered; other values only if they hold one."""
        if "=" not in params:
            return params
        pairs = params.split("&")
        for i, pair in enumerate(pairs):
            name, _, value = pair.partition("=")
            if not value:
                continue
            if self.is_denied_key(unquote_plus(name)):
                pairs[i] = f"{name}={FILTERED}"
                continue
            decoded = unquote_plus(value)
            scrubbed = self.scrub_text(decoded, pii=pii)
            if scrubbed != decoded:
                pairs[i] = f"{name}={quote(scrubbed, safe='[]')}"
        return "&".join(pairs)

    def _scrub_text_field(self, parent: dict[str, Any], name: str, *, pii: bool = True) -> None:
        value = parent.get(name)
        if isinstance(value, str):
            parent[name] = self.scrub_text(value, pii=pii)

    def _scrub_url_field(self, parent: dict[str, Any], name: str) -> None:
        value = parent.get(name)
        if isinstance(value, str):
            parent[name] = self.scrub_url(value)


def _dicts(items: Any) -> Iterator[dict[str, Any]]:
    """The dicts in ``items`` if it is a list; nothing otherwise."""
    if isinstance(items, list):
        yield from (item for item in items if isinstance(item, dict))


def _scrub_pii(text: str) -> str:
    if "@" in text:
        text = _EMAIL.sub(FILTERED, text)
    if "::" in text or text.count(":") >= 7:
        text = _IPV6.sub(_replace_ipv6, text)
    if text.count(".") >= 3:
        text = _IPV4.sub(FILTERED, text)
    return text


def _userinfo(userinfo: str, pii: bool) -> str:
    if pii:
        return FILTERED
    user, colon, _ = userinfo.partition(":")
    return f"{user}:{FILTERED}" if colon else userinfo


def _keep_head(match: re.Match[str]) -> str:
    return match["head"] + FILTERED


def _replace_pem(match: re.Match[str]) -> str:
    return match["begin"] + FILTERED + (match["end"] or "")


def _replace_card(match: re.Match[str]) -> str:
    digits = match[0].replace(" ", "").replace("-", "")
    return FILTERED if _luhn(digits) else match[0]


def _luhn(digits: str) -> bool:
    total = 0
    for i, char in enumerate(reversed(digits)):
        digit = int(char)
        if i % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _replace_ipv6(match: re.Match[str]) -> str:
    candidate = match[0]
    if not candidate.strip(":"):
        return candidate  # a bare `::` is a separator in prose, not an address
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return candidate
    return FILTERED
