"""The reporter loop (status, rating) and the admin reads (lists, groups), on a real collector."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
import requests
from sqlalchemy import create_engine, select

from collector_server.settings import normalise_database_url
from collector_server.store.tables import ratings
from tests.support import Collector, run_concurrently

TS = "2026-11-25T10:00:00Z"


def post_report(collector: Collector, **fields: Any) -> dict[str, Any]:
    body = {"id": str(uuid.uuid4()), "created_at": TS, "title": "Checkout fails", **fields}
    response = collector.post_report(body)
    assert response.status_code == 202, response.text
    answer: dict[str, Any] = response.json()
    return answer


def reporter(collector: Collector, method: str, path: str, **kwargs: Any) -> requests.Response:
    return requests.request(
        method,
        f"{collector.reports_url}/{path}",
        headers={"X-BugRelay-Key": collector.public_key},
        timeout=30,
        **kwargs,
    )


def test_a_reporter_sees_the_status_of_their_report_and_nothing_else(collector: Collector) -> None:
    stored = post_report(collector)
    response = reporter(collector, "GET", f"{stored['id']}/status")
    assert response.status_code == 200
    assert response.json() == {"id": stored["id"], "status": "received", "fixed_in": None}


def test_status_needs_the_key_and_a_known_report(collector: Collector) -> None:
    stored = post_report(collector)
    no_key = requests.get(f"{collector.reports_url}/{stored['id']}/status", timeout=30)
    assert no_key.status_code == 401
    assert reporter(collector, "GET", f"{uuid.uuid4()}/status").status_code == 404
    assert reporter(collector, "GET", "nope/status").json()["error"]["code"] == "invalid_report_id"


def test_a_report_is_rated_once(collector: Collector) -> None:
    stored = post_report(collector)
    first = reporter(
        collector, "POST", f"{stored['id']}/rating", json={"score": 5, "comment": "Quick!"}
    )
    assert first.status_code == 201, first.text
    again = reporter(collector, "POST", f"{stored['id']}/rating", json={"score": 1})
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_rated"


def test_a_rating_keeps_effort_and_recommend(collector: Collector) -> None:
    stored = post_report(collector)
    answer = reporter(
        collector,
        "POST",
        f"{stored['id']}/rating",
        json={"score": 4, "effort": 6, "recommend": 9},
    )
    assert answer.status_code == 201, answer.text
    engine = create_engine(normalise_database_url(collector.env["BUGRELAY_DATABASE_URL"]))
    try:
        with engine.connect() as conn:
            row = conn.execute(
                select(ratings.c.score, ratings.c.effort, ratings.c.recommend).where(
                    ratings.c.report_id == stored["id"]
                )
            ).one()
    finally:
        engine.dispose()
    assert tuple(row) == (4, 6, 9)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"score": 0}, "score"),
        ({"score": True}, "score"),
        ({"score": 3, "effort": 8}, "effort"),
        ({"score": 3, "recommend": -1}, "recommend"),
        ({"score": 6}, "score"),
        ({"score": 3, "mood": "ok"}, "mood"),
        ({}, "score"),
    ],
)
def test_bad_ratings_name_the_field(collector: Collector, body: dict[str, Any], field: str) -> None:
    stored = post_report(collector)
    response = reporter(collector, "POST", f"{stored['id']}/rating", json=body)
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]
    # and the report can still be rated properly afterwards: nothing was half-stored
    assert (
        reporter(collector, "POST", f"{stored['id']}/rating", json={"score": 4}).status_code == 201
    )


def test_rating_an_unknown_report_is_404(collector: Collector) -> None:
    response = reporter(collector, "POST", f"{uuid.uuid4()}/rating", json={"score": 4})
    assert response.status_code == 404


def test_lists_are_newest_first_and_cursor_paginated(collector: Collector) -> None:
    ids = [post_report(collector, title=f"Paging {uuid.uuid4()}")["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        query = f"?limit=2&cursor={cursor}" if cursor else "?limit=2"
        page = collector.admin_get(f"/api/v1/projects/{collector.project_id}/reports{query}").json()
        assert len(page["items"]) <= 2
        seen += [item["id"] for item in page["items"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen))
    assert seen[:5] == ids[::-1]
    assert pages == (len(seen) + 1) // 2


def test_groups_list_and_detail(collector: Collector) -> None:
    title = f"Group me {uuid.uuid4()}"
    answers = [post_report(collector, title=title) for _ in range(3)]
    group_id = answers[0]["group_id"]
    assert {a["group_id"] for a in answers} == {group_id}
    group = collector.admin_get(f"/api/v1/projects/{collector.project_id}/groups/{group_id}").json()
    assert group["report_count"] == 3
    assert group["status"] == "open"
    assert group["severity"] == "medium"
    assert group["severity_reasons"] == ["default level for a bug report"]
    assert group["tickets"] == []
    listing = collector.admin_get(f"/api/v1/projects/{collector.project_id}/groups?limit=1").json()
    assert listing["items"][0]["id"] == group_id
    assert listing["next_cursor"]
    missing = collector.admin_get(f"/api/v1/projects/{collector.project_id}/groups/999999")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("?limit=0", "invalid_limit"),
        ("?limit=201", "invalid_limit"),
        ("?limit=x", "invalid_limit"),
        ("?cursor=garbage", "invalid_cursor"),
        ("?cursor=WzFd", "invalid_cursor"),
    ],
)
def test_bad_paging_parameters_are_named(collector: Collector, query: str, code: str) -> None:
    for what in ("reports", "groups"):
        response = collector.admin_get(f"/api/v1/projects/{collector.project_id}/{what}{query}")
        if what == "groups" and query == "?cursor=WzFd":  # [1] is a valid group cursor
            assert response.status_code == 200
            continue
        assert response.status_code == 400, (what, response.text)
        assert response.json()["error"]["code"] == code


def test_lists_need_the_admin_token(collector: Collector) -> None:
    for what in ("reports", "groups", "groups/1"):
        response = requests.get(
            f"{collector.url}/api/v1/projects/{collector.project_id}/{what}", timeout=10
        )
        assert response.status_code == 401


def test_concurrent_repeats_of_one_report_store_it_once(collector: Collector) -> None:
    body = {"id": str(uuid.uuid4()), "created_at": TS, "title": f"Race {uuid.uuid4()}"}
    results: list[requests.Response] = []

    def send() -> None:
        results.append(collector.post_report(body))

    run_concurrently(send, 12)
    assert sorted(r.status_code for r in results) == [200] * 11 + [202]
    assert len({(r.json()["id"], r.json()["group_id"]) for r in results}) == 1
    group = collector.admin_get(
        f"/api/v1/projects/{collector.project_id}/groups/{results[0].json()['group_id']}"
    ).json()
    assert group["report_count"] == 1


def test_concurrent_reports_of_one_problem_count_exactly(collector: Collector) -> None:
    title = f"Crowd {uuid.uuid4()}"
    answers: list[dict[str, Any]] = []

    def send() -> None:
        for _ in range(3):
            answers.append(post_report(collector, title=title))

    run_concurrently(send, 12)
    assert len(answers) == 36
    assert len({a["group_id"] for a in answers}) == 1
    group = collector.admin_get(
        f"/api/v1/projects/{collector.project_id}/groups/{answers[0]['group_id']}"
    ).json()
    assert group["report_count"] == 36
