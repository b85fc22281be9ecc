"""Severity agreement: the default rules against the levels maintainers gave real bug reports.

    .venv/bin/python bench/severity.py [--datasets ../shared/datasets] [--json]

Each labelled title of ``severity-reports.jsonl`` (Mozilla Bugzilla and OpenOffice) becomes a
bug report with that title and nothing else, and goes through ``assess_severity`` with
``DEFAULT_RULES``. Bugzilla's levels map onto the four as the datasets' README says (blocker and
critical: critical; major: high; normal: medium; minor and trivial: low; enhancement and n/a
are left out). The measure is macro-F1 over the four levels, per source and overall, with each
level's precision, recall and F1 and the confusion matrix, next to two baselines computed in the
same run: always "medium" (the most common label) and a seeded random guess drawn with the
labels' own frequencies (stratified).

Titles alone say little, and the labels are the maintainers' habits as much as the problem's:
OpenOffice calls most bugs "normal", crashes included. The default word lists were chosen
by looking at the Mozilla titles (no word was picked or dropped for OpenOffice's), so OpenOffice
is the held-out figure.
"""

from __future__ import annotations

import argparse
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from collector_server.pipeline.severity import DEFAULT_RULES, LEVELS, assess_severity
from sdk.models import MAX_TITLE, Report

HERE = Path(__file__).resolve().parent
DEFAULT_DATASETS = HERE.parent.parent / "shared" / "datasets"
LEVEL_OF = {
    "blocker": "critical",
    "critical": "critical",
    "major": "high",
    "normal": "medium",
    "minor": "low",
    "trivial": "low",
}
SOURCES = {
    "dastal/mozilla-bugzilla": "Mozilla",
    "kaggle-software-bug-reports/openoffice": "OpenOffice",
}
SEED = 17
CREATED = datetime(2026, 11, 25, 10, tzinfo=UTC)


def load(datasets: Path) -> list[tuple[str, str, str]]:
    """(source, title, level) of every row with a level that maps onto the four."""
    rows = []
    with (datasets / "severity-reports.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            level = LEVEL_OF.get(row["severity"])
            title = (row["title"] or "").strip()[:MAX_TITLE]
            if level is not None and title:
                rows.append((SOURCES.get(row["source"], row["source"]), title, level))
    return rows


def rate(title: str) -> str:
    report = Report(id=uuid.uuid4(), created_at=CREATED, kind="bug", title=title)
    return assess_severity(report, DEFAULT_RULES).level


def scores(truth: Sequence[str], guess: Sequence[str]) -> dict[str, object]:
    """Macro-F1 over LEVELS, each level's precision, recall, F1 and support, the confusion
    matrix (rows: the label, columns: the guess) and the accuracy."""
    pairs = Counter(zip(truth, guess, strict=True))
    per_level = {}
    for level in LEVELS:
        hit = pairs[level, level]
        guessed = sum(n for (_, g), n in pairs.items() if g == level)
        labelled = sum(n for (t, _), n in pairs.items() if t == level)
        precision = hit / guessed if guessed else 0.0
        recall = hit / labelled if labelled else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_level[level] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": labelled,
        }
    macro = sum(float(per_level[level]["f1"]) for level in LEVELS) / len(LEVELS)
    return {
        "macro_f1": round(macro, 4),
        "accuracy": round(sum(pairs[level, level] for level in LEVELS) / len(truth), 4),
        "n": len(truth),
        "per_level": per_level,
        "confusion": {t: {g: pairs[t, g] for g in LEVELS} for t in LEVELS},
    }


def stratified(truth: Sequence[str], seed: int) -> list[str]:
    """A random level for each row, drawn with the labels' frequencies."""
    counts = Counter(truth)
    levels = list(counts)
    return random.Random(seed).choices(levels, weights=[counts[x] for x in levels], k=len(truth))


def measure(rows: list[tuple[str, str, str]]) -> dict[str, dict[str, dict[str, object]]]:
    guesses = [rate(title) for _, title, _ in rows]
    parts = {"overall": list(range(len(rows)))}
    for name in SOURCES.values():
        parts[name] = [i for i, (source, _, _) in enumerate(rows) if source == name]
    figures: dict[str, dict[str, dict[str, object]]] = {}
    for part, indices in parts.items():
        truth = [rows[i][2] for i in indices]
        figures[part] = {
            "rules": scores(truth, [guesses[i] for i in indices]),
            "always_medium": scores(truth, ["medium"] * len(truth)),
            "stratified_random": scores(truth, stratified(truth, SEED)),
        }
    return figures


def show(figures: dict[str, dict[str, dict[str, object]]], seconds: float) -> None:
    print("Severity agreement: macro-F1 over low/medium/high/critical, title-only reports")
    print(f"{'part':<12} {'n':>6}  {'rules':>6}  {'always medium':>13}  {'stratified':>10}")
    for part in ("overall", "Mozilla", "OpenOffice"):
        row = figures[part]
        print(
            f"{part:<12} {row['rules']['n']:>6}  {row['rules']['macro_f1']:>6.3f}  "
            f"{row['always_medium']['macro_f1']:>13.3f}  "
            f"{row['stratified_random']['macro_f1']:>10.3f}"
        )
    print("(OpenOffice is the held-out figure: the word lists were chosen on Mozilla's titles)")
    for part in ("overall", "Mozilla", "OpenOffice"):
        rules = figures[part]["rules"]
        print(f"\n{part}: rules, accuracy {rules['accuracy']:.3f}")
        per_level = rules["per_level"]
        confusion = rules["confusion"]
        assert isinstance(per_level, dict)
        assert isinstance(confusion, dict)
        print(f"  {'level':<9} {'prec':>6} {'recall':>6} {'F1':>6} {'support':>7}   guessed as:")
        print(f"  {'':<9} {'':>6} {'':>6} {'':>6} {'':>7}   " + " ".join(f"{g:>8}" for g in LEVELS))
        for level in LEVELS:
            m = per_level[level]
            print(
                f"  {level:<9} {m['precision']:>6.3f} {m['recall']:>6.3f} {m['f1']:>6.3f} "
                f"{m['support']:>7}   " + " ".join(f"{confusion[level][g]:>8}" for g in LEVELS)
            )
    print(f"\n{seconds:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=Path, default=DEFAULT_DATASETS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    start = time.perf_counter()
    figures = measure(load(args.datasets))
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"figures": figures, "seconds": round(seconds, 2)}, indent=2))
    else:
        show(figures, seconds)


if __name__ == "__main__":
    main()
