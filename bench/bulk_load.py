"""Seed a database with N stored reports of one project, straight into the tables.

For benchmarks that need a big store (``bench/intake.py --flatness``): a million reports through
HTTP would take hours, this takes minutes. The rows are the ones the collector's intake writes
(``ReportStore._ingest_in`` and ``GroupStore._upsert_groups``): every group's template report is
validated by the wire schema and assessed by the real pipeline (fingerprint, severity), its
stored JSON is ``model_dump_json(exclude_none=True)`` of it, and SQLite values are formatted by
the tables' own SQLAlchemy types. The first report of each group is parsed back and checked.

    .venv/bin/python bench/bulk_load.py sqlite:////tmp/seed.sqlite3 1000000
    .venv/bin/python bench/bulk_load.py postgresql://postgres@127.0.0.1:5432/seed 1000000

The shape: about one group per 50 reports, sized by Zipf's law (the largest holds about a tenth
of the reports), the five largest being the titles that ``bench/intake.lua`` sends; 70% bug
reports, 20% crashes, 10% feedback; ``received_at`` spread over the 90 days before the load,
each group over its own stretch of them, inserted in the order they were received; group ids in
order of first report, and each group's ``report_count``, ``first_seen`` and ``last_seen`` agree
with its reports. Ids are random version-4 UUIDs from ``--seed``.

``Store.open`` migrates the database first; the project is created if missing and must have no
groups yet. SQLite is loaded with ``synchronous=OFF`` and an in-memory rollback journal, in big
transactions, and left in WAL mode, as the collector keeps it. PostgreSQL is loaded with COPY
and ``synchronous_commit=off``, then vacuumed and analysed, as autovacuum would have by then.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any

import psycopg
from sqlalchemy import Dialect, func, select
from sqlalchemy.engine import make_url

from collector_server.pipeline import assess
from collector_server.settings import normalise_database_url
from collector_server.store import Store
from collector_server.store.db import MIGRATIONS
from collector_server.store.tables import groups, reports
from sdk.models import Report

HOT_TITLES = ("Save does nothing", "Export hangs", "Login loops", "Cart is empty", "Search fails")
REPORTS_PER_GROUP = 50
DAYS = 90
FORMAT = 2  # bump when the rows made here change: bench/intake.py keys its cached seeds by it

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DAY_US = 86_400_000_000
# Stand-ins in a group's template payload for what differs per report.
_ID = "ffffffff-ffff-4fff-bfff-ffffffffffff"
_CREATED = "2000-01-01T00:00:00.000001Z"
_USER = "u-stand-in"
_V4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_V4_SET = (0x4000 << 64) | (0x8000 << 48)

# Words for titles, exceptions and code paths; no digits or long hex runs, which the
# fingerprint's normalisation drops.
_FEATURES = (
    "Export", "Import", "Checkout", "Search", "Login", "Signup", "Invoice", "Report", "Upload",
    "Download", "Settings", "Profile", "Dashboard", "Calendar", "Chat", "Billing", "Cart",
    "Wishlist", "Coupon", "Shipping", "Tracking", "Refund", "Inventory", "Catalogue", "Review",
    "Notification", "Password reset", "Team invite", "Webhook", "Sync",
)  # fmt: skip
_SYMPTOMS = (
    "hangs", "does nothing", "shows a blank page", "loses my changes", "is very slow",
    "shows the wrong total", "logs me out", "fails silently", "shows an error", "duplicates rows",
    "ignores the filter", "freezes the tab", "sends two emails", "times out", "crashes the app",
    "shows old data", "cannot be closed", "overlaps the menu", "rounds wrongly", "never finishes",
)  # fmt: skip
_PLACES = (
    "on mobile", "in Safari", "in Firefox", "after an update", "for admins", "for new users",
    "on slow networks", "in dark mode", "with many items", "in German", "in Japanese",
    "after login", "in the sidebar", "from the API", "on the first try", "when offline",
    "on tablets", "with a coupon", "with two tabs open", "at month end", "in the trial",
    "for team accounts", "with a long name", "after a refresh", "in the new editor",
    "via keyboard", "with a screen reader", "on Windows", "on macOS", "on Linux",
)  # fmt: skip
_FEEDBACK = (
    "Please add", "I love", "I miss", "Could you improve", "It would help to have",
    "Thanks for", "Hard to find", "Confusing wording in",
)  # fmt: skip
_EXCEPTIONS = (
    ("KeyError", "'total'"),
    ("TypeError", "unsupported operand type(s) for +: 'int' and 'str'"),
    ("ValueError", "invalid literal for int() with base ten"),
    ("AttributeError", "'NoneType' object has no attribute 'items'"),
    ("IndexError", "list index out of range"),
    ("ZeroDivisionError", "division by zero"),
    ("TimeoutError", "the read operation timed out"),
    ("ConnectionError", "connection reset by peer"),
    ("RuntimeError", "event loop is closed"),
)
_MODULES = (
    "cart", "checkout", "billing", "search", "accounts", "exports", "imports", "sync", "mail",
    "reports", "inventory", "shipping",
)  # fmt: skip
_VERBS = ("load", "save", "render", "compute", "parse", "send", "fetch", "merge", "apply", "build")
_NOUNS = ("order", "invoice", "item", "user", "page", "total", "batch", "token", "row", "filter")
_RELEASES = ("2.3.0", "2.3.4", "2.4.0", "2.4.1", "2.5.0-beta")
_SENTENCE = "I clicked the button and nothing happened. "


@dataclass(slots=True)
class _Group:
    kind: str
    title: str  # the reports' title column
    group_title: str  # the group's title column
    fingerprint: str
    severity: str
    reasons: list[str]
    pieces: tuple[str, str, str, str]  # the payload around the id, created_at and user id
    size: int = 0
    start: int = 0  # the stretch its reports arrive in, microseconds since the epoch
    end: int = 0
    first: int = 0  # its first and last report's received_at
    last: int = 0
    id: int = 0  # in order of first report, as the collector numbers them
    checked: bool = False


# (group, id, created_at, received_at, created_at as the wire schema writes it, user id)
_Row = tuple[_Group, str, datetime, datetime, str, str]


@dataclass(frozen=True, slots=True)
class Loaded:
    project_id: int
    public_key: str
    reports: int
    groups: int
    seconds: float


def _letters(n: int) -> str:
    """``n`` as letters g..z: distinct words that survive the fingerprint's normalisation."""
    out = ""
    while True:
        n, digit = divmod(n, 20)
        out += "ghijklmnopqrstuvwxyz"[digit]
        if n == 0:
            return out


def _pick(n: int, *choices: tuple[str, ...]) -> tuple[list[str], int]:
    """A distinct combination of one word from each of ``choices`` per ``n``, and a number that
    tells apart the ``n`` that share one (0 for the first ones)."""
    size = 1
    for options in choices:
        size *= len(options)
    rest, combination = divmod(n, size)
    combination = combination * 7919 % size  # a prime that divides no size here: a shuffle
    words = []
    for options in choices:
        combination, index = divmod(combination, len(options))
        words.append(options[index])
    return words, rest


def _actions(rng: random.Random, count: int) -> list[dict[str, Any]]:
    return [
        {
            "timestamp": f"2026-11-25T10:00:{i:02d}Z",
            "category": rng.choice(("ui.click", "navigation", "http", "ui.input")),
            "message": f"clicked button {i} on the settings page",
            "data": {"selector": f"#b{i}"},
        }
        for i in range(1, count + 1)
    ]


def _body(kind: str, index: int, title: str | None, rng: random.Random) -> dict[str, Any]:
    """A 3.5 KB report of one group, with stand-ins for what differs per report."""
    body: dict[str, Any] = {
        "id": _ID,
        "created_at": _CREATED,
        "kind": kind,
        "user": {"id": _USER, "plan": rng.choice(("free", "pro", "team"))},
        "app": {"name": "shop", "release": rng.choice(_RELEASES), "environment": "production"},
        "runtime": {"name": "CPython", "version": "3.11.7"},
        "os": {"name": rng.choice(("Linux", "Windows", "macOS")), "version": "6.1"},
        "tags": {"feature": rng.choice(_MODULES)},
    }
    if kind == "crash":
        types = tuple(exc_type for exc_type, _ in _EXCEPTIONS)
        words, rest = _pick(index, _MODULES, _VERBS, _NOUNS, _MODULES, types)
        module, verb, noun, other, exc_type = words
        value = dict(_EXCEPTIONS)[exc_type]
        function = f"{verb}_{noun}" + (f"_{_letters(rest)}" if rest else "")
        frames: list[dict[str, Any]] = [
            {"module": "asyncio.events", "function": "_run", "file": "asyncio/events.py"},
            {"module": f"shop.{other}.views", "function": "handle", "file": f"shop/{other}.py"},
            {"module": f"shop.{module}.service", "function": function, "file": f"shop/{module}.py"},
            {"module": f"shop.{module}.models", "function": "validate", "file": "shop/models.py"},
        ]
        for frame in frames:
            frame["in_app"] = frame["module"].startswith("shop.")
            frame["line"] = rng.randrange(10, 900)
        body["title"] = f"{exc_type}: {value}"
        body["exception"] = {"type": exc_type, "value": value, "handled": False, "frames": frames}
        body["logs"] = [
            {"timestamp": "2026-11-25T10:00:20Z", "level": "error", "logger": f"shop.{module}",
             "message": f"{function} failed for request {n}"}
            for n in range(3)
        ]  # fmt: skip
        body["actions"] = _actions(rng, 14)
        body["description"] = "The app closed by itself. " * 4
    elif kind == "feedback":
        (lead, feature), rest = _pick(index, _FEEDBACK, _FEATURES)
        body["title"] = title or f"{lead} {feature.lower()}" + (
            f" {_letters(rest)}" if rest else ""
        )
        body["description"] = "It would make my daily work much easier. " * 10
        body["actions"] = _actions(rng, 18)
    else:
        if title is None:
            (feature, symptom, place), rest = _pick(index, _FEATURES, _SYMPTOMS, _PLACES)
            title = f"{feature} {symptom} {place}" + (f" ({_letters(rest)})" if rest else "")
        body["title"] = title
        body["description"] = _SENTENCE * 10
        body["actions"] = _actions(rng, 18)
        if rng.random() < 0.1:
            body["impact"] = "blocks_work"
    return body


def _split(payload: str) -> tuple[str, str, str, str]:
    parts: list[str] = []
    for stand_in in (_ID, _CREATED, _USER):
        assert payload.count(stand_in) == 1, f"{stand_in} not once in {payload}"
        head, payload = payload.split(stand_in)
        parts.append(head)
    return parts[0], parts[1], parts[2], payload


def _template(kind: str, index: int, title: str | None, rng: random.Random) -> _Group:
    report = Report.model_validate(_body(kind, index, title, rng))
    assessment = assess(report)
    return _Group(
        kind=report.kind,
        title=report.title[:200],
        group_title=(report.title or report.description or "")[:200] or "(untitled)",
        fingerprint=assessment.fingerprint,
        severity=assessment.severity.level,
        reasons=assessment.severity.reasons,
        pieces=_split(report.model_dump_json(exclude_none=True)),
    )


def _plan_groups(count: int, rng: random.Random) -> list[_Group]:
    """The groups of ``count`` reports: sizes by Zipf's law, the hot titles the largest."""
    n = max(1, min(count, max(len(HOT_TITLES), round(count / REPORTS_PER_GROUP))))
    plan: list[_Group] = []
    counters = {"bug": 0, "crash": 0, "feedback": 0}
    for rank in range(n):
        if rank < len(HOT_TITLES):
            plan.append(_template("bug", 0, HOT_TITLES[rank], rng))
            continue
        draw = rng.random()
        kind = "bug" if draw < 0.7 else "crash" if draw < 0.9 else "feedback"
        plan.append(_template(kind, counters[kind], None, rng))
        counters[kind] += 1
    fingerprints = {group.fingerprint for group in plan}
    assert len(fingerprints) == n, "two planned groups share a fingerprint"
    weights = [1 / (rank + 1) for rank in range(n)]
    scale = (count - n) / sum(weights)
    sizes = [1 + int(w * scale) for w in weights]
    sizes[0] += count - sum(sizes)
    for group, size in zip(plan, sizes, strict=True):
        group.size = size
    return plan


def _timeline(plan: list[_Group], now: int, rng: random.Random) -> tuple[list[int], list[int]]:
    """When each report arrived and to which group, in arrival order."""
    span = DAYS * _DAY_US
    times: list[int] = []
    owners: list[int] = []
    for index, group in enumerate(plan):
        if index < len(HOT_TITLES):
            group.start, group.end = now - span + 1, now
        else:
            group.start = now - int(rng.random() * span)
            group.end = min(now, group.start + int(rng.expovariate(1 / 20) * _DAY_US))
        width = group.end - group.start
        stamps = [group.start + int(rng.random() * width) for _ in range(group.size)]
        group.first, group.last = min(stamps), max(stamps)
        times += stamps
        owners += [index] * group.size
    order = sorted(range(len(times)), key=times.__getitem__)
    return [times[i] for i in order], [owners[i] for i in order]


def _uuid4(bits: int) -> str:
    h = f"{(bits & _V4_CLEAR) | _V4_SET:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _iso(moment: datetime) -> str:
    """``created_at`` as the wire schema dumps it."""
    if moment.microsecond:
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond:06d}Z"
    return f"{moment:%Y-%m-%dT%H:%M:%S}Z"


def _reports(
    plan: list[_Group], times: list[int], owners: list[int], rng: random.Random
) -> Iterator[_Row]:
    """What differs between the reports, in arrival order; the first of each group is checked."""
    bits = rng.getrandbits
    users = [f"u-{n}" for n in range(1, 4097)]
    for stamp, owner in zip(times, owners, strict=True):
        group = plan[owner]
        report_id = _uuid4(bits(128))
        received = _EPOCH + timedelta(microseconds=stamp)
        created = received - timedelta(microseconds=50_000 + bits(24))  # the client's clock
        row = (group, report_id, created, received, _iso(created), users[bits(12)])
        if not group.checked:
            _check(row)
            group.checked = True
        yield row


def _payload(row: _Row, pieces: tuple[str, str, str, str]) -> str:
    _, report_id, _, _, created, user = row
    a, b, c, d = pieces
    return f"{a}{report_id}{b}{created}{c}{user}{d}"


def _check(row: _Row) -> None:
    """The collector would have stored exactly this for the report: parse it back and compare."""
    group, report_id, created, _, _, _ = row
    payload = _payload(row, group.pieces)
    report = Report.model_validate_json(payload)
    assert report.model_dump_json(exclude_none=True) == payload, payload
    assert str(report.id) == report_id
    assert report.created_at.astimezone(UTC) == created
    assessment = assess(report)
    assert assessment.fingerprint == group.fingerprint
    assert (assessment.severity.level, assessment.severity.reasons) == (
        group.severity,
        group.reasons,
    )


def _batches(rows: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while batch := list(islice(rows, size)):
        yield batch


def _load_sqlite(
    database: str,
    dialect: Dialect,
    project_id: int,
    plan: list[_Group],
    rows: Iterator[_Row],
    progress: Callable[[int], None],
) -> None:
    # The values as the tables' SQLAlchemy types write them ("2026-11-25 10:00:00.000000").
    when = reports.c.received_at.type.dialect_impl(dialect).bind_processor(dialect)
    as_json = reports.c.severity_reasons.type.dialect_impl(dialect).bind_processor(dialect)
    assert when is not None
    assert as_json is not None
    null = as_json(None)  # scrubbed_fields: nothing scrubbed
    conn = sqlite3.connect(database, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        mode = conn.execute("PRAGMA journal_mode=MEMORY").fetchone()
        assert mode == ("memory",), f"cannot leave WAL mode ({mode}): is the database in use?"
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA cache_size=-262144")  # 256 MiB: the id index stays in memory
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO groups (id, project_id, fingerprint, title, status, severity,"
            " severity_reasons, report_count, first_seen, last_seen, fixed_in)"
            " VALUES (?, ?, ?, ?, 'open', ?, ?, ?, ?, ?, NULL)",
            [
                (
                    g.id,
                    project_id,
                    g.fingerprint,
                    g.group_title,
                    g.severity,
                    as_json(g.reasons),
                    g.size,
                    when(_EPOCH + timedelta(microseconds=g.first)),
                    when(_EPOCH + timedelta(microseconds=g.last)),
                )
                for g in plan
            ],
        )
        reasons = {id(g): as_json(g.reasons) for g in plan}
        insert = (
            "INSERT INTO reports (id, project_id, group_id, kind, title, severity,"
            " severity_reasons, created_at, received_at, payload, scrubbed_fields)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
        )
        done = 0
        for batch in _batches(rows, 10_000):
            values = []
            for row in batch:
                g, rid, created, received, _, _ = row
                values.append(
                    (rid, project_id, g.id, g.kind, g.title, g.severity, reasons[id(g)],
                     when(created), when(received), _payload(row, g.pieces), null)
                )  # fmt: skip
            conn.executemany(insert, values)
            done += len(batch)
            if done % 200_000 == 0:
                conn.execute("COMMIT")
                conn.execute("BEGIN")
            progress(done)
        conn.execute("COMMIT")
        mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()
        assert mode == ("wal",), mode
    finally:
        conn.close()


def _copy_text(value: str) -> str:
    """A value in COPY's text format."""
    return (
        value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    )


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _load_postgres(
    url: str,
    project_id: int,
    plan: list[_Group],
    rows: Iterator[_Row],
    progress: Callable[[int], None],
) -> None:
    # The collector's JSON columns hold json.dumps() of the value (SQLAlchemy's default).
    with psycopg.connect(_libpq_url(url)) as conn:
        conn.execute("SET synchronous_commit = off")
        with conn.cursor() as cursor:
            with cursor.copy(
                "COPY groups (id, project_id, fingerprint, title, status, severity,"
                " severity_reasons, report_count, first_seen, last_seen) FROM STDIN"
            ) as copy:
                for g in plan:
                    copy.write_row(
                        (
                            g.id,
                            project_id,
                            g.fingerprint,
                            g.group_title,
                            "open",
                            g.severity,
                            json.dumps(g.reasons),
                            g.size,
                            _EPOCH + timedelta(microseconds=g.first),
                            _EPOCH + timedelta(microseconds=g.last),
                        )
                    )
            lines = {}  # per group: its constant columns and its payload's pieces, escaped
            for g in plan:
                constants = (str(project_id), str(g.id), g.kind, g.title, g.severity)
                middle = "\t".join(_copy_text(v) for v in (*constants, json.dumps(g.reasons)))
                pieces = tuple(_copy_text(piece) for piece in g.pieces)
                lines[id(g)] = (f"\t{middle}\t", pieces)
            with cursor.copy(
                "COPY reports (id, project_id, group_id, kind, title, severity, severity_reasons,"
                " created_at, received_at, payload, scrubbed_fields) FROM STDIN"
            ) as copy:
                done = 0
                for batch in _batches(rows, 10_000):
                    text = []
                    for row in batch:
                        g, rid, created, received, _, _ = row
                        middle, pieces = lines[id(g)]
                        text.append(
                            f"{rid}{middle}{created.isoformat()}\t{received.isoformat()}\t"
                            f"{_payload(row, pieces)}\tnull\n"  # type: ignore[arg-type]
                        )
                    copy.write("".join(text))
                    done += len(batch)
                    progress(done)
            cursor.execute(  # the ids were given: move the sequence past them
                "SELECT setval(pg_get_serial_sequence('groups', 'id'),"
                " (SELECT max(id) FROM groups))"
            )
    with psycopg.connect(_libpq_url(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) groups")
        conn.execute("VACUUM (ANALYZE) reports")


def schema_revision() -> str:
    """The newest migration's revision: what a seeded database's tables look like."""
    from alembic.config import Config  # noqa: PLC0415
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def bulk_load(
    database_url: str,
    count: int,
    *,
    project: str = "demo",
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> Loaded:
    """Migrate the database, then store ``count`` reports of ``project`` (created if missing)."""
    started = time.perf_counter()
    rng = random.Random(seed)
    database_url = normalise_database_url(database_url)
    store = Store.open(database_url)
    try:
        found = store.project_by_name(project) or store.create_project(project)
        with store.engine.connect() as conn:
            existing = conn.execute(
                select(func.count()).select_from(groups).where(groups.c.project_id == found.id)
            ).scalar_one()
            if existing:
                raise SystemExit(f"project {project!r} has {existing} groups already")
            base = conn.execute(select(func.coalesce(func.max(groups.c.id), 0))).scalar_one()
        dialect = store.engine.dialect
        database = store.engine.url.database
    finally:
        store.close()
    plan = _plan_groups(count, rng)
    now = (datetime.now(UTC) - _EPOCH) // timedelta(microseconds=1)
    times, owners = _timeline(plan, now, rng)
    for number, group in enumerate(sorted(plan, key=lambda g: g.first), start=base + 1):
        group.id = number
    rows = _reports(plan, times, owners, rng)
    report = progress or (lambda _done: None)
    if dialect.name == "sqlite":
        assert database, "an in-memory database cannot be seeded"
        _load_sqlite(database, dialect, found.id, plan, rows, report)
    else:
        _load_postgres(database_url, found.id, plan, rows, report)
    return Loaded(found.id, found.public_key, count, len(plan), time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url", help="sqlite:///path or postgresql://user@host/db")
    parser.add_argument("count", type=int, help="how many reports to store")
    parser.add_argument("--project", default="demo", help="the project's name (demo)")
    parser.add_argument("--seed", type=int, default=0, help="for the random choices (0)")
    args = parser.parse_args()
    last = [time.perf_counter()]

    def progress(done: int) -> None:
        if done % 100_000 == 0 or done == args.count:
            now = time.perf_counter()
            print(f"  {done:,} reports ({now - last[0]:.1f} s)", file=sys.stderr, flush=True)
            last[0] = now

    loaded = bulk_load(
        args.database_url, args.count, project=args.project, seed=args.seed, progress=progress
    )
    print(
        f"stored {loaded.reports:,} reports in {loaded.groups:,} groups of project "
        f"{args.project!r} (id {loaded.project_id}) in {loaded.seconds:.0f} s"
    )


if __name__ == "__main__":
    main()
