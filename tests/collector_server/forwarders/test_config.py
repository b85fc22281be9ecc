"""The [[forwarders]] tables of the TOML configuration, and `bugrelay check-config`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collector_server.config import ConfigError
from collector_server.forwarders.config import (
    KINDS,
    ForwarderConfig,
    forwarders_from,
    load_forwarders,
)
from tests.support import collector_env, run_cli

# The smallest table of each kind that is complete, and what it gives.
MINIMAL: dict[str, tuple[str, str | None, dict[str, str], dict[str, str]]] = {
    "github": (
        'repo = "acme/shop"\ntoken_env = "GITHUB_TOKEN"',
        "https://api.github.com",
        {"repo": "acme/shop"},
        {"token": "GITHUB_TOKEN"},
    ),
    "gitlab": (
        'project = "acme/apps/shop"\ntoken_env = "GITLAB_TOKEN"',
        "https://gitlab.com",
        {"project": "acme/apps/shop"},
        {"token": "GITLAB_TOKEN"},
    ),
    "jira": (
        'base_url = "https://acme.atlassian.net"\nproject_key = "SHOP"\n'
        'email_env = "JIRA_EMAIL"\ntoken_env = "JIRA_TOKEN"',
        "https://acme.atlassian.net",
        {"project_key": "SHOP"},
        {"email": "JIRA_EMAIL", "token": "JIRA_TOKEN"},
    ),
    "linear": (
        'team_id = "9cfb482a-81e3-4154-b6f7-2e5cc4b3d1a0"\ntoken_env = "LINEAR_API_KEY"',
        "https://api.linear.app",
        {"team_id": "9cfb482a-81e3-4154-b6f7-2e5cc4b3d1a0"},
        {"token": "LINEAR_API_KEY"},
    ),
    "sentry": ('dsn_env = "SENTRY_FEEDBACK_DSN"', None, {}, {"dsn": "SENTRY_FEEDBACK_DSN"}),
    "webhook": (
        'base_url = "https://hooks.example.com/bugs"\nwebhook_secret_env = "HOOK_SECRET"',
        "https://hooks.example.com/bugs",
        {},
        {"webhook_secret": "HOOK_SECRET"},
    ),
    "slack": ('url_env = "SLACK_WEBHOOK_URL"', None, {}, {"url": "SLACK_WEBHOOK_URL"}),
    "telegram": (
        'chat_id = -1001234567890\ntoken_env = "TELEGRAM_BOT_TOKEN"',
        "https://api.telegram.org",
        {"chat_id": "-1001234567890"},
        {"token": "TELEGRAM_BOT_TOKEN"},
    ),
    "zendesk": (
        'base_url = "https://acme.zendesk.com"\nemail_env = "ZD_EMAIL"\ntoken_env = "ZD_TOKEN"',
        "https://acme.zendesk.com",
        {},
        {"email": "ZD_EMAIL", "token": "ZD_TOKEN"},
    ),
    "freshdesk": (
        'base_url = "https://acme.freshdesk.com"\napi_key_env = "FD_KEY"',
        "https://acme.freshdesk.com",
        {},
        {"api_key": "FD_KEY"},
    ),
    "helpscout": (
        'mailbox_id = 4711\nclient_id_env = "HS_ID"\nclient_secret_env = "HS_SECRET"',
        "https://api.helpscout.net",
        {"mailbox_id": "4711"},
        {"client_id": "HS_ID", "client_secret": "HS_SECRET"},
    ),
    "jsm": (
        'base_url = "https://acme.atlassian.net"\nservice_desk_id = 2\nrequest_type_id = "17"\n'
        'email_env = "JSM_EMAIL"\ntoken_env = "JSM_TOKEN"',
        "https://acme.atlassian.net",
        {"service_desk_id": "2", "request_type_id": "17"},
        {"email": "JSM_EMAIL", "token": "JSM_TOKEN"},
    ),
    "servicenow": (
        'base_url = "https://acme.service-now.com"\nuser_env = "SN_USER"\n'
        'password_env = "SN_PASSWORD"',
        "https://acme.service-now.com",
        {},
        {"user": "SN_USER", "password": "SN_PASSWORD"},
    ),
    "salesforce": (
        'base_url = "https://acme.my.salesforce.com"\ntoken_env = "SF_TOKEN"',
        "https://acme.my.salesforce.com",
        {},
        {"token": "SF_TOKEN"},
    ),
    "intercom": (
        'token_env = "INTERCOM_TOKEN"',
        "https://api.intercom.io",
        {},
        {"token": "INTERCOM_TOKEN"},
    ),
    "crisp": (
        'website_id = "8c842203-7ed8-4e29-a608-7cf78a7d2fcc"\nidentifier_env = "CRISP_ID"\n'
        'key_env = "CRISP_KEY"',
        "https://api.crisp.chat",
        {"website_id": "8c842203-7ed8-4e29-a608-7cf78a7d2fcc"},
        {"identifier": "CRISP_ID", "key": "CRISP_KEY"},
    ),
}

LEVELS = ("low", "medium", "high", "critical")
BASE_URL_REQUIRED = ["jira", "zendesk", "freshdesk", "jsm", "servicenow", "salesforce", "webhook"]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "bugrelay.toml"
    path.write_text(text, encoding="utf-8")
    return path


def table(kind: str, extra: str = "", body: str | None = None) -> str:
    return (
        f'[[forwarders]]\nkind = "{kind}"\n{MINIMAL[kind][0] if body is None else body}\n{extra}\n'
    )


def load(tmp_path: Path, text: str) -> list[ForwarderConfig]:
    return load_forwarders(write(tmp_path, text))


def refused(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_forwarders(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: "), message  # every error says which file
    return message


def without(kind: str, key: str) -> str:
    lines = MINIMAL[kind][0].splitlines()
    kept = [line for line in lines if not line.startswith(f"{key} =")]
    assert len(kept) == len(lines) - 1
    return "\n".join(kept)


def test_every_kind_has_a_minimal_example() -> None:
    assert set(MINIMAL) == set(KINDS)


@pytest.mark.parametrize("kind", KINDS)
def test_the_minimal_table_of_each_kind(tmp_path: Path, kind: str) -> None:
    _, base_url, target, env = MINIMAL[kind]
    (forwarder,) = load(tmp_path, table(kind))
    assert forwarder.kind == kind
    assert forwarder.name == kind
    assert forwarder.base_url == base_url
    assert forwarder.target == target
    assert forwarder.env == env
    assert forwarder.projects is None
    assert forwarder.min_severity is None


def test_no_file_and_no_tables_mean_no_forwarders(tmp_path: Path) -> None:
    assert load_forwarders(tmp_path / "missing.toml") == []
    assert load(tmp_path, "[grouping]\nthreshold = 0.6\n") == []


def test_the_grouping_sections_are_not_the_forwarders_business(tmp_path: Path) -> None:
    # [grouping] is checked by collector_server.config; here it is only left alone.
    assert len(load(tmp_path, "[grouping]\nnonsense = 1\n" + table("slack"))) == 1


@pytest.mark.parametrize(
    ("kind", "priorities"),
    [
        (
            "github",
            {
                "critical": "severity: critical",
                "high": "severity: high",
                "medium": "severity: medium",
                "low": "severity: low",
            },
        ),
        ("gitlab", {"critical": "severity: critical", "low": "severity: low"}),
        ("jira", {"critical": "Highest", "high": "High", "medium": "Medium", "low": "Low"}),
        ("linear", {"critical": 1, "high": 2, "medium": 3, "low": 4}),
        ("zendesk", {"critical": "urgent", "high": "high", "medium": "normal", "low": "low"}),
        ("freshdesk", {"critical": 4, "high": 3, "medium": 2, "low": 1}),
        ("helpscout", {"critical": "urgent", "medium": "normal"}),
        ("jsm", {"critical": "Highest", "low": "Low"}),
        ("servicenow", {"critical": 1, "low": 4}),
        ("salesforce", {"critical": "High", "medium": "Medium"}),
    ],
)
def test_default_priorities_per_kind(tmp_path: Path, kind: str, priorities: dict[str, Any]) -> None:
    (forwarder,) = load(tmp_path, table(kind))
    assert set(forwarder.priorities) == {"critical", "high", "medium", "low"}
    for severity, value in priorities.items():
        assert forwarder.priorities[severity] == value  # type: ignore[index]


@pytest.mark.parametrize("kind", ["sentry", "webhook", "slack", "telegram", "intercom", "crisp"])
def test_kinds_without_priorities_refuse_the_table(tmp_path: Path, kind: str) -> None:
    (forwarder,) = load(tmp_path, table(kind))
    assert forwarder.priorities == {}
    message = refused(tmp_path, table(kind, "priorities = { critical = 1 }"))
    assert "unknown key(s) priorities" in message


def test_priorities_change_only_the_severities_they_name(tmp_path: Path) -> None:
    (forwarder,) = load(
        tmp_path, table("linear", "[forwarders.priorities]\ncritical = 2\nlow = 3\n")
    )
    assert forwarder.priorities == {"critical": 2, "high": 2, "medium": 3, "low": 3}
    (jira,) = load(tmp_path, table("jira", 'priorities = { critical = "Blocker" }'))
    assert jira.priorities["critical"] == "Blocker"
    assert jira.priorities["high"] == "High"


@pytest.mark.parametrize(
    ("priorities", "message"),
    [
        ("{ urgent = 1 }", "priorities has unknown severity urgent; the severities are critical,"),
        ("{ critical = true }", "priorities.critical must be the backend's priority"),
        ('{ critical = "  " }', "priorities.critical must be"),
        ('"high"', "priorities must be a table"),
    ],
)
def test_bad_priorities_are_named(tmp_path: Path, priorities: str, message: str) -> None:
    assert message in refused(tmp_path, table("zendesk", f"priorities = {priorities}"))


def test_base_url_overrides_the_default_without_its_trailing_slash(tmp_path: Path) -> None:
    (forwarder,) = load(tmp_path, table("github", 'base_url = "https://ghe.acme.test/api/v3/"'))
    assert forwarder.base_url == "https://ghe.acme.test/api/v3"
    (local,) = load(tmp_path, table("linear", 'base_url = "http://127.0.0.1:8123"'))
    assert local.base_url == "http://127.0.0.1:8123"


def test_projects_and_min_severity(tmp_path: Path) -> None:
    (forwarder,) = load(
        tmp_path, table("slack", 'projects = ["shop", "blog"]\nmin_severity = "critical"')
    )
    assert forwarder.projects == ("shop", "blog")
    assert forwarder.min_severity == "critical"


def test_routing_by_project_and_severity(tmp_path: Path) -> None:
    desk, tracker, pager = load(
        tmp_path,
        table("zendesk")
        + table("github", 'min_severity = "high"\nprojects = ["shop"]')
        + table("slack", 'min_severity = "critical"'),
    )
    assert all(desk.wants(project, level) for project in ("shop", "blog") for level in LEVELS)
    assert [tracker.wants("shop", level) for level in LEVELS] == [False, False, True, True]
    assert not tracker.wants("blog", "critical")
    assert [pager.wants("blog", level) for level in LEVELS] == [False, False, False, True]
    with pytest.raises(ValueError, match="unknown severity 'urgent'"):
        desk.wants("shop", "urgent")


def test_two_tables_of_one_kind_need_names(tmp_path: Path) -> None:
    message = refused(tmp_path, table("github") + table("github"))
    assert "[[forwarders]] table 2 ('github')" in message
    assert "taken by [[forwarders]] table 1" in message
    assert 'give each github table its own name = "..."' in message
    named = load(
        tmp_path,
        table("github", 'name = "gh-shop"') + table("github", 'name = "gh-blog"') + table("slack"),
    )
    assert [f.name for f in named] == ["gh-shop", "gh-blog", "slack"]
    # The default name collides with a table that took the kind's name explicitly.
    message = refused(tmp_path, table("slack", 'name = "github"') + table("github"))
    assert "the name 'github' (the default: the kind) is taken by [[forwarders]] table 1" in message


def test_names_are_unique(tmp_path: Path) -> None:
    message = refused(tmp_path, table("github", 'name = "ops"') + table("slack", 'name = "ops"'))
    assert "[[forwarders]] table 2 ('ops'): the name 'ops' is taken by" in message
    assert "names are unique" in message


@pytest.mark.parametrize("name", ['""', '"has space"', '"a/b"', "3", '"' + "x" * 65 + '"'])
def test_a_bad_name_is_refused(tmp_path: Path, name: str) -> None:
    assert "name must be 1 to 64 letters" in refused(tmp_path, table("slack", f"name = {name}"))


def test_an_unknown_or_missing_kind(tmp_path: Path) -> None:
    message = refused(tmp_path, table("slack") + '[[forwarders]]\nkind = "pagerduty"\n')
    assert (
        "[[forwarders]] table 2 ('pagerduty'): unknown kind 'pagerduty'; one of github," in message
    )
    assert "crisp" in message
    message = refused(tmp_path, '[[forwarders]]\nname = "ops"\n')
    assert "[[forwarders]] table 1 ('ops'): kind is required" in message


def test_an_unknown_key_names_the_table_the_key_and_the_allowed_keys(tmp_path: Path) -> None:
    message = refused(tmp_path, table("slack") + table("github", 'name = "gh"\nlabels = ["bug"]'))
    assert "[[forwarders]] table 2 ('gh'): unknown key(s) labels; a github table takes:" in message
    assert (
        "base_url, kind, min_severity, name, priorities, projects, repo, token_env,"
        " webhook_secret_env"
    ) in message


def test_forwarders_must_be_an_array_of_tables(tmp_path: Path) -> None:
    assert "must be an array of tables" in refused(tmp_path, '[forwarders]\nkind = "slack"\n')
    assert "must be an array of tables" in refused(tmp_path, "forwarders = [1, 2]\n")


def test_a_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    assert "line 1" in refused(tmp_path, "[[forwarders]\nkind = 'slack'\n")


@pytest.mark.parametrize(
    ("kind", "key", "instead"),
    [
        ("github", "token", "token_env"),
        ("linear", "api_key", "api_key_env"),
        ("servicenow", "password", "password_env"),
        ("webhook", "secret", "webhook_secret_env"),
        ("slack", "url", "url_env"),
        ("webhook", "url", "url_env"),
        ("sentry", "dsn", "dsn_env"),
        ("crisp", "key", "key_env"),
        ("helpscout", "client_secret", "client_secret_env"),
        ("jira", "email", "email_env"),
    ],
)
def test_a_literal_secret_is_refused(tmp_path: Path, kind: str, key: str, instead: str) -> None:
    message = refused(tmp_path, table(kind, f'{key} = "s3cr3t-value"'))
    assert f"table 1 ('{kind}'): '{key}' would write a credential into the file" in message
    assert f'{instead} = "VARIABLE"' in message
    assert "s3cr3t-value" not in message


def test_a_literal_secret_names_the_keys_the_kind_takes(tmp_path: Path) -> None:
    message = refused(tmp_path, table("linear", 'api_key = "lin_api_x"'))
    assert "(a linear table takes token_env, webhook_secret_env)" in message


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("github", "repo"),
        ("gitlab", "project"),
        ("jira", "project_key"),
        ("linear", "team_id"),
        ("telegram", "chat_id"),
        ("helpscout", "mailbox_id"),
        ("jsm", "service_desk_id"),
        ("jsm", "request_type_id"),
        ("crisp", "website_id"),
    ],
)
def test_a_missing_target_is_named(tmp_path: Path, kind: str, key: str) -> None:
    message = refused(tmp_path, table(kind, body=without(kind, key)))
    assert f"('{kind}'): {key} is required for {kind}" in message


@pytest.mark.parametrize("kind", BASE_URL_REQUIRED)
def test_a_missing_base_url_is_named(tmp_path: Path, kind: str) -> None:
    message = refused(tmp_path, table(kind, body=without(kind, "base_url")))
    assert f"base_url is required for {kind}" in message


@pytest.mark.parametrize(
    ("kind", "key"),
    [
        ("github", "token_env"),
        ("jira", "email_env"),
        ("jira", "token_env"),
        ("sentry", "dsn_env"),
        ("slack", "url_env"),
        ("webhook", "webhook_secret_env"),
        ("freshdesk", "api_key_env"),
        ("helpscout", "client_secret_env"),
        ("crisp", "identifier_env"),
        ("telegram", "token_env"),
    ],
)
def test_a_missing_credential_is_named(tmp_path: Path, kind: str, key: str) -> None:
    message = refused(tmp_path, table(kind, body=without(kind, key)))
    assert f"{key} is required for {kind}" in message


def test_every_missing_credential_is_named(tmp_path: Path) -> None:
    body = 'base_url = "https://acme.zendesk.com"'
    message = refused(tmp_path, table("zendesk", body=body))
    assert "email_env and token_env are required for zendesk: the names of" in message


def test_servicenow_takes_a_user_and_password_or_a_token(tmp_path: Path) -> None:
    base = 'base_url = "https://acme.service-now.com"\n'
    (forwarder,) = load(tmp_path, table("servicenow", body=base + 'token_env = "SN_TOKEN"'))
    assert forwarder.env == {"token": "SN_TOKEN"}
    message = refused(tmp_path, table("servicenow", 'token_env = "SN_TOKEN"'))
    assert "servicenow takes user_env + password_env or token_env, not both" in message
    message = refused(tmp_path, table("servicenow", body=base + 'user_env = "SN_USER"'))
    assert "servicenow needs user_env + password_env or token_env" in message
    message = refused(
        tmp_path, table("servicenow", body=base + 'user_env = "U"\ntoken_env = "SN_TOKEN"')
    )
    assert "user_env does not fit" in message


def test_a_webhook_address_may_come_from_a_variable(tmp_path: Path) -> None:
    body = 'url_env = "HOOK_URL"\nwebhook_secret_env = "HOOK_SECRET"'
    (forwarder,) = load(tmp_path, table("webhook", body=body))
    assert forwarder.base_url is None
    assert forwarder.env == {"url": "HOOK_URL", "webhook_secret": "HOOK_SECRET"}
    message = refused(tmp_path, table("webhook", 'url_env = "HOOK_URL"'))
    assert "give base_url or url_env, not both" in message


@pytest.mark.parametrize("kind", ["slack", "sentry"])
def test_kinds_whose_address_is_a_secret_take_no_base_url(tmp_path: Path, kind: str) -> None:
    message = refused(tmp_path, table(kind, 'base_url = "https://hooks.slack.com/services/x"'))
    assert f"a {kind} table takes no base_url: its address is a secret" in message
    assert ("url_env" if kind == "slack" else "dsn_env") in message


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ('"ftp://acme.zendesk.com"', "base_url must be an http:// or https:// URL"),
        ('"acme.zendesk.com"', "base_url must be an http:// or https:// URL"),
        ('"https://"', "base_url must be an http:// or https:// URL"),
        ('"https://acme.zendesk.com:notaport"', "base_url must be an http:// or https:// URL"),
        ('"https://agent:pw@acme.zendesk.com"', "base_url must not hold credentials"),
        ('"https://acme.zendesk.com/?x=1"', "base_url must have no query or fragment"),
        ("443", "base_url must be a string"),
    ],
)
def test_a_bad_base_url_is_refused(tmp_path: Path, url: str, message: str) -> None:
    body = 'email_env = "ZD_EMAIL"\ntoken_env = "ZD_TOKEN"\n' + f"base_url = {url}"
    text = refused(tmp_path, table("zendesk", body=body))
    assert f"table 1 ('zendesk'): {message}" in text
    assert "pw@" not in text


@pytest.mark.parametrize(
    ("kind", "key", "value"),
    [
        ("github", "repo", '"shop"'),
        ("github", "repo", '"https://github.com/acme/shop"'),
        ("gitlab", "project", '"/acme/shop"'),
        ("gitlab", "project", "0"),
        ("jira", "project_key", '"shop"'),
        ("telegram", "chat_id", '"friends"'),
        ("helpscout", "mailbox_id", '"main"'),
        ("jsm", "request_type_id", "true"),
        ("linear", "team_id", '""'),
    ],
)
def test_a_bad_target_is_refused(tmp_path: Path, kind: str, key: str, value: str) -> None:
    body = without(kind, key) + f"\n{key} = {value}"
    assert f"{key} must be " in refused(tmp_path, table(kind, body=body))


def test_numeric_targets_are_strings(tmp_path: Path) -> None:
    body = 'project = 42\ntoken_env = "GITLAB_TOKEN"'
    (forwarder,) = load(tmp_path, table("gitlab", body=body))
    assert forwarder.target == {"project": "42"}
    body = 'chat_id = "@bugrelay_alerts"\ntoken_env = "T"'
    (telegram,) = load(tmp_path, table("telegram", body=body))
    assert telegram.target == {"chat_id": "@bugrelay_alerts"}


@pytest.mark.parametrize("value", ['"ghp_not a name"', '"$GITHUB_TOKEN"', '""', "1"])
def test_an_env_key_holds_a_variable_name(tmp_path: Path, value: str) -> None:
    message = refused(tmp_path, table("github", body=f'repo = "a/b"\ntoken_env = {value}'))
    assert "token_env must be the name of an environment variable" in message


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('min_severity = "urgent"', "min_severity must be one of critical, high, medium, low"),
        ('min_severity = "High"', "min_severity must be one of"),
        ("projects = []", "projects must be a non-empty list of project names"),
        ('projects = "shop"', "projects must be a non-empty list"),
        ("projects = [1]", "projects must be a non-empty list"),
    ],
)
def test_bad_routing_values(tmp_path: Path, extra: str, message: str) -> None:
    assert f"table 1 ('slack'): {message}" in refused(tmp_path, table("slack", extra))


def test_forwarders_from_names_its_source() -> None:
    data = {"forwarders": [{"kind": "slack"}]}
    with pytest.raises(ConfigError, match=r"^inline: \[\[forwarders\]\] table 1 \('slack'\)"):
        forwarders_from(data, "inline")


def test_secret_reads_the_variable(tmp_path: Path) -> None:
    (forwarder,) = load(tmp_path, table("jira"))
    environ = {"JIRA_EMAIL": "bot@acme.test", "JIRA_TOKEN": ""}
    assert forwarder.secret("email", environ) == "bot@acme.test"
    assert forwarder.secret("email_env", environ) == "bot@acme.test"
    with pytest.raises(ConfigError, match=r"JIRA_TOKEN \(token_env\) is empty"):
        forwarder.secret("token", environ)
    with pytest.raises(ConfigError, match=r"'jira' \(jira\): the environment variable JIRA_TOKEN"):
        forwarder.secret("token", {})
    with pytest.raises(ConfigError, match=r"JIRA_TOKEN \(token_env\) is not set"):
        forwarder.secret("token", {})
    with pytest.raises(ConfigError, match="names no webhook_secret_env"):
        forwarder.secret("webhook_secret", environ)
    assert forwarder.missing_variables(environ) == ["JIRA_TOKEN"]


def test_a_forwarder_config_is_read_only(tmp_path: Path) -> None:
    (forwarder,) = load(tmp_path, table("github"))
    with pytest.raises(AttributeError):
        forwarder.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        forwarder.target["repo"] = "x/y"  # type: ignore[index]


# The command, run as a real process.


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    data = tmp_path / "data"
    result = collector_env(data, f"sqlite:///{data / 'bugrelay.sqlite3'}")
    del result["BUGRELAY_ADMIN_TOKEN"]
    result["BUGRELAY_CONFIG"] = str(tmp_path / "bugrelay.toml")
    for name in ("RELAYTEST_GH_TOKEN", "RELAYTEST_SLACK_URL"):
        result.pop(name, None)
    return result


GOOD = (
    "[grouping]\nthreshold = 0.6\n"
    + table(
        "github", 'min_severity = "high"', 'repo = "acme/shop"\ntoken_env = "RELAYTEST_GH_TOKEN"'
    )
    + table(
        "slack",
        'projects = ["shop", "blog"]\nmin_severity = "critical"',
        'url_env = "RELAYTEST_SLACK_URL"',
    )
)


def test_check_config_lists_the_forwarders(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path, GOOD)
    result = run_cli(env, "check-config")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "github  name=github  repo=acme/shop  projects=all  min_severity=high\n"
        "slack  name=slack  projects=shop,blog  min_severity=critical\n"
    )
    assert "good (2 forwarder(s))" in result.stderr


def test_check_config_env_lists_the_variables_not_set(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path, GOOD)
    env["RELAYTEST_SLACK_URL"] = "https://hooks.slack.com/services/T/B/x"
    result = run_cli(env, "check-config", "--env")
    assert result.returncode == 1
    assert "not set or empty: RELAYTEST_GH_TOKEN (github: token_env)" in result.stderr
    assert "RELAYTEST_SLACK_URL" not in result.stderr
    env["RELAYTEST_GH_TOKEN"] = "ghp_x"
    result = run_cli(env, "check-config", "--env")
    assert result.returncode == 0, result.stderr
    assert "and their environment variables" in result.stderr


def test_check_config_refuses_a_bad_file(tmp_path: Path, env: dict[str, str]) -> None:
    path = write(tmp_path, table("github", 'token = "ghp_secret"'))
    result = run_cli(env, "check-config")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"bugrelay: error: {path}: [[forwarders]] table 1 ('github'):")
    assert "token_env" in result.stderr
    assert "Traceback" not in result.stderr
    write(tmp_path, "[grouping]\nthreshold = -1\n")
    result = run_cli(env, "check-config")
    assert result.returncode == 1
    assert "[grouping] threshold" in result.stderr


def test_check_config_without_a_file(env: dict[str, str]) -> None:
    result = run_cli(env, "check-config", "--env")
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "no such file: the defaults, no forwarders" in result.stderr


def test_check_config_help_says_credentials_are_not_tried_yet(env: dict[str, str]) -> None:
    result = run_cli(env, "check-config", "--help")
    assert result.returncode == 0
    assert "not yet tried against the vendors" in " ".join(result.stdout.split())


def test_serve_refuses_a_bad_forwarders_table(tmp_path: Path, env: dict[str, str]) -> None:
    write(tmp_path, table("jira", body=without("jira", "base_url")))
    result = run_cli(env, "serve", "--port", "1")
    assert result.returncode == 1
    assert "[[forwarders]] table 1 ('jira'): base_url is required for jira" in result.stderr
    assert not Path(env["BUGRELAY_DATA_DIR"], "bugrelay.sqlite3").exists()
