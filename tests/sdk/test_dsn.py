from __future__ import annotations

import pytest

from sdk.dsn import Dsn, InvalidDsnError


def test_parse_and_urls() -> None:
    dsn = Dsn.parse("https://abc123@bugs.example.com:8443/42")
    assert (dsn.public_key, dsn.host, dsn.port, dsn.project_id) == (
        "abc123",
        "bugs.example.com",
        8443,
        "42",
    )
    assert dsn.reports_url == "https://bugs.example.com:8443/api/v1/projects/42/reports"
    assert str(dsn) == "https://abc123@bugs.example.com:8443/42"


def test_a_collector_under_a_path_prefix() -> None:
    dsn = Dsn.parse("http://k@example.com/bugrelay/7")
    assert dsn.reports_url == "http://example.com/bugrelay/api/v1/projects/7/reports"
    assert str(dsn) == "http://k@example.com/bugrelay/7"


def test_ipv6_host() -> None:
    assert (
        Dsn.parse("http://k@[::1]:8000/1").reports_url
        == "http://[::1]:8000/api/v1/projects/1/reports"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("ftp://k@host/1", "scheme must be http or https"),
        ("http://host/1", "no public key"),
        ("http://k:secret@host/1", "must not contain a secret"),
        ("http://k@host/", "numeric project id"),
        ("http://k@host/abc", "numeric project id"),
        ("http://k@host:99999/1", "port"),
        ("http://k@host/1?x=1", "query"),
        ("http://k@/1", "no host"),
    ],
)
def test_bad_dsns_say_what_is_wrong(value: str, message: str) -> None:
    with pytest.raises(InvalidDsnError, match=message):
        Dsn.parse(value)
