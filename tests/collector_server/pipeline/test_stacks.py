"""Stack texts of V8, SpiderMonkey, JavaScriptCore and CPython parsed into wire frames."""

from __future__ import annotations

import json
import traceback

from hypothesis import given, settings
from hypothesis import strategies as st

from collector_server.pipeline.stacks import parse_stack
from sdk.models import MAX_FRAMES, MAX_MEDIUM, Frame

APP = "https://app.example.com/static/js/app.3f9a2b1c.js"


def rows(frames: list[Frame]) -> list[tuple[str | None, str | None, int | None]]:
    return [(f.function, f.file, f.line) for f in frames]


def test_v8_frames_oldest_first_with_names_files_and_lines() -> None:
    stack = f"""TypeError: Cannot read properties of undefined (reading 'name')
    at saveSettings ({APP}:2:10423)
    at async SettingsForm.submit ({APP}:2:9876)
    at new Store ({APP}:1:77)
    at Array.forEach (<anonymous>)
    at {APP}:2:11020
    at Object.<anonymous> (/srv/app/index.js:3:9)
    at Module._compile (node:internal/modules/cjs/loader:1105:14)
    at async Promise.all (index 0)"""
    assert rows(parse_stack(stack)) == [
        ("async Promise.all", "index 0", None),
        ("Module._compile", "node:internal/modules/cjs/loader", 1105),
        ("Object.<anonymous>", "/srv/app/index.js", 3),
        (None, APP, 2),
        ("Array.forEach", "<anonymous>", None),
        ("new Store", APP, 1),
        ("async SettingsForm.submit", APP, 2),
        ("saveSettings", APP, 2),
    ]


def test_a_v8_eval_frame_is_placed_at_the_file_that_called_eval() -> None:
    stack = f"""Error: boom
    at eval (eval at compile ({APP}:1:2), <anonymous>:1:1)
    at eval (eval at outer (eval at compile ({APP}:5:6)), <anonymous>:2:3)
    at Foo.bar [as baz] (C:\\Program Files (x86)\\app\\main.js:7:8)"""
    assert rows(parse_stack(stack)) == [
        ("Foo.bar [as baz]", "C:\\Program Files (x86)\\app\\main.js", 7),
        ("eval", APP, 5),
        ("eval", APP, 1),
    ]


def test_firefox_frames_and_its_eval_locations() -> None:
    stack = f"""saveSettings@{APP}:2:10434
submit@{APP}:2:9883
async*loadUser@{APP}:3:4
setupForm/<@{APP}:2:11024
@{APP} line 2 > eval:1:5
Store/this.save@https://user@cdn.example.com/lib.js:9:1
"""
    assert rows(parse_stack(stack)) == [
        ("Store/this.save", "https://user@cdn.example.com/lib.js", 9),
        (None, APP, None),
        ("setupForm/<", APP, 2),
        ("loadUser", APP, 3),
        ("submit", APP, 2),
        ("saveSettings", APP, 2),
    ]
    assert [f.function for f in parse_stack(f"@{APP}:1:1")] == [None]


def test_firefox_async_stacks_stop_where_a_callback_was_scheduled() -> None:
    stack = f"""saveSettings@{APP}:2:10434
async*submit@{APP}:2:9883
EventListener.handleEvent*setupForm@{APP}:2:10990
@{APP}:2:12001
"""
    assert [f.function for f in parse_stack(stack)] == ["submit", "saveSettings"]


def test_safari_frames_bare_locations_and_native_code() -> None:
    stack = f"""saveSettings@{APP}:2:10440
forEach@[native code]
{APP}:2:11031
[native code]
global code@{APP}:9:1"""
    assert rows(parse_stack(stack)) == [
        ("global code", APP, 9),
        (None, "[native code]", None),
        (None, APP, 2),
        ("forEach", "[native code]", None),
        ("saveSettings", APP, 2),
    ]


def test_javascript_frames_are_not_marked_in_app() -> None:
    stack = f"    at saveSettings ({APP}:2:1)\n    at main (/srv/app/main.js:1:1)"
    assert [f.in_app for f in parse_stack(stack)] == [False, False]


def parse_config(text: str) -> object:
    return json.loads(text)


def test_a_python_traceback_oldest_first_and_in_app_by_path() -> None:
    try:
        parse_config("{not json")
    except ValueError:
        text = traceback.format_exc()
    frames = parse_stack(text)
    assert [f.function for f in frames[:2]] == [
        "test_a_python_traceback_oldest_first_and_in_app_by_path",
        "parse_config",
    ]
    assert frames[0].file == __file__
    assert frames[1].line == parse_config.__code__.co_firstlineno + 1
    assert [f.in_app for f in frames[:2]] == [True, True]
    assert frames[2:]  # inside the json package of the standard library
    assert not any(f.in_app for f in frames[2:])
    assert all(f.file and f.file.endswith(".py") for f in frames[2:])


def test_python_paths_of_libraries_and_pseudo_files_are_not_in_app() -> None:
    text = """Traceback (most recent call last):
  File "/srv/shop/app.py", line 3, in <module>
  File "/srv/venv/lib/python3.12/site-packages/requests/api.py", line 59, in get
  File "C:\\Python312\\Lib\\json\\decoder.py", line 337, in decode
  File "<frozen importlib._bootstrap>", line 1, in _find_and_load
  File "/usr/lib/python3/dist-packages/yaml/loader.py", line 1, in load
  File "/srv/shop/lib/prices.py", line 1, in load
  File "C:\\shop\\lib\\prices.py", line 1, in load
ValueError: bad"""
    in_app = [True, False, False, False, False, True, True]
    assert [f.in_app for f in parse_stack(text)] == in_app


def test_of_a_printed_chain_the_last_traceback_counts() -> None:
    text = """Traceback (most recent call last):
  File "/srv/shop/prices.py", line 3, in read_price
    return prices["price"]
           ~~~~~~^^^^^^^^^
KeyError: 'price'

The above exception was the direct cause of the following exception:

Traceback (most recent call last):
  File "/srv/shop/checkout.py", line 10, in checkout
    raise CheckoutError("no price") from exc
  File "/srv/shop/checkout.py", line 12, in finish
    [Previous line repeated 2 more times]
shop.errors.CheckoutError: no price"""
    assert rows(parse_stack(text)) == [
        ("checkout", "/srv/shop/checkout.py", 10),
        ("finish", "/srv/shop/checkout.py", 12),
    ]


def test_lines_that_are_not_frames_are_skipped() -> None:
    assert parse_stack("") == []
    assert parse_stack("Error: mail user@example.com failed\nno frames here") == []
    assert parse_stack("just a message\n\n\t\r\n") == []
    assert rows(parse_stack(f"Error: at the end of input\n    at saveSettings ({APP}:2:1)")) == [
        ("saveSettings", APP, 2)
    ]


def test_odd_values_are_bounded_not_refused() -> None:
    long_name = "f" * (MAX_MEDIUM * 3)
    [frame] = parse_stack(f"{long_name}@{APP}:{'9' * 5000}:1")
    assert frame.function == "f" * MAX_MEDIUM
    assert frame.line is None  # more digits than a line number has (and than int() takes)
    many = "\n".join(f"    at f{i} ({APP}:{i}:1)" for i in range(MAX_FRAMES * 3))
    frames = parse_stack(many)
    assert len(frames) == MAX_FRAMES
    assert frames[-1].function == "f0"  # the newest (printed first) are kept


def test_not_text_gives_no_frames() -> None:
    assert parse_stack(None) == []  # type: ignore[arg-type]
    assert parse_stack(b"    at f (x.js:1:1)") == []  # type: ignore[arg-type]


_PIECES = st.sampled_from(
    [
        "    at ",
        "at ",
        "@",
        "(",
        ")",
        ":",
        "1",
        "99",
        " (",
        "eval at ",
        ", <anonymous>",
        "[native code]",
        "*",
        "async*",
        "/<",
        " line 2 > eval",
        "https://x/",
        "app.js",
        '  File "',
        '", line ',
        ", in ",
        "Traceback (most recent call last):",
        "\n",
        "\r\n",
        " ",
        "\x00",
        "é",
        "\u2028",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.lists(_PIECES, max_size=60).map("".join)))
def test_any_text_gives_a_list_of_valid_frames(text: str) -> None:
    frames = parse_stack(text)
    assert len(frames) <= MAX_FRAMES
    for frame in frames:
        assert Frame.model_validate(frame.model_dump()) == frame
