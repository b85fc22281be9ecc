"""The release collector: the app's release, environment, name and build, found once at set-up."""

from __future__ import annotations

import importlib.machinery
import importlib.metadata
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import sdk
from sdk.collectors import Draft
from sdk.collectors.release import MAX_VALUE, PLATFORM_VARIABLES, ReleaseCollector, git_commit
from sdk.models import MAX_SHORT, App
from sdk.options import Options

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


@pytest.fixture(autouse=True)
def _no_release_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No release variables from the machine running the tests, and a current directory that is
    in no git repository (the SDK's own checkout would otherwise answer)."""
    for name in ("SENTRY_RELEASE", "SENTRY_ENVIRONMENT", *PLATFORM_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    nowhere = tmp_path / "nowhere"
    nowhere.mkdir()
    monkeypatch.chdir(nowhere)
    assert git_commit(nowhere) is None


def app_of(**options: Any) -> dict[str, Any]:
    collector = ReleaseCollector()
    collector.setup(types.SimpleNamespace(options=Options(**options)))  # type: ignore[arg-type]
    draft: Draft = {}
    collector.apply(draft)
    app: dict[str, Any] = draft.get("app", {})
    App.model_validate(app)  # what the collector fills fits the wire schema
    return app


def git(cwd: Path, *args: str) -> str:
    assert GIT is not None
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(name, None)
    identity = ["-c", "user.name=Test", "-c", "user.email=test@example.com"]
    done = subprocess.run(
        [GIT, *identity, "-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", *args],
        cwd=cwd,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def make_repo(path: Path, commits: int = 1) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q")
    (path / "app").mkdir()
    (path / "app" / "settings.py").write_text("DEBUG = False\n")
    for number in range(commits):
        (path / "CHANGES").write_text(f"change {number}\n")
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", f"change {number}")
    return path


def head(path: Path) -> str:
    return git(path, "rev-parse", "HEAD")


# --- order of precedence -------------------------------------------------------------------------


@needs_git
def test_the_release_given_to_init_wins_over_everything(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("SENTRY_RELEASE", "from-sentry")
    monkeypatch.setenv("HEROKU_SLUG_COMMIT", "from-heroku")
    app = app_of(release="2.4.1", caller_module="pytest.app")
    assert app["release"] == "2.4.1"
    assert app["name"] == "pytest"  # no app_name given: the distribution's name
    assert app["build"] == head(repo)


def test_sentry_release_comes_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_RELEASE", " from-sentry ")
    monkeypatch.setenv("RENDER_GIT_COMMIT", "from-render")
    assert app_of(caller_module="pytest.app")["release"] == "from-sentry"


@needs_git
def test_the_installed_distribution_of_the_caller_comes_before_platforms_and_git(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo)
    monkeypatch.setenv("GITHUB_SHA", "from-github")
    app = app_of(caller_module="pytest.something")
    assert app == {
        "release": importlib.metadata.version("pytest"),
        "name": "pytest",
        "build": head(repo),
    }


def test_the_distribution_is_found_by_its_normalised_name() -> None:
    # The module is jsonschema_specifications, the distribution jsonschema-specifications.
    app = app_of(caller_module="jsonschema_specifications._core")
    assert app["release"] == importlib.metadata.version("jsonschema-specifications")
    assert app["name"] == "jsonschema-specifications"


def test_the_app_name_given_to_init_wins_over_the_distributions() -> None:
    app = app_of(caller_module="tenacity.app", app_name="Billing")
    assert app == {"release": importlib.metadata.version("tenacity"), "name": "Billing"}


def test_a_caller_file_inside_the_installed_package_confirms_the_distribution() -> None:
    app = app_of(caller_module="pytest", caller_file=pytest.__file__)
    assert app["release"] == importlib.metadata.version("pytest")


def test_a_local_package_named_like_an_installed_distribution_is_not_taken_for_it(
    tmp_path: Path,
) -> None:
    local = tmp_path / "project" / "pytest"
    local.mkdir(parents=True)
    (local / "settings.py").write_text("")
    app = app_of(caller_module="pytest.settings", caller_file=str(local / "settings.py"))
    assert "release" not in app
    assert "name" not in app


@pytest.mark.parametrize("caller", ["sdk", "sdk.client", "json.decoder", "logging"])
def test_the_sdk_itself_and_the_standard_library_are_not_the_app(caller: str) -> None:
    module = sys.modules.get(caller) or sys.modules[caller.partition(".")[0]]
    # The SDK's own checkout is a git repository, and its distribution is installed: neither
    # may be reported as the app's release.
    assert app_of(caller_module=caller, caller_file=module.__file__) == {}


def test_python_dash_m_finds_the_package_run(monkeypatch: pytest.MonkeyPatch) -> None:
    main = types.ModuleType("__main__")
    main.__spec__ = importlib.machinery.ModuleSpec("tenacity.__main__", None)
    monkeypatch.setitem(sys.modules, "__main__", main)
    app = app_of(caller_module="__main__")
    assert app["release"] == importlib.metadata.version("tenacity")


def test_a_console_script_finds_the_distribution_that_declares_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    main = types.ModuleType("__main__")
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", [str(Path(sys.prefix) / "bin" / "pytest"), "-q"])
    assert app_of(caller_module="__main__")["release"] == importlib.metadata.version("pytest")


@pytest.mark.parametrize("argv0", ["pytest.py", "-c", ""])  # a file named like a distribution
def test_a_script_a_command_or_the_prompt_has_no_distribution(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, argv0: str
) -> None:
    main = types.ModuleType("__main__")
    main.__spec__ = None
    monkeypatch.setitem(sys.modules, "__main__", main)
    monkeypatch.setattr(sys, "argv", [argv0])
    assert app_of(caller_module="__main__", caller_file=str(tmp_path / "pytest.py")) == {}


def test_a_package_named_unlike_its_distribution_is_found_by_the_last_resort_scan() -> None:
    # _pytest belongs to the pytest distribution; only packages_distributions() knows that.
    app = app_of(caller_module="_pytest.config")
    assert app == {"release": importlib.metadata.version("pytest"), "name": "pytest"}


def test_the_scan_is_not_made_when_something_cheaper_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("K_REVISION", "billing-00042-xyz")
    assert app_of(caller_module="_pytest.config") == {"release": "billing-00042-xyz"}


@pytest.mark.parametrize(
    "variable",
    ["HEROKU_SLUG_COMMIT", "SOURCE_VERSION", "RENDER_GIT_COMMIT", "GITHUB_SHA", "K_REVISION"],
)
def test_a_deploy_platform_variable_gives_the_release(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "4f2c0de")
    assert app_of(caller_module="myapp.settings") == {"release": "4f2c0de"}


def test_platform_variables_are_read_in_their_documented_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GITHUB_SHA", "from-ci")
    monkeypatch.setenv("RAILWAY_GIT_COMMIT_SHA", "from-railway")
    monkeypatch.setenv("HEROKU_SLUG_COMMIT", "")  # empty means unset
    assert app_of()["release"] == "from-railway"


@needs_git
def test_a_platform_commit_comes_before_git_which_then_gives_the_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.setenv("VERCEL_GIT_COMMIT_SHA", "deployed-commit")
    app = app_of(caller_module="app.settings", caller_file=str(repo / "app" / "settings.py"))
    assert app == {"release": "deployed-commit", "build": head(repo)}


def test_nothing_known_gives_no_app_section() -> None:
    collector = ReleaseCollector()
    collector.setup(types.SimpleNamespace(options=Options(caller_module="myapp")))  # type: ignore[arg-type]
    draft: Draft = {}
    collector.apply(draft)
    assert "app" not in draft


# --- git, read from .git -------------------------------------------------------------------------


@needs_git
def test_the_git_commit_of_the_callers_working_tree(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", commits=2)
    app = app_of(caller_module="app.settings", caller_file=str(repo / "app" / "settings.py"))
    assert app == {"release": head(repo)}  # the release itself: no separate build


@needs_git
def test_without_a_caller_file_the_current_directory_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    repo = make_repo(tmp_path / "repo")
    monkeypatch.chdir(repo / "app")
    assert app_of(caller_module="app.settings")["release"] == head(repo)


@needs_git
def test_a_branch_in_packed_refs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", commits=2)
    git(repo, "tag", "-a", "v1", "-m", "v1")  # an annotated tag adds a peeled ^ line
    git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "main").exists()
    assert "refs/heads/main" in (repo / ".git" / "packed-refs").read_text()
    assert git_commit(repo) == head(repo)


@needs_git
def test_a_detached_head(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", commits=3)
    git(repo, "checkout", "-q", "--detach", "HEAD~1")
    assert not (repo / ".git" / "HEAD").read_text().startswith("ref:")
    assert git_commit(repo / "app") == head(repo) == git(repo, "rev-parse", "main~1")


@needs_git
def test_a_worktree_reads_its_own_head_and_the_shared_refs(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo")
    worktree = tmp_path / "worktree"
    git(repo, "worktree", "add", "-q", "-b", "feature", str(worktree))
    (worktree / "CHANGES").write_text("on the feature branch\n")
    git(worktree, "commit", "-q", "-am", "feature")
    assert (worktree / ".git").is_file()
    assert head(worktree) != head(repo)
    assert git_commit(worktree / "app") == head(worktree)
    git(repo, "pack-refs", "--all")
    assert git_commit(worktree / "app") == head(worktree)
    assert git_commit(repo) == head(repo)


@needs_git
def test_a_submodule_reads_the_gitdir_its_git_file_points_to(tmp_path: Path) -> None:
    library = make_repo(tmp_path / "library", commits=2)
    repo = make_repo(tmp_path / "repo")
    git(repo, "-c", "protocol.file.allow=always", "submodule", "-q", "add", str(library), "lib")
    git(repo, "commit", "-q", "-m", "add lib")
    submodule = repo / "lib"
    assert (submodule / ".git").read_text().startswith("gitdir: ../.git/modules/lib")
    assert git_commit(submodule / "app") == head(submodule) == head(library)
    assert git_commit(repo / "app") == head(repo) != head(library)


@needs_git
def test_a_repository_without_commits_has_no_commit(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q")
    assert git_commit(repo) is None


def test_a_head_pointing_outside_refs_is_not_followed(tmp_path: Path) -> None:
    dot_git = tmp_path / "repo" / ".git"
    dot_git.mkdir(parents=True)
    (tmp_path / "secret").write_text("0" * 40 + "\n")
    (dot_git / "HEAD").write_text("ref: ../../secret\n")
    assert git_commit(tmp_path / "repo") is None


# --- environment and limits ----------------------------------------------------------------------


def test_the_environment_given_to_init_wins_over_sentrys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    assert app_of(environment="production") == {"environment": "production"}


def test_sentry_environment_is_the_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "staging")
    assert app_of() == {"environment": "staging"}


def test_no_environment_is_invented() -> None:
    assert "environment" not in app_of(release="1.0")


def test_over_long_values_are_cut_to_the_schema_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    assert MAX_VALUE == MAX_SHORT
    monkeypatch.setenv("SENTRY_ENVIRONMENT", "e" * 300)
    app = app_of(release="r" * 150, app_name="n" * 101)
    assert app == {"release": "r" * 100, "environment": "e" * 100, "name": "n" * 100}


def test_an_over_long_platform_value_is_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI_COMMIT_SHA", "c" * 120)
    assert app_of()["release"] == "c" * 100


# --- apply ---------------------------------------------------------------------------------------


def ready_collector() -> ReleaseCollector:
    collector = ReleaseCollector()
    options = Options(release="2.4.1", environment="production", app_name="Billing")
    collector.setup(types.SimpleNamespace(options=options))  # type: ignore[arg-type]
    return collector


def test_apply_never_overwrites_what_the_draft_already_has() -> None:
    draft: Draft = {"app": {"release": "set-by-the-app", "build": "77"}}
    ready_collector().apply(draft)
    assert draft["app"] == {
        "release": "set-by-the-app",
        "build": "77",
        "environment": "production",
        "name": "Billing",
    }


def test_apply_leaves_a_section_that_is_not_a_mapping_alone() -> None:
    draft: Draft = {"app": "whatever an earlier step put there"}
    ready_collector().apply(draft)
    assert draft["app"] == "whatever an earlier step put there"


def test_each_draft_gets_its_own_copy() -> None:
    collector = ready_collector()
    first: Draft = {}
    collector.apply(first)
    first["app"]["release"] = "changed by before_send"
    second: Draft = {}
    collector.apply(second)
    assert second["app"]["release"] == "2.4.1"


def _editable_checkout() -> Path | None:
    """This repository's checkout when the venv has it installed editable (`pip install -e .`)."""
    try:
        text = importlib.metadata.distribution("bugrelay").read_text("direct_url.json") or ""
    except importlib.metadata.PackageNotFoundError:
        return None
    if '"editable": true' not in text:
        return None
    return Path(sdk.__file__).resolve().parent.parent


@pytest.mark.skipif(_editable_checkout() is None, reason="bugrelay is not installed editable")
def test_an_editable_install_is_confirmed_by_its_source_directory() -> None:
    checkout = _editable_checkout()
    assert checkout is not None
    # A module named like the editable distribution, in its source tree: the distribution's.
    app = app_of(caller_module="bugrelay.settings", caller_file=str(checkout / "settings.py"))
    assert app["release"] == importlib.metadata.version("bugrelay")
    assert app["name"] == "bugrelay"
    # Outside the source tree the same name is someone else's.
    assert "release" not in app_of(caller_module="bugrelay.settings", caller_file="/elsewhere.py")
