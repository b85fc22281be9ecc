import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collector_server.forwarders.neutralise import (
    ZWJ,
    adf_text,
    clean,
    fenced_code,
    fit,
    inline_code,
    markdown_inline,
    markdown_text,
    markdown_title,
    slack_plain,
    slack_text,
    telegram_attr,
    telegram_text,
    truncate,
    url_code,
    utf16_len,
)

# Live patterns, checked outside our own code spans.
MENTION = re.compile(r"@\w")
REFERENCE = re.compile(r"(?:^|[^\w])(?:[#!$]\d|[~%]\w|[~%]\"|&(?!amp;|lt;|gt;)\w)|(?i:\bgh-\d)")
QUICK_ACTION = re.compile(r"(?m)^\s*/\w")
AUTOLINK = re.compile(r"(?i)(?<!\w)(?:(?:https?|ftp)://\w|www\.\w)")
CODE_SPAN = re.compile(r"(?<!\\)(`+)(?!`).*?(?<!`)\1(?!`)")


def outside_code(markdown: str) -> str:
    return CODE_SPAN.sub(" ", markdown.replace("\\\\", "\N{REPLACEMENT CHARACTER}"))


def assert_inert_markdown(out: str) -> None:
    text = outside_code(out)
    assert not MENTION.search(text), out
    assert not REFERENCE.search(text), out
    assert not QUICK_ACTION.search(text), out
    assert not AUTOLINK.search(text), out
    assert "<" not in text
    assert not re.search(r"(?<!\\)[\[\]|*_#!~]", text.replace(ZWJ, "")), out
    assert not re.search(r"(?m)^(?:[-+=>]|\d+[.)])", text), out


ATTACKS = [
    "@octocat please look",
    "cc @bugrelay/maintainers",
    "Fixes #1",
    "closes owner/repo#2",
    "RESOLVED GH-3",
    "fixed: https://github.com/owner/repo/issues/4",
    "/close\n/assign @me",
    'see !12 and ~bug and ~"needs review" and %v1.0 and $7 and &8',
    "<script>alert(1)</script><img src=x onerror=alert(1)>",
    "<details><summary>x</summary>",
    "[click](https://evil.example/) ![pic](https://evil.example/x.png)",
    "# Heading\n> quote\n- item\n* item\n+ item\n1. first\n2) second\n---\n===",
    "| a | b |\n|---|---|",
    "<https://evil.example> www.evil.example http://evil.example/?a=1",
    "&#64;octocat &commat;octocat",
    "    indented code",
    "``` \n/close\n```",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_markdown_text_neutralises_attacks(attack: str) -> None:
    assert_inert_markdown(markdown_text(attack, "github"))
    assert_inert_markdown(markdown_text(attack, "gitlab"))
    assert_inert_markdown(markdown_inline(attack, table=True))


def test_mention_gets_a_zero_width_joiner_not_a_backslash() -> None:
    out = markdown_text("hi @octocat and @org/team")
    assert f"@{ZWJ}octocat" in out
    assert f"@{ZWJ}org/team" in out
    assert "\\@" not in out  # GitHub ignores \@


def test_references_are_broken_after_the_sigil() -> None:
    out = markdown_text("Fixes #1, closes owner/repo#2, GH-3")
    assert f"#{ZWJ}1" in out
    assert f"#{ZWJ}2" in out
    assert f"GH-{ZWJ}3" in out


def test_words_still_read_the_same() -> None:
    out = markdown_text("Fixes #1 <b>now</b> [x](y)")
    unescaped = re.sub(r"\\(.)", r"\1", out.replace(ZWJ, ""))
    assert unescaped == "Fixes #1 &lt;b&gt;now&lt;/b&gt; [x](y)"


def test_gitlab_quick_action_is_escaped() -> None:
    out = markdown_text("/close\n  /assign @me", "gitlab")
    assert out.splitlines() == ["\\/close", f"\\/assign @{ZWJ}me"]


def test_urls_become_inline_code() -> None:
    out = markdown_text("go to https://evil.example/a_b?x=1. Then stop")
    assert "`https://evil.example/a_b?x=1`." in out
    assert url_code("https://x.example/`a`") == "`` https://x.example/`a` ``"


def test_html_entities_cannot_smuggle_a_mention() -> None:
    out = markdown_text("&#64;octocat")
    assert out == f"&amp;\\#{ZWJ}64;octocat"


def test_inline_code_fence_is_longer_than_any_run() -> None:
    assert inline_code("a ``b`` c") == "```a ``b`` c```"
    assert inline_code("a|b", table=True) == "`a\\|b`"
    assert inline_code("") == ""


def test_fenced_code_fence_is_longer_than_any_run() -> None:
    out = fenced_code("before\n`````\ninside\n`````", language="text")
    assert out.startswith("``````text\n")
    assert out.endswith("\n``````")
    assert fenced_code("x").startswith("```\n")


def test_fenced_code_breaks_quick_actions_for_gitlab() -> None:
    out = fenced_code("/close\n/usr/lib/x.py", "gitlab")
    assert QUICK_ACTION.search(out) is None
    assert fenced_code("/close", "github") == "```\n/close\n```"


def test_control_characters_are_removed() -> None:
    assert clean("a\x00b\x1bc\u202ed\r\ne\x7f\x85f") == "abcd\ne\nf"
    assert clean("a\n\tb  c", single_line=True) == "a b c"
    assert clean("\ud800x") == "\ufffdx"


def test_truncate_adds_an_ellipsis() -> None:
    assert truncate("abcdef", 4) == "abc…"
    assert truncate("abc", 3) == "abc"
    with pytest.raises(ValueError, match="at least 1"):
        truncate("abc", 0)


def test_fit_never_cuts_an_entity() -> None:
    out = slack_text("<" * 100, limit=20)
    assert len(out) <= 20
    assert re.fullmatch(r"(&lt;)*…", out)


def test_markdown_limit() -> None:
    out = markdown_text("x" * 50, limit=10)
    assert out == "x" * 9 + "…"


def test_markdown_title() -> None:
    title = markdown_title("Crash @here #12\nsecond line" + "x" * 300)
    assert len(title) <= 255
    assert "\n" not in title
    assert not MENTION.search(title)
    assert "#12" not in title


@pytest.mark.parametrize(
    "attack", ["<!channel>", "<!here|here>", "<!everyone>", "<@U123ABC>", "<#C123|general>"]
)
def test_slack_special_mentions_are_escaped(attack: str) -> None:
    out = slack_text(f"hey {attack} &")
    assert "<" not in out
    assert ">" not in out
    assert out.endswith("&amp;")


def test_slack_plain_mentions() -> None:
    for word in ("@channel", "@here", "@everyone"):
        assert f"@{ZWJ}" in slack_text(word)
        assert f"@{ZWJ}" in slack_plain(word)
    assert len(slack_plain("x" * 500)) <= 150


def test_telegram_escapes_and_limit() -> None:
    assert telegram_text("a<b>&c @bob") == f"a&lt;b&gt;&amp;c @{ZWJ}bob"
    assert telegram_attr('https://x/?a="1"&b') == "https://x/?a=&quot;1&quot;&amp;b"
    assert utf16_len(telegram_text("😀" * 5000)) <= 4096 * 2
    assert len(telegram_text("<" * 5000)) <= 4096


def test_adf_text_removes_controls_only() -> None:
    assert adf_text("<b>@me</b>\x00") == "<b>@me</b>"
    assert adf_text("a\nb", single_line=True) == "a b"
    assert adf_text("abcdef", limit=3) == "ab…"


def test_fit_reports_an_impossible_limit() -> None:
    with pytest.raises(ValueError, match="cannot render"):
        fit("abc", 1, lambda t: t * 5)


PIECES = st.sampled_from(
    [
        "@", "#", "!", "~", "%", "$", "&", "GH-", "gh-", "owner/repo", "1", "42", "abc", "_",
        " ", "\n", "fixes ", "Closes ", "/close", "/", "<", ">", "[", "]", "(", ")", "`", "``",
        "*", "|", "-", "+", "=", ".", "\\", '"', "http://x.io", "https://", "www.", "a.b",
        "<!channel>", "<@U1>", "@here", "é", "Ж", "\x00", "\u202e", "\t", ZWJ, "&#64;", ":",
    ]
)  # fmt: skip
HOSTILE = st.lists(PIECES, max_size=40).map("".join)


@given(HOSTILE)
def test_property_markdown_never_live(text: str) -> None:
    assert_inert_markdown(markdown_text(text, "github"))
    assert_inert_markdown(markdown_text(text, "gitlab"))
    assert_inert_markdown(markdown_inline(text, table=True))


@given(HOSTILE)
def test_property_title_never_live(text: str) -> None:
    title = markdown_title(text)
    assert not MENTION.search(title)
    assert not re.search(r"[#!$]\d|(?i:\bgh-\d)", title)


@given(st.one_of(HOSTILE, st.text()))
def test_property_chat_never_live(text: str) -> None:
    for out in (slack_text(text), telegram_text(text)):
        assert "<" not in out
        assert ">" not in out
        assert not MENTION.search(out)
        assert not re.search(r"&(?!amp;|lt;|gt;)", out)


@given(st.text())
def test_property_clean_output_has_no_controls(text: str) -> None:
    out = clean(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", out)
    assert_inert_markdown(markdown_text(text))
