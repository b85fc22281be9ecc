"""The app's release, environment, name and build: found once at set-up, copied into every report.

The release is the first of these that is known:

1. ``options.release`` (``sdk.init(release=...)`` or ``$BUGRELAY_RELEASE``);
2. ``$SENTRY_RELEASE``, for apps that already set it for Sentry;
3. the version of the installed distribution that holds the calling app's top-level package
   (``myapp.settings`` -> ``myapp``; for ``__main__`` the package run with ``python -m`` or the
   console script named like ``sys.argv[0]``), looked up directly by name;
4. a commit or revision set by a deploy platform or CI (:data:`PLATFORM_VARIABLES`);
5. the commit checked out in the git working tree that holds the caller's file (or the current
   directory), read from ``.git`` without running git;
6. only when all of the above found nothing: the distribution found by scanning every installed
   one (``packages_distributions()``, console-script entry points), which costs tens of ms.

``app.build`` is the git commit when the release came from elsewhere. The environment is
``options.environment`` (or ``$BUGRELAY_ENVIRONMENT``), else ``$SENTRY_ENVIRONMENT``, else none:
nothing is invented. Values longer than the wire schema allows are cut.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar, NamedTuple
from urllib.parse import unquote, urlsplit

from sdk._guard import capture_internal_exceptions
from sdk.collectors import Draft, fill

if TYPE_CHECKING:
    from importlib.metadata import Distribution

    from sdk.client import Client
    from sdk.options import Options

MAX_VALUE = 100  # sdk.models.MAX_SHORT, not imported: pydantic stays out of the host's start-up

# Deploy platforms first (they describe what is running), then CI systems, then revision names.
PLATFORM_VARIABLES = (
    "HEROKU_BUILD_COMMIT",  # Heroku (Fir)
    "HEROKU_SLUG_COMMIT",  # Heroku dyno metadata
    "SOURCE_VERSION",  # Heroku and Scalingo builds, buildpacks
    "RENDER_GIT_COMMIT",
    "RAILWAY_GIT_COMMIT_SHA",
    "VERCEL_GIT_COMMIT_SHA",
    "KOYEB_GIT_SHA",
    "CF_PAGES_COMMIT_SHA",  # Cloudflare Pages
    "AWS_COMMIT_ID",  # AWS Amplify
    "CODEBUILD_RESOLVED_SOURCE_VERSION",  # AWS CodeBuild
    "GITHUB_SHA",
    "CI_COMMIT_SHA",  # GitLab CI, Woodpecker
    "BITBUCKET_COMMIT",
    "CIRCLE_SHA1",
    "BUILDKITE_COMMIT",
    "DRONE_COMMIT_SHA",
    "TRAVIS_COMMIT",
    "SEMAPHORE_GIT_SHA",
    "BUILD_SOURCEVERSION",  # Azure Pipelines
    "K_REVISION",  # Cloud Run / Knative: a revision name, not a commit
    "GAE_DEPLOYMENT_ID",  # Google App Engine
)

_SDK_PACKAGE = __name__.partition(".")[0]
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")  # SHA-1, or SHA-256 repositories
_MAX_SYMBOLIC_REFS = 5
_SCRIPTS = ("console_scripts", "gui_scripts")


class AppDistribution(NamedTuple):
    name: str
    version: str


class ReleaseCollector:
    name: ClassVar[str] = "release"

    def __init__(self) -> None:
        self._app: dict[str, str] = {}

    def setup(self, client: Client) -> None:
        options = client.options
        given = {
            "release": options.release,
            "environment": options.environment,
            "name": options.app_name,
        }
        self._app = {k: v[:MAX_VALUE] for k, v in given.items() if v}  # kept if detection fails
        with capture_internal_exceptions():
            self._app = detect_app(options, os.environ)

    def apply(self, draft: Draft) -> None:
        if self._app:
            fill(draft, "app", self._app)


def detect_app(options: Options, environ: Mapping[str, str]) -> dict[str, str]:
    """The ``app`` section for these options: only the fields that are known, each cut to size."""
    module, start = _caller(options)
    commit = git_commit(start)
    release = options.release or _variable(environ, "SENTRY_RELEASE")
    dist = None
    if module is not None and (release is None or options.app_name is None):
        dist = find_distribution(module, options.caller_file)
    if release is None and dist is not None:
        release = dist.version
    if release is None:
        release = platform_commit(environ)
    if release is None:
        release = commit
    if release is None and module is not None:
        dist = find_distribution(module, options.caller_file, scan=True)
        release = dist.version if dist is not None else None
    app = {
        "release": release,
        "environment": options.environment or _variable(environ, "SENTRY_ENVIRONMENT"),
        "name": options.app_name or (dist.name if dist is not None else None),
        "build": commit if commit != release else None,
    }
    return {key: value[:MAX_VALUE] for key, value in app.items() if value}


def _caller(options: Options) -> tuple[str | None, Path]:
    """The caller's module name and where to look for its git tree; no module if it is not the
    app's (the SDK itself, the standard library), and then the current directory for git."""
    module = options.caller_module
    if module == "__main__":
        spec = getattr(sys.modules.get("__main__"), "__spec__", None)
        name = getattr(spec, "name", None)
        module = name if isinstance(name, str) and name != "__main__" else "__main__"
    top = (module or "").partition(".")[0]
    if top == _SDK_PACKAGE or top in sys.stdlib_module_names or not top.isidentifier():
        return None, Path.cwd()
    start = Path(options.caller_file).resolve().parent if options.caller_file else Path.cwd()
    return module, start


def _variable(environ: Mapping[str, str], name: str) -> str | None:
    return environ.get(name, "").strip() or None


def platform_commit(environ: Mapping[str, str]) -> str | None:
    """The commit (or revision) a deploy platform or CI system says it is running."""
    for name in PLATFORM_VARIABLES:
        value = _variable(environ, name)
        if value is not None:
            return value
    return None


# --- the app's installed distribution ------------------------------------------------------------


def find_distribution(
    module: str, caller_file: str | None, *, scan: bool = False
) -> AppDistribution | None:
    """The installed distribution that holds ``module`` (a module name, or ``"__main__"`` for a
    console script named like ``sys.argv[0]``).

    Without ``scan`` only direct look-ups by name are made (about 2 ms, plus ~20 ms once per
    process to import ``importlib.metadata`` if nothing has yet; skipped when no metadata
    directory of that name is on ``sys.path``). With ``scan`` every installed distribution is
    read: tens of milliseconds.
    """
    script = _script_name(sys.argv[0] if sys.argv else "") if module == "__main__" else None
    if module == "__main__" and script is None:
        return None
    top = script or module.partition(".")[0]
    if not scan and not _may_be_installed(top):
        return None

    from importlib import metadata  # noqa: PLC0415

    if script is not None:
        return _script_distribution(script, scan=scan)
    names = [top]
    if scan:
        names = metadata.packages_distributions().get(top, [])
        if len(set(names)) != 1:
            return None  # not installed, or a namespace shared by several: not one app
    dist = _distribution(names[0])
    if dist is None or not _holds(dist, top, caller_file):
        return None
    return _describe(dist)


def _script_distribution(script: str, *, scan: bool) -> AppDistribution | None:
    """The distribution that declares the console script ``script``: the one named like it, or
    with ``scan`` any (reads every distribution's entry points)."""
    from importlib import metadata  # noqa: PLC0415

    candidates = [script]
    if scan:
        points = metadata.entry_points(name=script)
        candidates = [p.dist.name for p in points if p.dist is not None and p.group in _SCRIPTS]
    for name in dict.fromkeys(candidates):
        dist = _distribution(name)
        if dist is not None and _declares_script(dist, script):
            return _describe(dist)
    return None


def _may_be_installed(name: str) -> bool:
    """False only when no directory on ``sys.path`` holds metadata that could be ``name``'s:
    a listing of each, so that a failed look-up does not cost the import of importlib.metadata.
    Errs towards True (a zip on the path, an unusual name)."""
    wanted = _normalise(name)
    for entry in sys.path:
        try:
            listing = os.listdir(entry or ".")
        except NotADirectoryError:
            return True  # a zip file: let importlib.metadata look inside
        except OSError:
            continue
        for item in listing:
            stem, dot, suffix = item.rpartition(".")
            if dot and suffix in ("dist-info", "egg-info", "egg"):
                found = _normalise(stem)
                if found == wanted or found.startswith(wanted + "-"):
                    return True
    return False


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()  # PEP 503


def _distribution(name: str) -> Distribution | None:
    from importlib import metadata  # noqa: PLC0415

    try:
        return metadata.distribution(name)  # matches normalised names: my_app finds my-app
    except (metadata.PackageNotFoundError, ValueError):
        return None


def _describe(dist: Distribution) -> AppDistribution | None:
    meta = dist.metadata  # parsed anew on each access: read once
    names, versions = meta.get_all("Name"), meta.get_all("Version")
    if not names or not versions or not names[0] or not versions[0]:
        return None
    return AppDistribution(str(names[0]), str(versions[0]))


def _script_name(argv0: str) -> str | None:
    """The console script's name in ``sys.argv[0]``, or None when it is not one."""
    name = Path(argv0).name
    for suffix in ("-script.pyw", "-script.py", ".exe"):
        name = name.removesuffix(suffix)
    if not name or name.startswith("-") or name.endswith((".py", ".pyw", ".pyz")):
        return None  # `python -c`, the interactive prompt, a script file
    if not name.isprintable():
        return None
    return name


def _declares_script(dist: Distribution, script: str) -> bool:
    return any(point.group in _SCRIPTS for point in dist.entry_points.select(name=script))


def _holds(dist: Distribution, top: str, caller_file: str | None) -> bool:
    """Whether ``dist`` installed the package ``top`` the app runs from, so that a distribution
    that merely shares its name (a local ``utils`` and PyPI's ``utils``) is not taken for it."""
    package = Path(str(dist.locate_file(top)))
    single = package.with_name(top + ".py")
    if caller_file is None:
        return package.is_dir() or single.is_file()
    caller = Path(caller_file).resolve()
    if caller == single.resolve() or caller.is_relative_to(package.resolve()):
        return True
    source = _editable_source(dist)  # `pip install -e`: the package stays in the source tree
    return source is not None and caller.is_relative_to(source)


def _editable_source(dist: Distribution) -> Path | None:
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    try:
        info = json.loads(text)
    except ValueError:
        return None
    if not isinstance(info, dict) or not (info.get("dir_info") or {}).get("editable"):
        return None
    url = urlsplit(str(info.get("url", "")))
    if url.scheme != "file":
        return None
    path = unquote(url.path)
    if sys.platform == "win32" and re.match(r"/[A-Za-z]:", path):
        path = path[1:]
    return Path(path).resolve()


# --- git, without running git --------------------------------------------------------------------


def git_commit(start: Path) -> str | None:
    """The commit checked out in the git working tree that holds ``start``, read from its files.

    Follows ``HEAD`` to a loose ref or ``packed-refs``, and handles a detached ``HEAD`` and a
    ``.git`` file (``gitdir: ...``) as in worktrees and submodules. None when there is no
    repository, no commit yet, or refs stored in a form not read here (reftable).
    """
    git_dir = _find_git_dir(start)
    if git_dir is None:
        return None
    common = git_dir
    pointer = _read_line(git_dir / "commondir")  # a worktree shares the main repository's refs
    if pointer:
        common = (git_dir / pointer).resolve()
    value = _read_line(git_dir / "HEAD")
    for _ in range(_MAX_SYMBOLIC_REFS):
        if value is None or not value.startswith("ref:"):
            break
        value = _read_ref(git_dir, common, value.removeprefix("ref:").strip())
    if value is None or not _COMMIT.fullmatch(value):
        return None
    return value


def _find_git_dir(start: Path) -> Path | None:
    for directory in (start, *start.parents):
        dot_git = directory / ".git"
        if dot_git.is_dir():
            return dot_git
        if dot_git.is_file():
            line = _read_line(dot_git) or ""
            if not line.startswith("gitdir:"):
                return None
            return (directory / line.removeprefix("gitdir:").strip()).resolve()
    return None


def _read_ref(git_dir: Path, common: Path, ref: str) -> str | None:
    parts = ref.split("/")
    if parts[0] != "refs" or any(part in ("", ".", "..") for part in parts):
        return None
    for directory in dict.fromkeys((git_dir, common)):
        value = _read_line(directory.joinpath(*parts))
        if value:
            return value
    try:
        with (common / "packed-refs").open(encoding="utf-8", errors="replace") as lines:
            for line in lines:
                commit, _, name = line.rstrip("\n").partition(" ")
                if name == ref and not line.startswith(("#", "^")):
                    return commit
    except OSError:
        return None
    return None


def _read_line(path: Path) -> str | None:
    try:
        with path.open(encoding="utf-8", errors="replace") as file:
            return file.readline(4096).strip()
    except OSError:  # missing, a directory, unreadable
        return None
