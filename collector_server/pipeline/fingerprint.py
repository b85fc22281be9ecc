"""Fingerprints: equal fingerprints mean one group.

This is the exact-match baseline: an explicit ``fingerprint`` from the client wins; a report with
an exception is keyed by the exception type and its in-app call path (module and function, no
line numbers, so the key survives small code moves and new releases); a free-text report by its
normalised title. Near-duplicate grouping of free text builds on this (see docs/pipeline.md).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

from sdk.models import MAX_TITLE, Report

_NOISE = re.compile(r"[0-9a-f]{8,}|\d+", re.IGNORECASE)  # ids, hashes, counts
_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NOISE.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def fingerprint(report: Report) -> str:
    if report.fingerprint:
        parts = ["explicit", *report.fingerprint]
    elif report.exception is not None:
        exc = report.exception
        frames = [f for f in exc.frames if f.in_app] or exc.frames
        parts = [
            "exception",
            f"{exc.module or ''}.{exc.type}",
            *(f"{f.module or f.file or ''}:{f.function or ''}" for f in frames),
        ]
    else:
        text = report.title or report.description or ""
        if len(text) <= MAX_TITLE:
            return _text_fingerprint(report.kind, text)
        parts = ["text", report.kind, normalise_text(text)]
    return _hash(parts)


@lru_cache(maxsize=4096)
def _text_fingerprint(kind: str, text: str) -> str:
    """Cached (for texts as short as titles): the reports of one problem mostly repeat its
    title, and normalising it costs more than the rest of the pipeline."""
    return _hash(["text", kind, normalise_text(text)])


def _hash(parts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()
