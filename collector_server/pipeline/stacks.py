"""Stack text as a runtime printed it (``ExceptionInfo.stack``) parsed into wire frames.

:func:`parse_stack` reads the formats clients send:

* **V8** (Chrome, Edge, Node): ``    at fn (url:line:col)``, ``    at url:line:col``,
  ``    at async fn (...)``, ``    at new Foo (...)``, ``    at Array.forEach (<anonymous>)``,
  and eval frames (``at eval (eval at compile (url:line:col), <anonymous>:1:1)``, taken at
  the file that called ``eval``);
* **SpiderMonkey** (Firefox) and **JavaScriptCore** (Safari): ``fn@url:line:col``,
  ``@url:line:col``, ``global code@url:line:col``, ``forEach@[native code]``, Safari's bare
  ``url:line:col`` lines, and Firefox's eval locations (``url line 2 > eval:1:5``, taken at
  ``url``). Firefox's async stacks are cut where they stop being this call's: ``async*fn@``
  (an ``await``, as V8's ``at async fn``) is kept, but a frame marked with another cause
  (``setTimeout handler*fn@``, ``promise callback*fn@``) and every older frame are left out,
  because no other engine prints the stack that scheduled a callback;
* **CPython** tracebacks: ``  File "x.py", line 3, in fn``. Of a text with several tracebacks
  (a chain printed by ``traceback``), the frames of the last one: the exception it ends with.

The result is oldest call first and the frame that raised last, as the SDK sends ``frames``
(JavaScript prints the newest first: those are reversed), at most :data:`MAX_FRAMES` (the
newest). Function names and files are kept as printed, but for Firefox's ``async*`` marker
(normalising them is the fingerprint's job); a native frame keeps its marker
(``[native code]``, ``native``, ``<anonymous>``) as its file.

``in_app``: a JavaScript stack does not say which frames are the app's own (one bundle holds the
app and its libraries, on one origin), so every JavaScript frame is ``in_app=False``. A Python
frame is in-app unless its file is a pseudo-file (``<frozen ...>``, ``<string>``) or lies under
a ``lib/pythonX.Y`` directory (on Windows a ``Lib`` directory), ``site-packages`` or
``dist-packages`` (the standard library and installed packages), as the SDK decides for the
frames it sends.

Lines that are not frames (the message, source lines, ``[Previous line repeated 5 more
times]``) are skipped. It never raises: any text gives a list, maybe empty.
"""

from __future__ import annotations

import re

from sdk.models import MAX_FRAMES, MAX_MEDIUM, Frame

MAX_LINES = 1_000  # lines looked at; a stack in a report is at most a few KB
_MAX_LINE_DIGITS = 9

_PY_TRACEBACK = re.compile(r"^\s*Traceback \(most recent call last\):\s*$")
_PY_FRAME = re.compile(r'^\s*File "(?P<file>[^"]*)", line (?P<line>\d+)(?:, in (?P<function>.+))?$')
_PY_NOT_APP = re.compile(
    r"^<"  # <frozen importlib._bootstrap>, <string>
    r"|(?i:[/\\](?:site-packages|dist-packages)[/\\])"
    r"|(?i:[/\\]lib[/\\]python\d+(?:\.\d+)*t?[/\\])"  # POSIX: .../lib/python3.12/
    r"|^[A-Za-z]:\\(?:[^\\]+\\)*Lib\\"  # Windows: C:\Python312\Lib\
)

_V8_FRAME = re.compile(r"^\s*at (?P<body>.+)$")
_V8_EVAL_ORIGIN = re.compile(r"\(([^()]+)\)")
_LOCATION = re.compile(r"^(?P<file>.*?):(?P<line>\d+)(?::\d+)?$")
_FIREFOX_EVAL = re.compile(r" line \d+ > .*$")
_BARE_LOCATION = re.compile(r"^(?:[a-z][a-z0-9+.-]*:|/).*:\d+(?::\d+)?$", re.IGNORECASE)
_NATIVE = frozenset({"native", "[native code]", "<anonymous>", "unknown location"})


def parse_stack(text: str) -> list[Frame]:
    """The frames of ``text``, oldest call first; ``[]`` when it holds none (or is not text)."""
    if not isinstance(text, str):
        return []
    lines = text.splitlines()[:MAX_LINES]
    frames = _python(lines)
    if not frames:
        frames = _v8(lines)
    if not frames:
        frames = _gecko_or_jsc(lines)
    return frames[-MAX_FRAMES:]


def _frame(function: str | None, file: str | None, line: str | None, *, in_app: bool) -> Frame:
    number = int(line) if line and len(line) <= _MAX_LINE_DIGITS else None
    return Frame(
        function=_bounded(function),
        file=_bounded(file),
        line=number,
        in_app=in_app,
    )


def _bounded(text: str | None) -> str | None:
    text = (text or "").strip()
    return text[:MAX_MEDIUM] or None


def _python(lines: list[str]) -> list[Frame]:
    frames: list[Frame] = []
    for line in lines:
        if _PY_TRACEBACK.match(line):
            frames = []
        elif match := _PY_FRAME.match(line.rstrip()):
            file = match["file"]
            in_app = bool(file) and not _PY_NOT_APP.search(file)
            frames.append(_frame(match["function"], file, match["line"], in_app=in_app))
    return frames


def _v8(lines: list[str]) -> list[Frame]:
    frames: list[Frame] = []
    for line in lines:
        match = _V8_FRAME.match(line)
        if match is None:
            continue
        body = match["body"].strip()
        function: str | None = None
        location = body
        if body.endswith(")") and " (" in body:
            function, location = body[:-1].split(" (", 1)
        if location.startswith("eval at "):
            origins = _V8_EVAL_ORIGIN.findall(location)
            location = origins[0] if origins else ""
        frames.append(_js_frame(function, location))
    frames.reverse()
    return frames


def _gecko_or_jsc(lines: list[str]) -> list[Frame]:
    frames: list[Frame] = []
    for raw in lines:
        line = raw.strip()
        if "@" in line:
            function, location = line.split("@", 1)
        elif line == "[native code]" or _BARE_LOCATION.match(line):
            function, location = "", line
        else:
            continue
        location, evals = _FIREFOX_EVAL.subn("", location)
        if not evals and location not in _NATIVE and not _LOCATION.match(location):
            continue  # "user@example.com" in a message line, not a frame
        cause, star, name = function.rpartition("*")
        if star and cause != "async":
            break  # the stack that scheduled this callback: not this call's (see the docstring)
        frames.append(_js_frame(name, location))
    frames.reverse()
    return frames


def _js_frame(function: str | None, location: str) -> Frame:
    location = location.strip()
    if location in _NATIVE or location.startswith("index "):  # V8's "at Promise.all (index 0)"
        return _frame(function, location, None, in_app=False)
    match = _LOCATION.match(location)
    if match is None:
        return _frame(function, location, None, in_app=False)
    return _frame(function, match["file"], match["line"], in_app=False)
