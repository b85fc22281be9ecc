"""Server-side scrubbing: every pattern finds its secret wherever a report carries text, nothing
else in the report changes, the paths name exactly what changed, the project's settings switch
it, the result is still a valid report, and the pre-check never calls a report with a secret
clean."""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import assume, event, example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from collector_server.pipeline.scrub import (
    PATTERNS,
    SETTING_KEYS,
    ScrubSettings,
    ServerScrubber,
    scrub_report,
    scrubber_for,
)
from collector_server.project_settings import parse_cli_settings
from sdk._problems import field_path
from sdk._scrub import FILTERED
from sdk.models import MAX_EXTRA_BYTES, MAX_TITLE, MAX_URL, Report

F = FILTERED
TS = "2026-11-25T10:00:00Z"
DEFAULTS = ScrubSettings()
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"
GITHUB = "ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"

# One sample per pattern, each caught by its pattern only (the deny-list does not catch it):
# the text, and the text as scrubbing leaves it.
SAMPLES: dict[str, tuple[str, str]] = {
    "authorization": ("retry with Bearer abc123def456ghi", f"retry with Bearer {F}"),
    "aws_key": ("boto3 used AKIAIOSFODNN7EXAMPLE here", f"boto3 used {F} here"),
    "card": ("paid with 4111 1111 1111 1111 today", f"paid with {F} today"),
    "iban": ("refund to DE89 3704 0044 0532 0130 00 please", f"refund to {F} please"),
    "jwt": (f"decoding {JWT} failed", f"decoding {F} failed"),
    "pem": (
        f"key {PEM} loaded",
        f"key -----BEGIN RSA PRIVATE KEY-----{F}-----END RSA PRIVATE KEY----- loaded",
    ),
    "url_password": (
        "connecting to postgres://app:s3cret@db:5432/shop",
        f"connecting to postgres://app:{F}@db:5432/shop",
    ),
    "vendor_token": (f"git push with {GITHUB}", f"git push with {F}"),
}
# The deny-list in text: `key=value` pairs and query strings.
DENIED_IN_TEXT: dict[str, tuple[str, str]] = {
    "password=": ("login password=hunter2 failed", f"login password={F} failed"),
    "token= in a query": ("GET /api?token=abc123&page=2", f"GET /api?token={F}&page=2"),
    "JSON in text": ('body {"api_key": "k-123", "n": 1}', f'body {{"api_key": "{F}", "n": 1}}'),
    "header line": ("sent X-Auth-Token: t0k3n", f"sent X-Auth-Token: {F}"),
}
TEXT_SAMPLES = {**SAMPLES, **DENIED_IN_TEXT}


VENDOR_TOKENS = [
    GITHUB,
    "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    "glpat-abcdefghij0123456789",
    "xoxb-1234567890",  # the shortest shape
    "sk_live_" + "a1b2c3d4e5f6g7h8",
    "rk_test_" + "a1b2c3d4e5f6g7h8",
    "AIza" + "SyA1234567890abcdefghijklmnopqrstuv",
    "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
    "pypi-AgE" + "a" * 60,
    "SG." + "a" * 22 + "." + "b" * 43,
    "sk-proj-" + "a1b2c3d4e5f6g7h8i9j0k1",
    "sk-ant-api03-" + "a1b2c3d4e5f6g7h8i9j0k1",
    "AKIAIOSFODNN7EXAMPLE",
    "ASIAIOSFODNN7EXAMPLE",
]


def make(**fields: Any) -> Report:
    return Report.model_validate(
        {"id": str(uuid.UUID(int=7)), "created_at": TS, "title": "Save does nothing", **fields}
    )


def action(message: str = "clicked Save", **fields: Any) -> dict[str, Any]:
    return {"timestamp": TS, "category": "ui.click", "message": message, **fields}


def http(**data: Any) -> dict[str, Any]:
    """An http action: what a failed request's headers and bodies travel in."""
    base = {"url": "https://shop.example/api/save", "method": "POST", "status_code": 500}
    return {"timestamp": TS, "category": "http", "message": "POST /api/save", "data": base | data}


def put(data: Any, loc: tuple[int | str, ...], value: Any) -> None:
    for part in loc[:-1]:
        data = data[part]
    data[loc[-1]] = value


def get(data: Any, loc: tuple[int | str, ...]) -> Any:
    for part in loc:
        data = data[part]
    return data


def assert_changed_only(
    before: Report, after: Report, changes: dict[tuple[int | str, ...], Any]
) -> None:
    """``after`` is ``before`` with ``changes`` made, and nothing else."""
    expected = before.model_dump(mode="json")
    for loc, value in changes.items():
        put(expected, loc, value)
    assert after.model_dump(mode="json") == expected


@dataclass(frozen=True)
class Place:
    name: str
    loc: tuple[int | str, ...]
    fields: Callable[[str], dict[str, Any]]

    @property
    def path(self) -> str:
        return field_path(self.loc)


FRAME = {"module": "shop.db", "function": "connect", "file": "db.py", "line": 3, "in_app": True}
CAUSE = {"type": "OSError", "value": "connection refused", "module": "builtins", "frames": [FRAME]}
TEXT_PLACES = [
    Place("title", ("title",), lambda t: {"title": t}),
    Place("description", ("description",), lambda t: {"description": t}),
    Place("user name", ("user", "name"), lambda t: {"user": {"id": "42", "name": t}}),
    Place(
        "action message",
        ("actions", 1, "message"),
        lambda t: {"actions": [action(), action(t)]},
    ),
    Place(
        "action data",
        ("actions", 0, "data", "note"),
        lambda t: {"actions": [action(data={"note": t, "count": 3})]},
    ),
    Place(
        "request body",
        ("actions", 0, "data", "request_body"),
        lambda t: {"actions": [http(request_body=t)]},
    ),
    Place(
        "response header",
        ("actions", 0, "data", "response_headers", "X-Debug"),
        lambda t: {"actions": [http(response_headers={"X-Debug": t, "Accept": "*/*"})]},
    ),
    Place(
        "header list",
        ("actions", 0, "data", "headers", 1, 1),
        lambda t: {"actions": [http(headers=[["Accept", "*/*"], ["X-Debug", t]])]},
    ),
    Place(
        "log message",
        ("logs", 0, "message"),
        lambda t: {"logs": [{"timestamp": TS, "level": "error", "logger": "shop", "message": t}]},
    ),
    Place(
        "exception value",
        ("exception", "value"),
        lambda t: {"exception": {"type": "ValueError", "value": t, "frames": [FRAME]}},
    ),
    Place(
        "source line",
        ("exception", "frames", 0, "code"),
        lambda t: {"exception": {"type": "ValueError", "frames": [FRAME | {"code": t}]}},
    ),
    Place(
        "exception stack",
        ("exception", "stack"),
        lambda t: {"exception": {"type": "ValueError", "value": "bad", "stack": t}},
    ),
    Place(
        "chained exception value",
        ("exception", "chain", 1, "value"),
        lambda t: {"exception": {"type": "RuntimeError", "chain": [CAUSE, CAUSE | {"value": t}]}},
    ),
    Place(
        "chained exception stack",
        ("exception", "chain", 0, "stack"),
        lambda t: {"exception": {"type": "RuntimeError", "chain": [CAUSE | {"stack": t}]}},
    ),
    Place(
        "chained source line",
        ("exception", "chain", 0, "frames", 1, "code"),
        lambda t: {
            "exception": {
                "type": "RuntimeError",
                "chain": [CAUSE | {"frames": [FRAME, FRAME | {"code": t}]}],
            }
        },
    ),
    Place(
        "failed request error",
        ("network", 0, "error"),
        lambda t: {"network": [{"method": "GET", "url": "https://shop.example/api", "error": t}]},
    ),
    Place("tag", ("tags", "note"), lambda t: {"tags": {"feature": "cart", "note": t}}),
    Place("extra", ("extra", "note"), lambda t: {"extra": {"note": t, "count": 3}}),
    Place(
        "nested extra",
        ("extra", "ctx", "items", 1),
        lambda t: {"extra": {"ctx": {"items": ["ok", t], "n": 2}}},
    ),
]
URL_PLACES = [
    Place(
        "failed request URL",
        ("network", 0, "url"),
        lambda u: {"network": [{"method": "POST", "url": u, "status": 500}]},
    ),
    Place("page URL", ("browser", "url"), lambda u: {"browser": {"name": "Chrome", "url": u}}),
    Place("referrer", ("browser", "referrer"), lambda u: {"browser": {"referrer": u}}),
    Place(
        "URL in action data", ("actions", 0, "data", "url"), lambda u: {"actions": [http(url=u)]}
    ),
    Place("URL in extra", ("extra", "callback_url"), lambda u: {"extra": {"callback_url": u}}),
]
PAGE = "https://shop.example/p"
URL_SAMPLES: dict[str, tuple[str, str]] = {
    # Every pattern in a query value, percent-encoded (and encoded again once scrubbed).
    **{
        f"{name} in a query value": (
            f"{PAGE}?note={quote(text)}&page=2",
            f"{PAGE}?note={quote(scrubbed, safe='[]')}&page=2",
        )
        for name, (text, scrubbed) in SAMPLES.items()
    },
    # Secrets with no spaces in the path, the fragment's route and the user name.
    **{
        f"{name} in the path": (f"{PAGE}/{secret}/next?page=2", f"{PAGE}/{F}/next?page=2")
        for name, secret in [
            ("jwt", JWT),
            ("aws_key", "AKIAIOSFODNN7EXAMPLE"),
            ("vendor_token", GITHUB),
            ("card", "4111111111111111"),
            ("iban", "DE89370400440532013000"),
        ]
    },
    "jwt in the fragment's route": (f"{PAGE}#/reset/{JWT}", f"{PAGE}#/reset/{F}"),
    "jwt as a bare query": (f"{PAGE}?{JWT}", f"{PAGE}?{F}"),
    "token as the user name": (
        f"https://{GITHUB}@github.com/org/repo.git",
        f"https://{F}@github.com/org/repo.git",
    ),
    "user:password": ("https://app:s3cret@db.example/shop", f"https://app:{F}@db.example/shop"),
    "user:password, no scheme": ("//app:pw@db.example/x", f"//app:{F}@db.example/x"),
    "token=": (
        "https://api.example/v1?token=abc123&page=2",
        f"https://api.example/v1?token={F}&page=2",
    ),
    "encoded name": (f"{PAGE}?api%5Fkey=k1&x=1", f"{PAGE}?api%5Fkey={F}&x=1"),
    "fragment parameters": (
        f"{PAGE}#access_token=abc&state=s1",
        f"{PAGE}#access_token={F}&state=s1",
    ),
    "signed URL": (
        "https://bucket.s3.example/f.png?X-Amz-Credential=AKID%2F20261125&X-Amz-Signature=ab12",
        f"https://bucket.s3.example/f.png?X-Amz-Credential={F}&X-Amz-Signature={F}",
    ),
}


# Every pattern, every place.


@pytest.mark.parametrize("sample", TEXT_SAMPLES)
@pytest.mark.parametrize("place", TEXT_PLACES, ids=lambda p: p.name)
def test_every_pattern_finds_its_secret_in_every_text_place(place: Place, sample: str) -> None:
    text, expected = TEXT_SAMPLES[sample]
    report = make(**place.fields(text))
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == [place.path]
    assert get(scrubbed.model_dump(mode="json"), place.loc) == expected
    assert_changed_only(report, scrubbed, {place.loc: expected})


@pytest.mark.parametrize("sample", URL_SAMPLES)
@pytest.mark.parametrize("place", URL_PLACES, ids=lambda p: p.name)
def test_every_pattern_finds_its_secret_in_every_url(place: Place, sample: str) -> None:
    url, expected = URL_SAMPLES[sample]
    report = make(**place.fields(url))
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == [place.path]
    assert_changed_only(report, scrubbed, {place.loc: expected})


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The white space is in the secret value: scrubbed as text, the URL has none left.
        ("?token='retry with Bearer abc123def456ghi", f"?token={F}"),
        (f"{PAGE}?token='a b'&page=2", f"{PAGE}?token={F}&page=2"),
    ],
)
@pytest.mark.parametrize("place", URL_PLACES, ids=lambda p: p.name)
def test_a_url_whose_white_space_scrubbing_removes_is_then_scrubbed_as_a_url(
    place: Place, url: str, expected: str
) -> None:
    scrubbed, paths = scrub_report(make(**place.fields(url)), DEFAULTS)
    assert paths == [place.path]
    assert get(scrubbed.model_dump(mode="json"), place.loc) == expected
    assert scrub_report(scrubbed, DEFAULTS) == (scrubbed, [])


@pytest.mark.parametrize(
    ("fields", "changes"),
    [
        ({"extra": {"password": "hunter2", "user": "ann"}}, {("extra", "password"): F}),
        (
            {"extra": {"db": {"DB_PASSWORD": "x", "host": "db"}}},
            {("extra", "db", "DB_PASSWORD"): F},
        ),
        (
            {"extra": {"api_key": 12345, "token": None, "secrets": ["a", "b"], "n": 1}},
            {("extra", "api_key"): F, ("extra", "token"): F, ("extra", "secrets"): F},
        ),
        ({"tags": {"session": "s-123", "page": "cart"}}, {("tags", "session"): F}),
        (
            {"actions": [http(request_headers={"Authorization": "Basic YXBw", "Accept": "*/*"})]},
            {("actions", 0, "data", "request_headers", "Authorization"): F},
        ),
        (
            {"actions": [http(response_headers=[["Set-Cookie", "sid=1"], ["Vary", "Origin"]])]},
            {("actions", 0, "data", "response_headers", 0, 1): F},
        ),
        (
            {"actions": [action(data={"form": {"card_number": "x", "cvv": "123", "qty": 2}})]},
            {
                ("actions", 0, "data", "form", "card_number"): F,
                ("actions", 0, "data", "form", "cvv"): F,
            },
        ),
    ],
)
def test_denied_keys_in_free_form_json(
    fields: dict[str, Any], changes: dict[tuple[int | str, ...], Any]
) -> None:
    report = make(**fields)
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == sorted(field_path(loc) for loc in changes)
    assert_changed_only(report, scrubbed, changes)


def test_the_paths_name_exactly_the_fields_that_changed() -> None:
    report = make(
        title="Checkout fails",
        description=SAMPLES["card"][0],
        actions=[action(), action(SAMPLES["jwt"][0]), http(headers={"Cookie": "a=1", "X": "y"})],
        logs=[{"timestamp": TS, "message": "ok"}, {"timestamp": TS, "message": "pwd=1"}],
        network=[
            {"method": "GET", "url": "https://h/x?signature=1&q=2"},
            {"method": "GET", "url": "/"},
        ],
        tags={"csrf": "t", "page": "cart"},
        extra={"nested": {"deep": [{"token": "t"}, "fine"]}},
    )
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == [
        "actions[1].message",
        "actions[2].data.headers.Cookie",
        "description",
        "extra.nested.deep[0].token",
        "logs[1].message",
        "network[0].url",
        "tags.csrf",
    ]
    assert scrubbed.network[0].url == f"https://h/x?signature={F}&q=2"


def test_the_paths_in_a_chain_name_the_chained_exception() -> None:
    report = make(
        exception={
            "type": "RuntimeError",
            "value": "checkout failed",
            "stack": "RuntimeError: checkout failed\n    at pay (https://shop.example/app.js:1:9)",
            "frames": [FRAME],
            "chain": [
                CAUSE | {"stack": f"Error: {SAMPLES['authorization'][0]}\n    at f (a.js:1:1)"},
                CAUSE | {"value": SAMPLES["card"][0], "frames": [FRAME | {"code": "pwd = 's3'"}]},
                CAUSE | {"value": DENIED_IN_TEXT["password="][0]},
            ],
        }
    )
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == [
        "exception.chain[0].stack",
        "exception.chain[1].frames[0].code",
        "exception.chain[1].value",
        "exception.chain[2].value",
    ]
    assert_changed_only(
        report,
        scrubbed,
        {
            ("exception", "chain", 0, "stack"): f"Error: {SAMPLES['authorization'][1]}\n"
            "    at f (a.js:1:1)",
            ("exception", "chain", 1, "value"): SAMPLES["card"][1],
            ("exception", "chain", 1, "frames", 0, "code"): f"pwd = '{F}'",
            ("exception", "chain", 2, "value"): DENIED_IN_TEXT["password="][1],
        },
    )


def test_a_clean_report_is_returned_as_it_is() -> None:
    report = make(
        description="I clicked Save, typed my password again and nothing happened.",
        user={"id": "42", "email": "ann@example.com", "name": "Ann", "plan": "pro"},
        actions=[http(), action("opened https://shop.example/cart?page=2")],
        logs=[{"timestamp": TS, "message": "session expired at 10:00, token refreshed"}],
        exception={
            "type": "KeyError",
            "value": "'price'",
            "frames": [FRAME],
            "stack": "TypeError: price is undefined\n    at total (https://shop.example/app.js:4:17)",
            "chain": [
                CAUSE | {"stack": "Error: connection refused\n    at connect (db.js:3:1)"},
                CAUSE | {"frames": [FRAME | {"code": "total = sum(i.price for i in items)"}]},
            ],
        },
        network=[{"method": "GET", "url": "https://shop.example/api/items?page=2", "status": 502}],
        tags={"feature": "checkout"},
        extra={"cart": {"items": 3, "total": "59.90"}},
    )
    scrubber = scrubber_for(DEFAULTS)
    assert not scrubber.suspects(report)  # the pre-check is not "always suspect"
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert scrubbed is report
    assert paths == []


def test_what_the_sdk_filtered_already_is_not_suspect() -> None:
    report = make(
        description=f"login password={F}, Authorization: Bearer {F}, token: '{F}'",
        actions=[http(headers={"Authorization": F}, url=f"https://h/?token={F}&page=2")],
        logs=[{"timestamp": TS, "message": f"connecting to postgres://app:{F}@db/shop"}],
        exception={
            "type": "E",
            "value": SAMPLES["pem"][1],
            "stack": f"E: password={F}\n    at f (a.js:1:1)",
            "chain": [{"type": "E", "value": f"Bearer {F}", "stack": f"E: token={F}"}],
        },
        network=[{"method": "GET", "url": f"https://app:{F}@h/x?api_key={F}"}],
        extra={"password": F, "headers": [["Cookie", F]]},
    )
    assert not scrubber_for(DEFAULTS).suspects(report)
    assert scrub_report(report, DEFAULTS) == (report, [])


def test_scrubbing_a_scrubbed_report_changes_nothing() -> None:
    report = make(
        title=SAMPLES["pem"][0],
        description=" ".join(text for text, _ in TEXT_SAMPLES.values()),
        network=[{"method": "GET", "url": url} for url, _ in URL_SAMPLES.values()][:100],
    )
    once, paths = scrub_report(report, DEFAULTS)
    assert paths
    twice, again = scrub_report(once, DEFAULTS)
    assert (twice, again) == (once, [])


def test_personal_data_is_not_removed() -> None:
    report = make(
        user={"id": "42", "email": "ann@example.com", "name": "Ann Lee"},
        description="Write to ann@example.com; the server is 10.1.2.3 / fe80::1",
        actions=[action("login password=x from 192.168.0.7 by bob@example.com")],
        network=[{"method": "GET", "url": "https://10.1.2.3/api?email=ann@example.com"}],
        exception={
            "type": "E",
            "stack": "E: no account for ann@example.com",
            "chain": [{"type": "E", "value": "from 10.1.2.3", "stack": "E: bob@example.com"}],
        },
    )
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == ["actions[0].message"]
    assert scrubbed.actions[0].message == f"login password={F} from 192.168.0.7 by bob@example.com"
    assert_changed_only(report, scrubbed, {("actions", 0, "message"): scrubbed.actions[0].message})


def test_attachments_are_kept_as_they_are() -> None:
    data = b"\x89PNG password=hunter2"
    attachment = {"name": "a.png", "size": len(data), "data": base64.b64encode(data).decode()}
    report = make(description="pwd=1", attachments=[attachment])
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == ["description"]
    assert scrubbed.attachments == report.attachments
    assert scrubbed.attachments[0] is report.attachments[0]
    assert "attachments" in scrubbed.model_fields_set


# The result is still a valid report, however long the replacements made it.


def assert_valid(report: Report) -> None:
    assert Report.model_validate_json(report.model_dump_json()) == report


def test_a_field_the_replacement_made_too_long_is_cut_without_cutting_a_filtered() -> None:
    title = "x" * (MAX_TITLE - 7) + " pwd=ab"
    report = make(title=title, description="a" * 9_990 + " pwd=b")
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths == ["description", "title"]
    assert scrubbed.title == "x" * (MAX_TITLE - 7) + " pwd="  # not "pwd=[Filt"
    assert scrubbed.description == "a" * 9_990 + " pwd="
    assert_valid(scrubbed)


@pytest.mark.parametrize(
    "fields",
    [
        {"title": "pwd=1 " * 33},
        {"user": {"name": "pwd=1 " * 16}},
        {"actions": [action("pwd=1 " * 333)]},
        {"logs": [{"timestamp": TS, "message": "pwd=1 " * 333}]},
        {"exception": {"type": "E", "value": "pwd=1 " * 333, "frames": [{"code": "pwd=1 " * 83}]}},
        {
            "exception": {
                "type": "E",
                "stack": "pwd=1 " * 333,
                "chain": [
                    {
                        "type": "E",
                        "value": "pwd=1 " * 333,
                        "stack": "pwd=1 " * 333,
                        "frames": [{"code": "pwd=1 " * 83}],
                    }
                ],
            }
        },
        {"network": [{"method": "GET", "url": "/?" + "&".join(["pwd=1"] * 341), "error": "pwd=1"}]},
        {"browser": {"url": "/?" + "&".join(["pwd=1"] * 341)}},
        {"tags": {"note": "pwd=1 " * 33, "page_url": "/?" + "&".join(["pwd=1"] * 33)}},
    ],
)
def test_every_length_limit_holds_after_replacement(fields: dict[str, Any]) -> None:
    report = make(**fields)
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert paths
    assert_valid(scrubbed)
    assert "pwd=1" not in scrubbed.model_dump_json()


def test_free_form_json_the_replacements_made_too_large_becomes_null() -> None:
    count = MAX_EXTRA_BYTES // len('"pwd00000":"a",')
    extra = {f"pwd{i:05}": "a" for i in range(min(count, 45))}
    extra["blob"] = "pwd=1 " * ((MAX_EXTRA_BYTES - len(json.dumps(extra)) - 20) // 6)
    report = make(extra=extra, actions=[action(data={"blob": extra["blob"]})])
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert scrubbed.extra is None
    assert scrubbed.actions[0].data is None
    assert "extra" in paths
    assert "actions[0].data" in paths
    assert_valid(scrubbed)


def test_a_long_url_stays_within_its_limit() -> None:
    url = "https://h/?" + "&".join(["pwd=1"] * ((MAX_URL - 11) // 6))
    report = make(network=[{"method": "GET", "url": url}])
    scrubbed, _ = scrub_report(report, DEFAULTS)
    assert len(scrubbed.network[0].url) <= MAX_URL
    assert "pwd=1" not in scrubbed.network[0].url


# Cards and IBANs: the real ones go, ordinary numbers stay.


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
        "5555555555554444",
        "2223003122003222",  # Mastercard 2-series
        "2200000000000004",  # Mir
        "378282246310005",  # Amex
        "3782 822463 10005",
        "36259600000004",  # Diners
        "6011111111111117",  # Discover
        "3530111333300000",  # JCB
        "6200000000000005",  # UnionPay
        "4222222222222",  # a 13-digit Visa
    ],
)
def test_card_numbers_are_removed(number: str) -> None:
    scrubbed, _ = scrub_report(make(description=f"card {number}, thanks"), DEFAULTS)
    assert scrubbed.description == f"card {F}, thanks"


@pytest.mark.parametrize(
    "iban",
    [
        "DE89370400440532013000",
        "DE89 3704 0044 0532 0130 00",
        "GB82WEST12345698765432",
        "GB82 WEST 1234 5698 7654 32",
        "FR1420041010050500013M02606",
        "NL91ABNA0417164300",
        "NO9386011117947",  # the shortest
        "MT84MALT011000012345MTLCAST001S",  # among the longest
        "CH9300762011623852957",
        "BE68539007547034",
    ],
)
def test_ibans_are_removed(iban: str) -> None:
    scrubbed, _ = scrub_report(make(description=f"IBAN: {iban}."), DEFAULTS)
    assert scrubbed.description == f"IBAN: {F}."


ORDINARY = [
    "order 1000000000000008 paid",  # 16 digits, passes the Luhn check, no card starts with 1
    "order 7000000000000005 paid",
    "ticket 9000000000000000001",
    "order ORD-2026-000123-77",
    "at 1732528800003 ms",  # Unix time in ms, µs and ns (each passes the Luhn check)
    "at 1732528800000005 us",
    "at 1732528800000000003 ns",
    "call +4915112345603",  # E.164, passes the Luhn check
    "call +49 151 12345603 or +1 (415) 555-2671 or 0151 1234 5603",
    "call 41555526718",
    "id 12345678-1234-5678-1234-567812345678",
    "on 2026-11-25 10:00:00.123456",
    "build 20261125100000123",
    "VAT DE123456789, GB123456789",
    "IBAN DE89 3704 0044 0532 0130 01 (a typo: wrong check digits)",
    "IBAN DE89370400440532013000X",  # a longer word
    "route DE12 A7, ISO 8601, SKU AB12CD34EF56GH78",
    "version 4.1.1.1111.1111.1111",
]


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_numbers_stay(text: str) -> None:
    report = make(description=text, tags={"note": text[:200]}, extra={"n": text})
    assert scrub_report(report, DEFAULTS) == (report, [])


@settings(max_examples=300, deadline=None)
@given(
    # From 2040 a timestamp in us can look like a 2-series Mastercard number (22xx to 27xx).
    st.datetimes(min_value=datetime(2001, 9, 10), max_value=datetime(2039, 9, 1)),
    st.sampled_from([1_000, 1_000_000, 1_000_000_000]),
)
def test_timestamps_are_never_cards(moment: datetime, scale: int) -> None:
    stamp = int(moment.replace(tzinfo=UTC).timestamp() * scale)
    report = make(description=f"at {stamp}: retry")
    assert scrub_report(report, DEFAULTS) == (report, [])


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"\+[1-9][0-9]{9,17}", fullmatch=True))
def test_phone_numbers_with_a_plus_are_never_cards(phone: str) -> None:
    report = make(description=f"call {phone} please")
    assert scrub_report(report, DEFAULTS) == (report, [])


@pytest.mark.parametrize("token", VENDOR_TOKENS)
def test_vendor_tokens_and_aws_key_ids_are_removed(token: str) -> None:
    scrubbed, paths = scrub_report(make(description=f"using {token} now"), DEFAULTS)
    assert (scrubbed.description, paths) == (f"using {F} now", ["description"])


@pytest.mark.parametrize(
    "text",
    [
        "ghp_short",
        "the AKIA prefix",
        "sk-proj-too-short",
        "xoxb-1234",
        "skip_live_abcdefghijklmnopqrstu",
        "my_ghp_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",  # inside a longer word
    ],
)
def test_look_alikes_of_vendor_tokens_stay(text: str) -> None:
    report = make(description=text)
    assert scrub_report(report, DEFAULTS) == (report, [])


# The project's settings.


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_disabled_pattern_leaves_its_secret_and_only_its_secret(pattern: str) -> None:
    text, _ = SAMPLES[pattern]
    others = {name: sample for name, sample in SAMPLES.items() if name != pattern}
    off = ScrubSettings(disabled_patterns=frozenset({pattern}))
    report = make(
        description=text, logs=[{"timestamp": TS, "message": t} for t, _ in others.values()]
    )
    scrubbed, paths = scrub_report(report, off)
    assert scrubbed.description == text
    assert [log.message for log in scrubbed.logs] == [s for _, s in others.values()]
    assert paths == [f"logs[{i}].message" for i in range(len(others))]


@pytest.mark.parametrize("pattern", PATTERNS)
def test_a_pattern_alone_finds_its_secret(pattern: str) -> None:
    only = ScrubSettings(disabled_patterns=frozenset(PATTERNS) - {pattern})
    text, expected = SAMPLES[pattern]
    scrubbed, paths = scrub_report(make(description=text), only)
    assert (scrubbed.description, paths) == (expected, ["description"])
    others = make(description=" ".join(t for name, (t, _) in SAMPLES.items() if name != pattern))
    assert scrub_report(others, only) == (others, [])


def test_extra_fields_are_denied_besides_the_default_ones() -> None:
    report = make(
        description="customer_no=C-17 and password=x",
        extra={"Customer-No": "C-17", "ssn": "078-05-1120", "password": "x", "plan": "pro"},
        network=[{"method": "GET", "url": "https://h/?customer_no=C-17&page=1"}],
    )
    settings = ScrubSettings(extra_fields=("customer_no", "ssn"))
    scrubbed, paths = scrub_report(report, settings)
    assert paths == [
        "description",
        "extra.Customer-No",
        "extra.password",
        "extra.ssn",
        "network[0].url",
    ]
    assert scrubbed.description == f"customer_no={F} and password={F}"
    assert scrubbed.extra == {"Customer-No": F, "ssn": F, "password": F, "plan": "pro"}
    assert scrubbed.network[0].url == f"https://h/?customer_no={F}&page=1"


def test_without_the_default_fields_only_the_extra_fields_are_denied() -> None:
    report = make(description="password=x ssn=1", extra={"password": "x", "ssn": "1"})
    settings = ScrubSettings(extra_fields=("ssn",), default_fields=False)
    scrubbed, paths = scrub_report(report, settings)
    assert paths == ["description", "extra.ssn"]
    assert scrubbed.description == f"password=x ssn={F}"
    assert scrubbed.extra == {"password": "x", "ssn": F}
    # The patterns still apply.
    text, expected = SAMPLES["jwt"]
    assert scrub_report(make(description=text), settings)[0].description == expected


def test_without_any_field_names_only_the_patterns_apply() -> None:
    settings = ScrubSettings(default_fields=False)
    report = make(description="password=x", extra={"token": "t"})
    assert scrub_report(report, settings) == (report, [])


def test_disabled_scrubbing_changes_nothing() -> None:
    report = make(
        description=" ".join(text for text, _ in TEXT_SAMPLES.values()),
        extra={"password": "x"},
        network=[{"method": "GET", "url": url} for url, _ in URL_SAMPLES.values()][:100],
    )
    assert scrub_report(report, DEFAULTS)[1]
    assert scrub_report(report, ScrubSettings(enabled=False)) == (report, [])


def test_settings_read_back_from_their_json_form() -> None:
    settings = ScrubSettings(
        enabled=True,
        extra_fields=(" ssn ", "customer_no", "ssn"),
        default_fields=False,
        disabled_patterns=frozenset({"iban", "card"}),
    )
    mapping = settings.to_mapping()
    assert mapping == {
        "enabled": True,
        "extra_fields": ["ssn", "customer_no"],
        "default_fields": False,
        "disabled_patterns": ["card", "iban"],
    }
    assert ScrubSettings.from_mapping(json.loads(json.dumps(mapping))) == settings
    assert set(mapping) == set(SETTING_KEYS)
    assert ScrubSettings.from_mapping(None) == ScrubSettings.from_mapping({}) == DEFAULTS


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ([], "must be a JSON object, not a list"),
        ("on", "must be a JSON object, not a string"),
        ({"enable": True}, "unknown key 'enable'"),
        ({"enabled": "yes"}, "enabled must be true or false"),
        ({"enabled": 1}, "enabled must be true or false"),
        ({"default_fields": None}, "default_fields must be true or false"),
        ({"extra_fields": "ssn"}, "extra_fields must be a list of strings"),
        ({"extra_fields": [1]}, "extra_fields must be a list of strings"),
        ({"extra_fields": [" - "]}, "extra_fields: ' - ' is empty"),
        ({"extra_fields": ["x" * 101]}, "is over 100 characters"),
        ({"extra_fields": [f"f{i}" for i in range(101)]}, "at most 100 names, not 101"),
        ({"disabled_patterns": ["ibans"]}, "unknown pattern 'ibans'; the patterns are"),
        ({"disabled_patterns": "iban"}, "disabled_patterns must be a list of strings"),
    ],
)
def test_bad_settings_are_refused_naming_the_problem(value: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        ScrubSettings.from_mapping(value)


def test_the_project_setting_takes_the_same_json() -> None:
    value = '{"extra_fields": [" ssn", "ssn"], "disabled_patterns": ["iban"]}'
    changes = parse_cli_settings({"set_scrubbing": value})
    assert changes == {  # stored in full and cleaned up: each name once, stripped
        "scrubbing": {
            "enabled": True,
            "extra_fields": ["ssn"],
            "default_fields": True,
            "disabled_patterns": ["iban"],
        }
    }
    settings = ScrubSettings.from_mapping(changes["scrubbing"])
    assert settings == ScrubSettings(extra_fields=("ssn",), disabled_patterns=frozenset({"iban"}))
    assert parse_cli_settings({"set_scrubbing": "default"}) == {"scrubbing": None}
    with pytest.raises(ValueError, match="--scrubbing: disabled_patterns: unknown pattern 'x'"):
        parse_cli_settings({"set_scrubbing": '{"disabled_patterns": ["x"]}'})


def test_the_scrubber_of_equal_settings_is_built_once() -> None:
    first = scrubber_for(ScrubSettings(extra_fields=("ssn",)))
    assert scrubber_for(ScrubSettings.from_mapping({"extra_fields": ["ssn"]})) is first
    assert scrubber_for(DEFAULTS) is not first


# The pre-check never calls a report with a secret clean: scrubbing with and without it agree.

SNIPPETS = [
    *(text for text, _ in TEXT_SAMPLES.values()),
    *(secret for secret in (JWT, PEM, "4111111111111111", "DE89370400440532013000")),
    *VENDOR_TOKENS,
    *(quote(text) for text in ("password=hunter2", "Bearer abc123def456", "4111 1111 1111 1111")),
    "password",
    "Api-Key",
    "X_AUTH.TOKEN",
    "ssn",
    "customer_no",
    "token: ",
    '"secret": "',
    "=",
    "==",
    "=>",
    ":",
    " ",
    "\t",
    "\n",
    "'",
    '"',
    "]",
    "[",
    "&",
    "?",
    "#",
    "@",
    "%3D",
    "%26",
    "%",
    "+",
    "//",
    "https://",
    "app:pw@",
    "Bearer ",
    "Basic ",
    "Authorization: ",
    "Cookie: ",
    "eyJ",
    "ghp_",
    "-----BEGIN ",
    "4111 1111",
    " 1111",
    "DE89",
    " 3704 0044 0532 0130 00",
    "+",
    FILTERED,
    "[Filtered",
    "İ",
    "\u212a",  # the Kelvin sign, which lower() makes a `k`
    "Лев",
]
texts = st.lists(st.sampled_from(SNIPPETS) | st.text(max_size=3), max_size=8).map("".join)
short_texts = texts.filter(lambda t: len(t) <= 100)
keys = st.sampled_from(
    ["password", "note", "Api-Key", "url", "next_url", "X-Token", "sessionId", "ssn", "a"]
) | st.text(min_size=1, max_size=6)
urls = st.lists(
    st.sampled_from(["https://", "//", "/", "?", "#", "&", "=", "@", ":", "token=", "a=b", "%2F"])
    | st.sampled_from(SNIPPETS)
    | st.text(max_size=3),
    max_size=8,
).map("".join)
leaves = texts | urls | st.integers() | st.none() | st.just(FILTERED)
pairs = st.lists(
    st.tuples(st.sampled_from(["Authorization", "Cookie", "Accept", "X-Debug"]), texts).map(list),
    min_size=1,
    max_size=3,
)
free_json = st.recursive(
    leaves,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3) | pairs,
    max_leaves=8,
)
frames = st.lists(st.fixed_dictionaries({"code": texts}), max_size=2)
reports = st.fixed_dictionaries(
    {"title": short_texts},
    optional={
        "description": texts,
        "user": st.fixed_dictionaries({"name": short_texts, "email": st.just("a@b.example")}),
        "actions": st.lists(
            st.fixed_dictionaries(
                {"timestamp": st.just(TS), "message": texts},
                optional={"data": st.dictionaries(keys, free_json, max_size=3)},
            ),
            max_size=3,
        ),
        "logs": st.lists(
            st.fixed_dictionaries({"timestamp": st.just(TS), "message": texts}), max_size=2
        ),
        "exception": st.fixed_dictionaries(
            {"type": st.just("E"), "value": texts},
            optional={
                "frames": frames,
                "stack": texts,
                "chain": st.lists(
                    st.fixed_dictionaries(
                        {"type": st.just("E"), "value": texts},
                        optional={"frames": frames, "stack": texts},
                    ),
                    max_size=2,
                ),
            },
        ),
        "network": st.lists(
            st.fixed_dictionaries(
                {"method": st.just("GET"), "url": urls}, optional={"error": texts}
            ),
            max_size=2,
        ),
        "tags": st.dictionaries(keys.filter(lambda k: len(k) <= 32), short_texts, max_size=3),
        "extra": st.dictionaries(keys, free_json, max_size=3),
        "browser": st.fixed_dictionaries({"url": urls, "referrer": urls}),
    },
)
VARIANTS = [
    DEFAULTS,
    ScrubSettings(extra_fields=("ssn", "customer_no")),
    ScrubSettings(default_fields=False, extra_fields=("ssn",)),
    ScrubSettings(default_fields=False),
    *(ScrubSettings(disabled_patterns=frozenset({name})) for name in PATTERNS),
]


def valid(data: dict[str, Any]) -> Report:
    try:
        return make(**data)
    except ValidationError:
        assume(False)
        raise


@settings(max_examples=800, deadline=None)
@given(reports, st.sampled_from(VARIANTS))
def test_the_pre_check_never_calls_a_report_with_a_secret_clean(
    data: dict[str, Any], variant: ScrubSettings
) -> None:
    report = valid(data)
    scrubber = scrubber_for(variant)
    without = scrubber.scrub(report)  # every field scrubbed, no pre-check
    suspect = scrubber.suspects(report)
    event("scrubbed" if without[1] else "suspect, nothing scrubbed" if suspect else "clean")
    if without[1]:
        assert suspect
    assert scrub_report(report, variant) == without


@settings(max_examples=500, deadline=None)
@given(reports)
@example({"title": "x", "browser": {"url": "", "referrer": "?token='a b"}})  # text, then a URL
def test_scrubbing_with_random_reports_gives_valid_reports_and_is_idempotent(
    data: dict[str, Any],
) -> None:
    report = valid(data)
    scrubbed, paths = scrub_report(report, DEFAULTS)
    assert_valid(scrubbed)
    assert paths == sorted(set(paths))
    assert (scrubbed is report) == (paths == [])
    assert scrub_report(scrubbed, DEFAULTS) == (scrubbed, [])


@settings(max_examples=1000, deadline=None)
@given(texts, st.sampled_from(["text", "url", "json", "headers"]), st.sampled_from(VARIANTS))
@example(f"Cookie: {F} and more", "text", DEFAULTS)  # the Cookie header rule, not the pair rule
@example(f"token: Bearer {F}x", "text", DEFAULTS)
@example("password => x", "text", DEFAULTS)
@example(f"a={F} password=x", "text", DEFAULTS)  # the pair's own value is asked, not another's
@example(f"token: x, b={F}", "text", DEFAULTS)
@example("api_\u212aey=1", "text", DEFAULTS)  # the Kelvin sign: lower() makes it `apikey`
@example("https://h/?q=password%3Dx", "url", DEFAULTS)  # decoded, the value is a pair
@example("https://h/#/a?api%5Fkey=1", "url", DEFAULTS)
@example("x", "headers", DEFAULTS)
def test_the_pre_check_never_misses_a_secret_in_one_field(
    text: str, kind: str, variant: ScrubSettings
) -> None:
    fields: dict[str, dict[str, Any]] = {
        "text": {"description": text},
        "url": {"network": [{"method": "GET", "url": text[:MAX_URL]}]},
        "json": {"extra": {"note": text, "next_url": text}},
        "headers": {"extra": {"headers": [["Accept", text], ["X-Api-Key", text]]}},
    }
    report = valid(fields[kind])
    scrubber = scrubber_for(variant)
    if scrubber.scrub(report)[1]:
        assert scrubber.suspects(report)


def test_the_server_scrubber_is_the_sdks_with_patterns_switched() -> None:
    scrubber = ServerScrubber(["ssn"], patterns=frozenset({"jwt"}))
    assert scrubber.is_denied_key("SSN")
    assert scrubber.is_denied_key("db_password")
    assert scrubber.scrub_text(f"ssn=1 {JWT} 4111111111111111") == f"ssn={F} {F} 4111111111111111"
    with pytest.raises(ValueError, match="unknown pattern 'nope'"):
        ServerScrubber(patterns=frozenset({"nope"}))
