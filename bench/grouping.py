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
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_DATASETS = HERE.parent.parent / "shared" / "datasets"
KS = (1, 5, 10)
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class BugReport:
    source: str
    id: str
    title: str
    description: str
    created: str  # ISO 8601; the order of arrival


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
        for name, rank in rankers.items():
            top = rank(query.report, earlier)[: max(KS)]
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
    args = parser.parse_args()
    pools, queries = load(args.datasets)
    bm25 = {source: Bm25(pool) for source, pool in pools.items()}

    def baseline(query: BugReport, candidates: Sequence[BugReport]) -> list[str]:
        return bm25[query.source].rank(query, candidates)

    rates = recall_rates(queries, pools, {"BM25": baseline})
    counts = Counter(q.split for q in queries)
    print(f"{len(queries)} queries ({dict(sorted(counts.items()))}) over {len(pools)} projects")
    print(f"{'ranking':<10} {'split':<6} " + " ".join(f"{'RR@' + str(k):>7}" for k in KS))
    for name, by_split in rates.items():
        for split in sorted(by_split):
            row = " ".join(f"{by_split[split][k]:7.3f}" for k in KS)
            print(f"{name:<10} {split:<6} {row}")


if __name__ == "__main__":
    main()
