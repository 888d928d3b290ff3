"""``databrewery-lab demo``: build the demo organization once, then open JupyterLab on it."""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import psycopg

from . import dsn as dsn_tools
from ._resources import resource_path
from .connection import connect
from .embedded import DATABASE, EmbeddedPostgres
from .errors import DemoError

QUICKSTART = "quickstart.ipynb"


@contextlib.contextmanager
def demo_lock(home: Path) -> Iterator[None]:
    """Only one demo build per data directory at a time; a second one is told so at once."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / "demo.lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            raise DemoError(
                f"Another `databrewery-lab demo` ({owner}) is building the demo in {home}. "
                "Wait for it to finish, then run the command again."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def drop_demo_database(server: EmbeddedPostgres) -> None:
    """Drop the embedded demo database, disconnecting whoever still uses it."""
    with dsn_tools.open_connection(server.conninfo("postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')  # constant identifier


def build_if_missing(
    home: Path, *, scale: float, seed: int, reset: bool, progress: bool = True
) -> str:
    """Build the demo in the embedded database unless it is there; return what happened."""
    from .demo import build_demo

    server = EmbeddedPostgres(home).acquire()
    try:
        with demo_lock(home):
            if reset:
                drop_demo_database(server)
                shutil.rmtree(home / "media", ignore_errors=True)
            with connect(data_dir=home) as brewery:
                with brewery.raw_connection() as conn:
                    tasks = _count_tasks(conn)
                if tasks:
                    return (
                        f"demo database already built ({tasks:,} tasks) in {home}; "
                        "`databrewery-lab demo --reset` rebuilds it"
                    )
                report = build_demo(
                    brewery.conninfo,
                    scale=scale,
                    seed=seed,
                    media_dir=home / "media",
                    progress=progress,
                )
                return str(report)
    finally:
        server.release()


def _count_tasks(conn: psycopg.Connection) -> int:
    row = conn.execute("SELECT count(*) FROM task").fetchone()
    return int(row[0]) if row else 0


def install_notebooks(home: Path) -> Path:
    """Copy the shipped notebooks into the data dir, never overwriting the user's edits."""
    target = home / "notebooks"
    target.mkdir(parents=True, exist_ok=True)
    for notebook in sorted(resource_path("notebooks").glob("*.ipynb")):
        destination = target / notebook.name
        if not destination.exists():
            shutil.copy2(notebook, destination)
    return target


def lab_command(notebooks: Path, *, port: int, open_browser: bool) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        QUICKSTART,
        f"--ServerApp.root_dir={notebooks}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
    ]
    if not open_browser:
        command.append("--no-browser")
    if os.geteuid() == 0:
        command.append("--allow-root")
    return command


def run_demo(
    *,
    home: Path,
    scale: float,
    seed: int,
    reset: bool,
    lab: bool,
    port: int,
    open_browser: bool,
) -> int:
    print(build_if_missing(home, scale=scale, seed=seed, reset=reset), flush=True)
    if not lab:
        return 0
    notebooks = install_notebooks(home)
    server = EmbeddedPostgres(home).acquire()  # stays up for the kernels while lab runs
    try:
        env = {**os.environ, "DATABREWERY_HOME": str(home)}
        env.pop("DATABREWERY_DSN", None)
        print(f"opening JupyterLab on {notebooks / QUICKSTART} (Ctrl+C to stop)", flush=True)
        process = subprocess.Popen(
            lab_command(notebooks, port=port, open_browser=open_browser),
            cwd=notebooks,
            env=env,
        )
        try:
            with _stop_signals_interrupt():
                return process.wait()
        except KeyboardInterrupt:
            process.terminate()
            process.wait(timeout=30)
            return 0
    finally:
        server.release()


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """Treat SIGTERM/SIGHUP (kill, a closed terminal) like Ctrl+C: stop JupyterLab, clean up.

    SIGINT is re-armed too: a shell starts background jobs with it ignored.
    """

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
    previous = {sig: signal.signal(sig, interrupt) for sig in stop_signals}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
