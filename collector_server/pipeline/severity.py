"""Severity: a level a support lead would agree with, and the reasons that produced it.

Two steps, both pure functions of what they are given:

1. :func:`assess_severity` rates one report from what it carries: an unhandled crash, an attached
   exception, error-level logs and 5xx responses in its trail, what the reporter said (``impact``,
   and words for crashes, data loss, security, payments, sign-in and "cannot" in the title and
   description, in English and Russian), then moves the level one step up for a VIP or a paying
   customer and one step down for a report from a non-production environment.
2. :func:`group_severity` rates a group from its most severe report and the facts the store
   knows (:class:`GroupFacts`): how many users it affects, alone and as a share of the project's
   active reporters, and whether it is a new problem that appeared right after a release. The
   store calls it again whenever the group grows.

The level is the highest level any rule gives, then the adjustments; the reasons are readable
sentences naming the rules that set the level and each adjustment ("12 users affected (threshold
10)", "staging environment: one level down"). Every word list and threshold is a field of
:class:`SeverityRules`, the ``[severity]`` section of a project's settings (docs/pipeline.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationInfo, field_validator

from sdk.models import Report

Level = Literal["low", "medium", "high", "critical"]
LEVELS: tuple[Level, ...] = ("low", "medium", "high", "critical")


def rank(level: str) -> int:
    return LEVELS.index(level) if level in LEVELS else 0


@dataclass(frozen=True, slots=True)
class Severity:
    level: Level
    reasons: list[str] = field(default_factory=list)


# The built-in word lists: regular expressions over the case-folded text, in which "’" is "'" and
# "ё" is "е" (see _normalise). Stems, not whole words, so that "crashes", "crashed", "падает",
# "упало" and "не сохраняются" all match. Words a support lead would pick, grouped by what they
# name; a project replaces a list (critical_words = [...]) or adds to it (extra_critical_words).
_EN_DATA = (  # what English reporters say was lost
    r"\b(data|work|files?|changes|documents?|messages?|emails?|photos?|orders?|progress|"
    r"everything|all|every)\b"
)
_RU_DATA = (  # what Russian reporters say was lost: data, files, documents, work, everything
    r"\b(данн|файл|документ|работ|запис|изменени|фото|заказ|сообщени|письм|заметк|настройк|"
    r"проект|истори|все\b)"
)
_CANNOT = r"\b(can't|cannot|can not|cant|unable to|could not|couldn't)"

CRITICAL_WORDS: tuple[str, ...] = (
    # the app stops: crashes, hangs, freezes
    r"\bcrash",
    r"\bsegfault",
    r"\bsegmentation (fault|violation)",
    r"\bassertion( failure| failed|:)",
    r"\bassert(ion)? fail",
    r"\bpanic(s|ked)?\b",
    r"\bhang(s|ing)?\b",
    r"\bhung\b",
    r"\bfreez",
    r"\bfroze",
    r"\bdeadlock",
    r"\binfinite loop",
    r"\bstuck in (an? )?(endless |infinite )?loop",
    r"\bnot responding\b",
    r"\bunresponsive\b",
    r"\block(s|ed)? up\b",
    r"\blockup",
    r"\bout of memory\b",
    r"\bпада(ет|ют|ло|ю)",
    r"\bупа(л|ла|ло|ли)\b",
    r"\bвылета",
    r"\bвылет(ел|ела|ело|ели)\b",
    r"\bкраш",
    r"\bкрэш",
    r"\bкреш",
    r"аварийн\w* (заверш|закры)",
    r"\bзавис",
    r"\bподвиса",
    r"\bзамерза",
    r"не отвечает",
    # data loss
    r"\bdata[ -]?loss",
    rf"\blos(e|es|t|ing)\b.{{0,20}}{_EN_DATA}",
    *(rf"{_EN_DATA}.{{0,20}}\b{verb}\b" for verb in ("lost", "gone", "disappeared", "vanished")),
    r"\bcorrupt",
    r"\bwip(e|es|ed|ing) (out )?(all|my|the|our)\b",
    r"\bdelet(es|ed|ing) (all|every)",
    *(rf"\b{verb}\w*\b.{{0,30}}{_RU_DATA}" for verb in ("потер", "пропа", "исчез", "удал", "стер")),
    *(rf"{_RU_DATA}\w*\b.{{0,30}}\b{verb}" for verb in ("потер", "пропа", "исчез", "удал", "стер")),
    r"\bповрежд",
    r"\bбит(ый|ые|ая) файл",
    # security
    r"\bvulnerab",
    r"\bexploit",
    r"\bxss\b",
    r"\bcross[- ]site",
    r"\bcsrf\b",
    r"\b(sql|code|command|script) injection",
    r"\bremote code",
    r"\b(buffer|heap|stack) overflow",
    r"\b(buffer|heap|stack) overrun",
    r"\buse[- ]after[- ]free",
    r"\bdouble[- ]free",
    r"\bprivilege escalation",
    r"\bsecurity (hole|bug|flaw|breach|issue|problem)",
    r"\bdata (leak|breach)",
    *(
        rf"\b(reveal|expos|leak)\w*\b.{{0,30}}\b{what}"
        for what in ("password", "credential", "token", "personal data", "customer data")
    ),
    r"\bуязвим",
    r"\bвзлом",
    r"\bутечк\w* (данн|парол|лич)",
    # payments
    r"\bcharged (twice|two times|double|again|\d+ times)",
    r"\bdouble[- ]charg",
    r"\bpayments? (fail|declin|(is |are )?not|doesn|don|won|can)",
    *(rf"{_CANNOT} {what}\b" for what in ("pay", "checkout", "check out", "purchase", "buy")),
    r"\bcheckout (fail|is broken|broken|doesn|does not|not)",
    r"\bоплат\w* (не|невозможн)",
    *(
        rf"\bне (могу|можем|получается|удается|проходит) {what}"
        for what in ("оплат", "купить", "заплатить")
    ),
    r"\bсписал\w* (дважды|два раза|повторно)",
    r"\bдвойн\w* списан",
    r"\bденьги списал",
)
"""Words for a critical problem: the app stops, data is lost, security, payments."""

HIGH_WORDS: tuple[str, ...] = (
    # sign-in
    rf"{_CANNOT} log ?(in|on)\b",
    rf"{_CANNOT} sign ?(in|on)\b",
    r"\blog[- ]?(in|on) (fail|is broken|broken|does|doesn|not|no longer)",
    r"\bsign[- ]?(in|on) (fail|is broken|broken|does|doesn|not|no longer)",
    r"\blocked out\b",
    r"\b(lost|no) access\b",
    *(
        rf"\bне (могу|можем|может|получается|удается|пускает) {what}"
        for what in ("войти", "зайти", "залогин", "авториз")
    ),
    r"\b(вход|авторизаци\w*|логин) не работа",
    r"\b(потерял\w*|нет) доступ",
    # cannot, does not work, fails
    r"\bcan(no|')?t\b",
    r"\bcan not\b",
    r"\bunable to\b",
    r"\b(doesn't|does not|don't|do not|won't|will not|isn't|is not|aren't|are not) work",
    r"\bnot working\b",
    r"\bno longer works?\b",
    r"\bstopped working\b",
    r"\bbroken\b",
    r"\bfail(s|ed|ing|ure)?\b",
    r"\b(not|never|doesn't|does not|won't|will not|can't|cannot) (be )?sav(e|ed|es|ing)\b",
    r"\b(gets?|got|is|are) stuck\b",
    r"\bmemory leak",
    r"\bне могу\b",
    r"\bне можем\b",
    r"\bне получается",
    r"\bне удается",
    r"\bне удалось",
    r"\bневозможно\b",
    r"\bне работа",
    r"\bперестал\w* работать",
    r"\bсломал",
    r"\bне сохран",
    r"\bзастрева",
    r"\bутечк\w* памяти",
    # a blank screen, security in general, a regression
    *(rf"\b{what} (page|screen|window)" for what in ("blank", "white", "empty")),
    *(rf"\b{what}\w* (экран|страниц|окно)" for what in ("пуст", "бел")),
    r"\bsecurity\b",
    r"\bбезопасн",
    r"\bregress",
    r"\bрегресс",
)
"""Words for a serious problem: the user cannot do something, or something fails."""

LOW_WORDS: tuple[str, ...] = (
    # how it looks and reads
    r"\btypos?\b",
    r"\bmisspel",
    r"\bspelling\b",
    r"\bgrammar",
    r"\bwording\b",
    r"\bcosmetic",
    r"\b(mis)?align",
    r"\btool ?tips?\b",
    r"\bpixels?\b",
    r"\bcolou?rs?\b",
    r"\blabels?\b",
    r"\bcapitali[sz]",
    r"\bpadding\b",
    r"\bmargins?\b",
    r"\bugly\b",
    r"\bwhitespace",
    r"\bопечатк",
    r"\bорфограф",
    r"\bграмматич",
    r"\bформулировк",
    r"\bкосметич",
    r"\bвыравнива",
    r"\bне выровнен",
    r"\bподсказк",
    r"\bпиксел",
    r"\bцвет",
    r"\bнадпис",
    r"\bотступ",
    # the reporter says it is small
    r"\bminor\b",
    r"\bnit(pick)?s?\b",
    r"\bslightly\b",
    r"\ba little\b",
    r"\ba bit\b",
    r"\binconsisten",
    r"\bconfusing\b",
    r"\bunclear\b",
    r"\bнемного\b",
    r"\bслегка\b",
    r"\bнезначительн",
    r"\bмелоч",
    r"\bнепонятн",
    # housekeeping in the code rather than a problem of the user's
    r"\b(compiler|build|strict|lint) warnings?",
    r"\bwarning:",
    r"\bclean ?up",
    r"\bunused\b",
    r"\bdead code",
    r"\bcod(e|ing) style",
)
"""Words for a cosmetic problem; they are looked for in the title only."""

NON_PRODUCTION: tuple[str, ...] = (
    "staging",
    "stage",
    "dev",
    "development",
    "test",
    "testing",
    "qa",
    "local",
    "preview",
    "sandbox",
)

_WORD_FIELDS = (
    "critical_words",
    "extra_critical_words",
    "high_words",
    "extra_high_words",
    "low_words",
    "extra_low_words",
)
_NAME_FIELDS = ("vip_segments", "vip_plans", "free_plans", "non_production_environments")
_MAX_QUOTED = 40  # characters of a matched phrase quoted in a reason
_MAX_QUOTES = 3  # matched phrases quoted in one reason


class SeverityRules(BaseModel):
    """The ``[severity]`` section of a project's settings. Every field has a default, so an
    empty section (or none) rates reports as docs/pipeline.md describes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    crash_level: Level = Field(
        "high", description="Level of an unhandled crash (`kind` crash, or `handled` false)."
    )
    exception_level: Level = Field("medium", description="Level of a report with an exception.")
    error_logs_level: Level = Field(
        "medium", description="Level of a report with error- or critical-level log records."
    )
    server_errors_level: Level = Field(
        "medium", description="Level of a report with a failed request of status 500 to 599."
    )
    blocks_work_level: Level = Field(
        "high", description="Level of a report whose reporter chose `impact` blocks_work."
    )
    critical_words: tuple[str, ...] = Field(
        CRITICAL_WORDS,
        description="Regular expressions for a critical problem, searched in the title and the "
        "description (case-folded); setting it replaces the built-in list.",
    )
    extra_critical_words: tuple[str, ...] = Field(
        (), description="Regular expressions added to `critical_words`."
    )
    high_words: tuple[str, ...] = Field(
        HIGH_WORDS,
        description="Regular expressions for a high-level problem, searched in the title and "
        "the description; setting it replaces the built-in list.",
    )
    extra_high_words: tuple[str, ...] = Field(
        (), description="Regular expressions added to `high_words`."
    )
    low_words: tuple[str, ...] = Field(
        LOW_WORDS,
        description="Regular expressions for a cosmetic problem, searched in the title (the "
        "description when there is no title); they make the default level low instead of "
        "medium. Setting it replaces the built-in list.",
    )
    extra_low_words: tuple[str, ...] = Field(
        (), description="Regular expressions added to `low_words`."
    )
    vip_segments: tuple[str, ...] = Field(
        ("vip",), description="`user.segment` values whose reports go one level up."
    )
    vip_plans: tuple[str, ...] = Field(
        (), description="`user.plan` values whose reports go one level up."
    )
    free_plans: tuple[str, ...] = Field(
        ("free", "trial"),
        description="`user.plan` values of customers who do not pay; any other plan is a "
        "paying customer's (see `paying_customers_up`).",
    )
    paying_customers_up: bool = Field(
        True,
        description="A report from a paying customer (a plan not in `free_plans`) goes "
        "one level up.",
    )
    non_production_environments: tuple[str, ...] = Field(
        NON_PRODUCTION,
        description="`app.environment` values whose reports go one level down (never below "
        "low); any other environment, or none, leaves the level as it is.",
    )
    users_affected_high: int = Field(
        10, ge=0, description="A group affecting this many users is at least high; 0: off."
    )
    users_share_critical: float = Field(
        0.10,
        ge=0,
        le=1,
        description="A group affecting this share of the project's active reporters is "
        "critical; 0: off.",
    )
    users_share_min_active: int = Field(
        50,
        ge=1,
        description="The share rule needs at least this many active reporters in the project.",
    )
    regression_window_hours: float = Field(
        24,
        ge=0,
        description="A new group opened within this many hours of its release's first report "
        "is a regression; 0: off.",
    )
    regression_level: Level = Field("high", description="The least level of a regression.")

    _critical: Words = PrivateAttr()
    _high: Words = PrivateAttr()
    _low: Words = PrivateAttr()

    @field_validator(*_WORD_FIELDS)
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for index, pattern in enumerate(patterns):
            problem = _pattern_problem(pattern)
            if problem:
                raise ValueError(f"{info.field_name}[{index}]: {pattern!r} {problem}")
        return patterns

    @field_validator(*_NAME_FIELDS)
    @classmethod
    def _casefolded(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(name.strip().casefold() for name in names)

    def model_post_init(self, _context: Any) -> None:
        self._critical = Words(self.critical_words + self.extra_critical_words)
        self._high = Words(self.high_words + self.extra_high_words)
        self._low = Words(self.low_words + self.extra_low_words)


def _pattern_problem(pattern: str) -> str:
    """Why ``pattern`` cannot be a word pattern ("" when it can): it must compile, and it must
    be able to match case-folded text (no upper-case letters, unless it sets ``(?i)``)."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"is not a valid regular expression ({exc})"
    if compiled.flags & re.IGNORECASE:
        return ""
    plain = re.sub(r"\\N\{[^}]*\}|\\.|\(\?P<\w+>|\(\?P=\w+\)", "", pattern)
    upper = sorted({c for c in plain if c.casefold() != c})
    if upper:
        return (
            f"has upper-case letters ({''.join(upper)}), which never match: the text is "
            f"case-folded before matching, so write {pattern.casefold()!r}"
        )
    return ""


class Words:
    """Compiled word patterns, searched in normalised text (:func:`_normalise`).

    Each pattern is searched only when its needle (a string every match contains, see
    :func:`_needle`) is in the text: a substring test costs far less than a regex search, and
    most reports contain none of the words.
    """

    __slots__ = ("_patterns",)

    def __init__(self, patterns: Iterable[str]) -> None:
        self._patterns = tuple((re.compile(p), _needle(p)) for p in patterns)

    def __eq__(self, other: object) -> bool:  # rules with equal fields are equal
        return isinstance(other, Words) and self._patterns == other._patterns

    def __hash__(self) -> int:
        return hash(self._patterns)

    def find(self, text: str) -> str:
        """The phrases the first matching patterns find in ``text`` (each widened to whole
        words, none overlapping another), quoted and joined; "" for none."""
        spans: list[tuple[int, int]] = []
        for pattern, needle in self._patterns:
            if needle not in text:
                continue
            match = pattern.search(text)
            if match is None or match.end() == match.start():
                continue
            start, end = match.span()
            while start > 0 and text[start - 1].isalnum():
                start -= 1
            while end < len(text) and text[end].isalnum():
                end += 1
            if all(end <= a or start >= b for a, b in spans):
                spans.append((start, end))
                if len(spans) == _MAX_QUOTES:
                    break
        return ", ".join(f"'{' '.join(text[a:b].split())[:_MAX_QUOTED]}'" for a, b in spans)


_QUANTIFIER = frozenset("*+?{")
_SYNTAX = frozenset("\\.^$*+?{}[]|()")


def _needle(pattern: str) -> str:
    """The longest run of plain characters at the top level of ``pattern`` (outside groups and
    character classes, not made optional by a quantifier): every match contains it. "" when
    there is none, or when a top-level ``|``, ``(?i)`` or ``(?x)`` makes the run unreliable."""
    if re.compile(pattern).flags & (re.IGNORECASE | re.VERBOSE):
        return ""
    runs = [""]
    depth = 0
    i = 0
    while i < len(pattern):
        char, after = pattern[i], pattern[i + 1 : i + 2]
        step = 1
        literal = ""
        if char == "\\":
            step = 2
            literal = after if after and not after.isalnum() else ""  # \. is '.', \b is not
        elif char == "[":
            step = _class_end(pattern, i) - i
        elif char == "{":
            step = pattern.find("}", i) - i + 1 if "}" in pattern[i:] else 1
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return ""
        elif char not in _SYNTAX:
            literal = char
        follows = pattern[i + step : i + step + 1]
        if depth == 0 and literal and follows not in _QUANTIFIER:
            runs[-1] += literal
        elif runs[-1]:
            runs.append("")
        i += step
    return max(runs, key=len)


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class that opens at ``start``."""
    i = start + 1
    if pattern[i : i + 1] == "^":
        i += 1
    if pattern[i : i + 1] == "]":
        i += 1
    while i < len(pattern) and pattern[i] != "]":
        i += 2 if pattern[i] == "\\" else 1
    return i + 1


DEFAULT_RULES = SeverityRules()


def assess_severity(report: Report, rules: SeverityRules = DEFAULT_RULES) -> Severity:
    """The level of one report, from what it carries and who sent it from where."""
    raised = _signals(report, rules)
    floor = _floor(report, rules)
    top = max([rank(floor[0][0]), *(rank(level) for level, _ in raised)])
    reasons = [reason for level, reason in raised if rank(level) == top]
    if not reasons:
        reasons = [reason for _, reason in floor]
    step, adjustments = _adjustments(report, rules)
    level = max(0, min(len(LEVELS) - 1, top + step))
    if adjustments and step and level == top:  # the step was clamped at either end
        adjustments[-1] += f" (already {LEVELS[top]})"
    return Severity(LEVELS[level], reasons + adjustments)


def _signals(report: Report, rules: SeverityRules) -> list[tuple[Level, str]]:
    found: list[tuple[Level, str]] = []
    exception = report.exception
    if report.kind == "crash" or (exception is not None and exception.handled is False):
        what = f"unhandled {exception.type}" if exception is not None else "unhandled exception"
        found.append((rules.crash_level, f"the app crashed ({what})"))
    elif exception is not None:
        found.append((rules.exception_level, f"an exception was attached ({exception.type})"))
    if report.impact == "blocks_work":
        found.append((rules.blocks_work_level, "the reporter says it blocks their work"))
    errors = sum(1 for entry in report.logs if entry.level in ("error", "critical"))
    if errors:
        records = "record" if errors == 1 else "records"
        found.append((rules.error_logs_level, f"{errors} error-level log {records}"))
    failed = [r for r in report.network if r.status is not None and 500 <= r.status <= 599]
    if failed:
        first = f"{failed[0].method} {failed[0].url} {failed[0].status}"
        many = f"{len(failed)} server errors, the first {first}"
        found.append(
            (rules.server_errors_level, many if len(failed) > 1 else f"server error {first}")
        )
    words: tuple[tuple[Level, Words], ...] = (
        ("critical", rules._critical),
        ("high", rules._high),
    )
    for name, raw in (("title", report.title), ("description", report.description or "")):
        text = _normalise(raw)
        for level, patterns in words:
            quotes = patterns.find(text)
            if quotes:
                found.append((level, f"the {name} says {quotes} ({level}-level words)"))
    return found


def _floor(report: Report, rules: SeverityRules) -> list[tuple[Level, str]]:
    """Low for feedback and cosmetic problems, else medium: what the level is when no signal
    raises it."""
    low: list[tuple[Level, str]] = []
    if report.kind == "feedback":
        low.append(("low", "feedback, not a defect"))
    if report.impact == "cosmetic":
        low.append(("low", "the reporter says it is cosmetic"))
    if report.title.strip():
        name, text = "title", report.title
    else:
        name, text = "description", report.description or ""
    quotes = rules._low.find(_normalise(text))
    if quotes:
        low.append(("low", f"the {name} says {quotes} (words for a cosmetic problem)"))
    return low or [("medium", f"default level for a {report.kind} report")]


def _adjustments(report: Report, rules: SeverityRules) -> tuple[int, list[str]]:
    """+1 for a VIP's or a paying customer's report, -1 for a non-production environment."""
    step = 0
    reasons: list[str] = []
    up = _vip_or_paying(report, rules)
    if up:
        step += 1
        reasons.append(up)
    environment = (report.app.environment or "").strip() if report.app else ""
    if environment and environment.casefold() in rules.non_production_environments:
        step -= 1
        reasons.append(f"{environment} environment: one level down")
    return step, reasons


def _vip_or_paying(report: Report, rules: SeverityRules) -> str | None:
    """Why the report goes one level up for who sent it; None when it does not."""
    user = report.user
    if user is None:
        return None
    if user.segment and user.segment.strip().casefold() in rules.vip_segments:
        return f"reporter's segment {user.segment!r} (VIP): one level up"
    plan = (user.plan or "").strip().casefold()
    if not plan:
        return None
    if plan in rules.vip_plans:
        return f"reporter's plan {user.plan!r} (VIP): one level up"
    if rules.paying_customers_up and plan not in rules.free_plans:
        return f"reporter's plan {user.plan!r} (paying customer): one level up"
    return None


def _normalise(text: str) -> str:
    return text.casefold().replace("’", "'").replace("ё", "е")


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """What the store knows about a group when it asks for the group's severity."""

    reports: int  # reports in the group
    users_affected: int  # distinct reporters (identified users, else sessions or reports)
    active_reporters: int  # distinct reporters of the whole project recently (0: unknown)
    new_group: bool  # the group was opened by this batch
    release_age_seconds: float | None  # new group: seconds since the project first saw the
    # report's release (None: no release, or not known)
    first_release: bool  # that release is the first the project ever saw: not a regression
    release: str | None = None  # the release's name, for the reason


def group_severity(
    worst: Severity, facts: GroupFacts, rules: SeverityRules = DEFAULT_RULES
) -> Severity:
    """The level of a group: its most severe report's (``worst``), raised by how many users it
    affects and by a new problem right after a release."""
    raised: list[tuple[Level, str]] = []
    users = facts.users_affected
    if rules.users_affected_high and users >= rules.users_affected_high:
        raised.append(("high", f"{users} users affected (threshold {rules.users_affected_high})"))
    active = facts.active_reporters
    share = rules.users_share_critical
    if share and active >= rules.users_share_min_active and users / active >= share:
        raised.append(
            (
                "critical",
                f"{users} users affected, {users / active:.0%} of {active} active reporters "
                f"(threshold {share:.0%})",
            )
        )
    age = facts.release_age_seconds
    window = rules.regression_window_hours * 3600
    fresh = window > 0 and age is not None and 0 <= age <= window
    if facts.new_group and not facts.first_release and fresh:
        release = f"release {facts.release}" if facts.release else "a release"
        after = _duration(age or 0.0)
        raised.append(
            (
                rules.regression_level,
                f"new problem right after {release} (first seen {after} after it)",
            )
        )
    top = max([rank(worst.level), *(rank(level) for level, _ in raised)])
    reasons = list(worst.reasons) if rank(worst.level) == top else []
    reasons += [reason for level, reason in raised if rank(level) == top]
    return Severity(LEVELS[top], reasons)


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.0f} h"
