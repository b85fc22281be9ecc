"""Near-duplicate grouping in the store: twins join, strangers do not, operators' changes stick,
and two PostgreSQL replicas grouping at once decide alike."""

from __future__ import annotations

import secrets
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from collector_server.pipeline import DEFAULT_POLICY, assess
from collector_server.store import GroupMergeError, Store
from collector_server.store.reports import NewReport
from sdk.models import Report

SAVE_FAILS = {"method": "POST", "url": "https://shop.example/api/settings/42", "status": 500}


def report(title: str, description: str | None = None, **fields: Any) -> Report:
    return Report.model_validate(
        {
            "id": str(uuid.uuid4()),
            "created_at": datetime.now(UTC).isoformat(),
            "title": title,
            "description": description,
            **fields,
        }
    )


def on_settings(title: str, description: str, **fields: Any) -> Report:
    """A browser report from the settings page, after a click on Save that failed."""
    return report(
        title,
        description,
        browser={"url": "https://shop.example/account/7731/settings?tab=profile"},
        actions=[
            {
                "timestamp": "2026-12-01T10:00:00Z",
                "category": "ui.click",
                "message": "Save",
                "data": {"target": "button#save-settings"},
            }
        ],
        network=[SAVE_FAILS],
        **fields,
    )


def item(project_id: int, body: Report) -> NewReport:
    return NewReport(project_id, body, assess(body), body.model_dump_json())


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    opened = Store.open(database_url)
    yield opened
    opened.close()


@pytest.fixture
def project_id(store: Store) -> int:
    return store.create_project(f"sim-{secrets.token_hex(4)}").id


def test_an_english_report_and_its_russian_twin_join_one_group(
    store: Store, project_id: int
) -> None:
    first = store.ingest(
        item(
            project_id,
            on_settings(
                "Settings are not saved",
                "I change my notification settings and click Save, nothing is saved.",
            ),
        )
    )
    twin = store.ingest(
        item(
            project_id,
            on_settings(
                "Не сохраняются настройки",
                "Меняю настройки уведомлений, нажимаю Сохранить, ничего не сохраняется.",
            ),
        )
    )
    paraphrase = store.ingest(
        item(
            project_id,
            on_settings("Save button does nothing", "Clicking save on the settings page fails"),
        )
    )
    assert twin.group_id == first.group_id
    assert paraphrase.group_id == first.group_id
    grouping = store.get_report(project_id, twin.report_id)["grouping"]  # type: ignore[index]
    assert grouping["method"] == "similar"
    assert grouping["score"] >= DEFAULT_POLICY.grouping.threshold
    assert "same failing request POST /account/:id/settings" not in grouping["summary"]
    assert "same failing request POST /api/settings/:id 500" in grouping["summary"]
    assert "same route /account/:id/settings" in grouping["summary"]
    assert {s["signal"] for s in grouping["signals"]} >= {"route", "request", "element", "text"}
    group = store.get_group(project_id, first.group_id)
    assert group is not None
    assert group["report_count"] == 3
    assert group["top_routes"] == [{"name": "/account/:id/settings", "count": 3}]


def test_unrelated_reports_on_the_same_page_open_their_own_groups(
    store: Store, project_id: int
) -> None:
    page = {"browser": {"url": "https://shop.example/account/7731/settings"}}
    save = store.ingest(item(project_id, report("Settings are not saved", **page)))
    avatar = store.ingest(
        item(project_id, report("The avatar picture looks blurry on retina", **page))
    )
    language = store.ingest(item(project_id, report("Please add a Portuguese translation", **page)))
    assert len({save.group_id, avatar.group_id, language.group_id}) == 3
    grouping = store.get_report(project_id, avatar.report_id)["grouping"]  # type: ignore[index]
    assert grouping["method"] == "new"
    assert grouping["score"] < grouping["threshold"]


def test_the_failing_request_decides_between_reports_with_some_words_in_common(
    store: Store, project_id: int
) -> None:
    def failing(path: str) -> dict[str, Any]:
        return {"network": [{"method": "POST", "url": f"https://x.example{path}", "status": 500}]}

    first = store.ingest(item(project_id, report("Export to PDF fails", **failing("/api/export"))))
    same = store.ingest(
        item(project_id, report("PDF export fails with an error", **failing("/api/export")))
    )
    other = store.ingest(  # (the same title would join: it is an alias of the group now)
        item(project_id, report("PDF export fails with an error box", **failing("/api/share")))
    )
    assert same.group_id == first.group_id
    assert other.group_id != first.group_id
    why = store.get_report(project_id, other.report_id)["grouping"]  # type: ignore[index]
    assert why["method"] == "new"
    assert "different failing requests" in why["summary"]


def test_identical_titles_join_without_a_search_and_repeats_of_a_joined_text_too(
    store: Store, project_id: int
) -> None:
    first = store.ingest(item(project_id, on_settings("Settings are not saved", "x")))
    joined = store.ingest(item(project_id, on_settings("Settings never get saved", "x")))
    again = store.ingest(item(project_id, on_settings("Settings never get saved", "y")))
    assert first.group_id == joined.group_id == again.group_id
    assert store.get_report(project_id, again.report_id)["grouping"]["method"] == "fingerprint"  # type: ignore[index]


def test_group_facts_count_distinct_reporters_releases_and_environments(
    store: Store, project_id: int
) -> None:
    def from_user(user: str, release: str, environment: str) -> Report:
        return report(
            "Export dialog opens twice",
            user={"id": user},
            app={"release": release, "environment": environment},
        )

    results = [
        store.ingest(item(project_id, from_user(u, r, e)))
        for u, r, e in [
            ("ann", "2.4.0", "production"),
            ("ann", "2.4.1", "production"),
            ("bob", "2.4.1", "staging"),
        ]
    ]
    group = store.get_group(project_id, results[0].group_id)
    assert group is not None
    assert (group["report_count"], group["reporters"], group["users_affected"]) == (3, 2, 2)
    assert group["releases"] == [{"name": "2.4.1", "count": 2}, {"name": "2.4.0", "count": 1}]
    assert group["environments"] == [
        {"name": "production", "count": 2},
        {"name": "staging", "count": 1},
    ]


def test_users_affected_escalate_a_group_and_the_reason_says_so(
    store: Store, project_id: int
) -> None:
    results = [
        store.ingest(
            item(project_id, report("Export dialog opens twice", user={"id": f"user-{n}"}))
        )
        for n in range(10)
    ]
    group = store.get_group(project_id, results[0].group_id)
    assert group is not None
    assert group["severity"] == "high"
    assert any("10 users affected" in reason for reason in group["severity_reasons"])


def test_a_merge_moves_the_reports_and_teaches_grouping(store: Store, project_id: int) -> None:
    pay = store.ingest(item(project_id, report("Checkout button is grey", "cannot click it")))
    card = store.ingest(item(project_id, report("Card form rejects my visa", "always invalid")))
    assert pay.group_id != card.group_id
    merged = store.merge_groups(project_id, pay.group_id, card.group_id, DEFAULT_POLICY)
    assert merged["report_count"] == 2
    assert store.get_report(project_id, card.report_id)["group_id"] == pay.group_id  # type: ignore[index]
    source = store.get_group(project_id, card.group_id)
    assert source is not None
    assert source["merged_into"] == pay.group_id
    assert card.group_id not in {g["id"] for g in store.list_groups(project_id, 100).items}
    # The merged side's exact title and its words now lead to the merged group.
    exact = store.ingest(item(project_id, report("Card form rejects my visa", "again")))
    similar = store.ingest(
        item(project_id, report("Card form rejects visa card", "the form says invalid"))
    )
    assert exact.group_id == pay.group_id
    assert similar.group_id == pay.group_id
    with pytest.raises(GroupMergeError):
        store.merge_groups(project_id, pay.group_id, card.group_id, DEFAULT_POLICY)
    with pytest.raises(GroupMergeError):
        store.merge_groups(project_id, pay.group_id, pay.group_id, DEFAULT_POLICY)


def test_a_split_report_keeps_its_own_group_and_the_old_group_is_recounted(
    store: Store, project_id: int
) -> None:
    first = store.ingest(item(project_id, report("Export dialog opens twice", user={"id": "ann"})))
    wrong = store.ingest(
        item(
            project_id,
            report("Export dialog opens twice", user={"id": "bob"}, app={"release": "9"}),
        )
    )
    split = store.split_report(project_id, wrong.report_id, DEFAULT_POLICY)
    assert split["id"] != first.group_id
    assert (split["report_count"], split["reporters"]) == (1, 1)
    moved = store.get_report(project_id, wrong.report_id)
    assert moved is not None
    assert moved["group_id"] == split["id"]
    assert moved["grouping"]["method"] == "split"
    old = store.get_group(project_id, first.group_id)
    assert old is not None
    assert (old["report_count"], old["reporters"], old["releases"]) == (1, 1, [])
    again = store.ingest(item(project_id, report("Export dialog opens twice", user={"id": "c"})))
    assert again.group_id == first.group_id
    still = store.get_report(project_id, wrong.report_id)
    assert still is not None
    assert still["group_id"] == split["id"]
    with pytest.raises(GroupMergeError):
        store.split_report(project_id, wrong.report_id, DEFAULT_POLICY)  # alone in its group


def test_an_operator_override_of_severity_survives_growth_until_cleared(
    store: Store, project_id: int
) -> None:
    first = store.ingest(item(project_id, report("Export dialog opens twice", kind="feedback")))
    changed = store.update_group(project_id, first.group_id, {"severity": "low"}, DEFAULT_POLICY)
    assert changed["severity"] == "low"
    assert changed["severity_override"] == "low"
    store.ingest(item(project_id, report("Export dialog opens twice", impact="blocks_work")))
    grown = store.get_group(project_id, first.group_id)
    assert grown is not None
    assert (grown["severity"], grown["severity_reasons"]) == ("low", ["set by an operator to low"])
    cleared = store.update_group(project_id, first.group_id, {"severity": None}, DEFAULT_POLICY)
    assert cleared["severity_override"] is None
    assert cleared["severity"] == "high"  # the blocking report's, now that nobody overrides


def test_a_fixed_group_leaves_the_search_and_an_open_one_comes_back(
    store: Store, project_id: int
) -> None:
    first = store.ingest(item(project_id, on_settings("Settings are not saved", "nothing")))
    store.update_group(project_id, first.group_id, {"status": "fixed"}, DEFAULT_POLICY)
    later = store.ingest(item(project_id, on_settings("Settings don't save", "nothing")))
    assert later.group_id != first.group_id
    store.update_group(project_id, later.group_id, {"status": "wont_fix"}, DEFAULT_POLICY)
    store.update_group(project_id, first.group_id, {"status": "open"}, DEFAULT_POLICY)
    again = store.ingest(item(project_id, on_settings("Settings are not saving", "nothing")))
    assert again.group_id == first.group_id


@pytest.mark.postgres
def test_two_replicas_grouping_near_duplicates_at_once_open_one_group(
    database_url: str, database_kind: str
) -> None:
    if database_kind != "postgresql":
        pytest.skip("replicas share a PostgreSQL database")
    replicas = [Store.open(database_url), Store.open(database_url)]
    try:
        project_id = replicas[0].create_project(f"rep-{secrets.token_hex(4)}").id
        texts = [
            ("Settings are not saved", "click save, nothing"),
            ("Не сохраняются настройки", "нажимаю сохранить"),
            ("Settings never get saved", "the save button fails"),
            ("Save on settings does nothing", "POST fails"),
        ]
        results: dict[int, list[int]] = {0: [], 1: []}
        barrier = threading.Barrier(2)

        def send(replica: int) -> None:
            barrier.wait()
            for title, description in texts:
                stored = replicas[replica].ingest(item(project_id, on_settings(title, description)))
                results[replica].append(stored.group_id)

        threads = [threading.Thread(target=send, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        groups = {g for ids in results.values() for g in ids}
        assert len(results[0]) == len(results[1]) == len(texts)
        assert len(groups) == 1, results
        listed = replicas[0].list_groups(project_id, 10).items
        assert [g["report_count"] for g in listed] == [2 * len(texts)]
    finally:
        for replica in replicas:
            replica.close()
