"""The desktop "Report a bug" dialog of :func:`sdk.ask_for_report`, in Tkinter.

Two halves. The model (:class:`Form`, :class:`Context`, :func:`preview_items`,
:func:`report_kwargs`, :func:`pick_language`, :data:`STRINGS`) turns what the user filled in
into the keywords of :meth:`sdk.client.Client.report` and needs no display. The view
(:class:`ReportDialog`) is a modal ``Toplevel`` of standard Tk widgets that fills a :class:`Form`;
the report then goes through the client like any other (collectors, scrubbing, spool, delivery).

The screenshot is optional: it needs Pillow (``PIL.ImageGrab``, which on Linux reads the X
display) and is taken before the dialog is drawn, so the dialog is not in it.
"""

from __future__ import annotations

import io
import locale
import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from sdk._guard import capture_internal_exceptions, logger
from sdk.scope import current_scope

_tk_missing: ImportError | None = None
try:
    import tkinter
    from tkinter import ttk
except ImportError as exc:  # a Python built without Tk (Debian ships it apart: python3-tk)
    _tk_missing = exc

if TYPE_CHECKING:
    from PIL.Image import Image

    from sdk.client import AttachmentInput, Client

# The category the user picks -> the report's kind (it is also sent as the tag `category`).
CATEGORIES: dict[str, str] = {"bug": "bug", "idea": "feedback", "question": "feedback"}
IMPACTS = ("blocks_work", "annoying", "cosmetic")  # the wire schema's `impact`
# What unticking a preview item leaves out of the report (Client.report's `leave_out`); the
# form's own items (title, email, impact, screenshot) are simply not passed.
LEAVE_OUT: dict[str, tuple[str, ...]] = {
    "actions": ("actions",),
    "logs": ("logs",),
    "network": ("network",),
    "environment": ("app", "runtime", "os", "device"),
    "exception": ("exception",),
}
MAX_SCREENSHOT_BYTES = 5 * 1024 * 1024  # sdk.models.MAX_ATTACHMENT_BYTES (no pydantic here)

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "window_title": "Report a problem",
        "description": "What happened?",
        "description_hint": "What you did, what you expected, and what happened instead.",
        "description_missing": "Please describe what happened.",
        "title": "Short title (optional)",
        "email": "Your email, for a reply (optional)",
        "category": "Category:",
        "category_bug": "Bug",
        "category_idea": "Idea",
        "category_question": "Question",
        "impact": "How bad is it?",
        "impact_blocks_work": "Blocks my work",
        "impact_annoying": "Annoying",
        "impact_cosmetic": "Cosmetic",
        "screenshot": "Include a screenshot",
        "screenshot_needs_pillow": "A screenshot needs the Pillow package (pip install pillow).",
        "screenshot_unavailable": "No screenshot could be taken here.",
        "preview_show": "Preview what will be sent",
        "preview_hide": "Hide the preview",
        "preview_hint": "Untick anything you would rather not send.",
        "item_description": "Description: {value}",
        "item_title": "Title: {value}",
        "item_email": "Email: {value}",
        "item_category": "Category: {value}",
        "item_impact": "How bad: {value}",
        "item_screenshot": "Screenshot: {width}×{height}, {kb} KB",
        "item_actions": "Recent actions in the app: {count}",
        "item_logs": "Recent log lines: {count}",
        "item_network": "Failed network requests: {count}",
        "item_environment": "App and system: {value}",
        "item_exception": "Error in the app: {value}",
        "keys_hint": "Ctrl+Enter sends, Esc cancels.",
        "send": "Send",
        "cancel": "Cancel",
        "sent": "Thank you! Your report has been sent.",
        "report_id": "Its number, if you write to us about it:",
        "not_sent": "Sorry, the report could not be sent.",
        "close": "Close",
    },
    "ru": {
        "window_title": "Сообщить о проблеме",
        "description": "Что случилось?",
        "description_hint": "Что вы делали, чего ожидали и что произошло на самом деле.",
        "description_missing": "Опишите, пожалуйста, что случилось.",
        "title": "Коротко, в одну строку (необязательно)",
        "email": "Ваша почта для ответа (необязательно)",
        "category": "Тип:",
        "category_bug": "Ошибка",
        "category_idea": "Идея",
        "category_question": "Вопрос",
        "impact": "Насколько это мешает?",
        "impact_blocks_work": "Не даёт работать",
        "impact_annoying": "Раздражает",
        "impact_cosmetic": "Мелочь, внешний вид",
        "screenshot": "Приложить снимок экрана",
        "screenshot_needs_pillow": "Для снимка экрана нужен пакет Pillow (pip install pillow).",
        "screenshot_unavailable": "Сделать снимок экрана здесь не удалось.",
        "preview_show": "Посмотреть, что будет отправлено",
        "preview_hide": "Скрыть",
        "preview_hint": "Снимите галочку с того, что не хотите отправлять.",
        "item_description": "Описание: {value}",
        "item_title": "Заголовок: {value}",
        "item_email": "Почта: {value}",
        "item_category": "Тип: {value}",
        "item_impact": "Насколько мешает: {value}",
        "item_screenshot": "Снимок экрана: {width}×{height}, {kb} КБ",
        "item_actions": "Последние действия в программе: {count}",
        "item_logs": "Последние записи журнала: {count}",
        "item_network": "Неудачные сетевые запросы: {count}",
        "item_environment": "Программа и система: {value}",
        "item_exception": "Сбой в программе: {value}",
        "keys_hint": "Ctrl+Enter — отправить, Esc — отменить.",
        "send": "Отправить",
        "cancel": "Отмена",
        "sent": "Спасибо! Сообщение отправлено.",
        "report_id": "Его номер, если будете писать нам о нём:",
        "not_sent": "К сожалению, отправить сообщение не удалось.",
        "close": "Закрыть",
    },
}


# -- the model: no display needed ------------------------------------------------------------


def pick_language(
    lang: str | None = None,
    environ: Mapping[str, str] = os.environ,
    system_locale: str | None = None,
) -> str:
    """``"ru"`` or ``"en"``: from ``lang``, else the first locale setting that names a language
    (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, then ``locale.getlocale()``)."""
    if lang is None:
        if system_locale is None:
            system_locale = locale.getlocale()[0] or ""
        settings = [environ.get(name, "") for name in ("LC_ALL", "LC_MESSAGES", "LANG")]
        lang = next((s for s in [*settings, system_locale] if s and s not in ("C", "POSIX")), "")
    return "ru" if lang.lower().startswith("ru") else "en"


def strings_for(lang: str, overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """The dialog's strings in ``lang``, with the app's ``overrides`` (unknown keys are logged)."""
    text = dict(STRINGS[lang])
    for key, value in (overrides or {}).items():
        if key in text:
            text[key] = str(value)
        else:
            logger.warning("ask_for_report: no string is called %r; known: %s", key, sorted(text))
    return text


@dataclass(frozen=True)
class Screenshot:
    png: bytes
    width: int
    height: int


@dataclass
class Form:
    """What the user filled in; ``left_out`` holds the keys of the preview items unticked."""

    description: str = ""
    title: str = ""
    email: str = ""
    category: str = "bug"  # a key of CATEGORIES
    impact: str = ""  # one of IMPACTS, or "" for not said
    left_out: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Context:
    """What the report will carry besides the form, as found when the dialog opened."""

    screenshot: Screenshot | None = None
    actions: int = 0
    logs: int = 0
    network: int = 0
    environment: str = ""  # one line, see environment_summary()
    exception: str = ""  # the exception being handled, if the app asked from an except block
    known_email: str = ""  # the scope's user's email


@dataclass(frozen=True)
class PreviewItem:
    key: str
    text: str
    optional: bool = True  # False: part of the report itself, cannot be unticked


class ReportKwargs(TypedDict):
    title: str
    description: str
    kind: str
    impact: str | None
    tags: dict[str, str]
    user: dict[str, Any] | None
    attachments: list[AttachmentInput] | None
    leave_out: list[str]


def preview_items(form: Form, context: Context, text: Mapping[str, str]) -> list[PreviewItem]:
    """Everything the report will carry, one line each, whether ticked or not."""

    def item(key: str, optional: bool = True, **values: object) -> PreviewItem:
        return PreviewItem(key, _format(text[f"item_{key}"], **values), optional)

    items = [item("description", optional=False, value=_short(form.description))]
    if form.title.strip():
        items.append(item("title", value=_short(form.title)))
    if form.email.strip():
        items.append(item("email", value=form.email.strip()))
    items.append(item("category", optional=False, value=text[f"category_{form.category}"]))
    if form.impact:
        items.append(item("impact", value=text[f"impact_{form.impact}"]))
    shot = context.screenshot
    if shot is not None:
        kb = max(1, round(len(shot.png) / 1024))
        items.append(item("screenshot", width=shot.width, height=shot.height, kb=kb))
    for key, count in (("actions", context.actions), ("logs", context.logs)):
        if count:
            items.append(item(key, count=count))
    if context.network:
        items.append(item("network", count=context.network))
    if context.environment:
        items.append(item("environment", value=context.environment))
    if context.exception:
        items.append(item("exception", value=_short(context.exception)))
    return items


def report_kwargs(form: Form, context: Context) -> ReportKwargs:
    """The keywords of ``Client.report`` for this form: what is unticked is not sent."""
    out = form.left_out
    email = "" if "email" in out else form.email.strip()
    user: dict[str, Any] | None = None
    if email:
        user = {"email": email}
    elif context.known_email:
        user = {"email": None}  # the user cleared or unticked the scope's email
    shot = None if "screenshot" in out else context.screenshot
    return {
        "title": "" if "title" in out else form.title.strip(),
        "description": form.description.strip(),
        "kind": CATEGORIES[form.category],
        "impact": form.impact if form.impact and "impact" not in out else None,
        "tags": {"category": form.category},
        "user": user,
        "attachments": [("screenshot.png", shot.png, "image/png")] if shot else None,
        "leave_out": [name for key in sorted(out & LEAVE_OUT.keys()) for name in LEAVE_OUT[key]],
    }


def environment_summary(draft: Mapping[str, Any]) -> str:
    """One line from a draft's app, runtime, os and device sections."""

    def facts(section: str, *keys: str) -> str:
        values = draft.get(section) or {}
        return " ".join(str(values[key]) for key in keys if values.get(key))

    parts = [
        facts("app", "name", "release", "environment"),
        facts("runtime", "name", "version"),
        facts("os", "name", "version"),
        facts("device", "family", "arch"),
    ]
    return ", ".join(part for part in parts if part)


def gather_context(client: Client, screenshot: Screenshot | None) -> Context:
    """What the current scope and the client's collectors will add to the report."""
    scope = current_scope()
    draft: dict[str, Any] = {}
    for name in ("release", "environment"):
        collector = client.collector_by_name.get(name)
        if collector is not None:
            with capture_internal_exceptions():
                collector.apply(draft)
    exc = sys.exception()
    email = (scope.user or {}).get("email")
    return Context(
        screenshot=screenshot,
        actions=len(scope.actions),
        logs=len(scope.logs),
        network=len(scope.network),
        environment=environment_summary(draft),
        exception=f"{type(exc).__name__}: {exc}" if exc is not None else "",
        known_email=email if isinstance(email, str) else "",
    )


def _format(template: str, **values: object) -> str:
    try:
        return template.format(**values)
    except (KeyError, IndexError, ValueError) as exc:  # an app's string with other placeholders
        logger.warning("ask_for_report: the string %r does not fit its values: %s", template, exc)
        return template


def _short(text: str, limit: int = 60) -> str:
    line = text.strip().split("\n", 1)[0]
    return line if len(line) <= limit and line == text.strip() else line[: limit - 1] + "…"


# -- the screenshot --------------------------------------------------------------------------


def take_screenshot(widget: tkinter.Misc, whole_screen: bool) -> tuple[Screenshot | None, str]:
    """The app's mapped windows (``widget``'s), or the whole screen, as they are now; or None
    and the key of the string that says why not."""
    try:
        from PIL import Image, ImageGrab  # noqa: PLC0415  (optional: the SDK does not need it)
    except ImportError:
        return None, "screenshot_needs_pillow"
    try:
        if whole_screen:
            return encode_png(ImageGrab.grab()), ""
        boxes = window_boxes(widget)
        if not boxes:
            return None, "screenshot_unavailable"
        left, top = min(b[0] for b in boxes), min(b[1] for b in boxes)
        shot = ImageGrab.grab(bbox=(left, top, max(b[2] for b in boxes), max(b[3] for b in boxes)))
        if len(boxes) > 1:  # only the app's windows: what lies between them stays black
            canvas = Image.new("RGB", shot.size)
            for x0, y0, x1, y1 in boxes:
                region = (x0 - left, y0 - top, x1 - left, y1 - top)
                canvas.paste(shot.crop(region), region[:2])
            shot = canvas
        return encode_png(shot), ""
    except (OSError, subprocess.SubprocessError) as exc:  # no X display, no XCB, no permission
        logger.info("BugRelay took no screenshot: %s", exc)
        return None, "screenshot_unavailable"


def window_boxes(widget: tkinter.Misc) -> list[tuple[int, int, int, int]]:
    """Screen boxes (left, top, right, bottom) of the mapped toplevels of ``widget``'s app."""
    widget.update_idletasks()
    width, height = widget.winfo_screenwidth(), widget.winfo_screenheight()
    boxes = []
    for path in widget.tk.splitlist(widget.tk.call("wm", "stackorder", ".")):
        x, y, w, h = (int(widget.tk.call("winfo", what, path)) for what in _GEOMETRY)
        box = (max(x, 0), max(y, 0), min(x + w, width), min(y + h, height))
        if box[0] < box[2] and box[1] < box[3]:
            boxes.append(box)
    return boxes


_GEOMETRY = ("rootx", "rooty", "width", "height")


def encode_png(image: Image) -> Screenshot:
    """``image`` as PNG, halved until it fits the attachment limit."""
    while True:
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        png = buffer.getvalue()
        if len(png) <= MAX_SCREENSHOT_BYTES or min(image.size) < 2:
            return Screenshot(png, image.width, image.height)
        image = image.resize((image.width // 2, image.height // 2))


# -- the view --------------------------------------------------------------------------------


class ReportDialog:
    """The modal dialog over ``master``: fills ``form``, previews it, hands it to ``send``.

    ``screenshot_note`` is None when no screenshot is offered at all, "" when one was taken,
    otherwise why none could be. An error in a callback closes the dialog and is raised again
    by :meth:`show`, into the SDK's guard (Tk would hand it to the app's error reporter).
    """

    def __init__(
        self,
        master: tkinter.Misc,
        owner: tkinter.Misc | None,
        *,
        form: Form,
        context: Context,
        text: Mapping[str, str],
        screenshot_note: str | None,
        send: Callable[[Form], str],
    ) -> None:
        self.owner, self.form, self.context, self.text = owner, form, context, text
        self._send = send
        self.report_id = ""
        self.modal = self.focused = self.sent = False
        self._pending: list[str] = []
        self.failure: Exception | None = None
        self.top = top = tkinter.Toplevel(master, class_="BugRelayReport")
        top.withdraw()  # shown once laid out and placed
        top.title(text["window_title"])
        top.protocol("WM_DELETE_WINDOW", self._guarded(self.close))
        top.bind("<Escape>", self._guarded(self.close))
        for sequence in ("<Control-Return>", "<Control-KP_Enter>"):
            top.bind(sequence, self._guarded(self.send))
        top.columnconfigure(0, weight=1)
        top.rowconfigure(0, weight=1)
        self.keep: dict[str, tkinter.BooleanVar] = {}
        self.body = ttk.Frame(top, padding=12, name="form")
        self.body.grid(sticky="nsew")
        self.body.columnconfigure(0, weight=1)
        self._build(screenshot_note)

    # building

    def _build(self, screenshot_note: str | None) -> None:
        body, text, form = self.body, self.text, self.form
        self._add(ttk.Label(body, text=text["description"]))
        self._add(ttk.Label(body, text=text["description_hint"], foreground="#555"))
        self.description = tkinter.Text(
            body, name="description", width=56, height=6, wrap="word", undo=True, font="TkTextFont"
        )
        self.description.insert("1.0", form.description)
        self.description.edit_modified(False)
        self._add(self.description, sticky="nsew")
        body.rowconfigure(self.description.grid_info()["row"], weight=1)
        self._bind_keys(self.description, on_return=None)
        self.description.bind("<<Modified>>", self._guarded(self._description_changed))
        self.error = ttk.Label(body, name="error", foreground="#b3261e")
        self._add(self.error)
        self.error.grid_remove()

        self.title_var = self._entry("title", text["title"], form.title)
        self.email_var = self._entry("email", text["email"], form.email)
        self.category_var = self._choice("category", CATEGORIES, form.category)
        self.impact_var = self._choice("impact", IMPACTS, form.impact)

        if screenshot_note is not None:
            box = ttk.Checkbutton(
                body, name="screenshot", text=text["screenshot"], variable=self._keep("screenshot")
            )
            self._add(box, pady=(8, 0))
            if self.context.screenshot is None:
                box.state(["disabled"])
                self._keep("screenshot").set(False)
                self._add(ttk.Label(body, name="screenshot_note", text=screenshot_note))

        self.preview_shown = False
        self.preview_toggle = ttk.Button(
            body, name="preview_toggle", text=text["preview_show"], command=self._toggle_preview
        )
        self._bind_keys(self.preview_toggle, on_return=self.preview_toggle.invoke)
        self._add(self.preview_toggle, sticky="w", pady=(8, 0))
        self.preview = ttk.Frame(body, name="preview", padding=(16, 4, 0, 0))
        self._add(self.preview)
        self.preview.grid_remove()

        self._add(ttk.Label(body, text=text["keys_hint"], foreground="#555"), pady=(8, 0))
        buttons = ttk.Frame(body, name="buttons")
        self._add(buttons, sticky="e", pady=(8, 0))
        for column, (name, command) in enumerate((("cancel", self.close), ("send", self.send))):
            button = ttk.Button(buttons, name=name, text=text[name], command=self._guarded(command))
            button.grid(row=0, column=column, padx=(8, 0))
            self._bind_keys(button, on_return=button.invoke)

    def _add(self, widget: tkinter.Widget, sticky: str = "ew", **grid: Any) -> None:
        widget.grid(row=self.body.grid_size()[1], column=0, sticky=sticky, **grid)

    def _entry(self, name: str, label: str, value: str) -> tkinter.StringVar:
        var = tkinter.StringVar(self.top, value)
        var.trace_add("write", self._guarded(self._refresh_preview))
        self._add(ttk.Label(self.body, text=label), pady=(8, 0))
        entry = ttk.Entry(self.body, name=name, textvariable=var)
        self._add(entry)
        self._bind_keys(entry, on_return=lambda: _focus_next(entry))  # Enter never sends
        return var

    def _choice(
        self, name: str, values: Mapping[str, str] | tuple[str, ...], value: str
    ) -> tkinter.StringVar:
        var = tkinter.StringVar(self.top, value)
        var.trace_add("write", self._guarded(self._refresh_preview))
        row = ttk.Frame(self.body, name=name)
        self._add(row, pady=(8, 0))
        ttk.Label(row, text=self.text[name]).grid(row=0, column=0, padx=(0, 8))
        for column, key in enumerate(values, start=1):
            radio = ttk.Radiobutton(
                row, name=key, text=self.text[f"{name}_{key}"], value=key, variable=var
            )
            radio.grid(row=0, column=column, padx=(0, 8))
        return var

    def _keep(self, key: str) -> tkinter.BooleanVar:
        """Whether the preview item ``key`` is ticked (the screenshot box shares its variable)."""
        if key not in self.keep:
            self.keep[key] = tkinter.BooleanVar(self.top, True)
        return self.keep[key]

    def _bind_keys(self, widget: tkinter.Widget, on_return: Callable[[], object] | None) -> None:
        """Ctrl+Enter sends from anywhere; Enter does ``on_return`` (a Text keeps its newline);
        Tab and Shift+Tab move the focus, also out of a Text."""
        for sequence in ("<Control-Return>", "<Control-KP_Enter>"):
            widget.bind(sequence, self._guarded(self.send))
        if on_return is not None:
            for sequence in ("<Return>", "<KP_Enter>"):
                widget.bind(sequence, self._guarded(on_return))
        if isinstance(widget, tkinter.Text):
            widget.bind("<Tab>", self._guarded(lambda: _focus_next(widget)))
            for sequence in ("<Shift-Tab>", "<<PrevWindow>>"):
                widget.bind(sequence, self._guarded(lambda: _focus_prev(widget)))

    def _guarded(self, action: Callable[[], object], stop: bool = True) -> Callable[..., str]:
        """``action`` as a Tk callback (its arguments dropped); ``stop``: the event ends there."""

        def callback(*_: object) -> str:
            try:
                action()
            except Exception as exc:  # raised again by show(), inside the SDK's guard
                self.failure = self.failure or exc
                self.close()
            return "break" if stop else ""

        return callback

    # behaviour

    def show(self) -> str:
        """Place the dialog, make it modal, wait until it is closed; the report id or ""."""
        top = self.top
        top.update_idletasks()
        top.geometry("+{}+{}".format(*_centred(top, self.owner)))
        if self.owner is not None:
            top.transient(self.owner.winfo_toplevel())
        top.bind("<Map>", self._guarded(self._mapped, stop=False))  # also the children's
        before = str(top.tk.call("focus"))  # the app's widget that had the focus, or ""
        top.deiconify()  # on X11 this waits for the <Map>: the dialog may be closed already
        if top.winfo_exists():
            top.wait_window()
        if before and top.tk.call("winfo", "exists", before):
            top.tk.call("focus", before)  # back where the user was
        if self.failure is not None:
            raise self.failure
        return self.report_id

    def _mapped(self) -> None:
        """On each ``<Map>`` in the dialog: make it modal once it is viewable, and give the
        description the focus once that is on screen (Tk maps the widgets one frame at a time).
        Both wait until Tk is idle, outside the ``<Map>`` being handled. The focus is asked for
        as Tk's own dialogs do, without ``-force`` (which crashed Tk 8.6.13 in our tests): the
        window manager gives it to the new window."""
        if not self.modal and self.top.winfo_viewable():
            self.modal = True
            self._later(self._make_modal)
        if (
            not self.focused
            and self.description.winfo_exists()
            and self.description.winfo_viewable()
        ):
            self.focused = True
            self._later(self._focus_description)

    def _make_modal(self) -> None:
        if self.top.winfo_exists():
            try:
                self.top.grab_set()
            except tkinter.TclError as exc:  # another application holds the grab
                logger.debug("the report dialog is not modal: %s", exc)

    def _focus_description(self) -> None:
        if self.description.winfo_exists():
            self.description.focus_set()
            self.description.mark_set("insert", "end-1c")

    def _later(self, action: Callable[[], object]) -> None:
        """Run ``action`` once Tk is idle, unless the dialog is closed first."""
        self._pending.append(self.top.after_idle(self._guarded(action, stop=False)))

    def read_form(self) -> Form:
        form = self.form
        form.description = self.description.get("1.0", "end-1c")
        form.title = self.title_var.get()
        form.email = self.email_var.get()
        form.category = self.category_var.get()
        form.impact = self.impact_var.get()
        form.left_out = {key for key, var in self.keep.items() if not var.get()}
        return form

    def send(self) -> None:
        if self.sent:
            return
        form = self.read_form()
        if not form.description.strip():
            self.error.configure(text=self.text["description_missing"])
            self.error.grid()
            self.description.focus_set()
            return
        self.sent = True
        self.report_id = self._send(form)
        self._confirm()

    def close(self) -> None:
        for pending in self._pending:
            self.top.after_cancel(pending)
        self.top.destroy()

    def _focus_close(self) -> None:
        if self.top.winfo_exists():
            self.top.nametowidget("done.close").focus_set()

    def _description_changed(self) -> None:
        if not self.description.edit_modified():
            return
        self.description.edit_modified(False)
        self.error.grid_remove()
        self._refresh_preview()

    def _toggle_preview(self) -> None:
        self.preview_shown = not self.preview_shown
        label = self.text["preview_hide" if self.preview_shown else "preview_show"]
        self.preview_toggle.configure(text=label)
        if self.preview_shown:
            self.preview.grid()
            self._refresh_preview()
        else:
            self.preview.grid_remove()

    def _refresh_preview(self) -> None:
        if not self.preview_shown:
            return
        for child in self.preview.winfo_children():
            child.destroy()
        ttk.Label(self.preview, text=self.text["preview_hint"]).grid(sticky="w")
        for item in preview_items(self.read_form(), self.context, self.text):
            box = ttk.Checkbutton(
                self.preview, name=f"item_{item.key}", text=item.text, variable=self._keep(item.key)
            )
            if not item.optional:
                box.state(["disabled"])
            box.grid(sticky="w")

    def _confirm(self) -> None:
        self.body.destroy()
        done = ttk.Frame(self.top, name="done", class_="BugRelaySent", padding=16)
        done.grid(sticky="nsew")
        if self.report_id:
            ttk.Label(done, text=self.text["sent"]).grid(sticky="w")
            ttk.Label(done, text=self.text["report_id"]).grid(sticky="w", pady=(8, 0))
            number = ttk.Entry(done, name="report_id", width=38)
            number.insert(0, self.report_id)
            number.state(["readonly"])  # selectable, to copy
            number.grid(sticky="ew")
        else:
            ttk.Label(done, text=self.text["not_sent"]).grid(sticky="w")
        close = ttk.Button(
            done, name="close", text=self.text["close"], command=self._guarded(self.close)
        )
        close.grid(sticky="e", pady=(12, 0))
        for sequence in ("<Return>", "<KP_Enter>"):
            self.top.bind(sequence, self._guarded(self.close))
        # Tk gives the focus only to a widget on screen, and not safely inside its <Map>.
        close.bind("<Map>", lambda _: self._later(self._focus_close))


def _focus_next(widget: tkinter.Misc) -> None:
    target = widget.tk_focusNext()
    if target is not None:
        target.focus_set()


def _focus_prev(widget: tkinter.Misc) -> None:
    target = widget.tk_focusPrev()
    if target is not None:
        target.focus_set()


def _centred(top: tkinter.Misc, owner: tkinter.Misc | None) -> tuple[int, int]:
    """Where ``top`` goes: over the owner's window (or the screen's middle), on the screen."""
    width, height = top.winfo_reqwidth(), top.winfo_reqheight()
    screen_width, screen_height = top.winfo_screenwidth(), top.winfo_screenheight()
    if owner is not None:
        window = owner.winfo_toplevel()
        x = window.winfo_rootx() + (window.winfo_width() - width) // 2
        y = window.winfo_rooty() + (window.winfo_height() - height) // 3
    else:
        x, y = (screen_width - width) // 2, (screen_height - height) // 3
    return max(0, min(x, screen_width - width)), max(0, min(y, screen_height - height))


# -- the entry point -------------------------------------------------------------------------


def ask_for_report(
    parent: tkinter.Misc | None = None,
    *,
    lang: str | None = None,
    title: str | None = None,
    description: str | None = None,
    include_screenshot: bool = True,
    strings: Mapping[str, str] | None = None,
) -> str:
    """The dialog of :func:`sdk.ask_for_report` (which guards it): the report's id, or ""."""
    import sdk  # noqa: PLC0415  (the current client)

    client = sdk._client
    if client is None:
        return ""
    if _tk_missing is not None:
        logger.warning("BugRelay cannot show its report dialog: %s", _tk_missing)
        return ""
    text = strings_for(pick_language(lang), strings)
    root = None
    master: tkinter.Misc
    if parent is None:
        try:
            master = root = tkinter.Tk(className="BugRelay")
        except tkinter.TclError as exc:  # no display
            logger.warning("BugRelay cannot show its report dialog: %s", exc)
            return ""
        root.withdraw()
    else:
        master = parent
    try:
        shot, why = take_screenshot(master, parent is None) if include_screenshot else (None, "")
        context = gather_context(client, shot)
        form = Form(description=description or "", title=title or "", email=context.known_email)
        note = (text[why] if why else "") if include_screenshot else None
        dialog = ReportDialog(
            master,
            parent,
            form=form,
            context=context,
            text=text,
            screenshot_note=note,
            send=_sender(context),
        )
        return dialog.show()
    finally:
        if root is not None:
            root.destroy()


def _sender(context: Context) -> Callable[[Form], str]:
    def send(form: Form) -> str:
        import sdk  # noqa: PLC0415

        client = sdk._client
        if client is None:
            return ""
        with capture_internal_exceptions():
            return client.report(**report_kwargs(form, context))
        return ""

    return send
