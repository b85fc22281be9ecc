"""What happens to a report between validation and storage.

    scrub -> assess (fingerprint, severity, profile) -> group (in the store's transaction) -> outbox

:func:`assess` runs the steps that need no database. Grouping happens inside the transaction
that stores the report (``collector_server.store``), so concurrent collectors never split or
double-count a group; but the store only finds candidates and writes atomically: what to
decide is the project's :class:`Policy` — its grouping settings and severity rules — which
each report carries to the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from collector_server.pipeline.fingerprint import fingerprint
from collector_server.pipeline.grouping import (
    DEFAULT_GROUPING,
    Candidate,
    Decision,
    GroupingSettings,
    IndexStats,
    Profile,
    decide,
    profile_of,
)
from collector_server.pipeline.severity import (
    DEFAULT_RULES,
    GroupFacts,
    Severity,
    SeverityRules,
    assess_severity,
    group_severity,
)
from collector_server.pipeline.signals import route_of
from sdk.models import Report


@dataclass(frozen=True, slots=True)
class Policy:
    """A project's grouping settings and severity rules (the ``[grouping]`` and ``[severity]``
    sections of its configuration), and the decisions made with them."""

    grouping: GroupingSettings = field(default_factory=lambda: DEFAULT_GROUPING)
    severity: SeverityRules = field(default_factory=lambda: DEFAULT_RULES)

    def decide(
        self,
        query: Profile,
        candidates: Sequence[Candidate],
        stats: IndexStats,
        now: datetime,
    ) -> Decision:
        return decide(query, candidates, stats, now, self.grouping)

    def group_severity(self, worst: Severity, facts: GroupFacts) -> Severity:
        return group_severity(worst, facts, self.severity)


DEFAULT_POLICY = Policy()


@dataclass(frozen=True)
class Assessment:
    fingerprint: str
    severity: Severity  # of this report alone; the group's follows from its facts
    similar: bool  # free text: may join an open group by similarity
    reporter: str  # who reported, for the distinct-reporter counts
    report: Report
    policy: Policy = DEFAULT_POLICY

    @cached_property
    def profile(self) -> Profile:
        """What grouping compares: made only when needed (a search or a new group), since most
        reports join a group they match exactly and never need it."""
        return profile_of(self.report, self.policy.grouping)

    @cached_property
    def route(self) -> str | None:
        return route_of(self.report)


def reporter_of(report: Report) -> str:
    """The user id, else the email, else the session, else the report itself."""
    user = report.user
    if user is not None and user.id:
        return f"user:{user.id}"[:200]
    if user is not None and user.email:
        return f"email:{user.email.casefold()}"[:200]
    if report.links is not None and report.links.session_id:
        return f"session:{report.links.session_id}"[:200]
    return f"report:{report.id}"


def assess(report: Report, policy: Policy = DEFAULT_POLICY) -> Assessment:
    return Assessment(
        fingerprint=fingerprint(report),
        severity=assess_severity(report, policy.severity),
        similar=policy.grouping.similar and not report.fingerprint and report.exception is None,
        reporter=reporter_of(report),
        report=report,
        policy=policy,
    )


__all__ = [
    "DEFAULT_POLICY",
    "Assessment",
    "GroupFacts",
    "Policy",
    "Severity",
    "assess",
    "reporter_of",
]
