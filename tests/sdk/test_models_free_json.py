"""The bound of free-form JSON (``extra``, action ``data``): its shortcut answers as encoding does.

``sdk.models._check_free_json`` skips encoding the JSON when a cheap upper bound of its size is
within the limit. These tests hold it to the plain rule (the depth, then the encoded size, then
what UTF-8 cannot encode), on any JSON and on sizes and depths around the limits.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sdk import models


def plain_rule(value: dict[str, Any]) -> dict[str, Any]:
    """The check without its shortcut."""
    if models._json_depth(value) > models.MAX_JSON_DEPTH:
        raise ValueError(f"nested deeper than {models.MAX_JSON_DEPTH} levels")
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > models.MAX_EXTRA_BYTES:
        raise ValueError(f"{size} bytes as JSON, more than the limit of {models.MAX_EXTRA_BYTES}")
    return value


def outcome(check: Any, value: dict[str, Any]) -> str:
    try:
        check(value)
    except ValueError as exc:  # also UnicodeEncodeError, as pydantic reports it
        return f"{type(exc).__name__}: {exc}"
    return "ok"


TEXT = st.text(
    st.sampled_from(["a", "\x00", "\x1f", '"', "\\", "\n", "é", "€", "😀", "\ud800", "\x7f"])
) | st.sampled_from(["", "x" * 20_000, "é" * 11_000, "\x01" * 11_000])
SCALARS = (
    TEXT
    | st.integers()
    | st.sampled_from([10**4000, -(10**300), 2**3000])
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.booleans()
    | st.none()
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=6) | st.dictionaries(TEXT, inner, max_size=6),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(st.dictionaries(TEXT, JSON, max_size=5))
def test_any_json_gets_the_answer_of_the_plain_rule(value: dict[str, Any]) -> None:
    assert outcome(models._check_free_json, value) == outcome(plain_rule, value)


@pytest.mark.parametrize("filler", ["x", "\x01", "é", "😀", '"'])
@pytest.mark.parametrize("offset", [-3, -2, -1, 0, 1, 2, 3])
def test_sizes_at_the_limit_get_the_answer_of_the_plain_rule(filler: str, offset: int) -> None:
    encoded = len(json.dumps(filler, ensure_ascii=False)[1:-1].encode())
    count = (models.MAX_EXTRA_BYTES - len('{"k":""}')) // encoded + offset
    for value in ({"k": filler * count}, {"k": [filler] * (count // 4)}, {filler * count: 1}):
        assert outcome(models._check_free_json, value) == outcome(plain_rule, value)


@pytest.mark.parametrize("depth", range(1, 14))
@pytest.mark.parametrize("leaf", [1, "s", [], {}])
def test_depths_around_the_limit_get_the_answer_of_the_plain_rule(depth: int, leaf: Any) -> None:
    value: Any = leaf
    for level in range(depth - 1):
        value = {"a": value} if level % 2 else [value]
    value = {"k": value}
    assert outcome(models._check_free_json, value) == outcome(plain_rule, value)
