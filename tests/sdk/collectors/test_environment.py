"""The environment collector: runtime, OS and device facts, read once at set-up."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import types
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sdk.collectors import Draft
from sdk.collectors.environment import (
    HOSTNAME_SALT,
    MAX_VALUE,
    EnvironmentCollector,
    device_family,
)
from sdk.dsn import Dsn
from sdk.models import MAX_SHORT, Device, Os, Runtime
from sdk.options import Options

DSN = "http://publickey@127.0.0.1:9/1"
unix_only = pytest.mark.skipif(
    sys.platform in ("win32", "darwin", "android", "ios"), reason="the display rule is for Unix"
)


@pytest.fixture(autouse=True)
def _outside_kubernetes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)


def collect(
    draft: Draft | None = None, *, container_markers: Sequence[str] = (), **options: Any
) -> Draft:
    collector = EnvironmentCollector(container_markers=container_markers)
    collector.setup(types.SimpleNamespace(options=Options(**options)))  # type: ignore[arg-type]
    draft = {} if draft is None else draft
    collector.apply(draft)
    return draft


def test_the_runtime_is_this_python() -> None:
    draft = collect()
    assert draft["runtime"] == {
        "name": platform.python_implementation(),
        "version": platform.python_version(),
    }


def test_what_it_fills_fits_the_wire_schema_and_has_no_unknowns() -> None:
    draft = collect(dsn=Dsn.parse(DSN))
    assert set(draft) == {"runtime", "os", "device"}  # the app section is the release collector's
    Runtime.model_validate(draft["runtime"])
    Os.model_validate(draft["os"])
    Device.model_validate(draft["device"])
    for section in draft.values():
        assert None not in section.values()
    assert MAX_VALUE == MAX_SHORT


@pytest.mark.skipif(sys.platform != "linux", reason="Linux facts")
def test_on_linux_the_os_is_the_kernel_and_the_distribution() -> None:
    os_facts = collect()["os"]
    assert os_facts["name"] == "Linux"
    assert os_facts["version"] == platform.release()
    try:
        pretty = platform.freedesktop_os_release().get("PRETTY_NAME")
    except OSError:
        pretty = None
    assert os_facts.get("build") == (pretty[:MAX_VALUE] if pretty else None)


def test_the_device_facts() -> None:
    device = collect()["device"]
    assert device["arch"] == platform.machine()
    assert device["cpu_count"] == os.cpu_count()
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        assert device["memory_mb"] == total // (1024 * 1024)
        assert device["memory_mb"] > 0
    else:
        assert "memory_mb" not in device


# --- device family -------------------------------------------------------------------------------


@unix_only
def test_a_process_without_a_display_is_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert collect()["device"]["family"] == "server"


@unix_only
@pytest.mark.parametrize("variable", ["DISPLAY", "WAYLAND_DISPLAY"])
def test_a_process_with_a_display_is_a_desktop(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    monkeypatch.setenv(variable, ":0" if variable == "DISPLAY" else "wayland-0")
    assert collect()["device"]["family"] == "desktop"


@pytest.mark.skipif(sys.platform in ("win32", "android", "ios"), reason="not decided by DISPLAY")
def test_inside_a_container_it_is_a_server_even_with_a_display(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    marker = tmp_path / ".dockerenv"
    assert collect(container_markers=[str(marker)])["device"]["family"] == "desktop"
    marker.write_text("")
    assert collect(container_markers=[str(marker)])["device"]["family"] == "server"


def test_under_kubernetes_it_is_a_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1")
    assert collect()["device"]["family"] == "server"


@pytest.mark.parametrize(
    ("sys_platform", "environ", "in_container", "edition", "family"),
    [
        ("android", {}, False, None, "mobile"),
        ("ios", {}, True, None, "mobile"),
        ("darwin", {}, False, None, "desktop"),
        ("darwin", {}, True, None, "server"),
        ("win32", {}, False, "Professional", "desktop"),
        ("win32", {}, False, "ServerDatacenter", "server"),
        ("win32", {}, False, None, "desktop"),
        ("linux", {}, False, None, "server"),
        ("linux", {"DISPLAY": ":1"}, False, None, "desktop"),
        ("linux", {"DISPLAY": ""}, False, None, "server"),
        ("freebsd14", {"WAYLAND_DISPLAY": "wayland-0"}, False, None, "desktop"),
        ("linux", {"DISPLAY": ":1"}, True, None, "server"),
    ],
)
def test_device_family_rules(
    sys_platform: str,
    environ: dict[str, str],
    in_container: bool,
    edition: str | None,
    family: str,
) -> None:
    assert device_family(sys_platform, environ, in_container, edition) == family


# --- host name -----------------------------------------------------------------------------------


def test_the_host_name_is_hashed_with_the_dsn_key_by_default() -> None:
    hostname = collect(dsn=Dsn.parse(DSN))["device"]["hostname"]
    expected = hashlib.sha256(f"publickey:{platform.node()}".encode()).hexdigest()[:16]
    assert hostname == expected
    assert platform.node() not in hostname


def test_the_hash_depends_on_the_key_so_projects_cannot_join_hosts() -> None:
    one = collect(dsn=Dsn.parse(DSN))["device"]["hostname"]
    other = collect(dsn=Dsn.parse("http://otherkey@127.0.0.1:9/1"))["device"]["hostname"]
    assert one != other


def test_without_a_dsn_a_fixed_salt_is_used() -> None:
    expected = hashlib.sha256(f"{HOSTNAME_SALT}:{platform.node()}".encode()).hexdigest()[:16]
    assert collect()["device"]["hostname"] == expected


def test_the_real_host_name_only_with_send_default_pii() -> None:
    device = collect(dsn=Dsn.parse(DSN), send_default_pii=True)["device"]
    assert device["hostname"] == platform.node()[:MAX_VALUE]


# --- apply ---------------------------------------------------------------------------------------


def test_apply_never_overwrites_what_the_draft_already_has() -> None:
    draft = collect(
        {"device": {"family": "tablet", "hostname": "kiosk-7"}, "os": {"name": "Plan 9"}},
    )
    assert draft["device"]["family"] == "tablet"
    assert draft["device"]["hostname"] == "kiosk-7"
    assert draft["device"]["arch"] == platform.machine()  # the rest is still filled
    assert draft["os"]["name"] == "Plan 9"
    assert draft["runtime"]["name"] == platform.python_implementation()


def test_apply_leaves_a_section_that_is_not_a_mapping_alone() -> None:
    draft = collect({"device": "set by an earlier step"})
    assert draft["device"] == "set by an earlier step"


def test_each_draft_gets_its_own_copy() -> None:
    collector = EnvironmentCollector(container_markers=())
    collector.setup(types.SimpleNamespace(options=Options()))  # type: ignore[arg-type]
    first: Draft = {}
    collector.apply(first)
    first["device"]["family"] = "changed by before_send"
    second: Draft = {}
    collector.apply(second)
    assert second["device"]["family"] != "changed by before_send"
