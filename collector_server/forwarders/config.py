"""The ``[[forwarders]]`` tables of the collector's TOML configuration (``BUGRELAY_CONFIG``):
which backends receive which groups, and how to reach them.

    [[forwarders]]
    kind = "github"                  # one of KINDS
    repo = "acme/shop"               # the kind's target
    token_env = "GITHUB_TOKEN"       # credentials only as names of environment variables
    min_severity = "high"            # omitted: every severity
    projects = ["shop"]              # omitted: every project

``name`` (unique in the file) defaults to the kind; ``base_url`` defaults to the vendor's API
host where it has one fixed host and is required where each customer has their own (Jira,
Zendesk, ...); ``priorities`` maps our severities to the backend's priority or label values
over the kind's defaults. A literal secret (``token = "..."``), an unknown key, a missing target
or credential and a bad value are :class:`~collector_server.config.ConfigError`\\ s that say
where (file, table number and name) and what to write instead. docs/forwarding.md has the
reference of every kind.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from collector_server.config import ConfigError, read_config
from collector_server.pipeline.severity import LEVELS, Level

Priority = str | int

_LABELS: Mapping[Level, Priority] = {level: f"severity: {level}" for level in LEVELS}
_JIRA: Mapping[Level, Priority] = {
    "critical": "Highest",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}
_LINEAR: Mapping[Level, Priority] = {"critical": 1, "high": 2, "medium": 3, "low": 4}
_DESK_WORDS: Mapping[Level, Priority] = {
    "critical": "urgent",
    "high": "high",
    "medium": "normal",
    "low": "low",
}
_DESK_NUMBERS: Mapping[Level, Priority] = {"critical": 4, "high": 3, "medium": 2, "low": 1}
_SERVICENOW: Mapping[Level, Priority] = {"critical": 1, "high": 2, "medium": 3, "low": 4}
_SALESFORCE: Mapping[Level, Priority] = {
    "critical": "High",
    "high": "High",
    "medium": "Medium",
    "low": "Low",
}

_INBOUND = ("webhook_secret_env",)  # the secret of the backend's status webhook, optional


@dataclass(frozen=True, slots=True)
class _Kind:
    """What one kind of table takes."""

    target: tuple[str, ...] = ()
    # The accepted sets of credential keys; exactly one set must be given (ServiceNow has two).
    credentials: tuple[tuple[str, ...], ...] = ()
    optional_env: tuple[str, ...] = _INBOUND
    base_url: str | None = None  # the default; None: required (when takes_base_url)
    takes_base_url: bool = True
    # A variable that may hold the whole address instead of base_url (a webhook whose URL
    # carries a token).
    address_env: str | None = None
    priorities: Mapping[Level, Priority] | None = None  # None: the kind takes no priorities


_KINDS: Mapping[str, _Kind] = {
    "github": _Kind(
        ("repo",), (("token_env",),), base_url="https://api.github.com", priorities=_LABELS
    ),
    "gitlab": _Kind(
        ("project",), (("token_env",),), base_url="https://gitlab.com", priorities=_LABELS
    ),
    "jira": _Kind(("project_key",), (("email_env", "token_env"),), priorities=_JIRA),
    "linear": _Kind(
        ("team_id",), (("token_env",),), base_url="https://api.linear.app", priorities=_LINEAR
    ),
    "sentry": _Kind(credentials=(("dsn_env",),), optional_env=(), takes_base_url=False),
    "webhook": _Kind(
        credentials=(("webhook_secret_env",),), optional_env=(), address_env="url_env"
    ),
    "slack": _Kind(credentials=(("url_env",),), optional_env=(), takes_base_url=False),
    "telegram": _Kind(
        ("chat_id",), (("token_env",),), optional_env=(), base_url="https://api.telegram.org"
    ),
    "zendesk": _Kind(credentials=(("email_env", "token_env"),), priorities=_DESK_WORDS),
    "freshdesk": _Kind(credentials=(("api_key_env",),), priorities=_DESK_NUMBERS),
    "helpscout": _Kind(
        ("mailbox_id",),
        (("client_id_env", "client_secret_env"),),
        base_url="https://api.helpscout.net",
        priorities=_DESK_WORDS,
    ),
    "jsm": _Kind(
        ("service_desk_id", "request_type_id"), (("email_env", "token_env"),), priorities=_JIRA
    ),
    "servicenow": _Kind(
        credentials=(("user_env", "password_env"), ("token_env",)), priorities=_SERVICENOW
    ),
    "salesforce": _Kind(credentials=(("token_env",),), priorities=_SALESFORCE),
    "intercom": _Kind(credentials=(("token_env",),), base_url="https://api.intercom.io"),
    "crisp": _Kind(
        ("website_id",), (("identifier_env", "key_env"),), base_url="https://api.crisp.chat"
    ),
}
KINDS: tuple[str, ...] = tuple(_KINDS)

_COMMON = ("kind", "name", "projects", "min_severity")

# Keys that would put a credential into the file, and the form to use instead.
_LITERAL_SECRETS = {
    "token": "token_env",
    "api_token": "token_env",
    "access_token": "token_env",
    "bot_token": "token_env",
    "password": "password_env",
    "api_key": "api_key_env",
    "apikey": "api_key_env",
    "secret": "webhook_secret_env",
    "webhook_secret": "webhook_secret_env",
    "client_id": "client_id_env",
    "client_secret": "client_secret_env",
    "key": "key_env",
    "identifier": "identifier_env",
    "dsn": "dsn_env",
    "email": "email_env",
    "user": "user_env",
    "username": "user_env",
}
_URL_IS_SECRET = {"slack", "webhook"}  # their `url` holds the credential: url_env

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_JIRA_KEY = re.compile(r"[A-Z][A-Z0-9_]+")
_GITLAB_PATH = re.compile(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*")
_CHAT_ID = re.compile(r"-?[0-9]+|@[A-Za-z0-9_]{5,}")


@dataclass(frozen=True, slots=True)
class ForwarderConfig:
    """One ``[[forwarders]]`` table, checked: where to send which groups, and how.

    ``target`` holds the kind's target keys (``repo``, ``project_key``, ...) as strings; ``env``
    maps a credential (``token``, ``email``, ``webhook_secret``, ... : the key without ``_env``)
    to the name of the environment variable that holds it; ``priorities`` maps each severity
    to the backend's value (a label, a priority name or number). ``base_url`` has no trailing
    slash; it is None for the kinds whose address is a secret (Slack, Sentry's DSN, a webhook
    given by ``url_env``).
    """

    kind: str
    name: str
    base_url: str | None
    projects: tuple[str, ...] | None = None  # None: every project
    min_severity: Level | None = None  # None: every severity
    target: Mapping[str, str] = field(default_factory=dict, hash=False)
    env: Mapping[str, str] = field(default_factory=dict, hash=False)
    priorities: Mapping[Level, Priority] = field(default_factory=dict, hash=False)

    def wants(self, project_name: str, severity: str) -> bool:
        """Whether a group of ``project_name`` at ``severity`` goes to this backend."""
        if severity not in LEVELS:
            raise ValueError(f"unknown severity {severity!r}; one of {', '.join(LEVELS)}")
        if self.projects is not None and project_name not in self.projects:
            return False
        return self.min_severity is None or LEVELS.index(severity) >= LEVELS.index(
            self.min_severity
        )

    def secret(self, key: str, environ: Mapping[str, str] = os.environ) -> str:
        """The credential ``key`` (``"token"`` for ``token_env``) read from its variable."""
        variable = self.env.get(key.removesuffix("_env"))
        if variable is None:
            raise ConfigError(f"forwarder {self.name!r} ({self.kind}) names no {key}_env")
        value = environ.get(variable, "")
        if not value:
            state = "empty" if variable in environ else "not set"
            raise ConfigError(
                f"forwarder {self.name!r} ({self.kind}): the environment variable {variable}"
                f" ({key.removesuffix('_env')}_env) is {state}"
            )
        return value

    def missing_variables(self, environ: Mapping[str, str] = os.environ) -> list[str]:
        """The referenced environment variables that are unset or empty."""
        return [variable for variable in self.env.values() if not environ.get(variable)]


def load_forwarders(path: Path) -> list[ForwarderConfig]:
    """The forwarders configured in the TOML file at ``path`` (none when there is no file)."""
    return forwarders_from(read_config(path), str(path))


def forwarders_from(data: Mapping[str, Any], where: str = "configuration") -> list[ForwarderConfig]:
    tables = data.get("forwarders", [])
    if not isinstance(tables, list) or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f"{where}: forwarders must be an array of tables: one [[forwarders]] per backend"
        )
    result: list[ForwarderConfig] = []
    taken: dict[str, int] = {}
    for number, table in enumerate(tables, start=1):
        forwarder = _forwarder(table, f"{where}: {_label(number, table)}")
        if forwarder.name in taken:
            first = taken[forwarder.name]
            if "name" not in table:
                raise ConfigError(
                    f"{where}: {_label(number, table)}: the name {forwarder.name!r} (the default:"
                    f" the kind) is taken by [[forwarders]] table {first}; give each"
                    f' {forwarder.kind} table its own name = "..."'
                )
            raise ConfigError(
                f"{where}: {_label(number, table)}: the name {forwarder.name!r} is taken by"
                f" [[forwarders]] table {first}; names are unique"
            )
        taken[forwarder.name] = number
        result.append(forwarder)
    return result


def _label(number: int, table: Mapping[str, Any]) -> str:
    name = table.get("name", table.get("kind"))
    return f"[[forwarders]] table {number}" + (f" ({name!r})" if isinstance(name, str) else "")


def _forwarder(table: Mapping[str, Any], where: str) -> ForwarderConfig:
    kind_name = table.get("kind")
    if kind_name is None:
        raise ConfigError(f"{where}: kind is required; one of {', '.join(KINDS)}")
    if kind_name not in _KINDS:
        raise ConfigError(f"{where}: unknown kind {kind_name!r}; one of {', '.join(KINDS)}")
    kind = _KINDS[kind_name]
    env_keys = sorted({key for keys in kind.credentials for key in keys} | set(kind.optional_env))
    if kind.address_env:
        env_keys = sorted({*env_keys, kind.address_env})
    allowed = sorted(
        {*_COMMON, *kind.target, *env_keys}
        | ({"base_url"} if kind.takes_base_url else set())
        | ({"priorities"} if kind.priorities is not None else set())
    )
    _refuse_literal_secrets(table, kind_name, env_keys, where)
    if "base_url" in table and not kind.takes_base_url:
        address = kind.credentials[0][0]
        raise ConfigError(
            f"{where}: a {kind_name} table takes no base_url: its address is a secret; name the"
            f' environment variable that holds it: {address} = "VARIABLE"'
        )
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise ConfigError(
            f"{where}: unknown key(s) {', '.join(unknown)}; a {kind_name} table takes:"
            f" {', '.join(allowed)}"
        )
    name = table.get("name", kind_name)
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ConfigError(
            f"{where}: name must be 1 to 64 letters, digits, '_', '.' or '-' (it is part of the"
            f" webhook address /api/v1/webhooks/{{name}}), not {name!r}"
        )
    base_url = _base_url(table, kind_name, kind, where)
    target = _target(table, kind_name, kind, where)
    env = _credentials(table, kind_name, kind, where)
    return ForwarderConfig(
        kind=kind_name,
        name=name,
        base_url=base_url,
        projects=_projects(table.get("projects"), where),
        min_severity=_min_severity(table.get("min_severity"), where),
        target=MappingProxyType(target),
        env=MappingProxyType(env),
        priorities=MappingProxyType(_priorities(table.get("priorities"), kind, where)),
    )


def _refuse_literal_secrets(
    table: Mapping[str, Any], kind_name: str, env_keys: Sequence[str], where: str
) -> None:
    for key in table:
        instead = _LITERAL_SECRETS.get(key)
        if key == "url" and kind_name in _URL_IS_SECRET:
            instead = "url_env"
        if instead is None:
            continue
        takes = "" if instead in env_keys else f" (a {kind_name} table takes {', '.join(env_keys)})"
        raise ConfigError(
            f"{where}: {key!r} would write a credential into the file; put it in an environment"
            f' variable and name the variable instead: {instead} = "VARIABLE"{takes}'
        )


def _base_url(table: Mapping[str, Any], kind_name: str, kind: _Kind, where: str) -> str | None:
    if not kind.takes_base_url:
        return None
    value = table.get("base_url", kind.base_url)
    if value is None:
        if kind.address_env and kind.address_env in table:
            return None
        also = ""
        if kind.address_env:
            also = f" (or {kind.address_env}, when the address holds a secret)"
        raise ConfigError(
            f"{where}: base_url is required for {kind_name}{also}: the http(s) address its REST"
            " paths are appended to"
        )
    if kind.address_env and kind.address_env in table:
        raise ConfigError(f"{where}: give base_url or {kind.address_env}, not both")
    if not isinstance(value, str):
        raise ConfigError(f"{where}: base_url must be a string, not {value!r}")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        host = None
    if parts.scheme not in ("http", "https") or not host:
        raise ConfigError(f"{where}: base_url must be an http:// or https:// URL, not {value!r}")
    if parts.username is not None or parts.password is not None:
        raise ConfigError(
            f"{where}: base_url must not hold credentials (user:password@); name their"
            " environment variables with the *_env keys"
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"{where}: base_url must have no query or fragment, not {value!r}")
    return value.rstrip("/")


def _target(table: Mapping[str, Any], kind_name: str, kind: _Kind, where: str) -> dict[str, str]:
    target: dict[str, str] = {}
    for key in kind.target:
        if key not in table:
            raise ConfigError(f"{where}: {key} is required for {kind_name} ({_TARGET_HELP[key]})")
        target[key] = _target_value(key, table[key], where)
    return target


_TARGET_HELP = {
    "repo": 'the repository as repo = "owner/name"',
    "project": 'the project\'s numeric id or its path, project = "group/name"',
    "project_key": 'the Jira project key, project_key = "SHOP"',
    "team_id": "the Linear team's id",
    "chat_id": 'the chat\'s numeric id or "@channelname"',
    "mailbox_id": "the Help Scout mailbox's numeric id",
    "service_desk_id": "the Jira Service Management service desk's numeric id",
    "request_type_id": "the numeric id of the request type to open",
    "website_id": "the Crisp website's id",
}


def _target_value(key: str, value: Any, where: str) -> str:
    numeric = isinstance(value, int) and not isinstance(value, bool) and value > 0
    text = value if isinstance(value, str) else None
    good: bool
    if key == "repo":
        good = text is not None and _REPO.fullmatch(text) is not None
    elif key == "project":
        good = numeric or (text is not None and _GITLAB_PATH.fullmatch(text) is not None)
    elif key == "project_key":
        good = text is not None and _JIRA_KEY.fullmatch(text) is not None
    elif key == "chat_id":
        good = (isinstance(value, int) and not isinstance(value, bool)) or (
            text is not None and _CHAT_ID.fullmatch(text) is not None
        )
    elif key in ("mailbox_id", "service_desk_id", "request_type_id"):
        good = numeric or (text is not None and text.isascii() and text.isdigit())
    else:  # team_id, website_id: the vendor's opaque id
        good = text is not None and text.strip() == text != ""
    if not good:
        raise ConfigError(f"{where}: {key} must be {_TARGET_HELP[key]}, not {value!r}")
    return str(value)


def _credentials(
    table: Mapping[str, Any], kind_name: str, kind: _Kind, where: str
) -> dict[str, str]:
    env: dict[str, str] = {}
    for key in table:
        if not key.endswith("_env"):
            continue
        value = table[key]
        if not isinstance(value, str) or not _VARIABLE.fullmatch(value):
            raise ConfigError(
                f"{where}: {key} must be the name of an environment variable (letters, digits"
                f" and '_'), not {value!r}: the secret itself stays out of the file"
            )
        env[key.removesuffix("_env")] = value
    given = {key for key in table if key.endswith("_env")}
    complete = [keys for keys in kind.credentials if set(keys) <= given]
    if kind.credentials and len(complete) != 1:
        forms = " or ".join(" + ".join(keys) for keys in kind.credentials)
        if complete:
            raise ConfigError(f"{where}: {kind_name} takes {forms}, not both")
        missing = [key for key in kind.credentials[0] if key not in given]
        if len(kind.credentials) > 1:
            raise ConfigError(f"{where}: {kind_name} needs {forms}")
        what = (
            "is required for {}: the name of the environment variable that holds it"
            if len(missing) == 1
            else "are required for {}: the names of the environment variables that hold them"
        )
        raise ConfigError(f"{where}: {' and '.join(missing)} {what.format(kind_name)}")
    used = {key for keys in complete for key in keys} | set(kind.optional_env)
    if kind.address_env:
        used.add(kind.address_env)
    stray = sorted(given - used)
    if stray:
        forms = " or ".join(" + ".join(keys) for keys in kind.credentials)
        raise ConfigError(f"{where}: {', '.join(stray)} does not fit: {kind_name} takes {forms}")
    return env


def _projects(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(name, str) and name.strip() == name != "" for name in value)
    ):
        raise ConfigError(
            f"{where}: projects must be a non-empty list of project names (omit it for every"
            f" project), not {value!r}"
        )
    return tuple(value)


def _min_severity(value: Any, where: str) -> Level | None:
    if value is None:
        return None
    for level in LEVELS:
        if value == level:
            return level
    raise ConfigError(
        f"{where}: min_severity must be one of {', '.join(reversed(LEVELS))} (omit it for every"
        f" severity), not {value!r}"
    )


def _priorities(value: Any, kind: _Kind, where: str) -> dict[Level, Priority]:
    defaults = dict(kind.priorities or {})
    if value is None:
        return defaults
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: priorities must be a table such as {{ critical = ... }}")
    unknown = sorted(set(value) - set(LEVELS))
    if unknown:
        raise ConfigError(
            f"{where}: priorities has unknown severity {', '.join(unknown)}; the severities are"
            f" {', '.join(reversed(LEVELS))}"
        )
    for severity in LEVELS:
        if severity not in value:
            continue
        priority = value[severity]
        if isinstance(priority, bool) or not (
            (isinstance(priority, str) and priority.strip()) or isinstance(priority, int)
        ):
            raise ConfigError(
                f"{where}: priorities.{severity} must be the backend's priority as a string or"
                f" an integer, not {priority!r}"
            )
        defaults[severity] = priority
    return defaults
