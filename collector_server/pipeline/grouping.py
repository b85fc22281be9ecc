"""Near-duplicate grouping of free text: which open group a report belongs to, and why.

Two steps, as search engines do. **Candidates** come from the database's full-text index of the
project's open groups (SQLite FTS5, PostgreSQL ``tsvector``; see ``store/search.py``), queried
with the report's rarest terms and signal tokens within a postings budget, so the cost stays
flat as groups pile up. **Re-ranking** scores each candidate here, in Python, with every signal:

- text: the cosine of the report's and the group's tf-idf vectors (English and Russian stems,
  see ``text.py``; title terms weigh ``title_weight``, the description's first
  ``description_terms`` terms 1; IDF from the project's index), so 1.0 means the same words in
  the same proportions and a word only one side has counts against the match;
- the same route or screen, the same element in the last clicks, the same failing request, the
  same error message (console, logs, exception), the same release: each adds its weight, less
  when the value is common among the project's groups (``IndexStats.rarity``); two reports
  that both carry failing requests but share none lose ``mismatch_penalty``;
- recency: ``recency`` times 0.5 ** (days since the group was last seen / half-life).

At or above ``threshold`` the report joins the best group; below it, it opens a new one. The
explanation of each decision (score, threshold and every signal that counted) is stored with
the report.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from collector_server.pipeline.signals import Signals, signals
from collector_server.pipeline.text import weighted_terms
from sdk.models import Report

MAX_PROFILE_TERMS = 80


class GroupingSettings(BaseModel):
    """The ``[grouping]`` section of a project (see docs/pipeline.md). Defaults measured on the
    duplicate reports of ``bench/grouping.py``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    similar: bool = Field(True, description="Group free-text reports by similarity (else exact).")
    threshold: float = Field(0.7, ge=0, le=10, description="Score at which a report joins.")
    title_weight: float = Field(2.0, ge=0, le=10, description="Weight of a title term.")
    description_terms: int = Field(50, ge=0, le=1000, description="Description terms compared.")
    route: float = Field(0.1, ge=0, le=10, description="Same route or screen.")
    element: float = Field(0.1, ge=0, le=10, description="Same element in the last clicks.")
    request: float = Field(0.35, ge=0, le=10, description="Same failing request.")
    error: float = Field(0.35, ge=0, le=10, description="Same error message.")
    release: float = Field(0.05, ge=0, le=10, description="Same release.")
    mismatch_penalty: float = Field(0.1, ge=0, le=10, description="Failing requests, none shared.")
    recency: float = Field(0.1, ge=0, le=10, description="Bonus for a group seen just now.")
    recency_half_life_days: float = Field(60, gt=0, le=36500, description="Its half-life.")
    candidates: int = Field(30, ge=1, le=1000, description="Groups re-ranked per report.")
    postings_budget: int = Field(
        1500, ge=100, le=10_000_000, description="Index entries a candidate search may read."
    )


DEFAULT_GROUPING = GroupingSettings()


@dataclass(frozen=True, slots=True)
class Profile:
    """What grouping keeps of a group (or a report) to compare: weighted terms and signals."""

    terms: Mapping[str, float]
    routes: tuple[str, ...] = ()
    elements: tuple[str, ...] = ()
    requests: tuple[str, ...] = ()
    errors: tuple[str, ...] = ()
    releases: tuple[str, ...] = ()
    norm: float = 0.0  # the tf-idf vector's length when indexed; 0: compute when scoring

    def to_json(self) -> dict[str, Any]:
        return {
            "terms": dict(self.terms),
            "routes": list(self.routes),
            "elements": list(self.elements),
            "requests": list(self.requests),
            "errors": list(self.errors),
            "releases": list(self.releases),
            "norm": self.norm,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any] | None) -> Profile:
        data = data or {}
        return cls(
            terms={str(k): float(v) for k, v in (data.get("terms") or {}).items()},
            routes=tuple(data.get("routes") or ()),
            elements=tuple(data.get("elements") or ()),
            requests=tuple(data.get("requests") or ()),
            errors=tuple(data.get("errors") or ()),
            releases=tuple(data.get("releases") or ()),
            norm=float(data.get("norm") or 0.0),
        )


def profile_of(report: Report, settings: GroupingSettings = DEFAULT_GROUPING) -> Profile:
    found: Signals = signals(report)
    terms = weighted_terms(
        report.title,
        report.description or "",
        title_weight=settings.title_weight,
        description_terms=settings.description_terms,
    )
    top = sorted(terms.items(), key=lambda item: (-item[1], item[0]))[:MAX_PROFILE_TERMS]
    return Profile(
        dict(top),
        (found.route,) if found.route else (),
        found.elements,
        found.requests,
        found.errors,
        (found.release,) if found.release else (),
    )


def index_tokens(project_id: int, profile: Profile) -> dict[str, str]:
    """{index token: what it stands for}: the project-scoped tokens a group is found by."""
    tokens = {f"p{project_id}x{term}": term for term in profile.terms}
    for kind, values in (
        ("route", profile.routes),
        ("element", profile.elements),
        ("request", profile.requests),
        ("error", profile.errors),
    ):
        for value in values:
            digest = hashlib.blake2b(f"{kind}\x1f{value}".encode(), digest_size=8).hexdigest()
            tokens[f"p{project_id}z{digest}"] = f"{kind}:{value}"
    return tokens


@dataclass(frozen=True, slots=True)
class IndexStats:
    """Corpus statistics of a project's index: for IDF and the rarity of signals."""

    documents: int
    frequency: Mapping[str, int]  # document frequency by term (not token)
    _idf: dict[str, float] = field(default_factory=dict, compare=False, repr=False)

    def rarity(self, key: str) -> float:
        """1.0 for a signal in at most a tenth of the groups, less the more common it is (a
        failing request every report carries, such as a blocked analytics call, or the home
        page's route, tells little); 0 when every group has it."""
        n = self.frequency.get(key, 0)
        return min(1.0, max(0.0, math.log((self.documents + 20) / (n + 1)) / math.log(10)))

    def idf(self, term: str) -> float:
        known = self._idf.get(term)
        if known is None:
            n = self.frequency.get(term, 0)
            count = max(self.documents, n, 1)
            known = self._idf[term] = math.log(1 + (count - n + 0.5) / (n + 0.5))
        return known


@dataclass(frozen=True, slots=True)
class Candidate:
    group_id: int
    profile: Profile
    last_seen: datetime


@dataclass(frozen=True, slots=True)
class Signal:
    name: str
    weight: float
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"signal": self.name, "weight": round(self.weight, 3), "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Match:
    group_id: int
    score: float
    signals: tuple[Signal, ...]


@dataclass(frozen=True, slots=True)
class Decision:
    """Join ``group_id`` (None: open a new group), with the explanation to store."""

    group_id: int | None
    explanation: dict[str, Any] = field(default_factory=dict)


def vector_norm(profile: Profile, stats: IndexStats) -> float:
    """Length of the profile's tf-idf vector."""
    return math.sqrt(sum((w * stats.idf(t)) ** 2 for t, w in profile.terms.items()))


def text_similarity(
    query: Profile, candidate: Profile, stats: IndexStats, query_norm: float | None = None
) -> float:
    """Cosine of the two tf-idf vectors (stemmed terms, title terms weighted): 1.0 for the
    same words in the same proportions, 0.0 for no word in common. The group's vector length
    is the one stored when it was indexed (``Profile.norm``), so that scoring needs the
    document frequencies of the report's terms only."""
    dot = 0.0
    for term, weight in query.terms.items():
        theirs = candidate.terms.get(term)
        if theirs:
            dot += weight * theirs * stats.idf(term) ** 2
    if dot <= 0:
        return 0.0
    mine = vector_norm(query, stats) if query_norm is None else query_norm
    theirs_norm = candidate.norm or vector_norm(candidate, stats)
    return min(dot / (mine * theirs_norm), 1.0) if mine and theirs_norm else 0.0


def score(
    query: Profile,
    candidate: Candidate,
    stats: IndexStats,
    now: datetime,
    settings: GroupingSettings = DEFAULT_GROUPING,
    *,
    query_norm: float | None = None,
) -> Match:
    found: list[Signal] = []
    text = text_similarity(query, candidate.profile, stats, query_norm)
    if text > 0:
        found.append(Signal("text", text, f"text similarity {text:.2f}"))
    group = candidate.profile
    for name, weight, mine, theirs, label in (
        ("route", settings.route, query.routes, group.routes, "same route"),
        ("element", settings.element, query.elements, group.elements, "same clicked element"),
        ("request", settings.request, query.requests, group.requests, "same failing request"),
        ("error", settings.error, query.errors, group.errors, "same error"),
        ("release", settings.release, query.releases, group.releases, "same release"),
    ):
        shared = [value for value in mine if value in theirs]
        if shared and weight:
            factor = max(stats.rarity(f"{name}:{value}") for value in shared)
            detail = f"{label} {shared[0]}"
            if factor < 1:
                detail += f" (common: weighs {factor:.0%})"
            found.append(Signal(name, weight * factor, detail))
    if query.requests and group.requests and not set(query.requests) & set(group.requests):
        found.append(Signal("request", -settings.mismatch_penalty, "different failing requests"))
    age_days = max((now - candidate.last_seen).total_seconds(), 0.0) / 86400
    recent = settings.recency * 0.5 ** (age_days / settings.recency_half_life_days)
    if recent >= 0.005:
        found.append(Signal("recency", recent, f"last seen {age_days:.0f} days ago"))
    return Match(candidate.group_id, sum(s.weight for s in found), tuple(found))


def rank(
    query: Profile,
    candidates: Sequence[Candidate],
    stats: IndexStats,
    now: datetime,
    settings: GroupingSettings = DEFAULT_GROUPING,
) -> list[Match]:
    """Candidates best first; ties go to the older group, so every replica decides alike."""
    norm = vector_norm(query, stats)
    matches = [score(query, c, stats, now, settings, query_norm=norm) for c in candidates]
    matches.sort(key=lambda m: (-m.score, m.group_id))
    return matches


def summary(match: Match) -> str:
    """``same route /settings, same failing request POST /api/save 500, text similarity 0.81``"""
    ordered = sorted(match.signals, key=lambda s: -abs(s.weight))
    return ", ".join(s.detail for s in ordered if s.name != "recency" or len(ordered) == 1)


def decide(
    query: Profile,
    candidates: Sequence[Candidate],
    stats: IndexStats,
    now: datetime,
    settings: GroupingSettings = DEFAULT_GROUPING,
) -> Decision:
    ranked = rank(query, candidates, stats, now, settings)
    best = ranked[0] if ranked else None
    if best is not None and best.score >= settings.threshold:
        return Decision(
            best.group_id,
            {
                "method": "similar",
                "score": round(best.score, 3),
                "threshold": settings.threshold,
                "summary": summary(best),
                "signals": [s.to_json() for s in best.signals],
            },
        )
    explanation: dict[str, Any] = {
        "method": "new",
        "summary": "new group: no open group is similar",
        "threshold": settings.threshold,
        "candidates": len(candidates),
    }
    if best is not None:
        explanation.update(
            summary=f"new group: the closest, group {best.group_id}, scored"
            f" {best.score:.2f} < {settings.threshold:.2f} ({summary(best)})",
            closest_group=best.group_id,
            score=round(best.score, 3),
        )
    return Decision(None, explanation)
