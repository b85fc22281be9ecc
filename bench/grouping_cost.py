"""What grouping one report costs as a project's open groups pile up: 1,000 versus 1,000,000.

    .venv/bin/python bench/grouping_cost.py [--small 1000] [--large 1000000] [--queries 300]
        [--databases sqlite,postgresql]

For each database and size, a fresh database gets a project with that many open groups, loaded
in bulk as the collector would have indexed them: each group's words are drawn from the real
bug reports of ``../shared/datasets/`` in their real frequencies (so common words are as common
as in real projects, and their postings grow with the project), with routes and failing
requests spread over the groups. Then the same real reports are grouped one by one through
``Store.ingest`` (candidate search, re-ranking, decision and the durable commit) and timed.
The figure is the ratio of the median time per report, large over small, in the same run; the
issue's goal is a ratio under 2.

PostgreSQL: a scratch database on 127.0.0.1:5432 (``BUGRELAY_BENCH_POSTGRES`` overrides the
server URL), dropped afterwards.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from grouping import DEFAULT_DATASETS, BugReport, as_report, load

from collector_server.pipeline import DEFAULT_POLICY, assess
from collector_server.pipeline.grouping import (
    IndexStats,
    Profile,
    index_tokens,
    profile_of,
    vector_norm,
)
from collector_server.store import Store
from collector_server.store.reports import NewReport

POSTGRES = os.environ.get("BUGRELAY_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
ROUTES = [f"/app/{area}/{page}" for area in range(40) for page in ("list", "edit", "view")]
REQUESTS = [f"POST /api/v1/{name}/:id 500" for name in range(60)]
CHUNK = 20_000


def vocabulary(pool: Sequence[BugReport]) -> tuple[list[str], list[int]]:
    counts: Counter[str] = Counter()
    for bug in pool:
        counts.update(profile_of(as_report(bug)).terms.keys())
    terms = sorted(counts)
    return terms, [counts[t] for t in terms]


def synthetic_profiles(
    count: int, terms: list[str], weights: list[int], seed: int = 7
) -> Iterator[Profile]:
    rng = random.Random(seed)
    cumulative = list(itertools.accumulate(weights))
    for _ in range(count):
        title = rng.choices(terms, cum_weights=cumulative, k=6)
        described = rng.choices(terms, cum_weights=cumulative, k=14)
        words: dict[str, float] = {}
        for term in title:
            words[term] = words.get(term, 0.0) + 2.0
        for term in described:
            words[term] = words.get(term, 0.0) + 1.0
        yield Profile(
            words,
            routes=(rng.choice(ROUTES),),
            requests=(rng.choice(REQUESTS),) if rng.random() < 0.3 else (),
        )


def load_groups(store: Store, project_id: int, count: int, terms: list[str], weights: list[int]):
    """``count`` open groups, indexed, with their statistics, as if grouping had made them."""
    frequency: Counter[str] = Counter()
    profiles = list(synthetic_profiles(count, terms, weights))
    for profile in profiles:
        frequency.update(index_tokens(project_id, profile).keys())
    stats = IndexStats(
        count,
        {term: frequency[f"p{project_id}x{term}"] for term in terms},
    )
    seen = datetime.now(UTC) - timedelta(days=1)
    postgres = store.dialect == "postgresql"
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not postgres:
            cursor.execute("PRAGMA synchronous = OFF")
        else:
            cursor.execute("DROP INDEX ix_group_index_tokens")
        first_id = 1_000_000_000
        for start in range(0, count, CHUNK):
            rows, index = [], []
            for offset, profile in enumerate(profiles[start : start + CHUNK]):
                group_id = first_id + start + offset
                stored = Profile(
                    profile.terms,
                    profile.routes,
                    requests=profile.requests,
                    norm=vector_norm(profile, stats),
                )
                rows.append(
                    (
                        group_id,
                        project_id,
                        uuid.uuid4().hex + uuid.uuid4().hex,
                        " ".join(list(profile.terms)[:6]),
                        "open",
                        "medium",
                        "[]",
                        1,
                        seen,
                        seen,
                        1,
                        1,
                        json.dumps(stored.to_json()),
                        "{}",
                    )
                )
                index.append((group_id, sorted(index_tokens(project_id, profile))))
            mark = "%s" if postgres else "?"
            cursor.executemany(
                "INSERT INTO groups (id, project_id, fingerprint, title, status, severity,"
                " severity_reasons, report_count, first_seen, last_seen, reporters,"
                f" users_affected, profile, facts) VALUES ({', '.join([mark] * 14)})",
                rows,
            )
            if postgres:
                cursor.executemany(
                    "INSERT INTO group_index (group_id, tokens) VALUES (%s, array_to_tsvector(%s))",
                    index,
                )
            else:
                cursor.executemany(
                    "INSERT INTO group_index (rowid, tokens) VALUES (?, ?)",
                    [(group_id, " ".join(tokens)) for group_id, tokens in index],
                )
        mark = "%s" if postgres else "?"
        cursor.executemany(
            "INSERT INTO group_terms (project_id, token, documents)"
            f" VALUES ({mark}, {mark}, {mark})",
            [(project_id, token, n) for token, n in frequency.items()],
        )
        cursor.execute(
            f"INSERT INTO group_index_stats (project_id, documents) VALUES ({mark}, {mark})",
            (project_id, count),
        )
        if postgres:
            cursor.execute("CREATE INDEX ix_group_index_tokens ON group_index USING gin (tokens)")
            cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()


def time_grouping(store: Store, project_id: int, queries: Sequence[BugReport]) -> list[float]:
    rng = random.Random(11)
    times = []
    for bug in queries:
        report = as_report(bug).model_copy(update={"id": uuid.uuid4()})
        report = report.model_validate(
            {
                **report.model_dump(mode="json", exclude_none=True),
                "browser": {"url": f"https://app.example{rng.choice(ROUTES)}"},
            }
        )
        item = NewReport(project_id, report, assess(report, DEFAULT_POLICY), "{}")
        started = time.perf_counter()
        store.ingest(item)
        times.append(time.perf_counter() - started)
    return times


@contextmanager
def database(kind: str) -> Iterator[str]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/cost.sqlite3"
        return
    name = f"bench_grouping_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://{POSTGRES.split('://', 1)[1]}/{name}"
    finally:
        with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def measure(
    kind: str, size: int, terms: list[str], weights: list[int], queries: Sequence[BugReport]
) -> float:
    with database(kind) as url:
        store = Store.open(url)
        try:
            project = store.create_project("cost")
            started = time.perf_counter()
            load_groups(store, project.id, size, terms, weights)
            loaded = time.perf_counter() - started
            time_grouping(store, project.id, queries[:20])  # warm the caches
            median = statistics.median(time_grouping(store, project.id, queries[20:]))
        finally:
            store.close()
    print(
        f"  {kind:<10} {size:>9,} groups: loaded in {loaded:6.1f} s, median {median * 1e3:.2f} ms"
    )
    return median


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--databases", default="sqlite,postgresql")
    args = parser.parse_args()
    pools, _ = load(args.datasets)
    everything = [bug for pool in pools.values() for bug in pool]
    terms, weights = vocabulary(everything)
    queries = random.Random(3).sample(everything, args.queries + 20)
    print(f"grouping one report: {args.small:,} vs {args.large:,} open groups")
    for kind in args.databases.split(","):
        small = measure(kind, args.small, terms, weights, queries)
        large = measure(kind, args.large, terms, weights, queries)
        print(f"{kind}: ratio {large / small:.2f} (goal: under 2)")


if __name__ == "__main__":
    main()
