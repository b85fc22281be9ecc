"""Make user-written text safe to place in a ticket, a chat message or a document.

Everything a report carries (titles, descriptions, log lines, exception messages, URLs, file
names) was written by someone we do not trust. Placed raw in a tracker it could @mention people,
close or link other issues (``Fixes #1``), run GitLab quick actions (``/close``), inject markup
or links, or page a whole Slack channel. Each function here takes raw text and returns text for
one target that shows the same words and does none of that:

- GitHub / GitLab Markdown: :func:`markdown_text`, :func:`markdown_inline`,
  :func:`markdown_title`, :func:`inline_code`, :func:`url_code`, :func:`fenced_code`.
  Mentions and references are broken by a zero-width joiner after the sigil (GitHub ignores
  ``\\@``); HTML is escaped; Markdown punctuation is backslash-escaped; URLs become inline code,
  so they show but never link.
- Slack mrkdwn: :func:`slack_text`, :func:`slack_plain`.
- Telegram Bot API, HTML parse mode: :func:`telegram_text`, :func:`telegram_attr`.
- Jira ADF: :func:`adf_text` (the renderer puts it only ever into ``text`` nodes).

Shared: :func:`clean` (control characters out), :func:`truncate` (an ellipsis at a limit) and
:func:`fit` (the longest cut whose rendering stays within a limit).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

Flavour = Literal["github", "gitlab"]

ZWJ = "\u200d"
"""Zero-width joiner: invisible, and enough to stop ``@name`` or ``#12`` from matching."""
ELLIPSIS = "…"

# C0 controls but tab and newline, DEL, C1 controls, bidirectional overrides and isolates
# ("Trojan Source"), BOM, interlinear annotation marks, and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ufff9-\ufffb]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_NEWLINES = re.compile("\r\n?|[\u2028\u2029\x85]")

# Where a reference or mention may start: @user, @org/team, #12, !12, ~label, %milestone,
# $snippet, &epic (GitLab), and a word or quote right after the sigil.
_SIGILS = frozenset("@#!~%$&")
_REF_START = re.compile(r'[\w"]')
_GH_REF = re.compile(r"(?i)\b(gh-)(?=\d)")
# Characters Markdown gives a meaning to anywhere in a line (CommonMark lets any ASCII
# punctuation be backslash-escaped; these are the ones that matter).
_MD_PUNCT = frozenset("\\`*_[]|~!#${}")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_LIST_NUMBER = re.compile(r"^(\d{1,9})([.)])")
_URL = re.compile(r"(?i)\b(?:[a-z][a-z0-9+.\-]{0,30}://|www\.)[^\s]*[^\s.,;:!?'\")\]}>]")
_LANGUAGE = re.compile(r"[^A-Za-z0-9_+\-]")
_BLANK_RUNS = re.compile(r"\n{3,}")


def clean(text: str, *, single_line: bool = False) -> str:
    """Remove control characters (keeping tabs and newlines, unless ``single_line``)."""
    text = _NEWLINES.sub("\n", text)
    text = _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))
    if single_line:
        text = " ".join(text.split())
    return text


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in an ellipsis when cut."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    if len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + ELLIPSIS


def fit(text: str, limit: int, render: Callable[[str], str]) -> str:
    """``render(truncate(text, n))`` for the largest ``n`` that keeps it within ``limit``.

    Escaping only lengthens text, so cut the raw text (never an entity or an escape in half)
    and shorten the cut by the overflow until the rendering fits.
    """
    n = limit
    while True:
        out = render(truncate(text, n))
        if len(out) <= limit:
            return out
        if n == 1:
            raise ValueError(f"cannot render any of the text within {limit} characters")
        n = max(1, n - (len(out) - limit))


def _break_refs(text: str) -> str:
    """A zero-width joiner after every sigil that starts a mention or a reference."""
    out: list[str] = []
    for i, ch in enumerate(text):
        out.append(ch)
        if ch in _SIGILS and i + 1 < len(text) and _REF_START.match(text[i + 1]):
            out.append(ZWJ)
    return _GH_REF.sub(lambda m: m.group(1) + ZWJ, "".join(out))


# --- Markdown (GitHub, GitLab) ---------------------------------------------------------------


def inline_code(text: str, *, table: bool = False) -> str:
    """``text`` as one inline code span: shown verbatim, never a link, mention or reference.

    The fence is one backtick longer than any run inside. In a table cell (``table=True``) a
    pipe is escaped, as GFM requires even inside code.
    """
    text = clean(text, single_line=True)
    if not text:
        return ""
    runs = [len(run) for run in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    if text.startswith(("`", " ")) or text.endswith(("`", " ")):
        text = f" {text} "
    if table:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def url_code(url: str, *, limit: int = 500, table: bool = False) -> str:
    """A URL from user text, shown as inline code so that it never becomes a live link."""
    return inline_code(truncate(clean(url, single_line=True), limit), table=table)


def _escape_run(text: str) -> str:
    out: list[str] = []
    for ch in text:
        if ch in _HTML:
            out.append(_HTML[ch])
        elif ch in _MD_PUNCT:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def _markdown_line(line: str, table: bool) -> str:
    line = _break_refs(line.lstrip())
    parts: list[str] = []
    pos = 0
    for match in _URL.finditer(line):
        parts.append(_escape_run(line[pos : match.start()]))
        parts.append(
            url_code(match.group().replace(ZWJ, ""), limit=len(match.group()), table=table)
        )
        pos = match.end()
    parts.append(_escape_run(line[pos:]))
    out = "".join(parts)
    if out[:1] in ("-", "+", "=", "/"):  # list items, setext underlines, quick actions
        out = "\\" + out
    return _LIST_NUMBER.sub(r"\1\\\2", out)


def markdown_text(text: str, flavour: Flavour = "github", *, limit: int | None = None) -> str:
    """User text as Markdown paragraphs that show the words and nothing else.

    No mention, issue or merge-request reference, closing keyword, GitLab quick action or
    reference, HTML, heading, list, quote, table, link, image or autolink survives; URLs show
    as inline code. Line breaks are kept (both trackers render them), runs of blank lines
    are collapsed. ``flavour`` is accepted for symmetry: the rules cover both trackers.
    """
    del flavour  # one rule set is safe for both
    text = clean(text)
    if limit is not None:
        text = truncate(text, limit)
    lines = [_markdown_line(line, table=False) for line in text.split("\n")]
    return _BLANK_RUNS.sub("\n\n", "\n".join(lines)).strip("\n")


def markdown_inline(
    text: str, flavour: Flavour = "github", *, limit: int | None = None, table: bool = False
) -> str:
    """User text on one line (a list item, a table cell, a heading), neutralised."""
    del flavour
    text = clean(text, single_line=True)
    if limit is not None:
        text = truncate(text, limit)
    return _markdown_line(text, table=table)


def markdown_title(text: str, *, limit: int = 255) -> str:
    """An issue title (plain text, but trackers link references in it): one line, no live
    mention or reference, at most ``limit`` characters."""
    return fit(clean(text, single_line=True), limit, _break_refs)


def fenced_code(text: str, flavour: Flavour = "github", *, language: str = "") -> str:
    """``text`` as a fenced code block whose fence is longer than any backtick run inside.

    Inside, Markdown, mentions and references are inert. GitLab's quick-action parser only
    skips blocks fenced with exactly three backticks, so for ``gitlab`` a line that starts
    with ``/`` gets a zero-width joiner in front.
    """
    text = clean(text).strip("\n")
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    if flavour == "gitlab":
        text = re.sub(r"(?m)^(?=\s*/)", ZWJ, text)
    return f"{fence}{_LANGUAGE.sub('', language)}\n{text}\n{fence}"


# --- Slack mrkdwn ----------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    # Slack: "replace & with &amp;, < with &lt;, > with &gt;", and nothing else. With < gone
    # no <!channel>, <!here>, <!everyone>, <@U...> or <#C...> can form.
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(?=\w)", "@" + ZWJ, text)  # plain @channel, @here, @everyone, @name


def slack_text(text: str, *, limit: int = 3000, single_line: bool = False) -> str:
    """User text for a mrkdwn field: escaped as Slack says, no mention, within ``limit``."""
    return fit(clean(text, single_line=single_line), limit, _slack_escape)


def slack_plain(text: str, *, limit: int = 150) -> str:
    """User text for a ``plain_text`` object (a header): one line, no mention."""
    return fit(clean(text, single_line=True), limit, lambda t: re.sub(r"@(?=\w)", "@" + ZWJ, t))


# --- Telegram (Bot API, parse_mode HTML) -----------------------------------------------------

TELEGRAM_LIMIT = 4096


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def _telegram_escape(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"@(?=\w)", "@" + ZWJ, text)


def telegram_text(text: str, *, limit: int = TELEGRAM_LIMIT, single_line: bool = False) -> str:
    """User text for a ``sendMessage`` in HTML parse mode: ``& < >`` escaped, no mention."""
    return fit(clean(text, single_line=single_line), limit, _telegram_escape)


def telegram_attr(value: str) -> str:
    """A value for a double-quoted attribute (``href``) in Telegram HTML."""
    return _telegram_escape(clean(value, single_line=True)).replace('"', "&quot;")


# --- Jira (Atlassian Document Format) --------------------------------------------------------


def adf_text(text: str, *, limit: int | None = None, single_line: bool = False) -> str:
    """User text for an ADF ``text`` node: control characters removed, cut at ``limit``.

    ADF has no markup inside a text node: mentions, smart links and emoji are separate nodes
    the renderer never builds from user text, so nothing else needs escaping.
    """
    text = clean(text, single_line=single_line)
    return truncate(text, limit) if limit is not None else text
