"""The ``databrewery-lab`` command: demo, embedded database control, schema init."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import DatabreweryError

_DESCRIPTION = """\
Label, review and analyse Databrewery (Label Studio) databases from Jupyter.

  databrewery-lab demo            build the demo organization, open JupyterLab on it
  databrewery-lab db status       is the embedded PostgreSQL running, and where
  databrewery-lab init --dsn URL  create the Databrewery schema on your own server
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="databrewery-lab",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="where the embedded database, media and notebooks live "
        "(default: $DATABREWERY_HOME or the platform data dir)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="build the demo organization (if missing) and open JupyterLab on it",
        description="Build a realistic demo organization in the embedded PostgreSQL (once), "
        "then open JupyterLab on notebooks/quickstart.ipynb. Ctrl+C stops JupyterLab.",
    )
    demo.add_argument(
        "--scale",
        type=_positive_float,
        default=1.0,
        help="size: 1 ≈ 10,000 annotations (seconds), 100 ≈ 1,000,000 (default: 1)",
    )
    demo.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    demo.add_argument(
        "--reset",
        action="store_true",
        help="drop the embedded demo database and build it again",
    )
    demo.add_argument("--no-lab", action="store_true", help="only build; do not start JupyterLab")
    demo.add_argument("--port", type=int, default=8888, help="JupyterLab port (default: 8888)")
    demo.add_argument(
        "--no-browser", action="store_true", help="do not open a web browser for JupyterLab"
    )

    db = commands.add_parser(
        "db",
        help="control the embedded PostgreSQL",
        description="Control the embedded PostgreSQL that connect() uses when no DSN is given.",
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser(
        "start", help="start it and keep it running until `db stop` (notebooks, other tools)"
    )
    stop = db_commands.add_parser("stop", help="stop it")
    stop.add_argument(
        "--force", action="store_true", help="stop even while notebooks or other processes use it"
    )
    db_commands.add_parser("status", help="say whether it runs, where, and who uses it")
    db_commands.add_parser("url", help="print its connection URL (it must be running)")
    psql = db_commands.add_parser(
        "psql",
        help="open psql on the demo database (extra arguments go to psql)",
        description="Open psql on the embedded database. Arguments after -- go to psql, "
        "e.g. `databrewery-lab db psql -- -c 'select count(*) from task'`.",
    )
    psql.add_argument("psql_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    init = commands.add_parser(
        "init",
        help="create the Databrewery schema (missing tables only; data untouched)",
        description="Create whatever part of the Databrewery schema is missing, in one "
        "transaction. Existing tables and data are never changed.",
    )
    init.add_argument(
        "--dsn",
        help="PostgreSQL URL or conninfo (default: $DATABREWERY_DSN, else the embedded database)",
    )
    return parser


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "demo":
            from .demo_command import run_demo

            return run_demo(
                home=_home(args),
                scale=args.scale,
                seed=args.seed,
                reset=args.reset,
                lab=not args.no_lab,
                port=args.port,
                open_browser=not args.no_browser,
            )
        if args.command == "db":
            return _db(args)
        if args.command == "init":
            return _init(args)
    except DatabreweryError as err:
        print(f"databrewery-lab: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("databrewery-lab: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    raise AssertionError(f"unhandled command {args.command!r}")  # argparse requires one


def _home(args: argparse.Namespace) -> Path:
    from .paths import data_home

    return data_home(args.data_dir)


def _db(args: argparse.Namespace) -> int:
    from .embedded import EmbeddedPostgres, postgres_bin_dir

    server = EmbeddedPostgres(_home(args))
    action = args.db_command
    if action == "start":
        server.start(pin=True)
        print(
            f"embedded PostgreSQL running; it stays up until `databrewery-lab db stop`\n"
            f"url: {server.url()}"
        )
    elif action == "stop":
        cut_off = server.stop(force=args.force)
        pids = ", ".join(map(str, cut_off))
        note = f" (processes {pids} lost their connection)" if cut_off else ""
        print(f"embedded PostgreSQL in {server.home} stopped{note}")
    elif action == "status":
        print(server.status())
    elif action == "url":
        if not server.is_running():
            print(
                "databrewery-lab: error: the embedded PostgreSQL is not running; "
                "`databrewery-lab db start` starts it and keeps it running",
                file=sys.stderr,
            )
            return 1
        print(server.url())
    elif action == "psql":
        from .connection import connect

        extra = list(args.psql_args)
        if extra[:1] == ["--"]:
            extra = extra[1:]
        with connect(data_dir=server.home) as brewery:
            psql = postgres_bin_dir() / "psql"
            return subprocess.call([str(psql), brewery.conninfo, *extra], env=os.environ.copy())
    return 0


def _init(args: argparse.Namespace) -> int:
    from .connection import connect

    if args.dsn:
        brewery = connect(args.dsn)
    elif os.environ.get("DATABREWERY_DSN"):
        brewery = connect()
    else:
        brewery = connect(data_dir=_home(args))
    with brewery:
        report = brewery.init_schema()
        print(report)
    return 0
