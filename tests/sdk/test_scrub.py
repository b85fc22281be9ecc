"""Privacy scrubbing: secrets never leave the process, PII only with ``send_default_pii``, the
rest of the report arrives untouched, and nothing the host produced can make scrubbing raise."""

from __future__ import annotations

import base64
import copy
import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk._scrub import FILTERED, MAX_DEPTH, Scrubber
from sdk.models import Report

F = FILTERED
TS = "2026-11-25T10:00:00Z"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)
PEM = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB\n"
    "aFDrBz9vFqU4yB6VZ6X5ZCHTx+5s4T3Nf0YeIqN2E7dB3J1nW6wKkqY0tF5N4r==\n"
    "-----END RSA PRIVATE KEY-----"
)

scrubber = Scrubber()


# Rule 1: the deny-list of keys.


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "db_password",
        "X-Api-Key",
        "api key",
        "github_token",
        "SESSIONID",
        "PHPSESSID",
        "Set-Cookie",
        "client_secret",
        "AWS_SECRET_ACCESS_KEY",
        "Authorization",
        "x-auth-token",
        "private.key",
        "csrfmiddlewaretoken",
        "X-XSRF-TOKEN",
        "credentials",
    ],
)
def test_denied_keys(key: str) -> None:
    assert scrubber.is_denied_key(key)
    assert scrubber.scrub_value({key: "s3cr3t", "page": 2}) == {key: F, "page": 2}


@pytest.mark.parametrize("key", ["author", "authority", "host", "name", "keyboard", "user_id"])
def test_keys_that_only_look_alike_are_kept(key: str) -> None:
    assert not scrubber.is_denied_key(key)
    assert scrubber.scrub_value({key: "Лев Толстой"}) == {key: "Лев Толстой"}


def test_a_denied_keys_value_is_filtered_whatever_its_type() -> None:
    value = {"password": {"old": "a", "new": "b"}, "token": ["t1", "t2"], "secret": 7, "pwd": None}
    assert scrubber.scrub_value(value) == {"password": F, "token": F, "secret": F, "pwd": F}


def test_nested_extra_keeps_what_is_not_secret() -> None:
    extra = {"db": {"password": "x", "host": "h"}, "retries": [1, {"api_key": "k"}], "ok": True}
    assert scrubber.scrub_value(extra, pii=False) == {
        "db": {"password": F, "host": "h"},
        "retries": [1, {"api_key": F}],
        "ok": True,
    }


def test_the_apps_denylist_adds_to_the_defaults() -> None:
    s = Scrubber(["Order-Ref"])
    assert s.scrub_value({"order_ref": "A-1", "password": "x", "x": "y"}) == {
        "order_ref": F,
        "password": F,
        "x": "y",
    }
    assert s.scrub_text("paid order_ref=A-77 ok") == f"paid order_ref={F} ok"


def test_defaults_false_uses_only_the_apps_denylist() -> None:
    s = Scrubber(["order_ref"], defaults=False)
    assert s.scrub_value({"order_ref": "A-1", "password": "x"}) == {"order_ref": F, "password": "x"}
    assert s.scrub_text("password=x order_ref=7") == f"password=x order_ref={F}"
    # The patterns that do not depend on key names still apply.
    assert s.scrub_text("Authorization: Bearer abc123def456") == f"Authorization: Bearer {F}"
    assert Scrubber(defaults=False).scrub_text("password=x token: y") == "password=x token: y"


# Rule 2: secrets in free text, whatever `pii` says.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("login failed password=hunter2 for bob", f"login failed password={F} for bob"),
        ("password: hunter2", f"password: {F}"),
        ('{"password": "hunter 2", "user": "bob"}', f'{{"password": "{F}", "user": "bob"}}'),
        ('{"password": "a\\"b", "n": 1}', f'{{"password": "{F}", "n": 1}}'),
        ("{'api_key': 'k-123', 'page': 2}", f"{{'api_key': '{F}', 'page': 2}}"),
        ("GET /v1/pay?api_key=abc123&page=2 502", f"GET /v1/pay?api_key={F}&page=2 502"),
        ("token => 'abc'", f"token => '{F}'"),
        ("POST user[password]=pw&user[name]=bob", f"POST user[password]={F}&user[name]=bob"),
        ("body user%5Bpassword%5D=pw", f"body user%5Bpassword%5D={F}"),
        ("session=abc; Path=/; HttpOnly", f"session={F}; Path=/; HttpOnly"),
        ("DB_PASSWORD=pw DB_HOST=db.internal", f"DB_PASSWORD={F} DB_HOST=db.internal"),
        ("error: connection refused", "error: connection refused"),
    ],
)
def test_key_value_pairs(text: str, expected: str) -> None:
    assert scrubber.scrub_text(text, pii=False) == expected


def test_a_denied_key_inside_a_value_that_is_not_secret_is_still_found() -> None:
    text = "fetching https://api.example.com:443/v1?token=abc&x=1"
    assert scrubber.scrub_text(text) == f"fetching https://api.example.com:443/v1?token={F}&x=1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Authorization: Bearer abc.def-123", f"Authorization: Bearer {F}"),
        ("authorization: Basic dXNlcjpwYXNz\r\nHost: x", f"authorization: Basic {F}\r\nHost: x"),
        ('{"Authorization": "Bearer abc123xyz"}', f'{{"Authorization": "Bearer {F}"}}'),
        ("Proxy-Authorization: Basic dXNlcjpwYXNz", f"Proxy-Authorization: Basic {F}"),
        (
            "retrying with Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a now",
            f"retrying with Bearer {F} now",
        ),
        ("Cookie: sessionid=abc; theme=dark\nHost: x", f"Cookie: {F}\nHost: x"),
        ("the bearer of bad news", "the bearer of bad news"),
    ],
)
def test_http_credentials(text: str, expected: str) -> None:
    assert scrubber.scrub_text(text) == expected


def test_passwords_in_urls_inside_text() -> None:
    text = "connecting to postgres://app:s3cret@db:5432/shop"
    assert scrubber.scrub_text(text, pii=False) == f"connecting to postgres://app:{F}@db:5432/shop"
    assert scrubber.scrub_text(text) == f"connecting to postgres://{F}@db:5432/shop"


def test_pem_blocks() -> None:
    text = f"ValueError: could not load key {PEM} from vault"
    expected = (
        f"ValueError: could not load key -----BEGIN RSA PRIVATE KEY-----{F}"
        "-----END RSA PRIVATE KEY----- from vault"
    )
    assert scrubber.scrub_text(text, pii=False) == expected
    cut_off = "key: -----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAA"
    assert scrubber.scrub_text(cut_off) == f"key: -----BEGIN OPENSSH PRIVATE KEY-----{F}"
    other = "-----BEGIN EC PUBLIC KEY-----\nMFkwEwYHKoZI\n-----END EC PUBLIC KEY-----"
    assert FILTERED in scrubber.scrub_text(other)
    certificate = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----"
    assert scrubber.scrub_text(certificate) == certificate


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("paid with 4242 4242 4242 4242 today", f"paid with {F} today"),
        ("card=4242424242424242", f"card={F}"),
        ("card 5555-5555-5555-4444, exp 12/34", f"card {F}, exp 12/34"),
        ("amex 378282246310005", f"amex {F}"),
        ("order 1234567890123456 shipped", "order 1234567890123456 shipped"),  # fails Luhn
        ("score 0.4242424242424242", "score 0.4242424242424242"),
        ("id a4242424242424242", "id a4242424242424242"),
        ("call +7 916 123-45-67", "call +7 916 123-45-67"),
    ],
)
def test_card_numbers(text: str, expected: str) -> None:
    assert scrubber.scrub_text(text, pii=False) == expected


def test_jwts() -> None:
    assert scrubber.scrub_text(f"decoding {JWT} failed", pii=False) == f"decoding {F} failed"
    assert scrubber.scrub_text(f"x-token: {JWT}", pii=False) == f"x-token: {F}"


# Rule 3: PII, only when asked for and without send_default_pii.


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail bob@example.com now", f"mail {F} now"),
        ("иван.петров@почта.example.ru пишет", f"{F} пишет"),
        ("from 10.1.2.3.", f"from {F}."),
        ("peer 192.168.0.1:8080", f"peer {F}:8080"),
        ("listening on ::1", f"listening on {F}"),
        ("link-local fe80::1%eth0 up", f"link-local {F} up"),
        ("via 2001:db8::8a2e:370:7334", f"via {F}"),
        ("via [2001:db8::1]:443", f"via [{F}]:443"),
        ("mapped ::ffff:10.1.2.3", f"mapped {F}"),
        ("full 2001:0db8:85a3:0000:0000:8a2e:0370:7334", f"full {F}"),
        ("release 1.2.3.4", f"release {F}"),  # accepted: a four-part version looks like an IP
    ],
)
def test_pii_is_removed(text: str, expected: str) -> None:
    assert scrubber.scrub_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "release 2.4.1 on Python 3.11.7",
        "schema 10.0",
        "at 12:30:45 and 2026-11-25T10:00:00.123+00:00",
        "10.1.2.300 is no address, nor is 1.2.3.4.5",
        "std::vector<int> and title :: subtitle",
        "mac 00:1a:2b:3c:4d:5e",
        "Не могу сохранить заказ №12345: кнопка «Сохранить» не работает, версия 2.4.1.",
    ],
)
def test_what_only_looks_like_pii_is_kept(text: str) -> None:
    assert scrubber.scrub_text(text) == text


def test_the_log_line() -> None:
    line = "login failed for bob@example.com password=hunter2 from 10.1.2.3"
    assert scrubber.scrub_text(line) == f"login failed for {F} password={F} from {F}"
    assert scrubber.scrub_text(line, pii=False) == (
        f"login failed for bob@example.com password={F} from 10.1.2.3"
    )


def test_send_default_pii_keeps_emails_and_ips_but_not_secrets() -> None:
    s = Scrubber(send_default_pii=True)
    line = "login failed for bob@example.com password=hunter2 from 10.1.2.3 via ::1"
    assert (
        s.scrub_text(line) == f"login failed for bob@example.com password={F} from 10.1.2.3 via ::1"
    )
    url = "https://bob:pw@shop.example.com/?email=bob%40example.com&token=t"
    assert (
        s.scrub_url(url) == f"https://bob:{F}@shop.example.com/?email=bob%40example.com&token={F}"
    )


# Rule 4: URLs.


def test_url_userinfo() -> None:
    assert scrubber.scrub_url("https://bob:pw@host/", pii=False) == f"https://bob:{F}@host/"
    assert scrubber.scrub_url("https://bob:pw@host/") == f"https://{F}@host/"
    assert scrubber.scrub_url("https://bob@host/", pii=False) == "https://bob@host/"
    assert scrubber.scrub_url("https://bob@host/") == f"https://{F}@host/"


def test_url_query_keeps_names_order_and_other_params_byte_for_byte() -> None:
    url = "https://api.example.com/v1/items?q=a%20b+c&api_key=sk_live_123&page=2&sort=-date"
    expected = f"https://api.example.com/v1/items?q=a%20b+c&api_key={F}&page=2&sort=-date"
    assert scrubber.scrub_url(url) == expected
    assert (
        scrubber.scrub_url("/search?X-Amz-Signature=abc&x=1") == f"/search?X-Amz-Signature={F}&x=1"
    )
    assert scrubber.scrub_url("https://h/p?password&x=1") == "https://h/p?password&x=1"


def test_url_fragment() -> None:
    url = "https://app.example.com/cb#access_token=ya29.abc&token_type=Bearer&expires_in=3599"
    assert scrubber.scrub_url(url).startswith(f"https://app.example.com/cb#access_token={F}&")
    assert scrubber.scrub_url(url).endswith("&expires_in=3599")
    spa = "https://app.example.com/#/reset?token=abc&step=2"
    assert scrubber.scrub_url(spa) == f"https://app.example.com/#/reset?token={F}&step=2"
    assert scrubber.scrub_url("https://h/docs#section-2") == "https://h/docs#section-2"


def test_url_pii_in_query_values() -> None:
    url = "https://shop.example.com/invite?to=bob%40example.com&from=10.1.2.3&n=1"
    assert scrubber.scrub_url(url) == f"https://shop.example.com/invite?to={F}&from={F}&n=1"
    assert scrubber.scrub_url(url, pii=False) == url
    assert scrubber.scrub_url("/s?q=mail+bob%40x.com+now") == f"/s?q=mail%20{F}%20now"


def test_url_scheme_host_and_path_are_kept() -> None:
    url = "http://10.1.2.3:8080/users/bob@example.com/orders?page=2"
    assert scrubber.scrub_url(url) == url


@pytest.mark.parametrize(
    "url",
    ["", "?", "#", "@", "://", "http://[::1", "https://a@b@c/?=&&=x#?", "%zz?%zz=%zz", "h?&&&"],
)
def test_malformed_urls_do_not_raise(url: str) -> None:
    once = scrubber.scrub_url(url)
    assert scrubber.scrub_url(once) == once


def test_a_url_with_spaces_is_scrubbed_as_text() -> None:
    assert scrubber.scrub_url("not a url password=x") == f"not a url password={F}"


# Rule 5: the report.


def full_report() -> dict[str, Any]:
    data = b"\x89PNG password=hunter2"
    return {
        "id": str(uuid.uuid4()),
        "created_at": TS,
        "kind": "crash",
        "title": "Checkout fails for bob@example.com, password=hunter2",
        "description": "Я нажал «Оплатить» с картой 4242 4242 4242 4242, и ничего. Пишите: a@b.io",
        "user": {"id": "42", "email": "bob@example.com", "name": "Bob"},
        "app": {"name": "shop", "release": "2.4.1", "environment": "production"},
        "device": {"family": "server", "hostname": "web-1.internal"},
        "browser": {
            "name": "Chrome",
            "url": "https://shop.example.com/pay?session=abc&step=2",
            "referrer": "https://mail.example.com/?to=bob%40example.com",
        },
        "actions": [
            {
                "timestamp": TS,
                "category": "http",
                "message": "GET https://api.example.com/v1/pay 502",
                "data": {
                    "url": "https://api.example.com/v1/pay?api_key=sk_1&email=bob%40example.com",
                    "method": "GET",
                    "status_code": 502,
                    "headers": {"Authorization": "Bearer abc", "Accept": "*/*"},
                },
            },
            {"timestamp": TS, "category": "log", "message": "user bob@example.com from 10.1.2.3"},
        ],
        "logs": [
            {
                "timestamp": TS,
                "level": "error",
                "logger": "shop.auth",
                "message": "login failed for bob@example.com password=hunter2 from 10.1.2.3",
            }
        ],
        "exception": {
            "type": "ValueError",
            "value": f"bad key {PEM} for admin@example.com",
            "frames": [{"function": "load", "code": "key = load(password='hunter2')"}],
        },
        "network": [
            {
                "method": "POST",
                "url": "https://bob:pw@api.example.com/v1/pay?token=t&page=2",
                "status": 502,
                "error": "Authorization: Bearer abcdef123456 rejected by 10.0.0.7",
            }
        ],
        "tags": {"feature": "checkout", "session": "s-123", "note": "token=abc"},
        "extra": {"db": {"password": "x", "host": "h"}, "contact": "bob@example.com"},
        "attachments": [
            {
                "name": "screen.png",
                "content_type": "image/png",
                "size": len(data),
                "data": base64.b64encode(data).decode(),
            }
        ],
        "links": {"session_id": "s1"},
        "fingerprint": ["password=hunter2"],
        "sdk": {"name": "bugrelay.python", "version": "0.1.0"},
    }


def test_scrub_report() -> None:
    report = full_report()
    original = copy.deepcopy(report)
    scrubber.scrub_report(report)

    # Secrets only: what the reporter or the developer wrote on purpose keeps its PII.
    assert report["title"] == f"Checkout fails for bob@example.com, password={F}"
    assert (
        report["description"] == "Я нажал «Оплатить» с картой [Filtered], и ничего. Пишите: a@b.io"
    )
    assert report["extra"] == {"db": {"password": F, "host": "h"}, "contact": "bob@example.com"}
    assert report["tags"] == {"feature": "checkout", "session": F, "note": f"token={F}"}

    # Secrets and PII.
    http, log = report["actions"]
    assert http["message"] == "GET https://api.example.com/v1/pay 502"
    assert http["data"] == {
        "url": f"https://api.example.com/v1/pay?api_key={F}&email={F}",
        "method": "GET",
        "status_code": 502,
        "headers": {"Authorization": F, "Accept": "*/*"},
    }
    assert log["message"] == f"user {F} from {F}"
    assert report["logs"][0]["message"] == f"login failed for {F} password={F} from {F}"
    assert report["exception"]["value"] == (
        f"bad key -----BEGIN RSA PRIVATE KEY-----{F}-----END RSA PRIVATE KEY----- for {F}"
    )
    assert report["network"][0]["url"] == f"https://{F}@api.example.com/v1/pay?token={F}&page=2"
    assert report["network"][0]["error"] == f"Authorization: Bearer {F} rejected by {F}"
    assert report["browser"]["url"] == f"https://shop.example.com/pay?session={F}&step=2"
    assert report["browser"]["referrer"] == f"https://mail.example.com/?to={F}"

    # Left alone.
    for name in ("id", "user", "app", "device", "attachments", "links", "fingerprint", "sdk"):
        assert report[name] == original[name], name
    assert report["exception"]["frames"] == original["exception"]["frames"]
    assert report["logs"][0]["logger"] == "shop.auth"


def test_a_scrubbed_report_is_still_a_valid_report() -> None:
    report = full_report()
    scrubber.scrub_report(report)
    model = Report.model_validate(report)
    assert model.exception is not None
    assert FILTERED in model.exception.value


# Rule 6: idempotence.


def test_scrubbing_twice_is_scrubbing_once() -> None:
    for s in (scrubber, Scrubber(send_default_pii=True), Scrubber(["order"], defaults=False)):
        once = full_report()
        s.scrub_report(once)
        twice = copy.deepcopy(once)
        s.scrub_report(twice)
        assert twice == once


def test_filtered_is_never_scrubbed_again() -> None:
    for text in (F, f"password={F}", f'"token": "{F}"', f"Bearer {F}", f"https://{F}@h/?token={F}"):
        assert scrubber.scrub_text(text) == text
        assert scrubber.scrub_value({"password": F, "x": text}) == {"password": F, "x": text}


SNIPPETS = [
    "password=hunter2",
    "password",
    "token: ",
    '"api_key": "',
    "'",
    '"',
    "=",
    ":",
    "::",
    "&",
    "?",
    "#",
    "@",
    " ",
    "\n",
    "bob@example.com",
    "10.1.2.3",
    "fe80::1",
    "4242 4242 4242 4242",
    "4242",
    JWT,
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "Authorization: Bearer ",
    "Bearer ",
    "abc123def456",
    "Cookie: ",
    "https://",
    "bob:pw@",
    FILTERED,
    "Лев",
]
texts = st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=4), max_size=12).map("".join)


@settings(max_examples=500, deadline=None)
@given(texts)
def test_text_scrubbing_is_idempotent(text: str) -> None:
    once = scrubber.scrub_text(text)
    assert scrubber.scrub_text(once) == once
    url = scrubber.scrub_url(text)
    assert scrubber.scrub_url(url) == url


# Odd shapes never raise.


@pytest.mark.parametrize(
    "fields",
    [
        {"actions": None, "logs": 5, "network": "x", "exception": "boom", "browser": []},
        {"actions": [None, 1, "x", {"message": 5, "data": [1, "password=x"]}]},
        {"logs": [{"message": None}, {"message": ["a"]}], "network": [{"url": 1, "error": {}}]},
        {"exception": {"value": 3}, "browser": {"url": None, "referrer": 7}},
        {"extra": "password=x", "tags": None, "title": 42, "description": ["a"]},
        {"extra": {1: "x", None: "password=y", "ok": 1.5, "b": b"bytes"}},
        {"tags": {"password": None, "n": 3}},
    ],
)
def test_odd_shapes_never_raise(fields: dict[str, Any]) -> None:
    report = copy.deepcopy(fields)
    scrubber.scrub_report(report)
    assert report.keys() == fields.keys()


def test_wrong_types_are_left_alone() -> None:
    report: dict[str, Any] = {"extra": "password=x", "title": 42, "actions": {"message": "pwd=1"}}
    scrubber.scrub_report(report)
    assert report == {"extra": "password=x", "title": 42, "actions": {"message": "pwd=1"}}


def test_deep_nesting_does_not_raise_and_is_filtered_below_the_limit() -> None:
    deep: Any = "password=x"
    for _ in range(5_000):
        deep = {"a": [deep]}
    node = scrubber.scrub_value(deep)
    levels = 0
    while isinstance(node, dict | list):
        node = node["a"] if isinstance(node, dict) else node[0]
        levels += 1
    assert node == FILTERED
    assert levels == MAX_DEPTH


def test_every_string_in_free_json_is_scrubbed() -> None:
    data = {"list": ["pwd=1", ["token: abc"]], "n": {"m": {"url": "https://h/?secret=1"}}}
    assert scrubber.scrub_value(data) == {
        "list": [f"pwd={F}", [f"token: {F}"]],
        "n": {"m": {"url": f"https://h/?secret={F}"}},
    }
