"""What operators change in groups: merge two, split a report out, set severity and status.

Each change is one transaction under the project's grouping lock, so it cannot interleave with
a collector placing reports. A merge teaches grouping: the merged group's fingerprints lead to
the group it was merged into, and its entry in the similarity index stays, standing for that
group, so later reports like either side join it. A split report keeps its own new group; an
override of severity stands through every later re-evaluation until it is cleared.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, select, update

from collector_server.pipeline import Policy, Severity, assess
from collector_server.pipeline.grouping import Profile
from collector_server.pipeline.severity import rank
from collector_server.store._base import driver_json
from collector_server.store.groups import (
    GroupMergeError,
    GroupNotFoundError,
    GroupStore,
    _add_counts,
)
from collector_server.store.reports import ReportNotFoundError
from collector_server.store.search import SEARCHED
from collector_server.store.tables import group_aliases, group_reporters, groups, reports
from sdk.models import Report


class CurationStore(GroupStore):
    def merge_groups(
        self, project_id: int, target_id: int, source_id: int, policy: Policy
    ) -> dict[str, Any]:
        """Move every report of ``source_id`` into ``target_id``; the target as it is now."""
        if target_id == source_id:
            raise GroupMergeError("a group cannot be merged into itself")
        with self._write() as conn:
            self._lock_project(conn, project_id)
            rows = self._lock_groups(conn, sorted((target_id, source_id)))
            target, source = rows.get(target_id), rows.get(source_id)
            for group_id, row in ((target_id, target), (source_id, source)):
                if row is None or int(row["project_id"]) != project_id:
                    raise GroupNotFoundError(f"no group {group_id} in project {project_id}")
                if row["merged_into"] is not None:
                    raise GroupMergeError(
                        f"group {group_id} was merged into group {row['merged_into']} already"
                    )
            assert target is not None
            assert source is not None
            note = {
                "method": "merge",
                "summary": f"group {source_id} merged into group {target_id} by an operator",
            }
            conn.execute(
                update(reports)
                .where(reports.c.group_id == source_id)
                .values(group_id=target_id, grouping=note)
            )
            conn.execute(
                update(group_aliases)
                .where(group_aliases.c.group_id == source_id)
                .values(group_id=target_id)
            )
            conn.execute(
                update(groups)
                .where(groups.c.merged_into == source_id)
                .values(merged_into=target_id)
            )
            moved = select(group_reporters.c.reporter).where(
                group_reporters.c.group_id == source_id
            )
            existing = {
                r
                for (r,) in conn.execute(
                    select(group_reporters.c.reporter).where(
                        group_reporters.c.group_id == target_id
                    )
                )
            }
            new = [r for (r,) in conn.execute(moved) if r not in existing]
            if new:
                conn.execute(
                    group_reporters.insert(), [{"group_id": target_id, "reporter": r} for r in new]
                )
            conn.execute(delete(group_reporters).where(group_reporters.c.group_id == source_id))
            facts = dict(driver_json(target["facts"]) or {})
            other = driver_json(source["facts"]) or {}
            for name in ("releases", "environments", "routes"):
                _add_counts(facts, name, Counter(other.get(name) or {}))
            worst_source = other.get("worst") or {}
            worst_target = facts.get("worst") or {}
            if rank(worst_source.get("level", "low")) > rank(worst_target.get("level", "low")):
                facts["worst"] = worst_source
            override = target["severity_override"] or source["severity_override"]
            reporters = int(target["reporters"]) + len(new)
            count = int(target["report_count"]) + int(source["report_count"])
            severity = self._evaluate_facts(
                conn, policy, project_id, facts, count, reporters, override
            )
            conn.execute(
                update(groups)
                .where(groups.c.id == target_id)
                .values(
                    report_count=count,
                    reporters=reporters,
                    users_affected=reporters,
                    first_seen=min(target["first_seen"], source["first_seen"]),
                    last_seen=max(target["last_seen"], source["last_seen"]),
                    facts=facts,
                    severity=severity.level,
                    severity_reasons=severity.reasons,
                    severity_override=override,
                )
            )
            conn.execute(
                update(groups)
                .where(groups.c.id == source_id)
                .values(merged_into=target_id, report_count=0, reporters=0, users_affected=0)
            )
        group = self.get_group(project_id, target_id)
        assert group is not None
        return group

    def split_report(self, project_id: int, report_id: str, policy: Policy) -> dict[str, Any]:
        """Move one report out of its group into a new group of its own; the new group."""
        with self._write() as conn:
            self._lock_project(conn, project_id)
            row = conn.execute(
                select(reports.c.group_id, reports.c.payload, reports.c.reporter).where(
                    reports.c.id == report_id, reports.c.project_id == project_id
                )
            ).first()
            if row is None:
                raise ReportNotFoundError(f"no report {report_id} in project {project_id}")
            old_id = int(row.group_id)
            old = self._lock_groups(conn, [old_id])[old_id]
            if int(old["report_count"]) <= 1:
                raise GroupMergeError(f"report {report_id} is the only report of group {old_id}")
            report = Report.model_validate_json(row.payload)
            assessment = assess(report, policy)
            profile = self._with_norm(conn, project_id, assessment.profile)
            now = datetime.now(UTC)
            fingerprint = hashlib.sha256(f"split\x1f{uuid.uuid4()}".encode()).hexdigest()
            facts = _facts_of(report, assessment.profile, assessment.severity)
            severity = self._evaluate_facts(conn, policy, project_id, facts, 1, 1, None)
            new_id = int(
                conn.execute(
                    groups.insert()
                    .values(
                        project_id=project_id,
                        fingerprint=fingerprint,
                        title=(report.title or report.description or "(untitled)")[:200],
                        status="open",
                        severity=severity.level,
                        severity_reasons=severity.reasons,
                        report_count=1,
                        first_seen=now,
                        last_seen=now,
                        reporters=1,
                        users_affected=1,
                        profile=profile.to_json(),
                        facts=facts,
                    )
                    .returning(groups.c.id)
                ).scalar_one()
            )
            self._index_group(conn, project_id, new_id, profile)
            conn.execute(
                group_reporters.insert().values(
                    group_id=new_id, reporter=row.reporter or f"report:{report_id}"
                )
            )
            conn.execute(
                update(reports)
                .where(reports.c.id == report_id)
                .values(
                    group_id=new_id,
                    grouping={
                        "method": "split",
                        "summary": f"split out of group {old_id} by an operator",
                    },
                )
            )
            self._recount(conn, policy, project_id, old_id, old, removed=report)
        group = self.get_group(project_id, new_id)
        assert group is not None
        return group

    def update_group(
        self, project_id: int, group_id: int, changes: Mapping[str, Any], policy: Policy
    ) -> dict[str, Any]:
        """Apply an operator's ``changes``: ``severity`` (a level, or None to clear the
        override), ``status`` and ``fixed_in``."""
        with self._write() as conn:
            self._lock_project(conn, project_id)
            row = self._lock_groups(conn, [group_id]).get(group_id)
            if row is None or int(row["project_id"]) != project_id:
                raise GroupNotFoundError(f"no group {group_id} in project {project_id}")
            if row["merged_into"] is not None:
                raise GroupMergeError(f"group {group_id} was merged into {row['merged_into']}")
            values: dict[str, Any] = {}
            if "severity" in changes:
                override = changes["severity"]
                facts = driver_json(row["facts"]) or {}
                severity = self._evaluate_facts(
                    conn,
                    policy,
                    project_id,
                    facts,
                    int(row["report_count"]),
                    int(row["users_affected"]),
                    override,
                )
                values.update(
                    severity_override=override,
                    severity=severity.level,
                    severity_reasons=severity.reasons,
                )
            if "fixed_in" in changes:
                values["fixed_in"] = changes["fixed_in"]
            if "status" in changes and changes["status"] != row["status"]:
                status = changes["status"]
                values["status"] = status
                profile = Profile.from_json(driver_json(row["profile"]))
                was, now = row["status"] in SEARCHED, status in SEARCHED
                if was and not now:
                    self._unindex_group(conn, project_id, group_id, profile)
                elif now and not was:
                    self._index_group(conn, project_id, group_id, profile)
            if values:
                conn.execute(update(groups).where(groups.c.id == group_id).values(**values))
        group = self.get_group(project_id, group_id)
        assert group is not None
        return group

    def _evaluate_facts(  # noqa: PLR0917
        self,
        conn: Connection,
        policy: Policy,
        project_id: int,
        facts: Mapping[str, Any],
        reports_count: int,
        users: int,
        override: str | None,
    ) -> Severity:
        known = facts.get("worst") or {}
        worst = Severity(known.get("level", "medium"), list(known.get("reasons") or []))
        return self._evaluate(
            conn,
            policy,
            project_id,
            worst,
            facts,
            reports=reports_count,
            users=users,
            override=override,
            current=None,
        )

    def _recount(  # noqa: PLR0917
        self,
        conn: Connection,
        policy: Policy,
        project_id: int,
        group_id: int,
        row: Mapping[str, Any],
        removed: Report,
    ) -> None:
        """A group's counts and facts after a report left it (a split)."""
        distinct = conn.execute(
            select(reports.c.reporter).where(reports.c.group_id == group_id).distinct()
        ).all()
        keep = {r for (r,) in distinct if r is not None}
        gone_reporters = delete(group_reporters).where(group_reporters.c.group_id == group_id)
        if keep:
            gone_reporters = gone_reporters.where(group_reporters.c.reporter.not_in(keep))
        conn.execute(gone_reporters)
        count = int(
            conn.execute(
                select(func.count()).select_from(reports).where(reports.c.group_id == group_id)
            ).scalar_one()
        )
        facts = dict(driver_json(row["facts"]) or {})
        gone = _facts_of(removed, assess(removed, policy).profile, None)
        for name in ("releases", "environments", "routes"):
            counts = Counter(facts.get(name) or {})
            counts.subtract(gone.get(name) or {})
            facts[name] = {k: v for k, v in counts.items() if v > 0}
        worst = conn.execute(
            select(reports.c.severity, reports.c.severity_reasons).where(
                reports.c.group_id == group_id
            )
        ).all()
        if worst:
            level, reasons = max(worst, key=lambda r: rank(r[0]))
            facts["worst"] = {"level": level, "reasons": list(driver_json(reasons) or [])}
        severity = self._evaluate_facts(
            conn, policy, project_id, facts, count, len(keep), row["severity_override"]
        )
        conn.execute(
            update(groups)
            .where(groups.c.id == group_id)
            .values(
                report_count=count,
                reporters=len(keep),
                users_affected=len(keep),
                facts=facts,
                severity=severity.level,
                severity_reasons=severity.reasons,
            )
        )


def _facts_of(report: Report, profile: Profile, severity: Severity | None) -> dict[str, Any]:
    facts: dict[str, Any] = {}
    app = report.app
    if app is not None and app.release:
        facts["releases"] = {app.release: 1}
    if app is not None and app.environment:
        facts["environments"] = {app.environment: 1}
    if profile.routes:
        facts["routes"] = {profile.routes[0]: 1}
    if severity is not None:
        facts["worst"] = {"level": severity.level, "reasons": list(severity.reasons)}
    return facts


__all__ = ["CurationStore"]
