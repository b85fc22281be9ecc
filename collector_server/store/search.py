"""The similarity index of groups: candidates for near-duplicate grouping, from the database.

One index per database, so every replica sees the same one: an FTS5 table on SQLite, a
``tsvector`` column with a GIN index on PostgreSQL (migration 0004). A group is indexed by its
tokens (``collector_server.pipeline.grouping.index_tokens``): its stemmed terms and hashed
signals, each prefixed with the project id, so one project's search never reads another's
postings. ``group_terms`` counts the groups of each token (document frequency) and
``group_index_stats`` the indexed groups, for IDF.

A search takes the report's tokens rarest first while the postings they would read stay
within the project's ``postings_budget`` (the rarest one always), and asks the index for the
best ``candidates`` groups that hold any of them. Common words are left out of the query once
they would cost more than they tell (they still count in the re-ranking), so the cost of a
search stays flat as a project grows to millions of groups.

Writers that search take a transaction-scoped advisory lock on the project first (PostgreSQL;
SQLite has one writer anyway), so that two replicas grouping near-duplicates at the same moment
decide one after the other and cannot both open a group for one problem.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from collector_server.pipeline import Policy
from collector_server.pipeline.grouping import (
    Candidate,
    IndexStats,
    Match,
    Profile,
    index_tokens,
    rank,
    vector_norm,
)
from collector_server.store._base import StoreBase, driver_json, driver_time

_LOCK_CLASS = 0x4252  # "BR": advisory locks of grouping, keyed by project id
SEARCHED = ("open", "in_progress")  # the statuses whose groups similarity search finds
MAX_QUERY_TOKENS = 32  # the rarest: they decide the candidates; the rest only re-rank


class SearchStore(StoreBase):
    def similar_groups(
        self, project_id: int, query: Profile, policy: Policy, now: datetime, limit: int = 10
    ) -> list[Match]:
        """The open groups most like ``query``, best first, scored as grouping scores them
        (without deciding or writing anything)."""
        settings = policy.grouping
        with self.engine.connect() as conn:
            candidates, stats, _ = self._candidates(
                conn,
                project_id,
                query,
                limit=max(limit, settings.candidates),
                budget=settings.postings_budget,
            )
        best: dict[int, Match] = {}
        for match in rank(query, candidates, stats, now, settings):
            best.setdefault(match.group_id, match)  # best first: a merged side may repeat it
        return list(best.values())[:limit]

    def _lock_project(self, conn: Connection, project_id: int) -> None:
        if self.dialect == "postgresql":
            conn.exec_driver_sql(
                "SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, int(project_id))
            )

    def _with_norm(self, conn: Connection, project_id: int, profile: Profile) -> Profile:
        """``profile`` with the length of its tf-idf vector as of now, counting itself in."""
        tokens = {f"p{project_id}x{term}": term for term in profile.terms}
        frequency = self._frequencies(conn, project_id, sorted(tokens))
        stats = IndexStats(
            self._documents(conn, project_id) + 1,
            {term: frequency.get(token, 0) + 1 for token, term in tokens.items()},
        )
        return replace(profile, norm=vector_norm(profile, stats))

    def _index_group(
        self, conn: Connection, project_id: int, group_id: int, profile: Profile
    ) -> None:
        tokens = sorted(index_tokens(project_id, profile))
        if not tokens:
            return
        if self.dialect == "postgresql":
            conn.exec_driver_sql(
                "INSERT INTO group_index (group_id, tokens) VALUES (%s, array_to_tsvector(%s))"
                " ON CONFLICT (group_id) DO UPDATE SET tokens = excluded.tokens",
                (group_id, tokens),
            )
        else:
            conn.exec_driver_sql(
                "INSERT INTO group_index (rowid, tokens) VALUES (?, ?)",
                (group_id, " ".join(tokens)),
            )
        self._count_tokens(conn, project_id, tokens, 1)

    def _unindex_group(
        self, conn: Connection, project_id: int, group_id: int, profile: Profile
    ) -> None:
        tokens = sorted(index_tokens(project_id, profile))
        mark = self._driver.mark
        deleted = conn.exec_driver_sql(
            f"DELETE FROM group_index WHERE {self._index_key} = {mark}",  # noqa: S608
            (group_id,),
        ).rowcount
        if deleted and tokens:
            self._count_tokens(conn, project_id, tokens, -1)

    @property
    def _index_key(self) -> str:
        return "group_id" if self.dialect == "postgresql" else "rowid"

    def _count_tokens(
        self, conn: Connection, project_id: int, tokens: Sequence[str], step: int
    ) -> None:
        self._driver.insert(
            conn,
            "group_terms",
            ("project_id", "token", "documents"),
            [(project_id, token, max(step, 0)) for token in tokens],
            " ON CONFLICT (project_id, token) DO UPDATE"
            f" SET documents = group_terms.documents + ({int(step)})",
        )
        self._driver.insert(
            conn,
            "group_index_stats",
            ("project_id", "documents"),
            [(project_id, max(step, 0))],
            " ON CONFLICT (project_id) DO UPDATE SET"
            f" documents = group_index_stats.documents + ({int(step)})",
        )

    def _frequencies(
        self, conn: Connection, project_id: int, tokens: Sequence[str]
    ) -> dict[str, int]:
        if not tokens:
            return {}
        mark = self._driver.mark
        sql = (
            "SELECT token, documents FROM group_terms"  # noqa: S608
            f" WHERE project_id = {mark} AND token IN ({self._driver.marks(len(tokens))})"
        )
        rows = conn.exec_driver_sql(sql, (project_id, *tokens))
        return {token: int(documents) for token, documents in rows if documents > 0}

    def _candidates(
        self,
        conn: Connection,
        project_id: int,
        query: Profile,
        *,
        limit: int,
        budget: int,
    ) -> tuple[list[Candidate], IndexStats, dict[str, Any]]:
        """The open groups most likely to be ``query``'s, the corpus statistics to score them
        by, and what the search did (for the explanation)."""
        tokens = index_tokens(project_id, query)
        frequency = self._frequencies(conn, project_id, sorted(tokens))
        stats = IndexStats(
            self._documents(conn, project_id),
            {tokens[token]: n for token, n in frequency.items()},
        )
        chosen: list[str] = []
        spent = 0
        for token, n in sorted(frequency.items(), key=lambda item: (item[1], item[0])):
            if chosen and (spent + n > budget or len(chosen) >= MAX_QUERY_TOKENS):
                break
            chosen.append(token)
            spent += n
        search = {"tokens": len(tokens), "searched": len(chosen), "postings": spent}
        if not chosen:
            return [], stats, search
        ids = self._search(conn, chosen, limit)
        return self._load_candidates(conn, project_id, ids), stats, search

    def _documents(self, conn: Connection, project_id: int) -> int:
        """How many groups of the project are in the index."""
        mark = self._driver.mark
        row = conn.exec_driver_sql(
            f"SELECT documents FROM group_index_stats WHERE project_id = {mark}",  # noqa: S608
            (project_id,),
        ).first()
        return int(row[0]) if row else 0

    def _search(self, conn: Connection, tokens: Sequence[str], limit: int) -> list[int]:
        if self.dialect == "postgresql":
            query = " | ".join(f"'{token}'" for token in tokens)  # tokens are [^\W_]+ only
            rows = conn.exec_driver_sql(
                "SELECT group_id FROM group_index, CAST(%s AS tsquery) AS q"
                " WHERE tokens @@ q ORDER BY ts_rank(tokens, q) DESC, group_id LIMIT %s",
                (query, limit),
            )
        else:
            query = " OR ".join(f'"{token}"' for token in tokens)
            rows = conn.exec_driver_sql(
                "SELECT rowid FROM group_index WHERE group_index MATCH ?"
                " ORDER BY rank, rowid LIMIT ?",
                (query, limit),
            )
        return [int(row[0]) for row in rows]

    def _load_candidates(
        self, conn: Connection, project_id: int, ids: Sequence[int]
    ) -> list[Candidate]:
        """The open groups among ``ids``; a group merged into another stands for that one
        (with its own words: both sides of a merge keep finding the merged group)."""
        if not ids:
            return []
        mark = self._driver.mark
        sql = (
            "SELECT coalesce(g.merged_into, g.id), g.profile,"  # noqa: S608
            " coalesce(t.last_seen, g.last_seen) FROM groups g"
            " LEFT JOIN groups t ON t.id = g.merged_into"
            f" WHERE g.project_id = {mark} AND g.id IN ({self._driver.marks(len(ids))})"
            f" AND coalesce(t.status, g.status) IN ({self._driver.marks(len(SEARCHED))})"
        )
        rows = conn.exec_driver_sql(sql, (project_id, *ids, *SEARCHED))
        found = [
            Candidate(
                int(group_id), Profile.from_json(driver_json(profile)), driver_time(last_seen)
            )
            for group_id, profile, last_seen in rows
        ]
        found.sort(key=lambda c: c.group_id)
        return found
