"""The ``bugrelay`` command.

    bugrelay serve [--host H] [--port P] [--demo]   run the collector
    bugrelay project create NAME                    make a project, print its DSN (only that)
    bugrelay project list                           projects and their DSNs
    bugrelay project show NAME                      a project's settings and keys
    bugrelay project set NAME [--origins ...] ...   per-project settings (see --help)
    bugrelay project rotate-key NAME [--grace 24h]  a new key (print the DSN); the old one
                                                    keeps working for the grace period
    bugrelay project revoke-key NAME [--previous-only]  stop old keys now (and the current
                                                    one unless --previous-only); print the DSN
    bugrelay retention run                          delete reports past their retention now
    bugrelay migrate                                bring the database schema up to date
    bugrelay schema export [--check]                write the wire schema's JSON Schema and docs
    bugrelay check-config [--env]                   validate BUGRELAY_CONFIG, list its forwarders

Every command reads BUGRELAY_DATA_DIR, BUGRELAY_DATABASE_URL, BUGRELAY_ADMIN_TOKEN,
BUGRELAY_PUBLIC_URL and BUGRELAY_RATE_LIMIT (see docs/collector.md).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from collector_server.project_settings import add_setting_arguments
from sdk._version import __version__

if TYPE_CHECKING:
    from collector_server.forwarders.config import ForwarderConfig
    from collector_server.settings import Settings
    from collector_server.store import Project, Store

SCHEMA_PATH = Path("docs/schema/report-v1.schema.json")
SCHEMA_DOC_NAME = "wire-schema.md"  # written to the parent of the schema's folder
DEMO_PROJECT = "demo"


class CommandError(Exception):
    """A command cannot do what was asked; the message says why (printed, exit status 1)."""


def build_dsn(public_url: str, project: Project) -> str:
    parts = urlsplit(public_url)
    netloc = f"{project.public_key}@{parts.netloc}"
    return urlunsplit((parts.scheme, netloc, f"{parts.path.rstrip('/')}/{project.id}", "", ""))


def _server_modules_missing() -> str | None:
    for module in ("starlette", "uvicorn", "sqlalchemy", "alembic"):
        try:
            __import__(module)
        except ModuleNotFoundError:
            return module
    return None


def _settings(*, need_admin_token: bool = False) -> Settings:
    from collector_server.settings import Settings, SettingsError  # noqa: PLC0415

    try:
        return Settings.from_env(need_admin_token=need_admin_token)
    except SettingsError as exc:
        raise CommandError(str(exc)) from None


def _open_store(settings: Settings) -> Store:
    from sqlalchemy.exc import SQLAlchemyError  # noqa: PLC0415

    from collector_server.settings import make_data_dir  # noqa: PLC0415
    from collector_server.store import Store  # noqa: PLC0415

    make_data_dir(settings.data_dir)
    try:
        return Store.open(settings.database_url)
    except SQLAlchemyError as exc:
        raise CommandError(
            f"cannot open the database {settings.database_label}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0]}"
        ) from None


def _ensure_project(store: Store, name: str) -> Project:
    """The project called ``name``, created if missing (safe when replicas start together)."""
    from collector_server.store import ProjectExistsError  # noqa: PLC0415

    existing = store.project_by_name(name)
    if existing is not None:
        return existing
    try:
        return store.create_project(name)
    except ProjectExistsError:
        found = store.project_by_name(name)
        assert found is not None
        return found


def _init_sentry(dsn: str) -> None:
    """Report the collector's own errors to Sentry (never the reports it receives)."""
    import sentry_sdk  # noqa: PLC0415

    try:
        sentry_sdk.init(
            dsn=dsn,
            release=f"bugrelay@{__version__}",
            send_default_pii=False,
            traces_sample_rate=0,
        )
    except ValueError as exc:  # sentry_sdk.utils.BadDsn
        raise CommandError(f"BUGRELAY_SENTRY_DSN is not a valid Sentry DSN: {exc}") from None


def _check_config(settings: Settings) -> list[ForwarderConfig]:
    """The TOML configuration (grouping and severity policy, the forwarders) is usable, or a
    clear error; its forwarders."""
    from collector_server.config import ConfigError, policies_from, read_config  # noqa: PLC0415
    from collector_server.forwarders.config import forwarders_from  # noqa: PLC0415

    path = settings.config_path
    try:
        data = read_config(path)
        policies_from(data, str(path))
        return forwarders_from(data, str(path))
    except ConfigError as exc:
        raise CommandError(str(exc)) from None


def _forwarder_line(forwarder: ForwarderConfig) -> str:
    fields = [
        forwarder.kind,
        f"name={forwarder.name}",
        *(f"{key}={value}" for key, value in forwarder.target.items()),
        f"projects={','.join(forwarder.projects) if forwarder.projects else 'all'}",
        f"min_severity={forwarder.min_severity or 'all'}",
    ]
    return "  ".join(fields)


def cmd_check_config(args: argparse.Namespace) -> int:
    settings = _settings()
    forwarders = _check_config(settings)
    for forwarder in forwarders:
        print(_forwarder_line(forwarder))
    path = settings.config_path
    if not path.exists():
        print(f"{path}: no such file: the defaults, no forwarders", file=sys.stderr)
    if args.env:
        missing = [
            f"{variable} ({forwarder.name}: {key}_env)"
            for forwarder in forwarders
            for key, variable in forwarder.env.items()
            if not os.environ.get(variable)
        ]
        if missing:
            raise CommandError(
                f"{path}: environment variable(s) not set or empty: {', '.join(missing)}"
            )
    if path.exists():
        checked = " and their environment variables" if args.env else ""
        print(f"{path}: good ({len(forwarders)} forwarder(s){checked})", file=sys.stderr)
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn  # noqa: PLC0415

    from collector_server.app import create_app  # noqa: PLC0415

    settings = _settings(need_admin_token=True)
    if settings.sentry_dsn:
        _init_sentry(settings.sentry_dsn)
    _check_config(settings)
    store = _open_store(settings)
    shown_host = "127.0.0.1" if args.host in ("0.0.0.0", "::", "") else args.host  # noqa: S104
    listen_url = f"http://{shown_host}:{args.port}"
    public_url = settings.public_url if settings.public_url_set else listen_url
    if settings.admin_token_generated:
        token_note = f"(new; kept in {settings.data_dir / 'admin-token'})"
    elif os.environ.get("BUGRELAY_ADMIN_TOKEN"):
        token_note = None
    else:
        token_note = f"(from {settings.data_dir / 'admin-token'})"
    lines = [
        f"BugRelay collector {__version__}",
        f"  data directory  {settings.data_dir}",
        f"  database        {settings.database_label}",
        (
            f"  admin token     {settings.admin_token}  {token_note}"
            if token_note
            else "  admin token     from BUGRELAY_ADMIN_TOKEN"
        ),
        f"  reports         POST {public_url}/api/v1/projects/<id>/reports",
        f"  widget          {public_url}/widget.js",
        f"  API description {public_url}/openapi.json",
        f"  health          {public_url}/healthz",
        f"  configuration   {settings.config_path}"
        + ("" if settings.config_path.exists() else " (none: the defaults)"),
    ]
    if args.demo:
        project = _ensure_project(store, DEMO_PROJECT)
        lines += [
            f"  demo project    id {project.id}",
            f"  demo DSN        {build_dsn(public_url, project)}",
            "",
            "Try it:",
            f"  BUGRELAY_DSN='{build_dsn(public_url, project)}' {sys.executable} -c \\",
            "    \"import sdk; sdk.init(); print(sdk.report_bug('It works')); sdk.flush()\"",
            "  curl -H 'Authorization: Bearer <admin token>' "
            f"{public_url}/api/v1/projects/{project.id}/reports/<the printed id>",
            "  the widget on any page of yours:",
            f'    <script src="{public_url}/widget.js" data-dsn="{build_dsn(public_url, project)}"'
            " async></script>",
        ]
    print("\n".join(lines), flush=True)
    from collector_server.logs import configure_logging  # noqa: PLC0415

    configure_logging(settings.log_format, getattr(logging, args.log_level.upper()))
    app = create_app(settings, store=store, background_jobs=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        log_config=None,  # our handler (configure_logging), text or JSON
        timeout_graceful_shutdown=10,
        server_header=False,
    )
    return 0


def cmd_retention_run(_args: argparse.Namespace) -> int:
    from collector_server.attachments import blob_store  # noqa: PLC0415
    from collector_server.retention import run_retention  # noqa: PLC0415

    settings = _settings()
    store = _open_store(settings)
    try:
        store.blobs = blob_store(settings.attachments, store.engine)
        result = run_retention(store, settings)
    finally:
        store.close()
    if not result.ran:
        print("another collector is running the retention job now", file=sys.stderr)
        return 0
    print(
        json.dumps(
            {
                "reports": result.reports,
                "attachments": result.attachments,
                "per_project": result.per_project,
            }
        )
    )
    return 0


def cmd_project_create(args: argparse.Namespace) -> int:
    from collector_server.store import InvalidProjectNameError, ProjectExistsError  # noqa: PLC0415

    settings = _settings()
    store = _open_store(settings)
    try:
        project = store.create_project(args.name)
    except ProjectExistsError as exc:
        raise CommandError(f"{exc}; `bugrelay project list` shows its DSN") from None
    except InvalidProjectNameError as exc:
        raise CommandError(str(exc)) from None
    finally:
        store.close()
    print(build_dsn(settings.public_url, project))
    return 0


def cmd_project_list(args: argparse.Namespace) -> int:
    settings = _settings()
    store = _open_store(settings)
    try:
        projects = store.list_projects()
    finally:
        store.close()
    if args.json:
        print(
            json.dumps(
                [
                    {"id": p.id, "name": p.name, "dsn": build_dsn(settings.public_url, p)}
                    for p in projects
                ],
                indent=2,
            )
        )
    else:
        for p in projects:
            print(f"{p.id}\t{p.name}\t{build_dsn(settings.public_url, p)}")
    return 0


def _changed_project(args: argparse.Namespace, change: Callable[[Store], Project]) -> Project:
    from collector_server.store import ProjectNotFoundError  # noqa: PLC0415

    settings = _settings()
    store = _open_store(settings)
    try:
        return change(store)
    except ProjectNotFoundError as exc:
        raise CommandError(f"{exc}; `bugrelay project list` shows the projects") from None
    finally:
        store.close()


def cmd_project_rotate_key(args: argparse.Namespace) -> int:
    from collector_server.settings import parse_duration  # noqa: PLC0415

    settings = _settings()
    try:
        grace = parse_duration(args.grace) if args.grace is not None else settings.key_grace
    except ValueError as exc:
        raise CommandError(f"--grace: {exc}") from None
    project = _changed_project(args, lambda store: store.rotate_key(args.name, grace))
    print(build_dsn(settings.public_url, project))
    until = max(project.previous_keys.values(), default=None)
    note = f"the previous key works until {until:%Y-%m-%d %H:%M} UTC" if until else "no grace"
    print(f"new key for {project.name}; {note}", file=sys.stderr)
    return 0


def cmd_project_revoke_key(args: argparse.Namespace) -> int:
    settings = _settings()
    project = _changed_project(
        args, lambda store: store.revoke_keys(args.name, current=not args.previous_only)
    )
    print(build_dsn(settings.public_url, project))
    done = "previous keys" if args.previous_only else "every key it had (this DSN has a new one)"
    print(
        f"revoked {done} of {project.name}; collectors stop taking them within seconds",
        file=sys.stderr,
    )
    return 0


def cmd_project_set(args: argparse.Namespace) -> int:
    from collector_server.project_settings import parse_cli_settings  # noqa: PLC0415

    try:
        changes = parse_cli_settings(vars(args))
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    if not changes:
        raise CommandError("nothing to set: name at least one setting (see --help)")
    project = _changed_project(args, lambda store: store.update_project(args.name, changes))
    print(json.dumps(_project_json(settings=_settings(), project=project), indent=2))
    return 0


def cmd_project_show(args: argparse.Namespace) -> int:
    settings = _settings()
    store = _open_store(settings)
    try:
        project = store.project_by_name(args.name)
    finally:
        store.close()
    if project is None:
        raise CommandError(f"no project named {args.name!r}; `bugrelay project list` shows them")
    print(json.dumps(_project_json(settings=settings, project=project), indent=2))
    return 0


def _project_json(*, settings: Settings, project: Project) -> dict[str, object]:
    from collector_server.project_settings import effective_settings  # noqa: PLC0415

    return {
        "id": project.id,
        "name": project.name,
        "dsn": build_dsn(settings.public_url, project),
        "previous_keys_expire": sorted(
            expires.isoformat() for expires in project.previous_keys.values()
        ),
        "settings": effective_settings(settings, project),
    }


def cmd_migrate(_args: argparse.Namespace) -> int:
    settings = _settings()
    _open_store(settings).close()
    print(f"database {settings.database_label} is up to date", file=sys.stderr)
    return 0


def schema_text() -> str:
    from sdk.models import json_schema  # noqa: PLC0415

    return json.dumps(json_schema(), indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def schema_doc_text() -> str:
    from collector_server.schema_doc import render  # noqa: PLC0415
    from sdk.models import MAX_EXTRA_BYTES, MAX_JSON_DEPTH, json_schema  # noqa: PLC0415

    return render(json_schema(), max_extra=MAX_EXTRA_BYTES, depth=MAX_JSON_DEPTH)


def cmd_schema_export(args: argparse.Namespace) -> int:
    schema_path = Path(args.output)
    outputs = {schema_path: schema_text()}
    if not args.no_doc:
        outputs[schema_path.parent.parent / SCHEMA_DOC_NAME] = schema_doc_text()
    if args.check:
        stale = [
            str(path)
            for path, text in outputs.items()
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if stale:
            raise CommandError(f"{', '.join(stale)} out of date: run `bugrelay schema export`")
        return 0
    for path, text in outputs.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path}", file=sys.stderr)
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bugrelay", description="BugRelay collector and tools.")
    parser.add_argument("--version", action="version", version=f"bugrelay {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="run the collector")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    serve.add_argument(
        "--demo", action="store_true", help="make sure a project named 'demo' exists; print its DSN"
    )
    serve.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    serve.set_defaults(func=cmd_serve)

    project = commands.add_parser("project", help="manage projects")
    project_commands = project.add_subparsers(
        dest="project_command", required=True, metavar="ACTION"
    )
    create = project_commands.add_parser("create", help="create a project and print its DSN")
    create.add_argument("name")
    create.set_defaults(func=cmd_project_create)
    listing = project_commands.add_parser("list", help="list projects with their DSNs")
    listing.add_argument("--json", action="store_true", help="print JSON")
    listing.set_defaults(func=cmd_project_list)

    show = project_commands.add_parser("show", help="a project's settings and keys (JSON)")
    show.add_argument("name")
    show.set_defaults(func=cmd_project_show)
    rotate = project_commands.add_parser(
        "rotate-key", help="give a project a new key and print its DSN"
    )
    rotate.add_argument("name")
    rotate.add_argument(
        "--grace",
        default=None,
        help="how long the old key keeps working, e.g. 24h, 7d or 0 (BUGRELAY_KEY_GRACE, 24h)",
    )
    rotate.set_defaults(func=cmd_project_rotate_key)
    revoke = project_commands.add_parser(
        "revoke-key", help="stop a project's keys from working now; print its DSN"
    )
    revoke.add_argument("name")
    revoke.add_argument(
        "--previous-only",
        action="store_true",
        help="end the grace period of rotated keys only; the current key stays",
    )
    revoke.set_defaults(func=cmd_project_revoke_key)
    setter = project_commands.add_parser(
        "set",
        help="change a project's settings ('default' restores the collector's default)",
    )
    setter.add_argument("name")
    add_setting_arguments(setter)
    setter.set_defaults(func=cmd_project_set)

    retention = commands.add_parser("retention", help="the retention job")
    retention_commands = retention.add_subparsers(
        dest="retention_command", required=True, metavar="ACTION"
    )
    run = retention_commands.add_parser(
        "run", help="delete reports past their project's retention now; print the counts"
    )
    run.set_defaults(func=cmd_retention_run)

    migrate = commands.add_parser("migrate", help="bring the database schema up to date")
    migrate.set_defaults(func=cmd_migrate)

    check = commands.add_parser(
        "check-config",
        help="validate the configuration file and list its forwarders",
        description=(
            "Validate the TOML file at BUGRELAY_CONFIG (default: bugrelay.toml in the data"
            " directory): [grouping], [severity] and the [[forwarders]] tables. Prints one line"
            " per forwarder; exit status 1 with the reason when the file cannot be used."
            " Credentials are not yet tried against the vendors (a later version will)."
        ),
    )
    check.add_argument(
        "--env",
        action="store_true",
        help="also check that every environment variable the forwarders name is set",
    )
    check.set_defaults(func=cmd_check_config)

    schema = commands.add_parser("schema", help="wire schema tools")
    schema_commands = schema.add_subparsers(dest="schema_command", required=True, metavar="ACTION")
    export = schema_commands.add_parser("export", help="write the wire schema as JSON Schema")
    export.add_argument("--output", default=str(SCHEMA_PATH), help=f"file to write ({SCHEMA_PATH})")
    export.add_argument(
        "--check", action="store_true", help="do not write; fail if a file is out of date"
    )
    export.add_argument(
        "--no-doc", action="store_true", help=f"skip the Markdown reference ({SCHEMA_DOC_NAME})"
    )
    export.set_defaults(func=cmd_schema_export, needs_server=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        if getattr(args, "needs_server", True):
            missing = _server_modules_missing()
            if missing:
                raise CommandError(
                    f"this command needs {missing!r}, which comes with the server extra: "
                    "pip install 'bugrelay[server]'"
                )
        code: int = args.func(args)
    except CommandError as exc:
        print(f"bugrelay: error: {exc}", file=sys.stderr)
        return 1
    return code
