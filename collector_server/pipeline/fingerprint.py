"""Fingerprints: equal fingerprints mean one group.

This is the exact-match baseline; near-duplicate grouping of free text builds on it (see
docs/pipeline.md). A report's fingerprint is the SHA-256 of its parts:

1. **An explicit** ``fingerprint`` **from the client wins.** As in Sentry, an element
   ``{{ default }}`` (spaces optional) stands for the fingerprint the collector would have made:
   ``["{{ default }}", "eu-west"]`` splits one crash by region; ``["{{ default }}"]`` alone is
   the default fingerprint.
2. **A report with an exception** is keyed by the exception type and its call path, so that one
   crash groups across lines, releases, ids in its message, small code moves, and the stack
   formats of Chrome, Firefox, Safari and CPython. The message is never part of the key.

   * *Root cause:* of a chain (``exception.chain``) the last exception, the root cause, gives the
     type. Its frames give the call path; when it has none (``raise X from KeyError("k")``, an
     exception never raised), the frames of the nearest exception before it that has some.
   * *Frames:* ``frames``, or when that is empty the frames parsed from ``stack``
     (:func:`~collector_server.pipeline.stacks.parse_stack`). Each frame becomes
     ``module:function`` (below); frames with no usable function name, native frames
     (``[native code]``, V8's ``<anonymous>``: one engine prints them, another does not) and
     frames of browser extensions (which vary by user) are left out. Of the rest, the in-app
     frames, or all of them when none is in-app. Repeats are collapsed (a run of one frame, or
     of a cycle of up to :data:`MAX_CYCLE` frames, counts once) and a recursion starts the
     path: the frames that called it are left out, because a deep one loses them to the limit
     on frames (the SDK and the schema keep the newest :data:`~sdk.models.MAX_FRAMES`, V8 ten),
     so recursion of any depth gives one key. Then the :data:`MAX_KEY_FRAMES` innermost.
     V8 prints only ``Error.stackTraceLimit`` frames (10 by default): a browser client should
     raise that limit, or a crash deeper than that in Chrome may split from Firefox's.
   * *Function:* the name as one would write it in the source, however the runtime printed it.
     Removed: ``async``, ``new``, ``get``/``set`` prefixes; V8's ``[as alias]``; Firefox's
     async cause (``promise callback*fn`` gives ``fn``); receivers, classes and enclosing
     functions (the last component of ``HTMLButtonElement.onClick``, ``Cart.total``,
     ``outer.<locals>.inner``, Firefox's ``outer/inner``); digits and hex addresses. No usable
     name: empty, ``?``, ``anonymous``, ``eval``, ``global code``, ``eval code``,
     ``module code``, any ``<...>`` (``<anonymous>``, ``<lambda>``, ``<module>``, ``<genexpr>``,
     and ``<listcomp>``, which CPython 3.12 no longer has), and Firefox's anonymous functions
     (``outer/<``, ``outer<``, which V8 and Safari print without a name).
   * *Module:* the last component of ``module`` (``shop.cart`` gives ``cart``; ``__main__`` is
     taken from the file instead), else of ``file``: its base name, without query, fragment,
     Firefox's ``line 2 > eval``, extensions (``.js``, ``.min``, ``.chunk``, ``.py``, ...) and
     content hashes (``main.3f9a2b1c.js``, ``chunk-ABCD1234.js``, ``app-4f3a.min.js``,
     ``index-BbLxdFqx.js`` all give their name). Only the base name, so that a URL's origin,
     a ``webpack://`` prefix, a release in the path, a moved checkout or another
     ``site-packages`` do not matter, and a Python frame from the SDK (``shop.cart``) and from a
     printed traceback (``/srv/shop/cart.py``) agree; ``pkg/__init__.py`` gives ``pkg``.
   * *Type:* ``module.type``, without the module when it is Python's ``builtins`` (or Python 2's
     ``exceptions``), so that a client that sends no module agrees with the SDK that sends
     ``builtins``; a type sent with its module in it (``shop.errors.PaymentError``) is the same.
3. **Anything else**: the report's kind and its normalised title (case-folded, digits and hex ids
   removed, punctuation collapsed), or its description when it has no title.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache

from collector_server.pipeline.stacks import parse_stack
from sdk.models import MAX_TITLE, ExceptionInfo, Frame, Report

MAX_KEY_FRAMES = 20  # innermost frames in the key: deeper differences do not split a crash
MAX_CYCLE = 4  # longest recursion cycle collapsed (a -> b -> c -> d -> a ...)

_NOISE = re.compile(r"[0-9a-f]{8,}|\d+", re.IGNORECASE)  # ids, hashes, counts
_SPACE = re.compile(r"[\W_]+", re.UNICODE)

_DEFAULT = re.compile(r"^\{\{\s*default\s*\}\}$")
_BUILTIN_MODULES = frozenset({"builtins", "__builtin__", "exceptions"})

_ALIAS = re.compile(r"\s*\[as [^\]]*\]")
_PREFIX = re.compile(r"^(?:(?:async|new|get|set|static|function)\s+)+")
_NUMBER = re.compile(r"0x[0-9a-f]+|\d+", re.IGNORECASE)
_NO_NAME = frozenset(
    {"", "?", "anonymous", "eval", "global code", "eval code", "module code", "function"}
)
_NATIVE = frozenset({"native", "[native code]", "<anonymous>", "unknown location"})
_EXTENSION = re.compile(r"^(?:chrome|moz|safari|safari-web|ms-browser)-extension://|^extension://")
_FILE_EXTENSIONS = frozenset(
    {"js", "mjs", "cjs", "jsx", "ts", "mts", "cts", "tsx", "min", "chunk", "bundle", "esm"}
    | {"py", "pyc", "pyo", "pyw"}
)
_PACKAGE_FILES = frozenset({"__init__", "__main__"})
_FIREFOX_EVAL = re.compile(r" line \d+ > .*$")
_CAMEL_BREAK = re.compile(r"[a-z][A-Z]")
_MODULE_SEPARATOR = re.compile(r"[./\\]")
_PATH_END = re.compile(r"[?#]")
_PATH_SEPARATOR = re.compile(r"[/\\]")
_NAME_SEPARATOR = re.compile(r"[.~-]")


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _NOISE.sub(" ", text)
    return _SPACE.sub(" ", text).strip()


def fingerprint(report: Report) -> str:
    explicit = report.fingerprint
    if explicit and not any(_DEFAULT.match(part) for part in explicit):
        return _hash(["explicit", *explicit])
    default = _default_fingerprint(report)
    if not explicit or all(_DEFAULT.match(part) for part in explicit):
        return default
    return _hash(
        ["explicit", *(f"{{{{default}}}}={default}" if _DEFAULT.match(p) else p for p in explicit)]
    )


def _default_fingerprint(report: Report) -> str:
    if report.exception is not None:
        return _hash(exception_parts(report.exception))
    text = report.title or report.description or ""
    if len(text) <= MAX_TITLE:
        return _text_fingerprint(report.kind, text)
    return _hash(["text", report.kind, normalise_text(text)])


@lru_cache(maxsize=4096)
def _text_fingerprint(kind: str, text: str) -> str:
    """Cached (for texts as short as titles): the reports of one problem mostly repeat its
    title, and normalising it costs more than the rest of the pipeline."""
    return _hash(["text", kind, normalise_text(text)])


def _hash(parts: list[str]) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def exception_parts(exception: ExceptionInfo) -> list[str]:
    """The parts of an exception's fingerprint: ``exception``, the root cause's type, and the
    normalised call path (``module:function``, oldest first)."""
    chain = [exception, *exception.chain]
    root = chain[-1]
    frames: Sequence[Frame] = []
    for item in reversed(chain):
        frames = item.frames or (_parsed(item.stack) if item.stack else ())
        if frames:
            break
    return ["exception", type_key(root), *frame_keys(frames)]


@lru_cache(maxsize=1024)
def _parsed(stack: str) -> tuple[Frame, ...]:
    """Cached: the reports of one crash repeat its stack text (the frames are not changed)."""
    return tuple(parse_stack(stack))


def type_key(exception: ExceptionInfo) -> str:
    module = (exception.module or "").strip()
    if module in _BUILTIN_MODULES:
        module = ""
    name = exception.type.strip()
    for builtin in _BUILTIN_MODULES:
        name = name.removeprefix(builtin + ".")
    return f"{module}.{name}" if module else name


def frame_keys(frames: Sequence[Frame]) -> list[str]:
    """The normalised call path of ``frames`` (oldest first), as in the module's docstring."""
    keyed = [(frame.in_app, key) for frame in frames if (key := frame_key(frame)) is not None]
    keys = [key for in_app, key in keyed if in_app] or [key for _, key in keyed]
    return collapse_repeats(keys)[-MAX_KEY_FRAMES:]


def frame_key(frame: Frame) -> str | None:
    """``module:function`` of one frame, or None when it is left out of the key."""
    return _frame_key(frame.module, frame.function, frame.file)


@lru_cache(maxsize=16_384)
def _frame_key(module: str | None, function: str | None, file: str | None) -> str | None:
    """Cached: the reports of one crash repeat its frames, and each costs a dozen regexes."""
    path = (file or "").strip()
    if not module and (path in _NATIVE or path.startswith("index ")):
        return None
    if _EXTENSION.match(path):
        return None
    name = function_name(function)
    if not name:
        return None
    return f"{module_name(module, file)}:{name}"


def function_name(raw: str | None) -> str:
    """A function's name as one would write it in the source; "" when it has no usable one."""
    name = (raw or "").strip()
    name = name.rpartition("*")[2]  # Firefox: "promise callback*fn"
    name = _ALIAS.sub("", name).strip()  # V8: "Foo.bar [as baz]"
    name = _PREFIX.sub("", name).strip()
    if name.endswith("<"):  # Firefox: "outer/<", "outer<": an anonymous function
        return ""
    name = name.rpartition("/")[2]  # Firefox: "outer/inner"
    if name.startswith("<") and name.endswith(">"):
        return ""
    name = name.rpartition(".")[2]  # receivers, classes, "<locals>"
    if (name.startswith("<") and name.endswith(">")) or name.casefold() in _NO_NAME:
        return ""
    name = _NUMBER.sub("", name)
    return name if name.strip("_") else ""


def module_name(module: str | None, file: str | None) -> str:
    """The module of a frame: the last component of ``module``, else from ``file``."""
    module = (module or "").strip()
    if module and module != "__main__":
        return _MODULE_SEPARATOR.split(module)[-1]
    return file_module(file)


def file_module(file: str | None) -> str:
    """The module a file or URL stands for: its base name without extensions and hashes."""
    path = (file or "").strip()
    if not path or path.startswith("<") or path in _NATIVE:
        return ""
    path = _FIREFOX_EVAL.sub("", path)
    path = _PATH_END.split(path, maxsplit=1)[0].rstrip("/\\")
    parts = _PATH_SEPARATOR.split(path)
    tokens = _NAME_SEPARATOR.split(parts[-1])
    if tokens[0] in _PACKAGE_FILES:
        return parts[-2] if len(parts) > 1 else ""
    kept = [t for i, t in enumerate(tokens) if t and not _is_noise(t, first=i == 0)]
    return "-".join(kept)


def _is_noise(token: str, *, first: bool) -> bool:
    """A file name's extension or content hash (the first token is its name, unless it is
    only digits or a long hex string, as a bundler's chunk id is)."""
    if token.isdigit() or (len(token) >= 8 and all(c in "0123456789abcdefABCDEF" for c in token)):
        return True
    if first:
        return False
    return (
        token.casefold() in _FILE_EXTENSIONS
        or any(c.isdigit() for c in token)
        or (len(token) >= 6 and _CAMEL_BREAK.search(token) is not None)
    )


def collapse_repeats(keys: list[str]) -> list[str]:
    """``keys`` with every immediate repeat of a run of up to :data:`MAX_CYCLE` keys removed,
    starting at the outermost recursion (its callers left out): ``a b b b c`` and
    ``a b c b c b c d`` give ``b c`` and ``b c d``; ``a b a c`` has no repeat and stays."""
    if len(set(keys)) == len(keys):
        return keys  # nothing repeats (most crashes): no need to look for cycles
    out: list[str] = []
    recursive: list[bool] = []  # per key of out: part of a cycle that repeated
    for key in keys:
        out.append(key)
        recursive.append(False)
        changed = True
        while changed:
            changed = False
            for period in range(1, MAX_CYCLE + 1):
                if len(out) >= 2 * period and out[-period:] == out[-2 * period : -period]:
                    del out[-period:], recursive[-period:]
                    recursive[-period:] = [True] * period
                    changed = True
                    break
    start = recursive.index(True) if True in recursive else 0
    return out[start:]
