"""Groups: one per problem, found and counted in the same transaction that stores each report.

The store does what must be atomic: it finds the group of a fingerprint (its own, an alias, or
where an operator merged it), offers near-duplicate candidates from the similarity index, opens
groups, and counts reports, distinct reporters, releases, environments and routes. What to
decide — join or open, which severity — is the report's :class:`collector_server.pipeline.Policy`.

Order of work in a batch, so that concurrent batches of several PostgreSQL collectors cannot
deadlock and decide alike: (1) the project's grouping lock, when the batch holds a free-text
report (see ``search.py``); (2) groups of exact fingerprints, opened with one
``INSERT .. ON CONFLICT DO NOTHING`` in (project, fingerprint) order; (3) free-text reports one
by one, in order of arrival, each searching the index as the previous ones left it; (4) the
touched groups locked and updated in id order.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, bindparam, select

from collector_server.pipeline import DEFAULT_POLICY, Assessment, GroupFacts, Policy, Severity
from collector_server.pipeline.grouping import Profile
from collector_server.pipeline.severity import LEVELS, rank
from collector_server.store._base import (
    Page,
    column_text,
    decode_cursor,
    driver_json,
    driver_time,
    encode_cursor,
    utc,
)
from collector_server.store.search import SearchStore
from collector_server.store.tables import groups

if TYPE_CHECKING:
    from sdk.models import Report

MAX_FACT_VALUES = 20  # releases, environments and routes kept per group (the most frequent)
ACTIVE_REPORTERS_DAYS = 30
_ACTIVE_CACHE_SECONDS = 60.0
_MERGE_DEPTH = 16
_GROUP_COLUMNS = (
    "project_id",
    "fingerprint",
    "title",
    "status",
    "severity",
    "severity_reasons",
    "report_count",
    "first_seen",
    "last_seen",
    "reporters",
    "users_affected",
    "profile",
    "facts",
)


def _bind(name: str) -> Any:
    return bindparam("b_" + name)


# Built once: building a statement costs more than running it, batch after batch.
_UPDATE_COUNTS = (
    groups.update()
    .where(groups.c.id == _bind("id"))
    .values(
        report_count=_bind("report_count"),
        last_seen=_bind("last_seen"),
        reporters=_bind("reporters"),
        users_affected=_bind("users_affected"),
        facts=_bind("facts"),
        severity=_bind("severity"),
        severity_reasons=_bind("severity_reasons"),
    )
)
_COUNT_COLUMNS = [c for c in groups.c if c.name != "profile"]


class GroupNotFoundError(LookupError):
    """No such group in this project (or it was merged into another)."""


class GroupMergeError(ValueError):
    """The merge asked for is not possible (same group, or one already merged)."""


@dataclass(slots=True)
class Placed:
    """Where a fresh report of a batch went, and why."""

    group_id: int
    explanation: dict[str, Any]


@dataclass(slots=True)
class _Tally:
    """What a batch adds to one group."""

    reports: int = 0
    last_seen: datetime | None = None
    reporters: list[str] = field(default_factory=list)
    releases: Counter[str] = field(default_factory=Counter)
    environments: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)
    worst: Severity | None = None
    policy: Policy = DEFAULT_POLICY  # the reports' project's (each tally is one project's)
    new: bool = False


class GroupStore(SearchStore):
    # -- finding groups ---------------------------------------------------------------------

    def _find_groups(
        self, conn: Connection, keys: Iterable[tuple[int, str]]
    ) -> dict[tuple[int, str], int]:
        """The group of each (project, fingerprint) that has one: its own, an alias's, and
        where an operator merged it."""
        by_project: dict[int, list[str]] = {}
        for project_id, fingerprint in keys:
            by_project.setdefault(project_id, []).append(fingerprint)
        found: dict[tuple[int, str], int] = {}
        merged: dict[int, int] = {}
        mark = self._driver.mark
        for project_id, fingerprints in by_project.items():
            unique = sorted(set(fingerprints))
            marks = self._driver.marks(len(unique))
            rows = conn.exec_driver_sql(
                "SELECT fingerprint, id, merged_into FROM groups"  # noqa: S608
                f" WHERE project_id = {mark} AND fingerprint IN ({marks})"
                " UNION ALL SELECT a.fingerprint, g.id, g.merged_into FROM group_aliases a"
                " JOIN groups g ON g.id = a.group_id"
                f" WHERE a.project_id = {mark} AND a.fingerprint IN ({marks})",
                (project_id, *unique, project_id, *unique),
            )
            for fingerprint, group_id, merged_into in rows:
                found.setdefault((project_id, fingerprint), int(group_id))
                if merged_into is not None:
                    merged[int(group_id)] = int(merged_into)
        if merged:
            for key, group_id in found.items():
                found[key] = self._follow(conn, group_id, merged)
        return found

    def _follow(self, conn: Connection, group_id: int, merged: dict[int, int]) -> int:
        """The group a merged group's reports go to (merges of merges followed)."""
        for _ in range(_MERGE_DEPTH):
            target = merged.get(group_id)
            if target is None:
                row = conn.execute(
                    select(groups.c.merged_into).where(groups.c.id == group_id)
                ).first()
                if row is None or row[0] is None:
                    return group_id
                target = int(row[0])
                merged[group_id] = target
            group_id = target
        return group_id

    # -- placing a batch --------------------------------------------------------------------

    def _place(
        self,
        conn: Connection,
        fresh: Mapping[str, tuple[int, Report, Assessment]],
        now: datetime,
    ) -> dict[str, Placed]:
        """The group of each fresh report (by report id), opening the groups that are new."""
        similar_projects = sorted({pid for pid, _, a in fresh.values() if a.similar})
        for project_id in similar_projects:
            self._lock_project(conn, project_id)
        keys = {(pid, a.fingerprint) for pid, _, a in fresh.values()}
        found = self._find_groups(conn, keys)
        placed: dict[str, Placed] = {}
        # Exact fingerprints first, all new ones in one statement in key order.
        exact_new: dict[tuple[int, str], tuple[str, Report, Assessment]] = {}
        for report_id, (project_id, report, assessment) in fresh.items():
            key = (project_id, assessment.fingerprint)
            if key not in found and not assessment.similar:
                exact_new.setdefault(key, (report_id, report, assessment))
        if exact_new:
            found.update(self._open_groups(conn, exact_new, now))
        for report_id, (project_id, report, assessment) in fresh.items():  # arrival order
            key = (project_id, assessment.fingerprint)
            group_id = found.get(key)
            if group_id is not None:
                opened = key in exact_new and exact_new[key][0] == report_id
                method = "new" if opened else "fingerprint"
                placed[report_id] = Placed(group_id, _exact_explanation(method, report))
                continue
            decision, search = self._decide_similar(conn, project_id, assessment, now)
            if decision.group_id is not None:
                found[key] = decision.group_id
                self._alias(conn, project_id, assessment.fingerprint, decision.group_id)
            else:
                opened_ids = self._open_groups(conn, {key: (report_id, report, assessment)}, now)
                found[key] = opened_ids[key]
            explanation = dict(decision.explanation)
            explanation["search"] = search
            placed[report_id] = Placed(found[key], explanation)
        return placed

    def _decide_similar(
        self, conn: Connection, project_id: int, assessment: Assessment, now: datetime
    ) -> tuple[Any, dict[str, Any]]:
        settings = assessment.policy.grouping
        candidates, stats, search = self._candidates(
            conn,
            project_id,
            assessment.profile,
            limit=settings.candidates,
            budget=settings.postings_budget,
        )
        return assessment.policy.decide(assessment.profile, candidates, stats, now), search

    def _alias(self, conn: Connection, project_id: int, fingerprint: str, group_id: int) -> None:
        self._driver.insert(
            conn,
            "group_aliases",
            ("project_id", "fingerprint", "group_id"),
            [(project_id, fingerprint, group_id)],
            " ON CONFLICT (project_id, fingerprint) DO NOTHING",
        )

    @cached_property
    def _group_converters(self) -> dict[str, Callable[[Any], Any]]:
        return {
            name: self._driver.converter(groups.c[name])
            for name in ("severity_reasons", "first_seen", "profile", "facts")
        }

    def _open_groups(
        self,
        conn: Connection,
        drafts: Mapping[tuple[int, str], tuple[str, Report, Assessment]],
        now: datetime,
    ) -> dict[tuple[int, str], int]:
        """Open a group for each (project, fingerprint), counted by :meth:`_count`; the id of
        each, also of those another collector opened a moment before."""
        convert = self._group_converters
        seen = convert["first_seen"](now)
        rows = []
        profiles: dict[tuple[int, str], Profile] = {}
        for (project_id, fingerprint), (_, report, assessment) in sorted(drafts.items()):
            profile = self._with_norm(conn, project_id, assessment.profile)
            profiles[(project_id, fingerprint)] = profile
            title = column_text(report.title or report.description or "", 200) or "(untitled)"
            rows.append(
                (
                    project_id,
                    fingerprint,
                    title,
                    "open",
                    assessment.severity.level,
                    convert["severity_reasons"](assessment.severity.reasons),
                    0,
                    seen,
                    seen,
                    0,
                    0,
                    convert["profile"](profile.to_json()),
                    convert["facts"]({}),
                )
            )
        opened: dict[tuple[int, str], int] = {}
        for project_id, fingerprint, group_id in self._driver.insert(
            conn,
            "groups",
            _GROUP_COLUMNS,
            rows,
            " ON CONFLICT (project_id, fingerprint) DO NOTHING"
            " RETURNING project_id, fingerprint, id",
        ):
            key = (int(project_id), fingerprint)
            opened[key] = int(group_id)
            self._index_group(conn, key[0], int(group_id), profiles[key])
        missing = [key for key in drafts if key not in opened]
        if missing:  # opened by another collector since we looked: count into theirs
            opened.update(self._find_groups(conn, missing))
        return opened

    # -- counting ---------------------------------------------------------------------------

    def _count(
        self,
        conn: Connection,
        fresh: Mapping[str, tuple[int, Report, Assessment]],
        placed: Mapping[str, Placed],
        now: datetime,
    ) -> None:
        """Add the batch's reports to their groups' counts and facts and re-evaluate each
        touched group's severity, under the groups' row locks (in id order)."""
        tallies: dict[int, _Tally] = {}
        for report_id, (_, report, assessment) in fresh.items():  # arrival order
            place = placed[report_id]
            tally = tallies.setdefault(place.group_id, _Tally())
            tally.reports += 1
            tally.last_seen = now
            tally.reporters.append(assessment.reporter)
            tally.policy = assessment.policy
            tally.new = tally.new or place.explanation.get("method") == "new"
            app = report.app
            if app is not None and app.release:
                tally.releases[app.release] += 1
            if app is not None and app.environment:
                tally.environments[app.environment] += 1
            if assessment.route:
                tally.routes[assessment.route] += 1
            if tally.worst is None or rank(assessment.severity.level) > rank(tally.worst.level):
                tally.worst = assessment.severity
        if not tallies:
            return
        new_reporters = self._add_reporters(conn, fresh, placed)
        self._see_reporters(conn, fresh, now)
        releases = self._see_releases(conn, fresh, now)
        rows = self._lock_groups(conn, sorted(tallies), counts_only=True)
        updates = []
        for group_id in sorted(tallies):
            row = rows.get(group_id)
            if row is None:
                continue
            tally = tallies[group_id]
            facts = dict(driver_json(row["facts"]) or {})
            _add_counts(facts, "releases", tally.releases)
            _add_counts(facts, "environments", tally.environments)
            _add_counts(facts, "routes", tally.routes)
            worst = _worst(facts, tally.worst)
            project_id = int(row["project_id"])
            if tally.new and "regression" not in facts:
                facts["regression"] = self._regression(fresh, placed, group_id, releases)
            reporters = int(row["reporters"]) + new_reporters.get(group_id, 0)
            users = int(row["users_affected"]) + new_reporters.get(group_id, 0)
            severity = self._evaluate(
                conn,
                tally.policy,
                project_id,
                worst,
                facts,
                reports=int(row["report_count"]) + tally.reports,
                users=users,
                override=row["severity_override"],
                current=Severity(row["severity"], list(driver_json(row["severity_reasons"]) or [])),
            )
            updates.append(
                {
                    "id": group_id,
                    "report_count": int(row["report_count"]) + tally.reports,
                    "last_seen": tally.last_seen,
                    "reporters": reporters,
                    "users_affected": users,
                    "facts": facts,
                    "severity": severity.level,
                    "severity_reasons": severity.reasons,
                }
            )
        if updates:
            conn.execute(_UPDATE_COUNTS, [{"b_" + k: v for k, v in u.items()} for u in updates])

    def _evaluate(
        self,
        conn: Connection,
        policy: Policy,
        project_id: int,
        worst: Severity,
        facts: Mapping[str, Any],
        *,
        reports: int,
        users: int,
        override: str | None,
        current: Severity | None,
    ) -> Severity:
        """The group's severity from its facts; an operator's override stands."""
        if override in LEVELS:
            return Severity(override, [f"set by an operator to {override}"])
        regression = facts.get("regression") or {}
        found = policy.group_severity(
            worst,
            GroupFacts(
                reports=reports,
                users_affected=users,
                active_reporters=self._active_reporters(conn, project_id),
                new_group=bool(regression),
                release_age_seconds=regression.get("age"),
                first_release=bool(regression.get("first", False)),
                release=regression.get("release"),
            ),
        )
        if current is not None and rank(current.level) > rank(found.level):
            return current  # severity rises as a group grows; it is not taken back by itself
        return found

    def _regression(
        self,
        fresh: Mapping[str, tuple[int, Report, Assessment]],
        placed: Mapping[str, Placed],
        group_id: int,
        releases: Mapping[tuple[int, str], tuple[float, bool]],
    ) -> dict[str, Any]:
        """How long after its release the group's first report came (for the regression rule)."""
        for report_id in fresh:
            if placed[report_id].group_id != group_id:
                continue
            project_id, report, _ = fresh[report_id]
            release = report.app.release if report.app is not None else None
            if release and (project_id, release) in releases:
                age, first = releases[(project_id, release)]
                return {"release": release, "age": age, "first": first}
            break
        return {}

    def _add_reporters(
        self,
        conn: Connection,
        fresh: Mapping[str, tuple[int, Report, Assessment]],
        placed: Mapping[str, Placed],
    ) -> dict[int, int]:
        """Record who reported each group; how many of them are new to it, by group."""
        pairs = sorted({(placed[rid].group_id, fresh[rid][2].reporter) for rid in fresh})
        added: Counter[int] = Counter()
        for group_id, _ in self._driver.insert(
            conn,
            "group_reporters",
            ("group_id", "reporter"),
            pairs,
            " ON CONFLICT (group_id, reporter) DO NOTHING RETURNING group_id, reporter",
        ):
            added[int(group_id)] += 1
        return dict(added)

    def _see_reporters(
        self, conn: Connection, fresh: Mapping[str, tuple[int, Report, Assessment]], now: datetime
    ) -> None:
        """Record who reported in the project, refreshing a reporter's last_seen at most daily
        (no row lock per report)."""
        seen = self._group_converters["first_seen"](now)
        stale = self._group_converters["first_seen"](now - timedelta(days=1))
        self._driver.insert(
            conn,
            "project_reporters",
            ("project_id", "reporter", "last_seen"),
            sorted({(pid, a.reporter, seen) for pid, _, a in fresh.values()}),
            " ON CONFLICT (project_id, reporter) DO UPDATE SET last_seen = excluded.last_seen"
            f" WHERE project_reporters.last_seen < {self._driver.mark}",
            tail_params=(stale,),
        )

    def _see_releases(
        self, conn: Connection, fresh: Mapping[str, tuple[int, Report, Assessment]], now: datetime
    ) -> dict[tuple[int, str], tuple[float, bool]]:
        """Record the releases first seen now; for each release of the batch, seconds since
        the project first saw it and whether it is the project's first release."""
        seen = self._group_converters["first_seen"](now)
        wanted = sorted(
            {
                (pid, column_text(r.app.release, 100))
                for pid, r, _ in fresh.values()
                if r.app is not None and r.app.release
            }
        )
        if not wanted:
            return {}
        self._driver.insert(
            conn,
            "project_releases",
            ("project_id", "release", "first_seen"),
            [(pid, release, seen) for pid, release in wanted],
            " ON CONFLICT (project_id, release) DO NOTHING",
        )
        out: dict[tuple[int, str], tuple[float, bool]] = {}
        mark = self._driver.mark
        for project_id in sorted({pid for pid, _ in wanted}):
            names = [release for pid, release in wanted if pid == project_id]
            rows = conn.exec_driver_sql(
                "SELECT release, first_seen,"  # noqa: S608
                " (SELECT min(first_seen) FROM project_releases"
                f" WHERE project_id = {mark}) FROM project_releases"
                f" WHERE project_id = {mark} AND release IN ({self._driver.marks(len(names))})",
                (project_id, project_id, *names),
            )
            for release, first_seen, earliest in rows:
                first_time, earliest_time = driver_time(first_seen), driver_time(earliest)
                out[(project_id, release)] = (
                    (now - first_time).total_seconds(),
                    first_time <= earliest_time,
                )
        return out

    @cached_property
    def _active_cache(self) -> dict[int, tuple[float, int]]:
        """Project id -> (when counted, on the monotonic clock; active reporters)."""
        return {}

    def _active_reporters(self, conn: Connection, project_id: int) -> int:
        """Distinct reporters of the project in the last 30 days (cached for a minute)."""
        cache = self._active_cache
        hit = cache.get(project_id)
        if hit is not None and time.monotonic() - hit[0] < _ACTIVE_CACHE_SECONDS:
            return hit[1]
        since = self._group_converters["first_seen"](
            datetime.now(UTC) - timedelta(days=ACTIVE_REPORTERS_DAYS)
        )
        mark = self._driver.mark
        count = conn.exec_driver_sql(
            "SELECT count(*) FROM project_reporters"  # noqa: S608
            f" WHERE project_id = {mark} AND last_seen > {mark}",
            (project_id, since),
        ).scalar_one()
        cache[project_id] = (time.monotonic(), int(count))
        return int(count)

    def _lock_groups(
        self, conn: Connection, ids: Sequence[int], *, counts_only: bool = False
    ) -> dict[int, Any]:
        """The rows of ``ids``, locked on PostgreSQL; with ``counts_only`` without the
        profile (what counting a batch needs)."""
        columns = _COUNT_COLUMNS if counts_only else list(groups.c)
        query = (
            select(*columns)
            .where(groups.c.id.in_(bindparam("ids", expanding=True)))
            .order_by(groups.c.id)
        )
        if self.dialect == "postgresql":
            query = query.with_for_update()
        return {int(row.id): row._mapping for row in conn.execute(query, {"ids": list(ids)})}

    # -- reading ----------------------------------------------------------------------------

    def list_groups(self, project_id: int, limit: int, cursor: str | None = None) -> Page:
        """Groups of a project, newest first (by when they were opened); merged ones left out."""
        query = (
            select(groups)
            .where(groups.c.project_id == project_id, groups.c.merged_into.is_(None))
            .order_by(groups.c.id.desc())
            .limit(limit + 1)
        )
        if cursor is not None:
            (last_id,) = decode_cursor(cursor, (int,))
            query = query.where(groups.c.id < last_id)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        items = [self._group(row._mapping) for row in rows[:limit]]
        next_cursor = encode_cursor(int(rows[limit - 1].id)) if len(rows) > limit else None
        return Page(items, next_cursor)

    def get_group(self, project_id: int, group_id: int) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(groups).where(groups.c.id == group_id, groups.c.project_id == project_id)
            ).first()
        return self._group(row._mapping) if row else None

    @staticmethod
    def _group(row: Any) -> dict[str, Any]:
        facts = driver_json(row["facts"]) or {}
        return {
            "id": int(row["id"]),
            "project_id": int(row["project_id"]),
            "title": row["title"],
            "status": row["status"],
            "severity": row["severity"],
            "severity_reasons": row["severity_reasons"],
            "severity_override": row["severity_override"],
            "report_count": int(row["report_count"]),
            "reporters": int(row["reporters"]),
            "users_affected": int(row["users_affected"]),
            "first_seen": utc(row["first_seen"]).isoformat(),
            "last_seen": utc(row["last_seen"]).isoformat(),
            "releases": _top(facts.get("releases")),
            "environments": _top(facts.get("environments")),
            "top_routes": _top(facts.get("routes"))[:5],
            "fixed_in": row["fixed_in"],
            "fingerprint": row["fingerprint"],
            "merged_into": None if row["merged_into"] is None else int(row["merged_into"]),
            "tickets": [],  # filled by the forwarders (one per configured backend)
        }


def _exact_explanation(method: str, report: Report) -> dict[str, Any]:
    if report.fingerprint:
        basis = "the client's fingerprint"
    elif report.exception is not None:
        basis = f"exception {report.exception.type} and its call path"
    else:
        basis = "the same title"
    summary = f"new group: {basis}" if method == "new" else f"same {basis}"
    return {"method": method, "summary": summary}


def _add_counts(facts: dict[str, Any], name: str, added: Counter[str]) -> None:
    if not added:
        return
    counts = Counter({str(k): int(v) for k, v in (facts.get(name) or {}).items()})
    counts.update(added)
    facts[name] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_FACT_VALUES])


def _worst(facts: dict[str, Any], added: Severity | None) -> Severity:
    known = facts.get("worst") or {}
    worst = Severity(known.get("level", "low"), list(known.get("reasons") or []))
    if added is not None and (not known or rank(added.level) > rank(worst.level)):
        worst = added
    facts["worst"] = {"level": worst.level, "reasons": list(worst.reasons)}
    return worst


def _top(counts: Mapping[str, int] | None) -> list[dict[str, Any]]:
    return [{"name": k, "count": int(v)} for k, v in (counts or {}).items()]


__all__ = ["GroupMergeError", "GroupNotFoundError", "GroupStore", "Placed"]
