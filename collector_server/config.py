"""The collector's TOML configuration (``BUGRELAY_CONFIG``, default ``bugrelay.toml`` in the data
directory): grouping and severity policy, collector-wide and per project.

    [grouping]                 # every project's defaults (GroupingSettings)
    threshold = 0.5

    [severity]                 # every project's defaults (SeverityRules)
    users_affected_high = 10

    [projects.shop.grouping]   # one project's changes to the defaults above
    threshold = 0.6

    [projects.shop.severity]
    vip_segments = ["vip", "enterprise"]

A project section changes only the keys it names. Unknown keys inside these sections and bad
values are errors that name the file, the section and the field; other top-level tables
(``[[forwarders]]``: :mod:`collector_server.forwarders.config`; ``[[slas]]``, ...) belong to
other parts of the collector and are left to them. A missing file means the defaults.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from collector_server.pipeline import DEFAULT_POLICY, Policy
from collector_server.pipeline.grouping import GroupingSettings
from collector_server.pipeline.severity import SeverityRules

_SECTIONS = {"grouping": GroupingSettings, "severity": SeverityRules}


class ConfigError(ValueError):
    """The configuration file cannot be used; the message says where and why."""


@dataclass(frozen=True, slots=True)
class Policies:
    """The policy of each project by name, and the one of every other project."""

    default: Policy = DEFAULT_POLICY
    projects: Mapping[str, Policy] = field(default_factory=dict)

    def for_project(self, name: str) -> Policy:
        return self.projects.get(name, self.default)


def load_policies(path: Path) -> Policies:
    if not path.exists():
        return Policies()
    return policies_from(read_config(path), str(path))


def read_config(path: Path) -> dict[str, Any]:
    """The parsed TOML file at ``path``, empty when there is no file; a ConfigError otherwise."""
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None


def policies_from(data: Mapping[str, Any], where: str = "configuration") -> Policies:
    base = {name: _table(data, name, where) for name in _SECTIONS}
    default = _policy(base, where, "")
    projects_table = data.get("projects", {})
    if not isinstance(projects_table, dict):
        raise ConfigError(f"{where}: [projects] must be a table of project names")
    projects: dict[str, Policy] = {}
    for name, section in sorted(projects_table.items()):
        if not isinstance(section, dict):
            raise ConfigError(f"{where}: [projects.{name}] must be a table")
        unknown = sorted(set(section) - set(_SECTIONS))
        if unknown:
            raise ConfigError(
                f"{where}: [projects.{name}] has unknown section(s) {', '.join(unknown)};"
                f" known: {', '.join(_SECTIONS)}"
            )
        merged = {
            key: {**base[key], **_table(section, key, f"{where} [projects.{name}]")}
            for key in _SECTIONS
        }
        projects[name] = _policy(merged, where, f"projects.{name}.")
    return Policies(default, projects)


def _table(data: Mapping[str, Any], name: str, where: str) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{name}] must be a table")
    return dict(value)


def _policy(sections: Mapping[str, dict[str, Any]], where: str, prefix: str) -> Policy:
    try:
        grouping = GroupingSettings.model_validate(sections["grouping"])
        severity = SeverityRules.model_validate(sections["severity"])
    except ValidationError as exc:
        section = "grouping" if exc.title == GroupingSettings.__name__ else "severity"
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc']) or '(section)'}: {error['msg']}"
            for error in exc.errors()
        )
        raise ConfigError(f"{where}: [{prefix}{section}] {problems}") from None
    return Policy(grouping, severity)
