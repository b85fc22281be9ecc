"""The TOML configuration: grouping and severity policy per project, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from collector_server.config import ConfigError, load_policies, policies_from
from collector_server.pipeline import DEFAULT_POLICY


def test_no_file_means_the_defaults(tmp_path: Path) -> None:
    policies = load_policies(tmp_path / "missing.toml")
    assert policies.for_project("shop") == DEFAULT_POLICY


def test_a_project_section_changes_only_the_keys_it_names(tmp_path: Path) -> None:
    path = tmp_path / "bugrelay.toml"
    path.write_text(
        """
[grouping]
threshold = 0.8
route = 0.2

[severity]
users_affected_high = 5

[projects.shop.grouping]
threshold = 0.6

[projects.shop.severity]
vip_segments = ["gold"]

[[forwarders]]   # another part of the collector's: left alone here
kind = "github"
""",
        encoding="utf-8",
    )
    policies = load_policies(path)
    shop, other = policies.for_project("shop"), policies.for_project("blog")
    assert (shop.grouping.threshold, shop.grouping.route) == (0.6, 0.2)
    assert (other.grouping.threshold, other.grouping.route) == (0.8, 0.2)
    assert shop.severity.vip_segments == ("gold",)
    assert shop.severity.users_affected_high == other.severity.users_affected_high == 5
    assert other.severity.vip_segments == DEFAULT_POLICY.severity.vip_segments


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grouping": {"treshold": 0.5}}, "[grouping] treshold: Extra inputs are not permitted"),
        ({"grouping": {"threshold": -1}}, "[grouping] threshold: Input should be greater"),
        ({"severity": {"users_affected_high": "ten"}}, "[severity] users_affected_high"),
        ({"projects": {"shop": {"grouping": {"route": "x"}}}}, "[projects.shop.grouping] route"),
        ({"projects": {"shop": {"forwarding": {}}}}, "[projects.shop] has unknown section"),
        ({"grouping": 3}, "[grouping] must be a table"),
    ],
)
def test_a_bad_value_names_the_section_and_the_field(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ConfigError) as caught:
        policies_from(data, "bugrelay.toml")
    assert message in str(caught.value)
    assert str(caught.value).startswith("bugrelay.toml: ")


def test_a_file_that_is_not_toml_says_where(tmp_path: Path) -> None:
    path = tmp_path / "bugrelay.toml"
    path.write_text("[grouping\nthreshold = 1", encoding="utf-8")
    with pytest.raises(ConfigError, match=str(path)):
        load_policies(path)
