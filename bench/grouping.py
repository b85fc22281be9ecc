"""Duplicate retrieval on real bug reports, measured the way the literature does.

    .venv/bin/python bench/grouping.py [--datasets ../shared/datasets]

For each report that has an earlier duplicate (its maintainers linked them), every earlier
report of the same project is ranked by similarity; recall-rate@k is the share of those queries
whose earlier duplicate is among the top k. The ranking printed here is a plain Okapi BM25 over
title and description: the baseline that issue 17's grouping must beat by 1.10x at k = 10 in
the same run. The grouping's own ranking is added beside it as it is built.

Figures are per dataset part (the links' train and test splits, and the links with no split),
so that a method tuned on one part is judged on another.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from collector_server.pipeline import Policy, assess
from collector_server.pipeline.grouping import (
    DEFAULT_GROUPING,
    Candidate,
    GroupingSettings,
    IndexStats,
    Profile,
    profile_of,
    rank,
    vector_norm,
)
from collector_server.store import Store
from collector_server.store.reports import NewReport
from sdk.models import MAX_DESCRIPTION, MAX_TITLE, Report

HERE = Path(__file__).resolve().parent
DEFAULT_DATASETS = HERE.parent.parent / "shared" / "datasets"
KS = (1, 5, 10)
_FAST_DIR = "/dev/shm" if Path("/dev/shm").is_dir() else None  # durable commits cost nothing there
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class BugReport:
    source: str
    id: str
    title: str
    description: str
    created: str  # ISO 8601; the order of arrival
    version: str | None = None  # the release it was reported against


@dataclass(frozen=True, slots=True)
class Query:
    report: BugReport
    duplicates: frozenset[str]  # ids of the earlier reports of the same bug
    split: str  # "train", "test" or "none"


Ranker = Callable[[BugReport, Sequence[BugReport]], list[str]]
"""Ids of the candidates, most similar first."""


def load(datasets: Path) -> tuple[dict[str, list[BugReport]], list[Query]]:
    """The reports by source, oldest first, and every query: a report with an earlier duplicate."""
    by_source: dict[str, list[BugReport]] = defaultdict(list)
    reports: dict[tuple[str, str], BugReport] = {}
    with (datasets / "duplicates-reports.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            report = BugReport(
                row["source"],
                str(row["id"]),
                row.get("title") or "",
                row.get("description") or "",
                row.get("created") or "",
                row.get("version") or None,
            )
            reports[(report.source, report.id)] = report
            by_source[report.source].append(report)
    for pool in by_source.values():
        pool.sort(key=lambda r: (r.created, r.id))
    # Links are undirected pairs; a bug's reports are the connected component of its links.
    parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(node: tuple[str, str]) -> tuple[str, str]:
        while parent.setdefault(node, node) != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    splits: dict[tuple[str, str], str] = {}
    with (datasets / "duplicates-links.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            link = json.loads(line)
            a, b = (link["source"], str(link["a"])), (link["source"], str(link["b"]))
            parent[find(a)] = find(b)
            for end in (a, b):
                splits.setdefault(end, link["split"] or "none")
    bugs: dict[tuple[str, str], list[BugReport]] = defaultdict(list)
    for node in parent:
        bugs[find(node)].append(reports[node])
    queries = []
    for members in bugs.values():
        members.sort(key=lambda r: (r.created, r.id))
        for index, report in enumerate(members[1:], start=1):
            earlier = frozenset(m.id for m in members[:index])
            queries.append(Query(report, earlier, splits[(report.source, report.id)]))
    return by_source, queries


def tokens(text: str) -> list[str]:
    return _WORD.findall(text.lower())


class Bm25:
    """Okapi BM25 (k1 = 1.2, b = 0.75) over title and description, IDF from the whole pool."""

    def __init__(self, pool: Iterable[BugReport], k1: float = 1.2, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.terms: dict[str, Counter[str]] = {}
        self.lengths: dict[str, int] = {}
        frequency: Counter[str] = Counter()
        for report in pool:
            counted = Counter(tokens(f"{report.title} {report.description}"))
            self.terms[report.id] = counted
            self.lengths[report.id] = sum(counted.values())
            frequency.update(counted.keys())
        count = len(self.terms)
        self.average = sum(self.lengths.values()) / max(count, 1)
        self.idf = {t: math.log(1 + (count - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}

    def rank(self, query: BugReport, candidates: Sequence[BugReport]) -> list[str]:
        asked = set(tokens(f"{query.title} {query.description}"))
        scored = []
        for candidate in candidates:
            counted = self.terms[candidate.id]
            norm = self.k1 * (1 - self.b + self.b * self.lengths[candidate.id] / self.average)
            score = 0.0
            for term in asked:
                tf = counted.get(term)
                if tf:
                    score += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
            scored.append((score, candidate.id))
        scored.sort(key=lambda pair: (-pair[0], pair[1]))
        return [report_id for _, report_id in scored]


def as_report(bug: BugReport) -> Report:
    """The dataset's report as the wire schema carries it: text, release and time."""
    return Report.model_validate(
        {
            "id": "00000000-0000-4000-8000-" + f"{abs(hash((bug.source, bug.id))):012d}"[-12:],
            "created_at": arrival(bug).isoformat(),
            "title": bug.title[:MAX_TITLE],
            "description": bug.description[:MAX_DESCRIPTION] or None,
            "app": {"release": bug.version} if bug.version else None,
        }
    )


def arrival(bug: BugReport) -> datetime:
    return datetime.fromisoformat(bug.created or "2000-01-01").replace(tzinfo=UTC)


class Pipeline:
    """The collector's re-ranking (collector_server.pipeline.grouping) over every earlier report,
    each as its own group, with corpus statistics from the whole pool as BM25's."""

    def __init__(self, pool: Iterable[BugReport], settings: GroupingSettings) -> None:
        self.settings = settings
        self.profiles: dict[str, Profile] = {}
        self.times: dict[str, datetime] = {}
        frequency: Counter[str] = Counter()
        for bug in pool:
            profile = profile_of(as_report(bug), settings)
            self.profiles[bug.id] = profile
            self.times[bug.id] = arrival(bug)
            frequency.update(profile.terms.keys())
        self.stats = IndexStats(len(self.profiles), frequency)
        for key, profile in self.profiles.items():  # as the collector stores it
            self.profiles[key] = replace(profile, norm=vector_norm(profile, self.stats))

    def rank(self, query: BugReport, candidates: Sequence[BugReport]) -> list[str]:
        pool = [Candidate(int(c.id), self.profiles[c.id], self.times[c.id]) for c in candidates]
        ranked = rank(self.profiles[query.id], pool, self.stats, arrival(query), self.settings)
        return [str(match.group_id) for match in ranked]


def _items(project_id: int, bug: BugReport, policy: Policy) -> NewReport:
    report = as_report(bug)
    return NewReport(project_id, report, assess(report, policy), "{}")


@contextmanager
def scratch_projects(pools: dict[str, list[BugReport]]) -> Iterator[tuple[Store, dict[str, int]]]:
    """A collector store of its own (SQLite, in memory-backed files where there are some) with
    one project per source: {source: project id}."""
    with tempfile.TemporaryDirectory(dir=_FAST_DIR) as tmp:
        store = Store.open(f"sqlite:///{tmp}/bench.sqlite3")
        try:
            yield (
                store,
                {
                    source: store.create_project(re.sub(r"\W", "-", source)[:60]).id
                    for source in pools
                },
            )
        finally:
            store.close()


def collector_rankings(
    pools: dict[str, list[BugReport]], queries: Sequence[Query], settings: GroupingSettings
) -> dict[tuple[str, str], list[str]]:
    """The collector's own candidate search and re-ranking (its SQLite FTS5 index, within the
    postings budget), asked for each query just before the query arrives; every report is its
    own group (similarity grouping off), as the retrieval setting of the literature has it."""
    asked = {(q.report.source, q.report.id) for q in queries}
    policy = Policy(grouping=settings.model_copy(update={"similar": False}))
    found: dict[tuple[str, str], list[str]] = {}
    with scratch_projects(pools) as (store, projects):
        for source, pool in pools.items():
            members: dict[int, list[str]] = defaultdict(list)
            for bug in pool:
                item = _items(projects[source], bug, policy)
                if (source, bug.id) in asked:
                    matches = store.similar_groups(
                        item.project_id, item.assessment.profile, policy, arrival(bug), max(KS)
                    )
                    found[(source, bug.id)] = [rid for m in matches for rid in members[m.group_id]]
                stored = store.ingest(item, now=arrival(bug))
                members[stored.group_id].append(bug.id)
    return found


@dataclass(frozen=True, slots=True)
class JoinFigures:
    threshold: float
    joins: int
    correct: int
    should: int  # reports with an earlier duplicate

    @property
    def precision(self) -> float:
        return self.correct / self.joins if self.joins else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.should if self.should else 0.0


def bug_labels(
    pools: dict[str, list[BugReport]], queries: Sequence[Query]
) -> dict[tuple[str, str], int]:
    """One label per bug: the arrival position of its first report (every report of a bug
    with earlier duplicates has that first report among them)."""
    position = {(s, bug.id): n for s, pool in pools.items() for n, bug in enumerate(pool)}
    labels = dict(position)
    for query in queries:
        source = query.report.source
        first = min(position[(source, d)] for d in query.duplicates)
        labels[(source, query.report.id)] = first
        for duplicate in query.duplicates:
            labels[(source, duplicate)] = min(labels[(source, duplicate)], first)
    return labels


def join_decisions(
    pools: dict[str, list[BugReport]], labels: dict[tuple[str, str], int], threshold: float
) -> JoinFigures:
    """Every report through the collector in order of arrival, grouping on: a join is correct
    when the group holds an earlier report of the same bug (by the maintainers' links)."""
    settings = DEFAULT_GROUPING.model_copy(update={"threshold": threshold})
    policy = Policy(grouping=settings)
    joins = correct = should = 0
    with scratch_projects(pools) as (store, projects):
        for source, pool in pools.items():
            members: dict[int, set[int]] = defaultdict(set)
            seen: set[int] = set()
            for bug in pool:
                label = labels[(source, bug.id)]
                should += label in seen
                stored = store.ingest(_items(projects[source], bug, policy), now=arrival(bug))
                group = members[stored.group_id]
                if group:  # it joined a group
                    joins += 1
                    correct += label in group
                group.add(label)
                seen.add(label)
    return JoinFigures(threshold, joins, correct, should)


def recall_rates(
    queries: Sequence[Query], pools: dict[str, list[BugReport]], rankers: dict[str, Ranker]
) -> dict[str, dict[str, dict[int, float]]]:
    """{ranker: {split: {k: recall-rate@k}}}, with the split "all" over every query."""
    hits: dict[str, dict[str, Counter[int]]] = defaultdict(lambda: defaultdict(Counter))
    asked: Counter[str] = Counter()
    for query in queries:
        pool = pools[query.report.source]
        earlier = [r for r in pool if (r.created, r.id) < (query.report.created, query.report.id)]
        for split in (query.split, "all"):
            asked[split] += 1
        for name, ranker in rankers.items():
            top = ranker(query.report, earlier)[: max(KS)]
            for k in KS:
                if query.duplicates & set(top[:k]):
                    for split in (query.split, "all"):
                        hits[name][split][k] += 1
    return {
        name: {split: {k: hits[name][split][k] / n for k in KS} for split, n in asked.items()}
        for name in rankers
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument(
        "--thresholds",
        type=lambda text: [float(t) for t in text.split(",")],
        default=[0.5, 0.6, DEFAULT_GROUPING.threshold, 0.8],
        help="join thresholds to measure the decision at (comma-separated)",
    )
    args = parser.parse_args()
    pools, queries = load(args.datasets)
    bm25 = {source: Bm25(pool) for source, pool in pools.items()}

    def baseline(query: BugReport, candidates: Sequence[BugReport]) -> list[str]:
        return bm25[query.source].rank(query, candidates)

    ours = {source: Pipeline(pool, DEFAULT_GROUPING) for source, pool in pools.items()}

    def pipeline(query: BugReport, candidates: Sequence[BugReport]) -> list[str]:
        return ours[query.source].rank(query, candidates)

    collector = collector_rankings(pools, queries, DEFAULT_GROUPING)

    def collector_ranker(query: BugReport, _candidates: Sequence[BugReport]) -> list[str]:
        return collector[(query.source, query.id)]

    rates = recall_rates(
        queries,
        pools,
        {"BM25": baseline, "re-rank": pipeline, "collector": collector_ranker},
    )
    counts = Counter(q.split for q in queries)
    print(f"{len(queries)} queries ({dict(sorted(counts.items()))}) over {len(pools)} projects")
    print(f"{'ranking':<10} {'split':<6} " + " ".join(f"{'RR@' + str(k):>7}" for k in KS))
    for name, by_split in rates.items():
        for split in sorted(by_split):
            row = " ".join(f"{by_split[split][k]:7.3f}" for k in KS)
            print(f"{name:<10} {split:<6} {row}")
    bm25_rr10 = rates["BM25"]["all"][10]
    for name in ("re-rank", "collector"):
        gain = rates[name]["all"][10] / bm25_rr10
        test = rates[name]["test"][10] / rates["BM25"]["test"][10]
        print(f"{name}: RR@10 {gain:.3f}x BM25 over all queries, {test:.3f}x on the test split")
    labels = bug_labels(pools, queries)
    print()
    print("join/new decision, every report through the collector in order of arrival")
    print(
        f"{'threshold':>9} {'joins':>6} {'correct':>7} {'should':>6} {'precision':>9} {'recall':>6}"
    )
    for threshold in args.thresholds:
        figures = join_decisions(pools, labels, threshold)
        mark = "  (default)" if threshold == DEFAULT_GROUPING.threshold else ""
        print(
            f"{threshold:9.2f} {figures.joins:6d} {figures.correct:7d} {figures.should:6d}"
            f" {figures.precision:9.3f} {figures.recall:6.3f}{mark}"
        )


if __name__ == "__main__":
    main()
