"""Grouping's text, signals and scores, as pure functions: what a paraphrase, a Russian twin and
a stranger score against a group, and what the explanation says."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector_server.pipeline.grouping import (
    DEFAULT_GROUPING,
    Candidate,
    GroupingSettings,
    IndexStats,
    Profile,
    decide,
    index_tokens,
    profile_of,
    rank,
    text_similarity,
)
from collector_server.pipeline.signals import normalise_message, normalise_path, signals
from collector_server.pipeline.text import terms
from sdk.models import Report

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def report(title: str, description: str | None = None, **fields: Any) -> Report:
    return Report.model_validate(
        {
            "id": str(uuid.uuid4()),
            "created_at": NOW.isoformat(),
            "title": title,
            "description": description,
            **fields,
        }
    )


def stats_of(*profiles: Profile) -> IndexStats:
    frequency: dict[str, int] = {}
    for profile in profiles:
        for term in profile.terms:
            frequency[term] = frequency.get(term, 0) + 1
        for key in index_tokens(1, profile).values():
            frequency[key] = frequency.get(key, 0) + 1
    return IndexStats(len(profiles), frequency)


def test_english_words_are_stemmed_and_stop_words_numbers_and_ids_dropped() -> None:
    assert terms("The settings were not saved after saving 3 times, id 7f3a9c2e11") == [
        "set",
        "save",
        "save",
        "time",
        "id",
    ]


def test_russian_words_are_stemmed_and_the_common_ones_meet_their_english_stems() -> None:
    assert set(terms("Не сохраняются настройки")) == set(terms("settings not saved"))
    assert set(terms("не могу войти, оплата не проходит")) >= {"login", "pay"}


def test_identifiers_in_code_and_logs_are_split_into_words() -> None:
    assert terms("saveSettings failed in save_settings") == ["save", "set", "fail", "save", "set"]


def test_signals_are_normalised_so_users_and_ids_do_not_split_them() -> None:
    found = signals(
        report(
            "x",
            browser={"url": "https://shop.example/orders/1234/edit?tab=2#top"},
            actions=[
                {"timestamp": NOW.isoformat(), "category": "ui.click", "message": "Pay"},
                {
                    "timestamp": NOW.isoformat(),
                    "category": "ui.click",
                    "data": {"target": "button#save"},
                },
            ],
            network=[
                {"method": "post", "url": "https://api.example/orders/99/pay", "status": 502},
                {"method": "GET", "url": "https://api.example/ok", "status": 200},
                {"method": "GET", "url": "https://api.example/x", "error": "timeout"},
            ],
            logs=[{"timestamp": NOW.isoformat(), "level": "error", "message": "Order 77 'A' lost"}],
        )
    )
    assert found.route == "/orders/:id/edit"
    assert found.elements == ("button#save", "pay")
    assert found.requests == ("POST /orders/:id/pay 502", "GET /x failed")
    assert found.errors == ("order <n> <value> lost",)
    assert normalise_path("/Orders/5c0e2b1a11/") == "/orders/:id"
    assert signals(report("x", browser={"url": "https://app.example/#/settings?x=1"})).route == (
        "/settings"
    )
    assert normalise_message("user 5c0e2b1a-1111-4aaa-8bbb-123456789abc at 0xdeadbeef99") == (
        "user <id> at <id>"
    )


def test_a_screen_tag_stands_for_the_route_in_desktop_and_mobile_apps() -> None:
    assert signals(report("x", tags={"screen": "Settings"})).route == "screen:settings"


def test_text_similarity_is_one_for_the_same_words_and_zero_for_none() -> None:
    a = profile_of(report("Settings are not saved"))
    b = profile_of(report("saving settings: not saved"))
    c = profile_of(report("Avatar looks blurry"))
    stats = stats_of(a, b, c)
    assert text_similarity(a, a, stats) == pytest.approx(1.0)
    assert 0.5 < text_similarity(a, b, stats) < 1.0
    assert text_similarity(a, c, stats) == 0.0


def test_each_context_signal_adds_its_weight_and_names_itself() -> None:
    context = {
        "browser": {"url": "https://shop.example/account/settings"},
        "actions": [
            {
                "timestamp": NOW.isoformat(),
                "category": "ui.click",
                "data": {"target": "button#save"},
            }
        ],
        "network": [{"method": "POST", "url": "https://shop.example/api/save", "status": 500}],
        "logs": [{"timestamp": NOW.isoformat(), "level": "error", "message": "save failed"}],
        "app": {"release": "2.4.1"},
    }
    group = profile_of(report("Settings are not saved", **context))
    twin = profile_of(report("Не сохраняются настройки", **context))
    stranger = profile_of(report("Add dark mode"))
    stats = stats_of(group, *(profile_of(report(f"other problem {n}")) for n in range(30)))
    ranked = rank(twin, [Candidate(1, group, NOW), Candidate(2, stranger, NOW)], stats, NOW)
    assert [m.group_id for m in ranked] == [1, 2]
    by_name = {s.name: s for s in ranked[0].signals}
    assert set(by_name) == {"text", "route", "element", "request", "error", "release", "recency"}
    assert by_name["request"].weight == DEFAULT_GROUPING.request
    assert by_name["request"].detail == "same failing request POST /api/save 500"
    assert by_name["route"].detail == "same route /account/settings"
    assert ranked[0].score >= DEFAULT_GROUPING.threshold


def test_a_signal_most_groups_share_weighs_less() -> None:
    blocked = {"network": [{"method": "POST", "url": "https://t.example/collect", "status": 0}]}
    everyone = [profile_of(report(f"problem {n}", **blocked)) for n in range(40)]
    query = profile_of(report("something else", **blocked))
    stats = stats_of(*everyone)
    match = rank(query, [Candidate(1, everyone[0], NOW)], stats, NOW)[0]
    request = next(s for s in match.signals if s.name == "request")
    assert request.weight < DEFAULT_GROUPING.request / 2
    assert "common" in request.detail


def test_failing_requests_that_differ_count_against_a_match() -> None:
    def failing(path: str) -> Profile:
        return profile_of(
            report(
                "Save fails",
                network=[{"method": "POST", "url": f"https://x.example{path}", "status": 500}],
            )
        )

    stats = stats_of(failing("/a"), failing("/b"))
    same = rank(failing("/a"), [Candidate(1, failing("/a"), NOW)], stats, NOW)[0]
    other = rank(failing("/a"), [Candidate(1, failing("/b"), NOW)], stats, NOW)[0]
    assert same.score - other.score == pytest.approx(
        DEFAULT_GROUPING.request + DEFAULT_GROUPING.mismatch_penalty
    )


def test_recency_fades_with_the_half_life() -> None:
    profile = profile_of(report("Export fails"))
    stats = stats_of(profile)
    fresh = rank(profile, [Candidate(1, profile, NOW)], stats, NOW)[0]
    old = rank(profile, [Candidate(1, profile, NOW - timedelta(days=60))], stats, NOW)[0]
    assert fresh.score - old.score == pytest.approx(DEFAULT_GROUPING.recency / 2)


def test_the_decision_joins_at_the_threshold_and_explains_itself_both_ways() -> None:
    group = profile_of(report("Settings are not saved"))
    query = profile_of(report("Settings not saved"))
    stats = stats_of(group, *(profile_of(report(f"other thing {n}")) for n in range(10)))
    joined = decide(query, [Candidate(7, group, NOW)], stats, NOW)
    assert joined.group_id == 7
    assert joined.explanation["method"] == "similar"
    assert joined.explanation["summary"].startswith("text similarity")
    strict = GroupingSettings(threshold=5.0)
    kept_apart = decide(query, [Candidate(7, group, NOW)], stats, NOW, strict)
    assert kept_apart.group_id is None
    assert kept_apart.explanation["closest_group"] == 7
    assert "< 5.00" in kept_apart.explanation["summary"]
    assert decide(query, [], stats, NOW).explanation["summary"] == (
        "new group: no open group is similar"
    )


def test_ties_go_to_the_older_group_so_replicas_decide_alike() -> None:
    profile = profile_of(report("Export fails"))
    stats = stats_of(profile)
    ranked = rank(profile, [Candidate(9, profile, NOW), Candidate(3, profile, NOW)], stats, NOW)
    assert [m.group_id for m in ranked] == [3, 9]


def test_index_tokens_are_scoped_to_the_project() -> None:
    profile = profile_of(report("Export fails", browser={"url": "https://x.example/a"}))
    one, two = index_tokens(1, profile), index_tokens(2, profile)
    assert not set(one) & set(two)
    assert all(token.isalnum() for token in one)
    assert "route:/a" in one.values()


def test_a_profile_survives_its_json_round_trip() -> None:
    profile = profile_of(
        report("Export fails", browser={"url": "https://x.example/a"}, app={"release": "1"})
    )
    assert Profile.from_json(profile.to_json()) == profile
