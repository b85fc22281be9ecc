from __future__ import annotations

import uuid
from typing import Any

from collector_server.pipeline.fingerprint import fingerprint, normalise_text
from sdk.models import Report


def make(**fields: Any) -> Report:
    return Report.model_validate(
        {"id": str(uuid.uuid4()), "created_at": "2026-11-25T10:00:00Z", "title": "t", **fields}
    )


def crash(exc_type: str, *frames: tuple[str, str, int, bool], value: str = "") -> Report:
    return make(
        kind="crash",
        exception={
            "type": exc_type,
            "value": value,
            "frames": [
                {"module": m, "function": f, "line": line, "in_app": in_app}
                for m, f, line, in_app in frames
            ],
        },
    )


def test_the_same_crash_from_other_lines_and_messages_has_one_fingerprint() -> None:
    a = crash(
        "KeyError", ("shop.cart", "total", 10, True), ("json", "loads", 5, False), value="'a1'"
    )
    b = crash(
        "KeyError", ("shop.cart", "total", 99, True), ("json", "dumps", 7, False), value="'b2'"
    )
    assert fingerprint(a) == fingerprint(b)


def test_other_exception_types_or_call_paths_differ() -> None:
    base = crash("KeyError", ("shop.cart", "total", 10, True))
    assert fingerprint(base) != fingerprint(crash("ValueError", ("shop.cart", "total", 10, True)))
    assert fingerprint(base) != fingerprint(crash("KeyError", ("shop.cart", "subtotal", 10, True)))


def test_free_text_is_normalised() -> None:
    assert normalise_text("Save  FAILS for order #12345!") == normalise_text(
        "save fails for order 987"
    )
    assert fingerprint(make(title="Save fails (id 42)")) == fingerprint(
        make(title="save fails id 7")
    )
    assert fingerprint(make(title="Save fails")) != fingerprint(make(title="Load fails"))


def test_an_explicit_fingerprint_wins() -> None:
    a = make(title="one", fingerprint=["checkout"])
    b = make(title="two", fingerprint=["checkout"])
    assert fingerprint(a) == fingerprint(b)
