"""Severity: each signal moves the level it should and its reason names it, in English and in
Russian; who reported and from where adjust the level by one step; a group escalates with the
users it affects and right after a release; the rules are validated settings."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from collector_server.pipeline.severity import (
    CRITICAL_WORDS,
    DEFAULT_RULES,
    HIGH_WORDS,
    LEVELS,
    LOW_WORDS,
    GroupFacts,
    Severity,
    SeverityRules,
    Words,
    _needle,
    assess_severity,
    group_severity,
    rank,
)
from sdk.models import Report

TS = "2026-11-25T10:00:00Z"
HOUR = 3600.0


def make(**fields: Any) -> Report:
    return Report.model_validate({"id": str(uuid.uuid4()), "created_at": TS, **fields})


def bug(title: str = "The export page", **fields: Any) -> Report:
    return make(title=title, **fields)


def facts(**fields: Any) -> GroupFacts:
    values: dict[str, Any] = {
        "reports": 1,
        "users_affected": 1,
        "active_reporters": 0,
        "new_group": False,
        "release_age_seconds": None,
        "first_release": False,
    }
    return GroupFacts(**{**values, **fields})


# One report: the signals


def test_rank_orders_the_levels_and_takes_unknown_as_low() -> None:
    assert [rank(level) for level in LEVELS] == [0, 1, 2, 3]
    assert rank("urgent") == 0


def test_a_plain_bug_is_medium_and_feedback_low() -> None:
    assert assess_severity(bug()) == Severity("medium", ["default level for a bug report"])
    assert assess_severity(bug(kind="feedback")) == Severity("low", ["feedback, not a defect"])


@pytest.mark.parametrize(
    ("fields", "level", "reason"),
    [
        ({"kind": "crash"}, "high", "the app crashed (unhandled exception)"),
        (
            {"exception": {"type": "KeyError", "handled": False}},
            "high",
            "the app crashed (unhandled KeyError)",
        ),
        ({"impact": "blocks_work"}, "high", "the reporter says it blocks their work"),
        (
            {"kind": "feedback", "exception": {"type": "KeyError"}},
            "medium",
            "an exception was attached (KeyError)",
        ),
        (
            {
                "kind": "feedback",
                "network": [{"method": "POST", "url": "/api/save", "status": 500}],
            },
            "medium",
            "server error POST /api/save 500",
        ),
        (
            {
                "kind": "feedback",
                "network": [
                    {"method": "GET", "url": "/api/cart", "status": 404},
                    {"method": "POST", "url": "/api/save", "status": 502},
                    {"method": "POST", "url": "/api/save", "status": 503},
                ],
            },
            "medium",
            "2 server errors, the first POST /api/save 502",
        ),
        (
            {"kind": "feedback", "logs": [{"timestamp": TS, "level": "error"}]},
            "medium",
            "1 error-level log record",
        ),
        (
            {
                "kind": "feedback",
                "logs": [
                    {"timestamp": TS, "level": level}
                    for level in ("info", "error", "warning", "critical", "error")
                ],
            },
            "medium",
            "3 error-level log records",
        ),
        ({"impact": "cosmetic"}, "low", "the reporter says it is cosmetic"),
    ],
)
def test_each_signal_sets_the_level_and_names_itself(
    fields: dict[str, Any], level: str, reason: str
) -> None:
    severity = assess_severity(bug(**fields))
    assert severity.level == level
    assert severity.reasons == [reason]


def test_a_4xx_and_warnings_raise_nothing() -> None:
    report = bug(
        kind="feedback",
        network=[
            {"method": "GET", "url": "/api/cart", "status": 404},
            {"method": "GET", "url": "/x"},
        ],
        logs=[{"timestamp": TS, "level": "warning"}],
    )
    assert assess_severity(report) == Severity("low", ["feedback, not a defect"])


def test_the_reasons_are_those_of_every_rule_at_the_top_level() -> None:
    severity = assess_severity(
        bug(
            kind="crash",
            impact="blocks_work",
            exception={"type": "E", "handled": False},
            logs=[{"timestamp": TS, "level": "error"}],
        )
    )
    assert severity.level == "high"
    assert severity.reasons == [
        "the app crashed (unhandled E)",
        "the reporter says it blocks their work",
    ]


def test_a_signal_above_the_floor_replaces_the_floor_reason() -> None:
    severity = assess_severity(bug("A typo on the pricing page", impact="blocks_work"))
    assert severity == Severity("high", ["the reporter says it blocks their work"])


# One report: what the reporter wrote


@pytest.mark.parametrize(
    ("title", "level", "phrase"),
    [
        ("crash when scrolling", "critical", "crash"),
        ("App crashes on save", "critical", "crashes"),
        ("Hang on startup", "critical", "hang"),
        ("The editor freezes after paste", "critical", "freezes"),
        ("data loss when saving", "critical", "data loss"),
        ("I lost all my data", "critical", "lost all my data"),
        ("All my notes are gone after the update", "critical", "all my notes are gone"),
        ("Charged twice for one order", "critical", "charged twice"),
        ("Payment fails with a valid card", "critical", "payment fails"),
        ("XSS in the comment field", "critical", "xss"),
        ("SQL injection in search", "critical", "sql injection"),
        ("Приложение падает при сохранении", "critical", "падает"),
        ("Вылетает после обновления", "critical", "вылетает"),
        ("Всё зависает на главной", "critical", "зависает"),
        ("Я потерял все данные", "critical", "потерял все данные"),
        ("Исчезли файлы после синхронизации", "critical", "исчезли файлы"),
        ("Оплата не проходит", "critical", "оплата не"),
        ("Деньги списали дважды", "critical", "списали дважды"),
        ("Уязвимость в форме входа", "critical", "уязвимость"),
        ("can't log in", "high", "can't log in"),
        ("Can’t log in with Google", "high", "can't log in"),  # a typographic apostrophe
        ("Cannot sign in after password reset", "high", "cannot sign in"),
        ("Login fails on Safari", "high", "login fails"),
        ("Unable to upload an avatar", "high", "unable to"),
        ("Export doesn't work", "high", "doesn't work"),
        ("Settings are not saved", "high", "not saved"),
        ("Не могу войти в аккаунт", "high", "не могу войти"),
        ("Не сохраняются настройки", "high", "не сохраняются"),
        ("Ничего не работает на странице заказа", "high", "не работает"),
        ("Не удаётся загрузить файл", "high", "не удается"),  # ё is read as е
        ("Вход не работает", "high", "вход не работает"),
        ("Потерял доступ к аккаунту", "high", "потерял доступ"),  # not data loss
        ("typo in dialog", "low", "typo"),
        ("Misspelled word on the pricing page", "low", "misspelled"),
        ("Button label is misaligned", "low", "label"),
        ("Wrong color of the tooltip", "low", "color"),
        ("Опечатка в меню", "low", "опечатка"),
        ("Неправильный цвет кнопки", "low", "цвет"),
    ],
)
def test_words_in_the_title_set_the_level_and_are_quoted(
    title: str, level: str, phrase: str
) -> None:
    severity = assess_severity(bug(title))
    assert severity.level == level
    assert len(severity.reasons) == 1
    assert f"'{phrase}'" in severity.reasons[0]
    assert severity.reasons[0].startswith("the title says")


def test_the_reason_says_which_kind_of_words_matched() -> None:
    assert assess_severity(bug("crash when scrolling")).reasons == [
        "the title says 'crash' (critical-level words)"
    ]
    assert assess_severity(bug("Не могу войти")).reasons == [
        "the title says 'не могу войти' (high-level words)"  # not 'не могу' again inside it
    ]
    assert assess_severity(bug("typo in dialog")).reasons == [
        "the title says 'typo' (words for a cosmetic problem)"
    ]


def test_severe_words_in_the_description_count_too() -> None:
    severity = assess_severity(
        bug("Settings page", description="После обновления я потерял все данные профиля.")
    )
    assert severity == Severity(
        "critical", ["the description says 'потерял все данные' (critical-level words)"]
    )


def test_cosmetic_words_count_in_the_title_only_unless_there_is_none() -> None:
    incidental = bug("Export page", description="I picked the red color and pressed Export.")
    assert assess_severity(incidental).level == "medium"
    untitled = make(description="There is a typo on the pricing page")
    assert assess_severity(untitled) == Severity(
        "low", ["the description says 'typo' (words for a cosmetic problem)"]
    )


def test_a_severe_word_outweighs_a_cosmetic_one() -> None:
    assert assess_severity(bug("Crash when the tooltip shows")).level == "critical"


def test_words_are_matched_as_stems_not_inside_other_words() -> None:
    assert assess_severity(bug("Changing the label colours")).level == "low"
    assert assess_severity(bug("Add a hangout link")).level == "medium"  # not 'hang'
    assert assess_severity(bug("Scancode table")).level == "medium"  # not "can't"
    assert assess_severity(bug("Пропала кнопка «Сохранить»")).level == "medium"  # no data lost


# One report: who reported and from where


@pytest.mark.parametrize(
    ("user", "level", "reason"),
    [
        ({"segment": "vip"}, "high", "reporter's segment 'vip' (VIP): one level up"),
        ({"segment": "VIP "}, "high", "reporter's segment 'VIP ' (VIP): one level up"),
        (
            {"plan": "enterprise"},
            "high",
            "reporter's plan 'enterprise' (paying customer): one level up",
        ),
        ({"plan": "free"}, "medium", None),
        ({"plan": "Trial"}, "medium", None),
        ({"segment": "beta"}, "medium", None),
        ({"id": "u1"}, "medium", None),
    ],
)
def test_a_vip_or_a_paying_customer_goes_one_level_up(
    user: dict[str, str], level: str, reason: str | None
) -> None:
    severity = assess_severity(bug(user=user))
    assert severity.level == level
    expected = ["default level for a bug report"] + ([reason] if reason else [])
    assert severity.reasons == expected


def test_a_vip_who_also_pays_goes_up_once() -> None:
    severity = assess_severity(bug(user={"segment": "vip", "plan": "enterprise"}))
    assert severity == Severity(
        "high",
        ["default level for a bug report", "reporter's segment 'vip' (VIP): one level up"],
    )


def test_the_step_up_stops_at_critical_and_says_so() -> None:
    severity = assess_severity(bug("Crash on checkout", user={"plan": "pro"}))
    assert severity.level == "critical"
    assert severity.reasons[-1] == (
        "reporter's plan 'pro' (paying customer): one level up (already critical)"
    )


@pytest.mark.parametrize(
    "environment", ["staging", "Staging", "dev", "development", "test", "qa", "local", "preview"]
)
def test_a_non_production_report_goes_one_level_down(environment: str) -> None:
    severity = assess_severity(bug(kind="crash", app={"environment": environment}))
    assert severity.level == "medium"
    assert severity.reasons == [
        "the app crashed (unhandled exception)",
        f"{environment} environment: one level down",
    ]


@pytest.mark.parametrize("app", [{"environment": "production"}, {"environment": "prod"}, {}, None])
def test_production_or_no_environment_leaves_the_level(app: dict[str, str] | None) -> None:
    assert assess_severity(bug(kind="crash", app=app)).level == "high"


def test_the_step_down_stops_at_low_and_says_so() -> None:
    severity = assess_severity(bug(kind="feedback", app={"environment": "staging"}))
    assert severity == Severity(
        "low", ["feedback, not a defect", "staging environment: one level down (already low)"]
    )


def test_a_vip_on_staging_stays_where_the_rules_put_it() -> None:
    severity = assess_severity(
        bug(kind="crash", user={"segment": "vip"}, app={"environment": "staging"})
    )
    assert severity == Severity(
        "high",
        [
            "the app crashed (unhandled exception)",
            "reporter's segment 'vip' (VIP): one level up",
            "staging environment: one level down",
        ],
    )


# A group


def test_a_group_keeps_its_worst_report_without_other_facts() -> None:
    worst = Severity("medium", ["default level for a bug report"])
    assert group_severity(worst, facts(reports=3, users_affected=3)) == worst


@pytest.mark.parametrize(("users", "level"), [(9, "medium"), (10, "high"), (12, "high")])
def test_ten_users_make_a_group_high(users: int, level: str) -> None:
    worst = Severity("medium", ["default level for a bug report"])
    severity = group_severity(worst, facts(reports=users, users_affected=users))
    assert severity.level == level
    if level == "high":
        assert severity.reasons == [f"{users} users affected (threshold 10)"]


def test_the_users_reason_joins_the_worst_reasons_at_the_same_level() -> None:
    worst = Severity("high", ["the app crashed (unhandled KeyError)"])
    severity = group_severity(worst, facts(users_affected=12))
    assert severity == Severity(
        "high", ["the app crashed (unhandled KeyError)", "12 users affected (threshold 10)"]
    )


def test_a_higher_worst_report_keeps_its_own_reasons() -> None:
    worst = Severity("critical", ["the title says 'crash' (critical-level words)"])
    assert group_severity(worst, facts(users_affected=12)) == worst


@pytest.mark.parametrize(
    ("users", "active", "level"),
    [
        (20, 200, "critical"),  # 10 % of 200
        (19, 200, "high"),  # 9.5 %: only the count rule
        (6, 50, "critical"),  # 12 % of the least number of active reporters
        (6, 49, "medium"),  # too few active reporters for the share to mean anything
        (6, 0, "medium"),  # active reporters unknown
    ],
)
def test_a_share_of_the_active_reporters_makes_a_group_critical(
    users: int, active: int, level: str
) -> None:
    worst = Severity("medium", ["default level for a bug report"])
    severity = group_severity(worst, facts(users_affected=users, active_reporters=active))
    assert severity.level == level
    if level == "critical":
        assert severity.reasons == [
            f"{users} users affected, {users / active:.0%} of {active} active reporters "
            "(threshold 10%)"
        ]


def test_a_share_exactly_at_the_threshold_counts() -> None:
    rules = SeverityRules(users_share_min_active=20)
    worst = Severity("medium", ["default level for a bug report"])
    severity = group_severity(worst, facts(users_affected=3, active_reporters=30), rules)
    assert severity == Severity(
        "critical", ["3 users affected, 10% of 30 active reporters (threshold 10%)"]
    )  # 0.1 * 30 is 3.0000000000000004 in floating point: the share is compared instead
    assert group_severity(worst, facts(users_affected=2, active_reporters=30), rules) == worst


def test_a_new_group_right_after_a_release_is_a_regression() -> None:
    worst = Severity("medium", ["default level for a bug report"])
    severity = group_severity(
        worst, facts(new_group=True, release_age_seconds=3 * HOUR, release="2.4.1")
    )
    assert severity == Severity(
        "high", ["new problem right after release 2.4.1 (first seen 3 h after it)"]
    )
    unnamed = group_severity(worst, facts(new_group=True, release_age_seconds=90))
    assert unnamed.reasons == ["new problem right after a release (first seen 90 s after it)"]


@pytest.mark.parametrize(
    "fields",
    [
        {"new_group": True, "release_age_seconds": 25 * HOUR},  # outside the window
        {"new_group": True, "release_age_seconds": 3 * HOUR, "first_release": True},
        {"new_group": True, "release_age_seconds": None},  # release unknown
        {"new_group": False, "release_age_seconds": 3 * HOUR},  # an old group growing
    ],
)
def test_no_regression_outside_the_window_or_on_the_first_release(fields: dict[str, Any]) -> None:
    worst = Severity("medium", ["default level for a bug report"])
    assert group_severity(worst, facts(**fields)) == worst


def test_the_group_rules_follow_the_project_settings() -> None:
    rules = SeverityRules(
        users_affected_high=3,
        users_share_critical=0,
        regression_window_hours=48,
        regression_level="critical",
    )
    worst = Severity("low", ["feedback, not a defect"])
    assert group_severity(worst, facts(users_affected=3), rules).level == "high"
    assert group_severity(worst, facts(users_affected=50, active_reporters=100), rules).level == (
        "high"
    )
    regression = facts(new_group=True, release_age_seconds=30 * HOUR, release="3.0")
    assert group_severity(worst, regression, rules).level == "critical"
    off = SeverityRules(users_affected_high=0, regression_window_hours=0)
    assert group_severity(worst, facts(users_affected=500), off).level == "low"
    assert group_severity(worst, regression, off).level == "low"
    at_once = facts(new_group=True, release_age_seconds=0.0, release="3.0")
    assert group_severity(worst, at_once, off).level == "low"


# The rules as settings


def test_the_defaults_are_the_documented_ones() -> None:
    rules = SeverityRules.model_validate({})
    assert rules == DEFAULT_RULES
    assert rules.users_affected_high == 10
    assert rules.users_share_critical == 0.10
    assert rules.regression_window_hours == 24
    assert rules.vip_segments == ("vip",)
    assert rules.free_plans == ("free", "trial")
    assert "staging" in rules.non_production_environments


def test_the_rules_survive_a_round_trip_through_json() -> None:
    rules = SeverityRules.model_validate({"vip_segments": ["Gold"], "extra_low_words": ["blurry"]})
    assert SeverityRules.model_validate(rules.model_dump(mode="json")) == rules
    assert rules.vip_segments == ("gold",)  # compared case-folded


def test_extra_words_add_to_the_built_in_list_and_replacing_drops_it() -> None:
    extended = SeverityRules(extra_critical_words=(r"\brefund",))
    assert assess_severity(bug("Refund never arrived"), extended).level == "critical"
    assert assess_severity(bug("crash on start"), extended).level == "critical"
    replaced = SeverityRules(critical_words=(r"\brefund",))
    assert assess_severity(bug("Refund never arrived"), replaced).level == "critical"
    assert assess_severity(bug("crash on start"), replaced).level == "medium"
    assert DEFAULT_RULES.critical_words == CRITICAL_WORDS


def test_the_levels_of_the_report_signals_are_settings() -> None:
    rules = SeverityRules(crash_level="critical", server_errors_level="high")
    assert assess_severity(bug(kind="crash"), rules).level == "critical"
    report = bug(network=[{"method": "POST", "url": "/api/save", "status": 500}])
    assert assess_severity(report, rules).level == "high"


def test_segments_plans_and_environments_are_settings() -> None:
    rules = SeverityRules(
        vip_segments=("gold",),
        free_plans=("free", "starter"),
        paying_customers_up=False,
        vip_plans=("partner",),
        non_production_environments=("canary",),
    )
    assert assess_severity(bug(user={"segment": "vip"}), rules).level == "medium"
    assert assess_severity(bug(user={"segment": "Gold"}), rules).level == "high"
    assert assess_severity(bug(user={"plan": "enterprise"}), rules).level == "medium"
    assert assess_severity(bug(user={"plan": "partner"}), rules).level == "high"
    assert assess_severity(bug(app={"environment": "staging"}), rules).level == "medium"
    assert assess_severity(bug(app={"environment": "canary"}), rules).level == "low"


@pytest.mark.parametrize("name", ["critical_words", "extra_high_words", "low_words"])
def test_a_bad_regular_expression_is_an_error_naming_the_field(name: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SeverityRules.model_validate({name: [r"\bok", "(unclosed"]})
    (error,) = caught.value.errors()
    assert error["loc"] == (name,)
    assert f"{name}[1]: '(unclosed' is not a valid regular expression" in error["msg"]


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"users_affected_hgh": 5}, "users_affected_hgh"),
        ({"users_share_critical": 1.5}, "users_share_critical"),
        ({"users_affected_high": -1}, "users_affected_high"),
        ({"crash_level": "urgent"}, "crash_level"),
        ({"vip_segments": "vip"}, "vip_segments"),
    ],
)
def test_bad_settings_are_errors_naming_the_field(settings: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SeverityRules.model_validate(settings)
    assert [error["loc"][0] for error in caught.value.errors()] == [field]


def test_the_rules_cannot_be_changed_after_validation() -> None:
    with pytest.raises(ValidationError):
        DEFAULT_RULES.users_affected_high = 1  # type: ignore[misc]


@pytest.mark.parametrize("pattern", ["XSS", r"\bRefund", "[A-Z]{3}-\\d+"])
def test_a_pattern_with_upper_case_letters_is_an_error_naming_the_field(pattern: str) -> None:
    with pytest.raises(ValidationError) as caught:
        SeverityRules.model_validate({"extra_critical_words": [pattern]})
    (error,) = caught.value.errors()
    assert error["loc"] == ("extra_critical_words",)
    assert "extra_critical_words[0]" in error["msg"]
    assert "case-folded before matching" in error["msg"]


@pytest.mark.parametrize(
    "pattern", [r"(?i)\bXSS\b", r"\W\S\D\bxss", r"(?P<Word>xss)", r"\N{EM DASH}"]
)
def test_upper_case_escapes_group_names_and_the_i_flag_are_allowed(pattern: str) -> None:
    rules = SeverityRules(extra_critical_words=(pattern,))
    assert rules.extra_critical_words == (pattern,)


# The prefilter: a pattern is skipped only when it cannot match


@pytest.mark.parametrize(
    ("pattern", "needle"),
    [
        (r"\bcrash", "crash"),
        (r"\bcolou?rs?\b", "colo"),  # an optional letter ends the run
        (r"\bnit(pick)?s?\b", "nit"),
        (r"\bfail\.", "fail."),  # an escaped symbol is itself
        (r"[abc]def", "def"),
        (r"x{2}yz", "yz"),
        (r"ab+c", "a"),  # "abbc" has no "abc": the run stops before a repeated letter
        (r"crash|hang", ""),  # a top-level alternative: no one string is in every match
        (r"(?i)crash", ""),
        (r"(?x) c r a s h", ""),
        (r"\b(can't|cannot)\b", ""),
        (r"\bне (могу|можем) войти", " войти"),
    ],
)
def test_the_needle_is_a_string_every_match_contains(pattern: str, needle: str) -> None:
    assert _needle(pattern) == needle


BUILT_IN = (*CRITICAL_WORDS, *HIGH_WORDS, *LOW_WORDS)


@settings(max_examples=300, deadline=None)
@given(case=st.sampled_from(BUILT_IN).flatmap(lambda p: st.tuples(st.just(p), st.from_regex(p))))
def test_the_prefilter_never_skips_a_built_in_pattern_that_matches(case: tuple[str, str]) -> None:
    pattern, text = case  # text: a string with a match of pattern somewhere in it
    assert Words([pattern]).find(text) != ""
