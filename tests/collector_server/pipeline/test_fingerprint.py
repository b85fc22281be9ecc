from __future__ import annotations

import json
import traceback
import uuid
from collections.abc import Callable
from hashlib import sha256 as _sha256
from typing import Any

import pytest

from collector_server.pipeline.fingerprint import (
    MAX_KEY_FRAMES,
    collapse_repeats,
    exception_parts,
    file_module,
    fingerprint,
    frame_key,
    function_name,
    normalise_text,
)
from sdk._prepare import expand
from sdk.collectors.exceptions import InApp, describe
from sdk.models import Frame, Report


def sha256(data: bytes) -> str:
    return _sha256(data).hexdigest()


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


def test_the_text_and_explicit_fingerprints_of_before_are_kept() -> None:
    # Groups stored by earlier releases keep matching: these two hashes must not change.
    assert fingerprint(make(title="Save FAILS #12")) == sha256(b"text\x1fbug\x1fsave fails")
    assert fingerprint(make(fingerprint=["checkout"])) == sha256(b"explicit\x1fcheckout")


def test_default_in_an_explicit_fingerprint_stands_for_the_default_parts() -> None:
    eu = crash("KeyError", ("shop.cart", "total", 10, True))
    eu.fingerprint = ["{{ default }}", "eu-west"]
    us = crash("KeyError", ("shop.cart", "total", 99, True))
    us.fingerprint = ["{{default}}", "us-east"]
    eu_again = crash("KeyError", ("shop.cart", "total", 42, True), value="'x9'")
    eu_again.fingerprint = ["{{ default }}", "eu-west"]
    other_crash = crash("ValueError", ("shop.cart", "total", 10, True))
    other_crash.fingerprint = ["{{ default }}", "eu-west"]
    plain = crash("KeyError", ("shop.cart", "total", 10, True))
    assert fingerprint(eu) == fingerprint(eu_again)
    assert fingerprint(eu) != fingerprint(us)
    assert fingerprint(eu) != fingerprint(other_crash)
    assert fingerprint(eu) not in (fingerprint(plain), fingerprint(make(fingerprint=["eu-west"])))
    alone = crash("KeyError", ("shop.cart", "total", 10, True))
    alone.fingerprint = ["{{ default }}"]
    assert fingerprint(alone) == fingerprint(plain)
    literal = make(fingerprint=["{ default }", "eu-west"])
    assert fingerprint(literal) == sha256(b"explicit\x1f{ default }\x1feu-west")


# One JavaScript crash: saveSettings() throws, called by SettingsForm.submit(), called by an
# arrow function that setupForm() registered as the Save button's click listener.
APP = "https://app.example.com/static/js/app.3f9a2b1c.js"
CHROME = f"""TypeError: Cannot read properties of undefined (reading 'name')
    at saveSettings ({APP}:2:10423)
    at SettingsForm.submit ({APP}:2:9876)
    at HTMLButtonElement.<anonymous> ({APP}:2:11020)"""
FIREFOX = f"""saveSettings@{APP}:2:10434
submit@{APP}:2:9883
setupForm/<@{APP}:2:11024
EventListener.handleEvent*setupForm@{APP}:2:10990
@{APP}:2:12001
"""
SAFARI = f"""saveSettings@{APP}:2:10440
submit@{APP}:2:9890
{APP}:2:11031"""
# The next release, served from a CDN with a new content hash, other lines and columns.
CHROME_NEXT = """TypeError: Cannot read properties of undefined (reading 'name')
    at saveSettings (https://cdn.example.net/v2.5.0/js/app.7c1d0e4f.js:1:20551)
    at SettingsForm.submit (https://cdn.example.net/v2.5.0/js/app.7c1d0e4f.js:1:19870)
    at HTMLButtonElement.<anonymous> (https://cdn.example.net/v2.5.0/js/app.7c1d0e4f.js:1:21002)"""


def js_crash(stack: str = "", frames: list[dict[str, Any]] | None = None, **exc: Any) -> Report:
    exception = {"type": "TypeError", "stack": stack, "frames": frames or [], **exc}
    return make(kind="crash", exception=exception)


def test_one_javascript_crash_from_chrome_firefox_and_safari_has_one_fingerprint() -> None:
    chrome = fingerprint(js_crash(CHROME, value="Cannot read properties of undefined"))
    firefox = fingerprint(js_crash(FIREFOX, value="values.theme is undefined"))
    safari = fingerprint(js_crash(SAFARI, value="undefined is not an object"))
    next_release = fingerprint(js_crash(CHROME_NEXT))
    parsed = fingerprint(
        js_crash(
            frames=[
                {"function": "submit", "file": APP, "line": 2},
                {"function": "saveSettings", "file": APP, "line": 2},
            ]
        )
    )
    assert chrome == firefox == safari == next_release == parsed
    expected = ["exception", "TypeError", "app:submit", "app:saveSettings"]
    assert chrome == sha256("\x1f".join(expected).encode())


def test_frames_sent_win_over_the_stack_text() -> None:
    frames = [{"function": "autoSave", "file": APP}, {"function": "saveSettings", "file": APP}]
    assert fingerprint(js_crash(CHROME, frames=frames)) == fingerprint(js_crash(frames=frames))
    assert fingerprint(js_crash(CHROME, frames=frames)) != fingerprint(js_crash(CHROME))


def test_other_javascript_call_paths_and_types_differ() -> None:
    from_autosave = CHROME.replace("SettingsForm.submit", "Timer.autoSave")
    assert fingerprint(js_crash(from_autosave)) != fingerprint(js_crash(CHROME))
    assert fingerprint(js_crash(CHROME, type="RangeError")) != fingerprint(js_crash(CHROME))
    other_file = CHROME.replace("/app.3f9a2b1c.js", "/admin.3f9a2b1c.js")
    assert fingerprint(js_crash(other_file)) != fingerprint(js_crash(CHROME))


def test_browser_extension_and_native_frames_do_not_split() -> None:
    with_extension = (
        CHROME + "\n    at wrapped (chrome-extension://abcdefghijklmnop/inject.js:1:99)"
        "\n    at Array.forEach (<anonymous>)"
    )
    assert fingerprint(js_crash(with_extension)) == fingerprint(js_crash(CHROME))
    safari_native = SAFARI + "\nforEach@[native code]\nwrapped@moz-extension://1234/inject.js:1:1"
    assert fingerprint(js_crash(safari_native)) == fingerprint(js_crash(SAFARI))


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("saveSettings", "saveSettings"),
        ("async saveSettings", "saveSettings"),
        ("async*saveSettings", "saveSettings"),
        ("promise callback*saveSettings", "saveSettings"),
        ("new SettingsForm", "SettingsForm"),
        ("Object.saveSettings", "saveSettings"),
        ("HTMLButtonElement.onClick", "onClick"),
        ("SettingsForm.prototype.submit", "submit"),
        ("Foo.bar [as baz]", "bar"),
        ("get SettingsForm.values", "values"),
        ("setupForm/onClick", "onClick"),
        ("Cart.total", "total"),
        ("test.<locals>.worker", "worker"),
        ("step2", "step"),
        ("handler_0x7f3a", "handler_"),
        ("setupForm/<", ""),
        ("setupForm/</<", ""),
        ("init<", ""),
        ("Object.<anonymous>", ""),
        ("<anonymous>", ""),
        ("<lambda>", ""),
        ("<module>", ""),
        ("<listcomp>", ""),
        ("global code", ""),
        ("eval code", ""),
        ("module code", ""),
        ("eval", ""),
        ("anonymous", ""),
        ("?", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_function_names_are_normalised_across_engines(printed: str | None, name: str) -> None:
    assert function_name(printed) == name


@pytest.mark.parametrize(
    ("file", "module"),
    [
        (APP, "app"),
        ("https://app.example.com/static/js/main.3f9a2b1c.js?v=2#top", "main"),
        ("https://app.example.com/assets/chunk-ABCD1234.js", "chunk"),
        ("https://app.example.com/assets/app-4f3a.min.js", "app"),
        ("https://app.example.com/assets/index-BbLxdFqx.js", "index"),
        ("https://app.example.com/static/js/838.a1b2c3d4.chunk.js", ""),
        ("https://app.example.com/static/js/vendors~main.5e6f7a8b.chunk.js", "vendors-main"),
        ("webpack://shop/./src/settings/form.tsx", "form"),
        ("webpack-internal:///./src/settings/form.tsx", "form"),
        ("https://app.example.com/app.js line 2 > eval", "app"),
        ("/home/ann/src/shop/shop/cart.py", "cart"),
        ("/srv/releases/2026-11-25/shop/cart.py", "cart"),
        ("/srv/venv/lib/python3.12/site-packages/shop/__init__.py", "shop"),
        ("C:\\shop\\cart.py", "cart"),
        ("<frozen importlib._bootstrap>", ""),
        ("[native code]", ""),
        (None, ""),
    ],
)
def test_files_are_reduced_to_the_module_they_stand_for(file: str | None, module: str) -> None:
    assert file_module(file) == module


def test_module_names_and_files_of_one_python_module_agree() -> None:
    from_sdk = Frame(module="shop.cart", function="Cart.total", file="/a/shop/cart.py")
    from_text = Frame(function="total", file="/srv/releases/9/shop/cart.py")
    assert frame_key(from_sdk) == frame_key(from_text) == "cart:total"
    script = Frame(module="__main__", function="main", file="/srv/tools/backfill.py")
    assert frame_key(script) == frame_key(Frame(function="main", file="backfill.py"))


def test_builtins_as_the_module_of_a_type_does_not_split_python() -> None:
    with_module = make(exception={"type": "KeyError", "module": "builtins"})
    without = make(exception={"type": "KeyError"})
    assert fingerprint(with_module) == fingerprint(without)
    qualified = make(exception={"type": "shop.errors.PaymentError"})
    split = make(exception={"type": "PaymentError", "module": "shop.errors"})
    assert fingerprint(qualified) == fingerprint(split)
    other = make(exception={"type": "PaymentError", "module": "billing.errors"})
    assert fingerprint(other) != fingerprint(split)


class CheckoutError(Exception):
    pass


class PaymentError(Exception):
    pass


def read_price(prices: dict[str, int]) -> int:
    return prices["price"]


def checkout(prices: dict[str, int], error: type[Exception] = CheckoutError) -> int:
    try:
        return read_price(prices)
    except KeyError as exc:
        raise error("no price for this cart") from exc


def charge(prices: dict[str, int]) -> int:
    try:
        return int(str(prices["amount"]))
    except (KeyError, ValueError) as exc:
        raise CheckoutError("cannot charge") from exc


def sdk_report(exc: BaseException) -> Report:
    """A report with ``exc`` as the Python SDK sends it."""
    exception = expand({"exception": describe(exc, handled=False)}, InApp())["exception"]
    return make(kind="crash", exception=exception)


def raised(function: Callable[..., object], *args: Any) -> BaseException:
    with pytest.raises(Exception) as caught:  # any: the test compares them
        function(*args)
    return caught.value


def test_a_chained_python_exception_is_keyed_by_its_root_cause() -> None:
    checkout_error = sdk_report(raised(checkout, {}))
    assert checkout_error.exception is not None
    assert [e.type for e in checkout_error.exception.chain] == ["KeyError"]
    # Another wrapper around the same root cause, raised from the same place: one group.
    payment_error = sdk_report(raised(checkout, {}, PaymentError))
    assert fingerprint(checkout_error) == fingerprint(payment_error)
    # The same wrapper around another root cause, or the same root elsewhere: two groups.
    assert fingerprint(checkout_error) != fingerprint(sdk_report(raised(charge, {})))
    assert fingerprint(sdk_report(raised(charge, {}))) != fingerprint(
        sdk_report(raised(charge, {"amount": "x"}))
    )
    root = ["exception", "KeyError", "test_fingerprint:checkout", "test_fingerprint:read_price"]
    assert fingerprint(checkout_error) == sha256("\x1f".join(root).encode())


def test_a_root_cause_never_raised_takes_the_call_path_of_the_exception_before_it() -> None:
    def configure() -> None:
        raise CheckoutError("no price") from KeyError("price")

    def validate() -> None:
        raise CheckoutError("no price") from KeyError("price")

    from_configure = sdk_report(raised(configure))
    assert from_configure.exception is not None
    assert from_configure.exception.chain[0].frames == []
    assert fingerprint(from_configure) == fingerprint(sdk_report(raised(configure)))
    assert fingerprint(from_configure) != fingerprint(sdk_report(raised(validate)))

    def configure_unchained() -> None:
        raise CheckoutError("no price")

    unchained = sdk_report(raised(configure_unchained))
    assert unchained.exception is not None
    assert exception_parts(unchained.exception)[1] == f"{__name__}.CheckoutError"
    assert exception_parts(from_configure.exception)[:2] == ["exception", "KeyError"]


def parse_config(text: str) -> object:
    return json.loads(text)


def test_a_python_crash_from_the_sdk_and_from_a_printed_traceback_agree() -> None:
    try:
        parse_config("{not json")
    except ValueError as exc:
        from_sdk = sdk_report(exc)
        printed = traceback.format_exc()
    assert from_sdk.exception is not None
    from_text = make(
        kind="crash",
        exception={"type": "JSONDecodeError", "module": "json.decoder", "stack": printed},
    )
    assert fingerprint(from_sdk) == fingerprint(from_text)
    parts = exception_parts(from_sdk.exception)
    assert parts[1] == "json.decoder.JSONDecodeError"
    assert parts[-1] == "test_fingerprint:parse_config"  # the json package is not in-app


def recurse(depth: int) -> int:
    if depth == 0:
        return read_price({})
    return recurse(depth - 1)


def ping(depth: int) -> int:
    return read_price({}) if depth == 0 else pong(depth - 1)


def pong(depth: int) -> int:
    return ping(depth - 1) if depth else read_price({})


def test_the_depth_of_recursion_does_not_split() -> None:
    shallow = fingerprint(sdk_report(raised(recurse, 2)))
    assert shallow == fingerprint(sdk_report(raised(recurse, 50)))
    assert shallow == fingerprint(sdk_report(raised(recurse, 500)))
    assert shallow != fingerprint(sdk_report(raised(ping, 0)))
    assert fingerprint(sdk_report(raised(ping, 4))) == fingerprint(sdk_report(raised(ping, 40)))


def test_repeats_of_a_frame_or_a_cycle_collapse() -> None:
    assert collapse_repeats(["a", "b", "b", "b", "c"]) == ["b", "c"]
    assert collapse_repeats(["a", "b", "c", "b", "c", "b", "c", "d"]) == ["b", "c", "d"]
    assert collapse_repeats(["a", "b", "a", "c"]) == ["a", "b", "a", "c"]
    assert collapse_repeats(["a", "b", "b", "c", "d", "d"]) == ["b", "c", "d"]
    five = ["a", "b", "c", "d", "e"]
    assert collapse_repeats(["x", *five, *five]) == ["x", *five, *five]  # longer than MAX_CYCLE


def test_only_the_innermost_frames_count() -> None:
    inner = [(f"shop.step{i}", f"run_{chr(97 + i)}", 1, True) for i in range(MAX_KEY_FRAMES)]
    deep = crash("KeyError", ("shop.cli", "main", 1, True), *inner)
    deeper = crash(
        "KeyError", ("shop.web", "handle", 1, True), ("shop.web", "route", 1, True), *inner
    )
    assert fingerprint(deep) == fingerprint(deeper)
    other_inner = crash("KeyError", ("shop.cli", "main", 1, True), *inner[:-1])
    assert fingerprint(deep) != fingerprint(other_inner)


def test_frames_with_no_usable_name_do_not_count() -> None:
    named = crash("KeyError", ("shop.cart", "total", 1, True))
    with_unnamed = crash(
        "KeyError",
        ("shop.cart", "<lambda>", 3, True),
        ("shop.cart", "total", 1, True),
        ("shop.cart", "<genexpr>", 5, True),
    )
    assert fingerprint(named) == fingerprint(with_unnamed)
