"""The desktop report dialog, for real: Tk under an Xvfb server, keys typed with xdotool.

Each Tk test opens a small red "app" window and calls ``sdk.ask_for_report`` in the main thread,
as an app's menu item would; the dialog is driven from Tk event bindings (its ``<Map>``, the
description's ``<FocusIn>``), so nothing waits for a fixed time. The model half (fields ->
report keywords, the preview, the strings) is tested without a display.
"""

from __future__ import annotations

import base64
import io
import logging
import os
import shutil
import subprocess
import sys
import tkinter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests

import sdk
from sdk import _guard
from sdk._guard import logger as sdk_logger
from sdk.integrations.tk import (
    STRINGS,
    Context,
    Form,
    Screenshot,
    environment_summary,
    pick_language,
    preview_items,
    report_kwargs,
    strings_for,
)
from sdk.models import Report
from sdk.testing import capture_reports
from sdk.transports.base import Transport

APP_SIZE = (400, 300)
APP_RED = (192, 0, 0)
DSN = "http://publickey@127.0.0.1:9/1"
EN, RU = STRINGS["en"], STRINGS["ru"]

# -- the model, without a display ------------------------------------------------------------


@pytest.mark.parametrize(
    ("lang", "environ", "system", "expected"),
    [
        ("ru", {}, "", "ru"),
        ("ru_RU", {"LANG": "en_US.UTF-8"}, "", "ru"),
        ("en", {"LANG": "ru_RU.UTF-8"}, "", "en"),
        ("de", {}, "", "en"),
        (None, {"LANG": "ru_RU.UTF-8"}, "", "ru"),
        (None, {"LC_ALL": "ru_UA.UTF-8", "LANG": "en_GB.UTF-8"}, "", "ru"),
        (None, {"LC_ALL": "en_GB.UTF-8", "LANG": "ru_RU.UTF-8"}, "", "en"),
        (None, {"LC_ALL": "C", "LANG": "ru_RU.UTF-8"}, "", "ru"),
        (None, {}, "ru_RU", "ru"),
        (None, {}, "Russian_Russia", "ru"),  # what Windows says
        (None, {}, "", "en"),
    ],
)
def test_the_language_comes_from_lang_else_the_locale(
    lang: str | None, environ: dict[str, str], system: str, expected: str
) -> None:
    assert pick_language(lang, environ, system) == expected


def test_both_languages_have_every_string_and_the_app_can_override_any() -> None:
    assert set(STRINGS["ru"]) == set(STRINGS["en"])
    assert all(STRINGS["ru"][key] != STRINGS["en"][key] for key in ("send", "description"))
    text = strings_for("ru", {"send": "Отправить разработчикам"})
    assert text["send"] == "Отправить разработчикам"
    assert text["cancel"] == "Отмена"


def test_an_unknown_string_is_ignored_and_named_in_the_sdk_log(
    sdk_log: list[logging.LogRecord],
) -> None:
    assert strings_for("en", {"sned": "Go"}) == STRINGS["en"]
    assert "'sned'" in sdk_log[-1].getMessage()


@pytest.mark.parametrize(
    ("category", "kind"), [("bug", "bug"), ("idea", "feedback"), ("question", "feedback")]
)
def test_the_category_gives_the_kind_and_a_tag(category: str, kind: str) -> None:
    kwargs = report_kwargs(Form(description=" It broke \n", category=category), Context())
    assert kwargs["kind"] == kind
    assert kwargs["tags"] == {"category": category}
    assert kwargs["description"] == "It broke"
    assert kwargs["impact"] is None
    assert kwargs["user"] is None
    assert kwargs["attachments"] is None
    assert kwargs["leave_out"] == []


def test_what_is_unticked_is_left_out_of_the_report_keywords() -> None:
    shot = Screenshot(b"png", 4, 3)
    form = Form(description="d", title="t", email="a@example.com", impact="cosmetic")
    context = Context(screenshot=shot, actions=2, logs=1, network=1, known_email="a@example.com")
    kept = report_kwargs(form, context)
    assert (kept["title"], kept["impact"], kept["user"]) == ("t", "cosmetic", {"email": form.email})
    assert kept["attachments"] == [("screenshot.png", b"png", "image/png")]
    form.left_out = {"title", "email", "impact", "screenshot", "actions", "logs", "environment"}
    dropped = report_kwargs(form, context)
    assert (dropped["title"], dropped["impact"], dropped["attachments"]) == ("", None, None)
    assert dropped["user"] == {"email": None}  # also the scope's email is not sent
    assert dropped["leave_out"] == ["actions", "app", "runtime", "os", "device", "logs"]


def test_the_preview_lists_everything_and_marks_what_cannot_be_unticked() -> None:
    form = Form(description="Export fails\nwith a long story", title="Export", category="idea")
    form.impact = "blocks_work"
    context = Context(
        screenshot=Screenshot(b"x" * 3000, 800, 600),
        actions=12,
        logs=0,
        network=2,
        environment="Shop 2.4.1, CPython 3.11.7",
        exception="KeyError: 'sku'",
    )
    items = {item.key: item for item in preview_items(form, context, EN)}
    assert list(items) == [
        "description",
        "title",
        "category",
        "impact",
        "screenshot",
        "actions",
        "network",
        "environment",
        "exception",
    ]  # no email and no log lines: nothing to send
    assert items["description"].text == "Description: Export fails…"
    assert items["category"].text == "Category: Idea"
    assert items["impact"].text == "How bad: Blocks my work"
    assert items["screenshot"].text == "Screenshot: 800×600, 3 KB"
    assert items["actions"].text == "Recent actions in the app: 12"
    assert items["network"].text == "Failed network requests: 2"
    assert items["exception"].text == "Error in the app: KeyError: 'sku'"
    assert [k for k, item in items.items() if not item.optional] == ["description", "category"]
    russian = {item.key: item.text for item in preview_items(form, context, RU)}
    assert russian["actions"] == "Последние действия в программе: 12"


def test_a_string_with_wrong_placeholders_is_shown_as_written() -> None:
    text = strings_for("en", {"item_actions": "Steps: {number}"})
    items = preview_items(Form(description="d"), Context(actions=3), text)
    assert items[-1].text == "Steps: {number}"


def test_the_environment_summary_is_one_line_of_what_is_known() -> None:
    draft = {
        "app": {"name": "shop", "release": "2.4.1", "environment": "production"},
        "runtime": {"name": "CPython", "version": "3.11.7"},
        "os": {"name": "Linux"},
        "device": {"family": "desktop", "arch": "x86_64", "cpu_count": 8},
    }
    assert environment_summary(draft) == (
        "shop 2.4.1 production, CPython 3.11.7, Linux, desktop x86_64"
    )
    assert environment_summary({}) == ""


# -- the real dialog -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xvfb() -> Iterator[str]:
    """A private X server; ``-displayfd`` picks a free display and says so once it is ready."""
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (Debian: apt-get install xvfb): no display for Tk")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    with os.fdopen(read) as ready:
        number = ready.readline().strip()  # empty: the server exited
    if not number:
        server.wait()
        pytest.fail(f"Xvfb did not start (exit status {server.returncode})")
    yield f":{number}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def display(xvfb: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DISPLAY", xvfb)
    for name in ("LC_ALL", "LC_MESSAGES"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    return xvfb


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def sdk_log() -> Iterator[list[logging.LogRecord]]:
    """What the SDK's own (otherwise silent) logger says."""
    handler = ListHandler()
    sdk_logger.addHandler(handler)
    previous = sdk_logger.level
    sdk_logger.setLevel(logging.DEBUG)
    yield handler.records
    sdk_logger.removeHandler(handler)
    sdk_logger.setLevel(previous)


@dataclass
class App:
    """The app's main window, and the steps that drive the dialog once it is on screen."""

    root: tkinter.Tk
    errors: list[BaseException] = field(default_factory=list)

    def guard(self, step: Callable[[], object], widget: tkinter.Misc) -> None:
        """Run a test step inside Tk: a failure is kept for the test and closes the dialog."""
        try:
            step()
        except BaseException as exc:
            self.errors.append(exc)
            widget.winfo_toplevel().destroy()

    def when_open(self, step: Callable[[Any], object]) -> None:
        """Run ``step(dialog)`` once the dialog is mapped."""

        def opened(event: Any) -> None:
            dialog = event.widget
            if not once.get(dialog):  # <Map> can come twice; the step runs outside of it
                once[dialog] = True
                self.root.after_idle(lambda: self.guard(lambda: ready(dialog), dialog))

        def ready(dialog: Any) -> None:
            dialog.update()  # every widget on screen, as a user finds the dialog
            step(dialog)

        once: dict[Any, bool] = {}

        self.root.bind_class("BugRelayReport", "<Map>", opened)

    def when_sent(self, step: Callable[[Any], object] | None = None) -> None:
        """Run ``step(confirmation)`` when the confirmation shows, then close it."""

        def shown(event: Any) -> None:
            done = event.widget
            if once.get(done):
                return
            once[done] = True

            def close() -> None:
                if step is not None:
                    step(done)
                done.nametowidget("close").invoke()

            self.root.after_idle(lambda: self.guard(close, done))

        once: dict[Any, bool] = {}

        self.root.bind_class("BugRelaySent", "<Map>", shown)

    def focus(self, dialog: Any, then: Callable[[], object]) -> None:
        """Give the dialog the X focus, as a window manager would (Xvfb runs none), then run
        ``then`` once Tk has it."""
        description = dialog.nametowidget("form.description")

        def focused(_event: Any) -> None:
            if not done:
                done.append(True)
                self.root.after_idle(lambda: self.guard(then, dialog))

        done: list[bool] = []
        description.bind("<FocusIn>", focused, add=True)
        xdotool("search", "--onlyvisible", "--class", "BugRelayReport", "windowfocus", "--sync")

    def check(self) -> None:
        if self.errors:
            raise self.errors[0]


@pytest.fixture
def app(display: str) -> Iterator[App]:
    root = tkinter.Tk()
    root.title("Shop")
    root.geometry("{}x{}+40+30".format(*APP_SIZE))
    root.configure(background="#c00000")
    root.wait_visibility()
    app = App(root)
    root.report_callback_exception = lambda _type, exc, _tb: app.errors.append(exc)
    yield app
    root.destroy()
    app.check()


def xdotool(*args: str) -> None:
    subprocess.run(["xdotool", *args], check=True, timeout=30)


needs_xdotool = pytest.mark.skipif(
    shutil.which("xdotool") is None,
    reason="xdotool is not installed (Debian: apt-get install xdotool)",
)


def ask(app: App, **kwargs: Any) -> tuple[str, list[Report]]:
    with capture_reports() as reports:
        report_id = sdk.ask_for_report(app.root, **kwargs)
    app.check()
    return report_id, reports


def fill(dialog: Any, description: str = "", title: str = "", email: str | None = None) -> None:
    dialog.nametowidget("form.description").insert("1.0", description)
    dialog.nametowidget("form.title").insert(0, title)
    if email is not None:
        dialog.nametowidget("form.email").delete(0, "end")
        dialog.nametowidget("form.email").insert(0, email)


def preview(dialog: Any) -> dict[str, Any]:
    """Open the preview; its check boxes by item key."""
    dialog.nametowidget("form.preview_toggle").invoke()
    boxes = dialog.nametowidget("form.preview").winfo_children()
    return {str(box).rsplit(".item_", 1)[1]: box for box in boxes if ".item_" in str(box)}


def send(dialog: Any) -> None:
    dialog.nametowidget("form.buttons.send").invoke()


def record_a_trail() -> None:
    sdk.set_user(id="42", email="ann@example.com")
    sdk.add_action("opened Export")
    logging.getLogger("shop.export").warning("export took %d s", 31)
    with pytest.raises(requests.ConnectionError):
        requests.get("http://127.0.0.1:9/export", timeout=5)


def screenshot_of(report: Report) -> Any:
    from PIL import Image  # noqa: PLC0415

    [attachment] = report.attachments
    assert (attachment.name, attachment.content_type) == ("screenshot.png", "image/png")
    return Image.open(io.BytesIO(base64.b64decode(attachment.data)))


def test_the_dialog_sends_what_the_user_filled_in_with_the_trail_and_a_screenshot(
    app: App,
) -> None:
    seen: dict[str, Any] = {}

    def step(dialog: Any) -> None:
        seen["email"] = dialog.nametowidget("form.email").get()
        fill(dialog, "Export hangs at 99%", title="Export hangs")
        dialog.nametowidget("form.category.idea").invoke()
        dialog.nametowidget("form.impact.annoying").invoke()
        seen["preview"] = {key: box.cget("text") for key, box in preview(dialog).items()}
        send(dialog)

    def confirmation(done: Any) -> None:
        seen["shown_id"] = done.nametowidget("report_id").get()

    app.when_open(step)
    app.when_sent(confirmation)
    with capture_reports() as reports:
        record_a_trail()
        report_id = sdk.ask_for_report(app.root)
    app.check()

    [report] = reports
    assert report_id == str(report.id) == seen["shown_id"]
    assert seen["email"] == "ann@example.com"  # prefilled from the scope's user
    assert (report.description, report.title) == ("Export hangs at 99%", "Export hangs")
    assert (report.kind, report.impact) == ("feedback", "annoying")
    assert report.tags == {"category": "idea"}
    assert report.user is not None
    assert (report.user.id, report.user.email) == ("42", "ann@example.com")
    steps = [action.message for action in report.actions if action.category != "http"]
    assert steps == ["opened Export", "export took 31 s"]
    assert [entry.message for entry in report.logs] == ["export took 31 s"]
    assert [request.url for request in report.network] == ["http://127.0.0.1:9/export"]
    assert report.os is not None
    assert report.runtime is not None
    image = screenshot_of(report)
    assert image.size == APP_SIZE  # the app's window, and only it
    assert image.convert("RGB").getpixel((200, 150)) == APP_RED  # taken before the dialog drew
    assert list(seen["preview"]) == [
        "description",
        "title",
        "email",
        "category",
        "impact",
        "screenshot",
        "actions",
        "logs",
        "network",
        "environment",
    ]
    assert seen["preview"]["actions"] == "Recent actions in the app: 3"  # with the log line, HTTP
    assert seen["preview"]["screenshot"].startswith("Screenshot: 400×300, ")


def test_what_is_unticked_in_the_preview_is_not_sent(app: App) -> None:
    def step(dialog: Any) -> None:
        fill(dialog, "Export hangs", title="Export")
        dialog.nametowidget("form.impact.cosmetic").invoke()
        boxes = preview(dialog)
        for key in ("title", "email", "impact", "screenshot", "actions", "logs", "network"):
            boxes[key].invoke()
        boxes["environment"].invoke()
        assert "disabled" in boxes["description"].state()
        assert dialog.nametowidget("form.screenshot").instate(["!selected"])  # the same choice
        send(dialog)

    app.when_open(step)
    app.when_sent()
    with capture_reports() as reports:
        record_a_trail()
        sdk.ask_for_report(app.root)
    app.check()

    [report] = reports
    assert report.description == "Export hangs"
    assert (report.title, report.impact, report.attachments) == ("", None, [])
    assert report.user is not None
    assert (report.user.id, report.user.email) == ("42", None)
    assert (report.actions, report.logs, report.network) == ([], [], [])
    assert (report.app, report.runtime, report.os, report.device) == (None, None, None, None)
    assert report.tags == {"category": "bug"}


def test_unticking_include_a_screenshot_sends_none(app: App) -> None:
    def step(dialog: Any) -> None:
        fill(dialog, "Colours are off")
        dialog.nametowidget("form.screenshot").invoke()
        assert preview(dialog)["screenshot"].instate(["!selected"])  # the same choice
        send(dialog)

    app.when_open(step)
    app.when_sent()
    _, [report] = ask(app)
    assert report.attachments == []


@needs_xdotool
def test_real_keys_type_the_report_and_ctrl_enter_sends_it(app: App) -> None:
    """Tab leaves the description, Enter in a one-line field only moves on, Ctrl+Enter sends."""

    def step(dialog: Any) -> None:
        def keys() -> None:
            xdotool("type", "--delay", "5", "Export crashes on save")
            xdotool("key", "Tab")
            xdotool("type", "--delay", "5", "Export")
            xdotool("key", "Return")  # in the title: no report yet, the email field is next
            xdotool("type", "--delay", "5", "me@example.com")
            xdotool("key", "ctrl+Return")

        app.focus(dialog, keys)

    app.when_open(step)
    app.when_sent()
    report_id, [report] = ask(app)
    assert report_id == str(report.id)
    assert (report.description, report.title) == ("Export crashes on save", "Export")
    assert report.user is not None
    assert report.user.email == "me@example.com"


@needs_xdotool
def test_escape_cancels_and_nothing_is_sent(app: App) -> None:
    def step(dialog: Any) -> None:
        dialog.nametowidget("form.description").insert("1.0", "Never mind")
        app.focus(dialog, lambda: xdotool("key", "Escape"))

    app.when_open(step)
    assert ask(app) == ("", [])


def test_cancel_sends_nothing(app: App) -> None:
    def step(dialog: Any) -> None:
        fill(dialog, "Never mind", title="Nothing")
        dialog.nametowidget("form.buttons.cancel").invoke()

    app.when_open(step)
    assert ask(app) == ("", [])
    assert app.root.winfo_children() == []  # the dialog is gone


def test_an_empty_description_is_refused_inline_and_nothing_is_sent(app: App) -> None:
    seen: dict[str, Any] = {}

    def step(dialog: Any) -> None:
        fill(dialog, "  \n ", title="Only a title")
        send(dialog)
        error = dialog.nametowidget("form.error")
        seen["error"] = (error.winfo_ismapped() or bool(error.grid_info()), error.cget("text"))
        seen["focus"] = str(dialog.focus_lastfor())
        dialog.nametowidget("form.description").insert("end", "x")  # typing hides the error
        dialog.update()  # Tk queues the text's <<Modified>>
        seen["after typing"] = bool(error.grid_info())
        dialog.nametowidget("form.buttons.cancel").invoke()

    app.when_open(step)
    assert ask(app) == ("", [])
    assert seen["error"] == (True, "Please describe what happened.")
    assert seen["focus"].endswith(".form.description")
    assert seen["after typing"] is False


def test_the_keyboard_focus_goes_through_the_form_in_order(app: App) -> None:
    order: list[str] = []

    def step(dialog: Any) -> None:
        widget = dialog.nametowidget("form.description")
        for _ in range(14):
            order.append(str(widget).split(".form.", 1)[1])
            widget = widget.tk_focusNext()
        dialog.nametowidget("form.buttons.cancel").invoke()

    app.when_open(step)
    ask(app)
    assert order == [
        "description",
        "title",
        "email",
        "category.bug",
        "category.idea",
        "category.question",
        "impact.blocks_work",
        "impact.annoying",
        "impact.cosmetic",
        "screenshot",
        "preview_toggle",
        "buttons.cancel",
        "buttons.send",
        "description",
    ]


def test_russian_strings_with_lang_ru(app: App) -> None:
    seen: dict[str, Any] = {}

    def step(dialog: Any) -> None:
        seen["window"] = dialog.title()
        seen["send"] = dialog.nametowidget("form.buttons.send").cget("text")
        seen["idea"] = dialog.nametowidget("form.category.idea").cget("text")
        seen["blocks"] = dialog.nametowidget("form.impact.blocks_work").cget("text")
        seen["screenshot"] = dialog.nametowidget("form.screenshot").cget("text")
        seen["items"] = [box.cget("text") for box in preview(dialog).values()]
        send(dialog)
        seen["error"] = dialog.nametowidget("form.error").cget("text")
        dialog.nametowidget("form.description").insert("1.0", "Не сохраняется файл")
        send(dialog)

    def confirmation(done: Any) -> None:
        seen["close"] = done.nametowidget("close").cget("text")

    app.when_open(step)
    app.when_sent(confirmation)
    _, [report] = ask(app, lang="ru")
    assert report.description == "Не сохраняется файл"
    assert seen["window"] == "Сообщить о проблеме"
    assert (seen["send"], seen["idea"], seen["blocks"]) == ("Отправить", "Идея", "Не даёт работать")
    assert seen["screenshot"] == "Приложить снимок экрана"
    assert seen["items"][:2] == ["Описание: ", "Тип: Ошибка"]
    assert seen["error"] == "Опишите, пожалуйста, что случилось."
    assert seen["close"] == "Закрыть"


def test_the_locale_chooses_russian_and_the_app_overrides_strings_and_prefills(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANG", "ru_RU.UTF-8")
    seen: dict[str, str] = {}

    def step(dialog: Any) -> None:
        seen["window"] = dialog.title()
        seen["send"] = dialog.nametowidget("form.buttons.send").cget("text")
        seen["title"] = dialog.nametowidget("form.title").get()
        send(dialog)

    app.when_open(step)
    app.when_sent()
    _, [report] = ask(
        app,
        strings={"send": "Отправить разработчикам"},
        title="Экспорт",
        description="Экспорт зависает",
    )
    assert seen == {
        "window": "Сообщить о проблеме",
        "send": "Отправить разработчикам",
        "title": "Экспорт",
    }
    assert (report.title, report.description) == ("Экспорт", "Экспорт зависает")


def test_without_pillow_the_screenshot_box_is_disabled_and_says_why(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "PIL", None)  # `from PIL import ...` raises ImportError
    seen: dict[str, Any] = {}

    def step(dialog: Any) -> None:
        box = dialog.nametowidget("form.screenshot")
        seen["box"] = (box.instate(["disabled"]), box.instate(["selected"]))
        seen["note"] = dialog.nametowidget("form.screenshot_note").cget("text")
        fill(dialog, "No picture")
        send(dialog)

    app.when_open(step)
    app.when_sent()
    _, [report] = ask(app)
    assert seen["box"] == (True, False)
    assert "Pillow" in seen["note"]
    assert report.attachments == []


def test_include_screenshot_false_offers_and_takes_none(app: App) -> None:
    seen: dict[str, Any] = {}

    def step(dialog: Any) -> None:
        seen["children"] = [
            str(w).rsplit(".", 1)[1] for w in dialog.nametowidget("form").winfo_children()
        ]
        fill(dialog, "Private data on screen")
        send(dialog)

    app.when_open(step)
    app.when_sent()
    _, [report] = ask(app, include_screenshot=False)
    assert "screenshot" not in seen["children"]
    assert report.attachments == []


@pytest.mark.parametrize("keep", [True, False])
def test_asked_from_an_except_block_the_error_is_listed_and_can_be_left_out(
    app: App, keep: bool
) -> None:
    seen: dict[str, str] = {}

    def step(dialog: Any) -> None:
        fill(dialog, "It crashed while saving")
        boxes = preview(dialog)
        seen["item"] = boxes["exception"].cget("text")
        if not keep:
            boxes["exception"].invoke()
        send(dialog)

    app.when_open(step)
    app.when_sent()
    with capture_reports() as reports:
        stock: dict[str, int] = {}
        try:
            stock["sku"]
        except KeyError:
            sdk.ask_for_report(app.root)
    app.check()
    assert seen["item"] == "Error in the app: KeyError: 'sku'"
    assert (reports[0].exception is not None) is keep
    if keep:
        assert reports[0].exception is not None
        assert reports[0].exception.type == "KeyError"


@needs_xdotool
def test_without_a_parent_a_hidden_root_is_made_and_the_screen_is_captured(
    display: str,
) -> None:
    # No window of ours to bind to: a real user (xdotool) finds the dialog, types, sends, closes.
    # On any failure the dialog gets an Escape, so that the test fails instead of waiting.
    script = (
        "w=$(timeout 30 xdotool search --sync --onlyvisible --class BugRelayReport | head -n 1)"
        ' && xdotool windowfocus --sync "$w"'
        ' && xdotool type --delay 5 "Menu item does nothing"'
        " && xdotool key ctrl+Return Return"  # sends, then Enter closes the confirmation
        " || { xdotool key Escape; exit 1; }"
    )
    user = subprocess.Popen(["sh", "-c", script])
    with capture_reports() as reports:
        report_id = sdk.ask_for_report()
    assert user.wait(timeout=30) == 0
    [report] = reports
    assert report_id == str(report.id)
    assert report.description == "Menu item does nothing"
    assert screenshot_of(report).size == (1280, 800)  # no app window known: the whole screen


def test_while_the_sdk_is_off_no_window_opens(app: App) -> None:
    assert not sdk.is_enabled()
    app.when_open(lambda dialog: pytest.fail("a dialog opened"))
    assert sdk.ask_for_report(app.root) == ""
    assert sdk.ask_for_report() == ""
    assert app.root.winfo_children() == []


def test_without_a_display_it_returns_nothing_and_says_why_in_the_sdk_log(
    monkeypatch: pytest.MonkeyPatch, sdk_log: list[logging.LogRecord]
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with capture_reports() as reports:
        assert sdk.ask_for_report() == ""
    assert reports == []
    assert "cannot show its report dialog" in sdk_log[-1].getMessage()
    assert "display" in sdk_log[-1].getMessage()


def test_without_tkinter_it_returns_nothing_and_says_why() -> None:
    program = (
        "import logging, sys\n"
        "sys.modules['tkinter'] = None\n"
        "import sdk\n"
        "from sdk.testing import CapturingTransport\n"
        "logging.getLogger('bugrelay.sdk').addHandler(logging.StreamHandler(sys.stdout))\n"
        f"sdk.init({DSN!r}, transport=CapturingTransport())\n"
        "print(repr(sdk.ask_for_report()))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.splitlines()[-1] == "''"
    assert "cannot show its report dialog" in result.stdout
    assert result.stderr == ""


class BrokenTransport(Transport):
    def send(self, payload: bytes, report_id: str) -> bool:
        raise RuntimeError("disk on fire")

    def flush(self, timeout: float) -> bool:
        return True


def test_a_report_that_cannot_be_sent_is_told_to_the_user_and_nothing_raises(app: App) -> None:
    _guard.set_testing(reraise=False)  # as in production: the SDK's error is only logged
    seen: dict[str, str] = {}

    def step(dialog: Any) -> None:
        fill(dialog, "Saving fails")
        send(dialog)

    def confirmation(done: Any) -> None:
        seen["message"] = done.winfo_children()[0].cget("text")

    app.when_open(step)
    app.when_sent(confirmation)
    sdk.init(DSN, transport=BrokenTransport())
    assert sdk.ask_for_report(app.root) == ""
    app.check()
    assert seen["message"] == "Sorry, the report could not be sent."
